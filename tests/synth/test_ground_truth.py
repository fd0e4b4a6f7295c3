"""Ground truth ranked inside the safe neighbourhood, and users drawn for their traits.

Property tests over many random users on the small fixture world (hash tags: ~30% yes,
~20% unknown per pair): no liked film ``yes`` for its user's traits, no ground truth ``yes``
(nor ``unknown`` under the default policy), ranks and relatedness as documented, and the
ranking equal to a brute-force one computed independently with ``related_items``.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from synth_helpers import HashTags, make_resources

from datagen.graph import related_items
from datagen.graph.related import related_index
from datagen.records.sample import ItemRef
from datagen.synth.ground_truth import INSUFFICIENT, UNRELATED, Ranker
from datagen.synth.pipeline import safety_masks
from datagen.synth.plan import PlanEntry
from datagen.synth.safety import SafetyMasks
from datagen.synth.seeds import Seed
from datagen.synth.users import (
    LIKED_CONTRADICTS,
    NOT_STRICTLY_SAFE,
    TOO_MANY_UNKNOWN,
    UserSampler,
)


def _entry(index: int, traits: list[str]) -> PlanEntry:
    return PlanEntry(index=index, sample_id=f"s{index}", seed_id=f"graph:1:{index}",
                     seed_source="graph_profile", traits=traits, rng_seed=index)


def _world(taxonomy, small_world, tags):
    res = make_resources(taxonomy, small_world, tags=tags)
    index, masks = safety_masks(res)
    names = {i.item_id: (i.title, i.year) for i in res.catalogue.items}
    return res, index, masks, names


@pytest.fixture()
def world(taxonomy, small_world):
    return _world(taxonomy, small_world, HashTags(yes=3, unknown=2))


def _status(tags, item_id, trait):
    return tags.status(item_id, trait).value


def test_users_and_ground_truth_over_many_random_users(taxonomy, world):
    res, index, masks, names = world
    rng = random.Random(0)
    accepted = 0
    for trial in range(300):
        traits = sorted(rng.sample(taxonomy.trait_ids, rng.choice((0, 1, 1, 2))))
        policy = rng.choice(["exclude", "allow"])
        floor = rng.choice([0.0, 0.2, 0.4])
        users = UserSampler(index, masks, res.lookup, plan_seed=3,
                            max_unknown_liked=rng.choice([0.0, 0.5, 1.0]))
        ranker = Ranker(masks=masks, tags=res.tags, names=names, unknown_policy=policy,
                        gt_min=2, gt_max=rng.randint(2, 12), relevance_floor=floor)
        draft = users.draw(_entry(trial, traits), rng.randint(0, 3))
        if isinstance(draft, str):
            continue
        for item_id in draft.liked_ids:  # never a liked film `yes` for the user's traits
            assert "yes" not in {_status(res.tags, item_id, t) for t in traits}
        unknown_liked = sum(any(_status(res.tags, i, t) != "no" for t in traits)
                            for i in draft.liked_ids)
        assert unknown_liked <= max(users.max_unknown_liked * len(draft.liked_ids), 0)
        assert draft.liked_status["yes"] == 0
        gt = ranker.rank(draft, traits)
        if gt.reject_reason:
            assert gt.reject_reason in (INSUFFICIENT, UNRELATED) and not gt.safe
            continue
        accepted += 1
        liked = set(draft.liked_ids)
        ranks = [g.unfiltered_rank for g in gt.safe]
        assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
        assert all(rank >= pos for pos, rank in enumerate(ranks, start=1))
        for g in gt.safe:
            assert g.item_id not in liked
            statuses = {_status(res.tags, g.item_id, t) for t in traits}
            assert "yes" not in statuses
            assert statuses <= ({"no", "unknown"} if policy == "allow" else {"no"})
            assert g.unknown == ("unknown" in statuses)
            assert g.relatedness is not None and floor - 1e-9 <= g.relatedness <= 1.0
        last = gt.safe[-1].relatedness
        for d in gt.dropped:  # passed over on the way: unsafe or unknown, more related
            assert d.status in ("yes", "unknown") and d.item_id not in liked
            assert _status(res.tags, d.item_id, d.trait_id) == d.status
            assert d.reason.startswith(("unsafe:", "unknown:"))
            scores = draft.scores.scores()
            assert scores[index.position[d.item_id]] / scores.max() >= last - 1e-4
    assert accepted > 100


def test_ranking_equals_brute_force_over_the_safe_films(taxonomy, world):
    """The same ground truth as scoring every film with related_items (each favourite
    divided by its own nearest score), keeping the safe ones above the floor."""
    res, index, masks, names = world
    users = UserSampler(index, masks, res.lookup, plan_seed=5)
    ranker = Ranker(masks=masks, tags=res.tags, names=names, gt_min=1, gt_max=8,
                    relevance_floor=0.3)
    checked = 0
    for i in range(60):
        traits = [taxonomy.trait_ids[i % len(taxonomy.trait_ids)]] if i % 3 else []
        draft = users.draw(_entry(i, traits), 0)
        if isinstance(draft, str):
            continue
        totals: dict[str, float] = {}
        for liked in draft.liked_ids:
            ranked = related_items(res.graph, [liked], k=10_000)
            best = ranked[0][1]
            for item_id, score in ranked:
                totals[item_id] = totals.get(item_id, 0.0) + score / best
        for liked in draft.liked_ids:
            totals.pop(liked, None)
        top = max(totals.values())
        safe = [(s, item) for item, s in totals.items()
                if all(_status(res.tags, item, t) == "no" for t in traits)
                and s >= 0.3 * top - 1e-9]
        expected = [item for _, item in sorted(safe, key=lambda x: (-x[0], x[1]))][:8]
        gt = ranker.rank(draft, traits)
        got = [g.item_id for g in gt.safe]
        if gt.reject_reason:
            assert not expected
            continue
        assert len(got) == len(expected)
        scores = {g.item_id: g.relatedness for g in gt.safe}
        for item in got:  # ties may order differently: compare the scores, not the ids
            assert abs(scores[item] - round(totals[item] / top, 4)) < 1e-3
        assert sorted(round(totals[i] / top, 3) for i in expected) == \
            sorted(round(totals[i] / top, 3) for i in got)
        checked += 1
    assert checked > 20


def test_controls_get_the_unfiltered_nearest_films(taxonomy, world):
    res, index, masks, names = world
    users = UserSampler(index, masks, res.lookup, plan_seed=1)
    ranker = Ranker(masks=masks, tags=res.tags, names=names, gt_max=6)
    draft = users.draw(_entry(0, []), 0)
    gt = ranker.rank(draft, [])
    assert [g.unfiltered_rank for g in gt.safe] == list(range(1, 7))
    assert gt.safe[0].relatedness == 1.0 and not gt.dropped
    assert not any(g.curated_only or g.unknown for g in gt.safe)


def test_relevance_floor_and_too_few_safe_films_reject_with_their_reasons(taxonomy,
                                                                           small_world):
    res, index, masks, names = _world(taxonomy, small_world, HashTags(yes=2, unknown=0))
    users = UserSampler(index, masks, res.lookup, plan_seed=2)
    draft = users.draw(_entry(1, ["gore"]), 0)
    strict = Ranker(masks=masks, tags=res.tags, names=names, gt_min=5, relevance_floor=1.0)
    assert strict.rank(draft, ["gore"]).reject_reason == UNRELATED
    assert "relevance floor" in strict.rank(draft, ["gore"]).detail
    greedy = Ranker(masks=masks, tags=res.tags, names=names, gt_min=10_000,
                    relevance_floor=0.0)
    assert greedy.rank(draft, ["gore"]).reject_reason == INSUFFICIENT


def test_strict_history_traits_like_only_films_tagged_no(taxonomy, world):
    res, index, masks, _ = world
    users = UserSampler(index, masks, res.lookup, plan_seed=4,
                        strict_traits=["young_children"], max_unknown_liked=1.0)
    seen = 0
    for i in range(80):
        draft = users.draw(_entry(i, ["young_children", "gore"]), 0)
        if isinstance(draft, str):
            continue
        seen += 1
        assert all(_status(res.tags, item, "young_children") == "no"
                   for item in draft.liked_ids)
    assert seen > 20


def test_draws_are_seeded_by_plan_seed_index_and_attempt(taxonomy, world):
    res, index, masks, _ = world
    users = UserSampler(index, masks, res.lookup, plan_seed=8)
    entry = _entry(12, ["gore"])
    a, b = users.draw(entry, 0), users.draw(entry, 0)
    assert a.liked_ids == b.liked_ids
    assert len({tuple(users.draw(entry, k).liked_ids) for k in range(6)
                if not isinstance(users.draw(entry, k), str)}) > 2


def _refs(items) -> list[ItemRef]:
    return [ItemRef(item_id=i.item_id, title=i.title) for i in items]


def test_real_seeds_that_contradict_the_traits_are_not_used(taxonomy, small_world):
    tags = HashTags(yes=3, unknown=2)
    res, index, masks, names = _world(taxonomy, small_world, tags)
    items = res.catalogue.items

    def having(trait, status):
        return [i for i in items if _status(tags, i.item_id, trait) == status]

    bad = Seed(seed_id="reddit:bad", source="reddit", liked=_refs(having("gore", "yes")[:1]))
    no = having("gore", "no")
    good = Seed(seed_id="reddit:good", source="reddit", liked=_refs(no[:3]),
                recommended=_refs(no[5:6]))
    users = UserSampler(index, masks, res.lookup, plan_seed=1, seeds=[bad, good])
    draws = [users.draw(_entry(0, ["gore"]), k) for k in range(12)]
    assert {d if isinstance(d, str) else d.seed_id for d in draws} == \
        {LIKED_CONTRADICTS, "reddit:good"}
    assert not isinstance(users.draw(_entry(0, []), 0), str)  # a control: any history
    ranker = Ranker(masks=masks, tags=tags, names=names, gt_min=1, relevance_floor=0.0)
    draft = next(d for d in draws if not isinstance(d, str))
    gt = ranker.rank(draft, ["gore"])  # the safe real recommendation comes first
    assert gt.safe[0].item_id == no[5].item_id and gt.safe[0].unfiltered_rank == 1
    unknown_young = Seed(seed_id="reddit:kids", source="reddit",
                         liked=_refs(having("young_children", "unknown")[:2]))
    strict = UserSampler(index, masks, res.lookup, plan_seed=1, seeds=[unknown_young],
                         strict_traits=["young_children"], max_unknown_liked=1.0)
    assert strict.draw(_entry(0, ["young_children"]), 0) == NOT_STRICTLY_SAFE
    lenient = UserSampler(index, masks, res.lookup, plan_seed=1, seeds=[unknown_young],
                          max_unknown_liked=0.5)
    assert lenient.draw(_entry(0, ["young_children"]), 0) == TOO_MANY_UNKNOWN


def test_safety_masks_from_a_table_equal_the_lookup_path(taxonomy, small_world):
    import pyarrow as pa

    from datagen.synth.ground_truth import FastTags
    from datagen.tags import ITEM_TAGS_SCHEMA, TagIndex

    catalogue, graph = small_world
    source = HashTags(yes=2, unknown=3)
    rows = [source.tag(item.item_id, t).model_dump(mode="json")
            for item in catalogue.items for t in taxonomy.trait_ids]
    rows[0]["sources"] = ["curated:test"]
    index = related_index(graph)
    table = SafetyMasks(FastTags(TagIndex.from_table(
        pa.Table.from_pylist(rows, schema=ITEM_TAGS_SCHEMA))), index.item_ids,
        taxonomy.trait_ids)
    lookup = SafetyMasks(source, index.item_ids, taxonomy.trait_ids)
    for trait in taxonomy.trait_ids:
        assert np.array_equal(table.codes(trait), lookup.codes(trait))
    first = rows[0]
    pos = index.position[first["item_id"]]
    assert table.curated_only(first["trait_id"])[pos] == (first["status"] == "no")
    assert table.safe_count(["gore"]) == int(np.count_nonzero(table.codes("gore") == 0))


def test_fast_tags_answer_like_the_tag_index(taxonomy, small_world):
    import pyarrow as pa

    from datagen.synth.ground_truth import FastTags
    from datagen.tags import ITEM_TAGS_SCHEMA, TagIndex

    catalogue, _ = small_world
    source = HashTags(yes=2, unknown=3)
    rows = [source.tag(item.item_id, t).model_dump(mode="json")
            for item in catalogue.items for t in taxonomy.trait_ids]
    index = TagIndex.from_table(pa.Table.from_pylist(rows, schema=ITEM_TAGS_SCHEMA))
    fast = FastTags(index)
    for item in catalogue.items[:60]:
        for trait in taxonomy.trait_ids:
            assert fast.status(item.item_id, trait) == str(index.status(item.item_id, trait))
            assert fast.tag(item.item_id, trait) == index.tag(item.item_id, trait)
    assert fast.status("tt-not-there", "gore") == "unknown"
    assert fast.counts() == index.counts()
