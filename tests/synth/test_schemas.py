"""The tasks' JSON Schemas: strict-ready, and they accept good answers and refuse bad ones.

Each schema is checked with an independent JSON Schema validator (fastjsonschema) and with
the layer's own checker (what the probe and the fake server use), and every answer is also
run through the task's pydantic parser, so schema and parser agree.
"""

from __future__ import annotations

import json
from typing import Any

import fastjsonschema
import pytest

from datagen.llm.schema_check import schema_errors
from datagen.synth.fake_responder import respond
from datagen.synth.plan import CuePlan, PlanEntry
from datagen.synth.tasks import (
    TaskParseError,
    build_dialogue_messages,
    dialogue_schema,
    judge_schema,
    parse_dialogue,
    parse_judge,
    turn_keys,
)
from datagen.tags.llm_answer import parse_answer, response_schema
from datagen.taxonomy import load_taxonomy


def _entry(taxonomy, n_user_turns: int, n_cues: int) -> PlanEntry:
    traits = list(taxonomy.trait_ids)[:n_cues]
    cues = [CuePlan(trait_id=t, strategy="mention", idea=f"a hint about {t}",
                    user_turn=i % n_user_turns) for i, t in enumerate(traits)]
    return PlanEntry(index=0, sample_id="s0", seed_id="g0", seed_source="graph",
                     traits=traits, cues=cues, n_user_turns=n_user_turns, rng_seed=1)


def _strict_ready(schema: dict[str, Any]) -> None:
    """What OpenAI's strict mode demands of every object in the schema."""
    if schema.get("type") == "object":
        assert schema["additionalProperties"] is False
        assert sorted(schema["required"]) == sorted(schema["properties"])
        for sub in schema["properties"].values():
            _strict_ready(sub)
    if schema.get("type") == "array":
        _strict_ready(schema["items"])


def _good(entry: PlanEntry) -> dict[str, Any]:
    body = {"messages": [m.model_dump() for m in build_dialogue_messages(entry)]}
    return json.loads(respond(body, "openai"))


def _refused(schema: dict[str, Any], value: Any) -> bool:
    validate = fastjsonschema.compile(schema)
    try:
        validate(value)
    except fastjsonschema.JsonSchemaException:
        independent = True
    else:
        independent = False
    assert independent == bool(schema_errors(schema, value))  # both checkers agree
    return independent


@pytest.mark.parametrize("n_user_turns", [3, 4, 5])
@pytest.mark.parametrize("n_cues", [0, 1, 2])
def test_dialogue_schema_fixes_turns_roles_and_cues(taxonomy, n_user_turns, n_cues):
    entry = _entry(taxonomy, n_user_turns, n_cues)
    schema = dialogue_schema(entry).schema_
    _strict_ready(schema)
    turns = schema["properties"]["turns"]
    assert list(turns["properties"]) == turn_keys(n_user_turns)  # user first and last
    assert turn_keys(n_user_turns)[0] == "user_1" and turn_keys(n_user_turns)[-1] == \
        f"user_{n_user_turns}"
    assert ("cues" in schema["properties"]) == bool(n_cues)

    good = _good(entry)
    assert not _refused(schema, good)
    draft = parse_dialogue(json.dumps(good), entry)
    assert len(draft.messages) == 2 * n_user_turns - 1
    assert [c.trait_id for c in draft.cues] == entry.traits

    short = {**good, "turns": dict(list(good["turns"].items())[:-2])}
    assert _refused(schema, short)
    with pytest.raises(TaskParseError, match="missing"):
        parse_dialogue(json.dumps(short), entry)
    extra = {**good, "turns": {**good["turns"], f"assistant_{n_user_turns}": "Here you go"}}
    assert _refused(schema, extra)  # the assistant never has the last word
    with pytest.raises(TaskParseError, match="unexpected"):
        parse_dialogue(json.dumps(extra), entry)
    listed = {"turns": [{"role": "user", "content": "hi"}], "cues": []}
    assert _refused(schema, listed)


@pytest.mark.parametrize("n_cues", [1, 2])
def test_dialogue_schema_allows_cues_only_for_planned_traits_at_user_turns(taxonomy, n_cues):
    entry = _entry(taxonomy, 4, n_cues)
    schema = dialogue_schema(entry).schema_
    good = _good(entry)
    cues = schema["properties"]["cues"]
    assert sorted(cues["properties"]) == sorted(entry.traits)
    for cue in cues["properties"].values():
        assert cue["properties"]["user_turn"]["enum"] == [1, 2, 3, 4]
    trait = entry.traits[0]
    at_six = {**good, "cues": {**good["cues"], trait: {"user_turn": 6, "text": "x"}}}
    assert _refused(schema, at_six)
    unplanned = {**good, "cues": {**good["cues"], "not_planned": {"user_turn": 1, "text": "x"}}}
    assert _refused(schema, unplanned)
    missing = {**good, "cues": {k: v for k, v in good["cues"].items() if k != trait}}
    assert _refused(schema, missing)
    with pytest.raises(TaskParseError, match="no entry"):
        parse_dialogue(json.dumps(missing), entry)


def test_dialogue_v1_has_no_schema_and_its_answers_still_parse(taxonomy):
    entry = _entry(taxonomy, 3, 1)
    assert dialogue_schema(entry, "dialogue-v1") is None
    body = {"messages": [m.model_dump() for m in build_dialogue_messages(entry, "dialogue-v1")]}
    draft = parse_dialogue(respond(body, "openai"), entry)
    assert len(draft.messages) == 5 and draft.cues[0].turn_index % 2 == 0


def test_v2_prompt_describes_the_keys_and_shows_no_placeholder(taxonomy):
    entry = _entry(taxonomy, 3, 1)
    system = build_dialogue_messages(entry)[0].content
    assert '"user_1", "assistant_1", "user_2", "assistant_2", "user_3"' in system
    assert '"..."' not in system and "<" not in system


def test_judge_schema(taxonomy):
    schema = judge_schema(taxonomy).schema_
    _strict_ready(schema)
    ids = list(taxonomy.trait_ids)
    assert not _refused(schema, {"traits": ids[:2]}) and not _refused(schema, {"traits": []})
    assert _refused(schema, {"traits": ["not_a_trait"]})
    assert _refused(schema, {"traits": ids[:1], "why": "x"})
    assert parse_judge(json.dumps({"traits": ids[:2]}), taxonomy) == sorted(ids[:2])


def test_tagging_schema():
    taxonomy = load_taxonomy()
    schema = response_schema(taxonomy).schema_
    _strict_ready(schema)
    ids = list(taxonomy.trait_ids)
    good = {t: {"verdict": "absent", "reason": "none on screen"} for t in ids}
    good[ids[0]] = {"verdict": "present", "reason": "a dog dies"}
    assert not _refused(schema, good)
    assert _refused(schema, {**good, ids[1]: {"verdict": "maybe", "reason": ""}})
    assert _refused(schema, {ids[0]: good[ids[0]]})
    assert _refused(schema, {**good, "extra": good[ids[0]]})
    answer, repairs = parse_answer(json.dumps(good), taxonomy)
    assert answer.traits[ids[0]].verdict == "present" and not repairs
