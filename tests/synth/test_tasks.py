"""LLM tasks as pure functions: prompts carry the plan, parsing validates and explains."""

from __future__ import annotations

import json

import pytest
from synth_helpers import drawn_entries

from datagen.synth.fake_responder import respond
from datagen.synth.tasks import (
    TaskParseError,
    build_dialogue_messages,
    build_judge_messages,
    parse_dialogue,
    parse_judge,
    repair_messages,
)


@pytest.fixture()
def entry(taxonomy, resources):
    plan = drawn_entries(taxonomy, resources, 40, 3, {2: 1.0})
    return plan[0]


def test_prompt_carries_cues_turns_and_films_never_as_user_text(entry):
    system, user = build_dialogue_messages(entry)
    assert system.role == "system" and user.role == "user"
    assert f"Write exactly {entry.n_user_turns} user turns" in system.content
    for cue in entry.cues:
        assert cue.trait_id in user.content and cue.idea in user.content
    assert entry.liked[0].title in user.content


def test_parse_roundtrip_with_fake_responder(entry):
    messages = build_dialogue_messages(entry)
    body = {"messages": [m.model_dump() for m in messages]}
    draft = parse_dialogue(respond(body, "openai"), entry)
    assert [c.trait_id for c in draft.cues] == entry.traits
    assert sum(t.role == "user" for t in draft.messages) == entry.n_user_turns
    fenced = "```json\n" + respond(body, "openai") + "\n```"
    assert parse_dialogue(fenced, entry) == draft


def _listed(n_turns: int, first_role: str = "user") -> list[dict[str, str]]:
    roles = ["user", "assistant"] if first_role == "user" else ["assistant", "user"]
    return [{"role": roles[i % 2], "content": f"turn {i}"} for i in range(n_turns)]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda n: "sorry, I cannot help", "no JSON object"),
        (lambda n: '{"turns": [', "no JSON object"),
        (lambda n: '{"turns": [{"role": "user", "content": "hi"}]}', "schema error"),
        (lambda n: json.dumps({"turns": _listed(2 * n - 3)}), "expected"),
        (lambda n: json.dumps({"turns": _listed(2 * n - 1, "assistant")}), "should be a user"),
        (lambda n: json.dumps({"turns": _listed(2 * n - 1), "cues": []}), "no entry"),
        (lambda n: json.dumps({"turns": [{**t, "content": "..."} for t in _listed(2 * n - 1)]}),
         "placeholder"),
        (lambda n: json.dumps({"turns": {"user_1": "a", "assistant_1": "b"}}), "missing"),
    ],
)
def test_parse_errors_explain(entry, make, reason):
    with pytest.raises(TaskParseError, match=reason):
        parse_dialogue(make(entry.n_user_turns), entry)


def test_repair_messages_append_answer_and_reason(entry):
    messages = build_dialogue_messages(entry)
    repaired = repair_messages(messages, "garbage", "no JSON object found")
    assert repaired[:2] == messages
    assert repaired[2].role == "assistant" and repaired[2].content == "garbage"
    assert "no JSON object found" in repaired[3].content


def test_judge_prompt_and_parse(taxonomy):
    system, user = build_judge_messages("I shake out my boots.", taxonomy)
    assert all(t in system.content for t in taxonomy.trait_ids)
    assert "I shake out my boots." in user.content
    assert parse_judge('{"traits": ["gore", "animal_harm"]}', taxonomy) == ["animal_harm", "gore"]
    assert parse_judge('{"traits": []}', taxonomy) == []
    with pytest.raises(TaskParseError, match="unknown trait"):
        parse_judge('{"traits": ["dragons"]}', taxonomy)
    with pytest.raises(TaskParseError):
        parse_judge('{"answer": "gore"}', taxonomy)


def test_seed_dialogue_is_offered_for_rewriting(entry):
    seeded = entry.model_copy(update={"seed_user_turns": ["Hi I want a movie like Alien (1979)",
                                                          "Yes, I saw that one"]})
    _, user = build_dialogue_messages(seeded)
    assert "Rewrite them" in user.content
    assert "user: Hi I want a movie like Alien (1979)" in user.content
    _, plain = build_dialogue_messages(entry)
    assert "Rewrite them" not in plain.content
