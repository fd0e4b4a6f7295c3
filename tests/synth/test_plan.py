"""The plan: deterministic, prefix-stable, the planned mix exactly, traits independent of films."""

from __future__ import annotations

from collections import Counter

import pytest

from datagen.records.sample import ItemRef
from datagen.synth.plan import (
    COUNT_BLOCK,
    count_sequence,
    make_plan,
    parse_variants,
    plan_digest,
)
from datagen.synth.seeds import Seed

COUNTS = {0: 0.2, 1: 0.6, 2: 0.2}


def _seeds(n: int, offset: int = 0) -> list[Seed]:
    return [Seed(seed_id=f"s{i}", source="reddit",
                 liked=[ItemRef(item_id=f"tt{i + offset}", title=f"Film {i + offset}")])
            for i in range(n)]


def test_same_seed_same_plan_and_other_seed_differs(taxonomy):
    a = make_plan(300, 5, None, taxonomy, COUNTS)
    b = make_plan(300, 5, None, taxonomy, COUNTS)
    c = make_plan(300, 6, None, taxonomy, COUNTS)
    assert [e.model_dump() for e in a] == [e.model_dump() for e in b]
    assert [e.sample_id for e in a] != [e.sample_id for e in c]
    assert len({e.sample_id for e in a}) == 300
    assert all(e.seed_source == "graph_profile" and not e.liked for e in a)
    assert len({e.seed_id for e in a}) == 300  # one graph user per plan index


@pytest.mark.parametrize("seeds", [None, _seeds(7)])
def test_plans_are_prefix_stable(taxonomy, seeds):
    """User i depends only on the seed and i: --n 8 is the first 8 users of --n 20."""
    variants = ("implicit", "explicit", "absent")
    small = make_plan(8, 3, seeds, taxonomy, COUNTS, variants=variants)
    large = make_plan(20, 3, seeds, taxonomy, COUNTS, variants=variants)
    assert [e.model_dump() for e in large[:len(small)]] == [e.model_dump() for e in small]
    assert {e.index for e in small} == set(range(8))
    assert plan_digest(large, 8) == plan_digest(small) != plan_digest(large)


def test_trait_count_mix_is_exact_per_block_and_prefix_stable():
    for counts in (COUNTS, {0: 0.15, 1: 0.5, 2: 0.35}, {1: 1.0}):
        seq = count_sequence(9, counts, 1000)
        assert seq == count_sequence(9, counts, 1013)[:1000]
        got = Counter(seq)
        for k, w in counts.items():
            assert abs(got[k] - w * 1000) <= 1
        for start in range(0, 1000, COUNT_BLOCK):  # every block holds the mix within 1 user
            block = Counter(seq[start:start + COUNT_BLOCK])
            for k, w in counts.items():
                assert abs(block[k] - w * COUNT_BLOCK) <= 1
    assert count_sequence(1, COUNTS, 40) != count_sequence(2, COUNTS, 40)  # shuffled by seed


def test_traits_balanced_and_control_share(taxonomy):
    plan = make_plan(4000, 1, None, taxonomy, COUNTS)
    controls = sum(1 for e in plan if not e.traits)
    assert controls == 800
    per_trait = Counter(t for e in plan for t in e.traits)
    assert set(per_trait) == set(taxonomy.trait_ids)
    assert max(per_trait.values()) - min(per_trait.values()) <= 2
    assert all(len(set(e.traits)) == len(e.traits) for e in plan)


def test_infeasible_combinations_are_never_planned(taxonomy):
    banned = {frozenset(("gore", "young_children")), frozenset(("gore", "horror_avoider"))}

    def feasible(traits):
        return frozenset(traits) not in banned

    plan = make_plan(3000, 4, None, taxonomy, {2: 1.0}, feasible=feasible)
    assert all(frozenset(e.traits) not in banned for e in plan)
    per_trait = Counter(t for e in plan for t in e.traits)
    assert max(per_trait.values()) - min(per_trait.values()) <= 6  # shares stay even


def test_traits_independent_of_seed_films(taxonomy):
    """Different liked films (hence different ground truth), same seed -> same traits."""
    a = make_plan(200, 9, _seeds(200), taxonomy, COUNTS)
    b = make_plan(200, 9, _seeds(200, offset=5000), taxonomy, COUNTS)
    assert [e.traits for e in a] == [e.traits for e in b]
    assert [[c.idea for c in e.cues] for e in a] == [[c.idea for c in e.cues] for e in b]
    assert [e.traits for e in a] == [e.traits for e in make_plan(200, 9, None, taxonomy,
                                                                   COUNTS)]


def test_cues_from_bank_on_varied_user_turns(taxonomy):
    plan = make_plan(600, 3, None, taxonomy, COUNTS)
    turns: Counter[int] = Counter()
    for entry in plan:
        assert [c.trait_id for c in entry.cues] == entry.traits
        for cue in entry.cues:
            bank = {(c.strategy.value, c.text) for c in taxonomy.trait(cue.trait_id).cues}
            assert (cue.strategy, cue.idea) in bank
            assert 0 <= cue.user_turn < entry.n_user_turns
            turns[cue.user_turn] += 1
    assert turns[0] < 0.5 * sum(turns.values())
    assert len(turns) >= 3


def test_variants_share_pair_id_traits_and_cues(taxonomy):
    plan = make_plan(100, 2, None, taxonomy, COUNTS, variants=("absent", "implicit", "explicit"))
    by_user: dict[int, list] = {}
    for e in plan:
        by_user.setdefault(e.index, []).append(e)
    for entries in by_user.values():
        first = entries[0]
        if not first.traits:  # a control: one implicit sample, no pair
            assert [(e.variant, e.pair_id) for e in entries] == [("implicit", None)]
            continue
        assert [e.variant for e in entries] == ["implicit", "explicit", "absent"]
        assert len({e.pair_id for e in entries}) == 1 and first.pair_id
        assert len({e.sample_id for e in entries}) == 3
        implicit, explicit, absent = entries
        assert implicit.cues == explicit.cues and implicit.cues and not absent.cues
        for e in entries:
            assert (e.traits, e.rng_seed, e.n_user_turns, e.seed_id) == \
                (first.traits, first.rng_seed, first.n_user_turns, first.seed_id)
    single = make_plan(50, 2, None, taxonomy, COUNTS)
    assert all(e.variant == "implicit" and e.pair_id is None for e in single)


def test_parse_variants():
    assert parse_variants("absent, implicit") == ("implicit", "absent")
    assert parse_variants(["explicit"]) == ("explicit",)
    for bad in ("", "implicit,single", "context_free"):
        with pytest.raises(ValueError, match="variants"):
            parse_variants(bad)
