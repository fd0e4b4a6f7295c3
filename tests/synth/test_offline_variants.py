"""The offline composer's explicit, absent and acquisition variants of one planned user."""

from __future__ import annotations

from datagen.synth.offline import (
    ACQUISITION_TEMPLATES,
    compose_dialogue,
    explicit_cue_bank,
    load_templates,
)
from datagen.synth.plan import make_plan
from datagen.taxonomy import LeakMatcher

COUNTS = {0: 0.2, 1: 0.5, 2: 0.3}


def _entries(taxonomy, resources, n=120):
    return make_plan(n, 21, resources.seeds, taxonomy, COUNTS)


def test_acquisition_templates_are_trait_neutral(taxonomy):
    leaks = LeakMatcher(taxonomy)
    for section, lines in load_templates(ACQUISITION_TEMPLATES).items():
        for line in lines:
            assert leaks.find(line) == [], (section, line)


def test_explicit_states_each_trait_on_the_planned_turn(taxonomy, resources):
    leaks, bank = LeakMatcher(taxonomy), explicit_cue_bank(taxonomy)
    for entry in _entries(taxonomy, resources):
        implicit = compose_dialogue(entry, leaks)
        explicit = compose_dialogue(entry.model_copy(update={"variant": "explicit"}), leaks,
                                    bank)
        assert len(explicit.messages) == len(implicit.messages)
        assert [c.turn_index for c in explicit.cues] == [c.turn_index for c in implicit.cues]
        for cue in explicit.cues:
            assert cue.strategy == "explicit" and cue.idea in bank[cue.trait_id]
            assert cue.trait_id in {t for t, _ in leaks.find(explicit.messages[cue.turn_index]
                                                               .content)}
        stated = {t for turn in explicit.messages if turn.role == "user"
                  for t, _ in leaks.find(turn.content)}
        assert stated == set(entry.traits)
        cue_turns = {c.turn_index for c in implicit.cues}
        for i, (a, b) in enumerate(zip(implicit.messages, explicit.messages, strict=True)):
            if i not in cue_turns and a.role == "user":
                assert a.content == b.content  # a minimal pair: only the cue turns differ


def test_absent_weaves_nothing_even_with_planned_cues(taxonomy, resources):
    leaks = LeakMatcher(taxonomy)
    for entry in _entries(taxonomy, resources, 40):
        absent = compose_dialogue(entry.model_copy(update={"variant": "absent"}), leaks)
        assert absent.cues == []
        assert all(not leaks.find(t.content, entry.traits) for t in absent.messages)


def test_acquisition_asks_first_and_the_user_states_every_trait(taxonomy, resources):
    leaks, bank = LeakMatcher(taxonomy), explicit_cue_bank(taxonomy)
    asks = set(load_templates(ACQUISITION_TEMPLATES)["ask_sensitivity"])
    nothing = load_templates(ACQUISITION_TEMPLATES)["none_to_avoid"]
    for entry in _entries(taxonomy, resources):
        draft = compose_dialogue(entry.model_copy(update={"variant": "acquisition"}), leaks,
                                 bank)
        assert draft.messages[1].role == "assistant" and draft.messages[1].content in asks
        answer = draft.messages[2].content
        assert {t for t, _ in leaks.find(answer)} == set(entry.traits)
        assert [c.trait_id for c in draft.cues] == entry.traits
        assert all(c.strategy == "acquisition" and c.turn_index == 2 for c in draft.cues)
        if not entry.traits:
            assert any(answer.startswith(line) for line in nothing)
        assert draft.messages[-1].role == "user"


def test_offline_judge_reads_explicit_statements(taxonomy, resources):
    from datagen.synth.offline import OfflineJudge
    from datagen.synth.tasks import user_text

    leaks, bank, judge = LeakMatcher(taxonomy), explicit_cue_bank(taxonomy), OfflineJudge(taxonomy)
    for entry in _entries(taxonomy, resources, 80):
        for variant in ("explicit", "acquisition"):
            draft = compose_dialogue(entry.model_copy(update={"variant": variant}), leaks, bank)
            assert set(entry.traits) <= set(judge.judge(user_text(draft.messages)))
