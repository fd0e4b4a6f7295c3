"""The plan: deterministic from the seed, balanced traits, controls, independent of tastes."""

from __future__ import annotations

from collections import Counter

from datagen.records.sample import ItemRef
from datagen.synth.plan import make_plan
from datagen.synth.seeds import Seed

COUNTS = {0: 0.2, 1: 0.6, 2: 0.2}


def _seeds(n: int, offset: int = 0) -> list[Seed]:
    return [Seed(seed_id=f"s{i}", source="graph_profile",
                 liked=[ItemRef(item_id=f"tt{i + offset}", title=f"Film {i + offset}")])
            for i in range(n)]


def test_same_seed_same_plan_and_other_seed_differs(taxonomy):
    a = make_plan(300, 5, _seeds(300), taxonomy, COUNTS)
    b = make_plan(300, 5, _seeds(300), taxonomy, COUNTS)
    c = make_plan(300, 6, _seeds(300), taxonomy, COUNTS)
    assert [e.model_dump() for e in a] == [e.model_dump() for e in b]
    assert [e.sample_id for e in a] != [e.sample_id for e in c]
    assert len({e.sample_id for e in a}) == 300


def test_traits_balanced_and_control_share(taxonomy):
    plan = make_plan(4000, 1, _seeds(500), taxonomy, COUNTS)
    controls = sum(1 for e in plan if not e.traits)
    assert abs(controls / len(plan) - 0.2) < 0.03
    per_trait = Counter(t for e in plan for t in e.traits)
    assert set(per_trait) == set(taxonomy.trait_ids)
    assert max(per_trait.values()) - min(per_trait.values()) <= 2
    assert all(len(set(e.traits)) == len(e.traits) for e in plan)


def test_traits_independent_of_seed_films(taxonomy):
    """Different liked films (hence different ground truth), same seed -> same traits."""
    a = make_plan(200, 9, _seeds(200), taxonomy, COUNTS)
    b = make_plan(200, 9, _seeds(200, offset=5000), taxonomy, COUNTS)
    assert [e.traits for e in a] == [e.traits for e in b]
    assert [[c.idea for c in e.cues] for e in a] == [[c.idea for c in e.cues] for e in b]


def test_cues_from_bank_on_varied_user_turns(taxonomy):
    plan = make_plan(600, 3, _seeds(100), taxonomy, COUNTS)
    turns = Counter()
    for entry in plan:
        assert [c.trait_id for c in entry.cues] == entry.traits
        for cue in entry.cues:
            bank = {(c.strategy.value, c.text) for c in taxonomy.trait(cue.trait_id).cues}
            assert (cue.strategy, cue.idea) in bank
            assert 0 <= cue.user_turn < entry.n_user_turns
            turns[cue.user_turn] += 1
    assert turns[0] < 0.5 * sum(turns.values())
    assert len(turns) >= 3


def test_pair_variants_share_pair_id(taxonomy):
    plan = make_plan(100, 2, _seeds(50), taxonomy, COUNTS, pair_variants=True)
    pairs = [e for e in plan if e.pair_id]
    by_pair: dict[str, list] = {}
    for e in pairs:
        by_pair.setdefault(e.pair_id, []).append(e)
    assert by_pair and all(len(v) == 2 for v in by_pair.values())
    for rich, free in by_pair.values():
        assert (rich.variant, free.variant) == ("context_rich", "context_free")
        assert rich.traits == free.traits and rich.cues and not free.cues
        assert rich.sample_id != free.sample_id and rich.rng_seed == free.rng_seed
    assert all(e.variant == "single" and not e.traits for e in plan if not e.pair_id)
