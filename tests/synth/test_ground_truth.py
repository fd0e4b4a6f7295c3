"""Ground truth: never a `yes` item, unknown policy respected, reasons kept."""

from __future__ import annotations

import random

from synth_helpers import HashTags

from datagen.records.sample import ItemRef
from datagen.synth.ground_truth import INSUFFICIENT, build_ground_truth, candidates_for
from datagen.synth.plan import make_plan


def _cands(n: int, offset: int = 0) -> list[tuple[str, float]]:
    return [(f"tt{offset + i}", 1.0 / (i + 1)) for i in range(n)]


def _describe(item_id: str) -> tuple[str, int | None]:
    return f"Title of {item_id}", 2000


def test_never_a_yes_item_over_many_random_users(taxonomy):
    tags = HashTags(yes=3, unknown=2)
    rng = random.Random(0)
    for trial in range(400):
        traits = rng.sample(taxonomy.trait_ids, rng.randint(0, 3))
        policy = rng.choice(["exclude", "allow"])
        gt = build_ground_truth(_cands(rng.randint(0, 40), trial * 100), traits, tags, _describe,
                                unknown_policy=policy, gt_min=1, gt_max=rng.randint(1, 12))
        for ref in gt.safe:
            statuses = {tags.status(ref.item_id, t).value for t in traits}
            assert "yes" not in statuses
            if policy == "exclude":
                assert statuses <= {"no"}
        for d in gt.dropped:
            assert d.reason.startswith(("unsafe:", "unknown:"))
            assert tags.status(d.item_id, d.trait_id).value == d.status


def test_unknown_policy_exclude_drops_and_allow_keeps(taxonomy):
    tags = HashTags(yes=0, unknown=5)
    trait = taxonomy.trait_ids[0]
    cands = _cands(40)
    excl = build_ground_truth(cands, [trait], tags, _describe, gt_min=1, gt_max=40)
    allow = build_ground_truth(cands, [trait], tags, _describe, unknown_policy="allow",
                               gt_min=1, gt_max=40)
    assert excl.dropped and all(d.status == "unknown" for d in excl.dropped)
    assert len(allow.safe) == 40 and not allow.dropped
    assert len(excl.safe) + len(excl.dropped) == 40


def test_insufficient_and_control(taxonomy):
    tags = HashTags(yes=10, unknown=0)  # everything unsafe
    gt = build_ground_truth(_cands(20), [taxonomy.trait_ids[0]], tags, _describe, gt_min=3)
    assert gt.reject_reason == INSUFFICIENT and not gt.safe and gt.n_dropped == 20
    control = build_ground_truth(_cands(20), [], tags, _describe, gt_min=3, gt_max=5)
    assert control.reject_reason is None and len(control.safe) == 5


def test_candidates_real_recommendations_first_then_graph(taxonomy, resources):
    entry = make_plan(1, 1, resources.seeds, taxonomy, {1: 1.0})[0]
    rec = ItemRef(item_id="tt1000005", title="Film Number 5")
    entry = entry.model_copy(update={"recommended": [rec]})
    cands = candidates_for(entry, resources.related, 10)
    assert cands[0] == ("tt1000005", 1.0) and len(cands) == 10
    liked = {r.item_id for r in entry.liked}
    assert not liked & {item_id for item_id, _ in cands}
    assert len({item_id for item_id, _ in cands}) == 10


def test_unnamed_candidates_are_skipped(taxonomy):
    gt = build_ground_truth([("tt1", 1.0), ("tt2", 0.5)], [], HashTags(),
                            lambda i: None if i == "tt1" else ("Two", None), gt_min=1)
    assert [r.item_id for r in gt.safe] == ["tt2"] and not gt.dropped


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


def test_vectorized_verdicts_equal_the_generic_path(taxonomy, small_world):
    import pyarrow as pa

    from datagen.synth.ground_truth import FastTags
    from datagen.tags import ITEM_TAGS_SCHEMA, TagIndex

    catalogue, _ = small_world
    source = HashTags(yes=2, unknown=3)
    rows = [source.tag(item.item_id, t).model_dump(mode="json")
            for item in catalogue.items for t in taxonomy.trait_ids]
    index = TagIndex.from_table(pa.Table.from_pylist(rows, schema=ITEM_TAGS_SCHEMA))
    fast = FastTags(index)
    ids = [item.item_id for item in catalogue.items]

    def describe(item_id):
        return None if item_id.endswith("7") else (item_id, 2000)

    rng = random.Random(3)
    memo: dict = {}  # shared by all users, as in a run: reused records must not change answers
    for _ in range(200):
        traits = rng.sample(taxonomy.trait_ids, rng.randint(0, 3))
        cands = [(i, 1.0) for i in rng.sample(ids, 60)] + [("tt-missing", 0.1)]
        kw = {"unknown_policy": rng.choice(["exclude", "allow"]), "gt_min": rng.randint(1, 4),
              "gt_max": rng.randint(4, 30)}
        a = build_ground_truth(cands, traits, fast, describe, memo=memo, **kw)
        b = build_ground_truth(cands, traits, index, describe, **kw)
        assert (a.safe, a.dropped, a.reject_reason, a.n_dropped) == \
            (b.safe, b.dropped, b.reject_reason, b.n_dropped)
