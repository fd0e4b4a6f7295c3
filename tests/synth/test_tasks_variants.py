"""dialogue-v3: the LLM prompt's explicit and acquisition instructions, per plan entry."""

from __future__ import annotations

import json

import pytest

from datagen.errors import ConfigError
from datagen.synth.explicit import explicit_cue_bank
from datagen.synth.plan import make_plan
from datagen.synth.tasks import build_dialogue_messages, parse_dialogue, turn_keys


def _entry(taxonomy, resources, variant):
    plan = make_plan(30, 5, None, taxonomy, {1: 1.0})  # graph users: drawn later
    return plan[0].model_copy(update={"variant": variant})


def test_explicit_prompt_carries_the_plain_statement(taxonomy, resources):
    bank = explicit_cue_bank(taxonomy)
    entry = _entry(taxonomy, resources, "explicit")
    system, user = build_dialogue_messages(entry, "dialogue-v3", bank)
    assert "states each" in system.content and "plainly" in system.content
    trait = entry.cues[0].trait_id
    assert any(s in user.content for s in bank[trait])
    assert entry.cues[0].idea not in user.content  # not the implicit idea


def test_acquisition_prompt_asks_first(taxonomy, resources):
    bank = explicit_cue_bank(taxonomy)
    entry = _entry(taxonomy, resources, "acquisition")
    system, user = build_dialogue_messages(entry, "dialogue-v3", bank)
    assert "first turn asks" in system.content and '"user_2"' in user.content


def test_implicit_v3_equals_v2(taxonomy, resources):
    entry = _entry(taxonomy, resources, "implicit")
    assert build_dialogue_messages(entry, "dialogue-v3") == \
        build_dialogue_messages(entry, "dialogue-v2")


def test_a_prompt_without_variant_blocks_refuses_explicit(taxonomy, resources):
    with pytest.raises(ConfigError, match="use dialogue-v3"):
        build_dialogue_messages(_entry(taxonomy, resources, "explicit"), "dialogue-v2",
                                explicit_cue_bank(taxonomy))


def test_explicit_cues_are_labelled_explicit(taxonomy, resources):
    entry = _entry(taxonomy, resources, "explicit")
    keys = turn_keys(entry.n_user_turns)
    turns = {k: f"text of {k}" for k in keys}
    k = entry.cues[0].user_turn + 1
    answer = {"turns": turns, "cues": {entry.cues[0].trait_id: {"user_turn": k,
                                                                 "text": f"text of user_{k}"}}}
    draft = parse_dialogue(json.dumps(answer), entry)
    assert draft.cues[0].strategy == "explicit"
