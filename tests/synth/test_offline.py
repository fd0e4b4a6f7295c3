"""The offline composer and judge: labelled, leak-free, varied, deterministic."""

from __future__ import annotations

import asyncio
from collections import Counter

from synth_helpers import drawn_entries

from datagen.records.sample import dialogue_hash
from datagen.synth.generate import OfflineGenerator
from datagen.synth.offline import OfflineJudge, compose_dialogue, load_templates
from datagen.synth.tasks import user_text
from datagen.taxonomy import LeakMatcher

COUNTS = {0: 0.2, 1: 0.6, 2: 0.2}


def test_templates_hold_no_leak_term_of_any_trait(taxonomy):
    leaks = LeakMatcher(taxonomy)
    for section, lines in load_templates().items():
        for line in lines:
            assert leaks.find(line) == [], (section, line)


def test_dialogues_leak_free_varied_and_cue_on_planned_turn(taxonomy, resources):
    leaks = LeakMatcher(taxonomy)
    plan = drawn_entries(taxonomy, resources, 1500, 4, COUNTS)
    hashes = set()
    cue_turns = Counter()
    for entry in plan:
        draft = compose_dialogue(entry, leaks)
        assert leaks.find(user_text(draft.messages), entry.traits) == []
        roles = [t.role for t in draft.messages]
        assert roles[0] == roles[-1] == "user"
        assert roles.count("user") == entry.n_user_turns >= 3
        for planned, cue in zip(entry.cues, draft.cues, strict=True):
            assert cue.turn_index == 2 * planned.user_turn
            assert cue.text in draft.messages[cue.turn_index].content
            cue_turns[cue.turn_index] += 1
        hashes.add(dialogue_hash(draft.messages))
        # no question asked twice, no user sentence said twice (57 and 28 of 1,000 default
        # dialogues did before templates were drawn without replacement)
        asked = [t.content for t in draft.messages if t.role == "assistant"]
        assert len(asked) == len(set(asked)), asked
        said = [s.strip() for t in draft.messages if t.role == "user"
                for s in t.content.replace("?", ".").split(".") if len(s.strip()) > 15]
        assert len(said) == len(set(said)), said
    assert len(hashes) >= 0.99 * len(plan)
    assert len(cue_turns) >= 3 and cue_turns[0] < 0.5 * sum(cue_turns.values())


def test_composer_is_deterministic_and_pairs_differ_only_by_cues(taxonomy, resources):
    leaks = LeakMatcher(taxonomy)
    plan = drawn_entries(taxonomy, resources, 60, 8, COUNTS, variants=("implicit", "absent"))
    again = drawn_entries(taxonomy, resources, 60, 8, COUNTS, variants=("implicit", "absent"))
    for a, b in zip(plan, again, strict=True):
        assert compose_dialogue(a, leaks) == compose_dialogue(b, leaks)
    rich = {e.pair_id: e for e in plan if e.variant == "implicit" and e.pair_id}
    free = {e.pair_id: e for e in plan if e.variant == "absent"}
    for pair_id, entry in rich.items():
        with_cue = compose_dialogue(entry, leaks)
        without = compose_dialogue(free[pair_id], leaks)
        assert len(with_cue.messages) == len(without.messages)
        assert not without.cues
        for cue in with_cue.cues:
            assert cue.text in with_cue.messages[cue.turn_index].content
            assert cue.text not in without.messages[cue.turn_index].content


def test_offline_generator_is_labelled_not_llm(taxonomy, resources):
    plan = drawn_entries(taxonomy, resources, 3, 1, COUNTS)
    out = asyncio.run(OfflineGenerator(LeakMatcher(taxonomy)).generate(plan[0]))
    assert out.generation.backend == "offline"
    assert out.generation.model == "offline-composer-v1"
    assert out.generation.is_llm is False


def test_offline_judge_reads_cues_and_spares_controls(taxonomy, resources):
    leaks = LeakMatcher(taxonomy)
    judge = OfflineJudge(taxonomy)
    assert judge.is_llm is False and judge.backend == "offline"
    plan = drawn_entries(taxonomy, resources, 400, 2, COUNTS)
    recall = false_pos = controls = with_traits = 0
    for entry in plan:
        named = set(judge.judge(user_text(compose_dialogue(entry, leaks).messages)))
        if entry.traits:
            with_traits += 1
            recall += set(entry.traits) <= named
        else:
            controls += 1
            false_pos += bool(named)
    assert recall >= 0.9 * with_traits
    assert false_pos <= 0.1 * controls
