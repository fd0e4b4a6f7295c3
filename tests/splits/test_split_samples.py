"""split_samples: dedup, grouping, stratification, determinism, leak checks."""

from __future__ import annotations

import pyarrow as pa
import pytest

from datagen.errors import ConfigError
from datagen.records.sample import Turn, samples_to_table
from datagen.splits import SplitConfig, SplitTooSmallError, split_samples
from datagen.splits.leaks import leak_report
from datagen.splits.minhash import MinHashConfig, minhash_signatures


def _ids(t: pa.Table) -> set[str]:
    return set(t.column("sample_id").to_pylist())


def test_splits_have_zero_overlap_and_groups_stay_together(fx):
    samples = fx.make_corpus(300)
    res = split_samples(samples_to_table(samples), SplitConfig(ratios=(0.6, 0.2, 0.2)))
    assert res.leaks.ok and not res.leaks.problems()
    split_of = {sid: n for n, t in res.tables.items() for sid in _ids(t)}
    assert len(split_of) == res.report["kept"]
    seeds, pairs = {}, {}
    for s in samples:
        if s.sample_id not in split_of:
            continue
        assert seeds.setdefault(s.seed_id, split_of[s.sample_id]) == split_of[s.sample_id]
        if s.pair_id:
            assert pairs.setdefault(s.pair_id, split_of[s.sample_id]) == split_of[s.sample_id]
    counts = res.report["counts"]
    assert counts["train"] > counts["validation"] > 0 and counts["test"] > 0
    # every trait set, controls included, reaches the held-out splits
    for name in ("validation", "test"):
        assert {"control", "animal_harm", "gore"} <= set(res.report["trait_counts"][name])


def test_dedup_removes_planted_exact_and_near_duplicates(fx):
    samples = fx.make_corpus(60)
    base = samples[3]
    exact = base.model_copy(update={"sample_id": "zz-exact", "seed_id": "other-1",
                                    "pair_id": None, "content_hash": ""})
    near_msgs = [Turn(role=t.role, content=t.content) for t in base.messages]
    near_msgs[-1] = Turn(role="user", content=near_msgs[-1].content.replace("evening", "night"))
    near = base.model_copy(update={"sample_id": "zz-near", "seed_id": "other-2",
                                   "pair_id": None, "messages": near_msgs, "content_hash": ""})
    table = samples_to_table([*samples, exact, near])
    res = split_samples(table, SplitConfig(near_dup_threshold=0.7))
    kept = set().union(*(_ids(t) for t in res.tables.values()))
    assert "zz-exact" not in kept and "zz-near" not in kept and base.sample_id in kept
    assert res.report["dropped_exact_duplicate"] == 1
    assert res.report["dropped_near_duplicate"] == 1


def test_near_duplicates_inside_one_group_are_kept(fx):
    a = fx.make_sample("p-a", seed_id="seed-x", pair_id="pair-x", rng_seed=5)
    msgs = [Turn(role=t.role, content=t.content + " Thanks!") for t in a.messages]
    b = fx.make_sample("p-b", seed_id="seed-x", pair_id="pair-x", messages=msgs)
    res = split_samples(samples_to_table([a, b, *fx.make_corpus(20)]))
    assert res.report["dropped_near_duplicate"] == 0
    where = [n for n, t in res.tables.items() if {"p-a", "p-b"} & _ids(t)]
    assert len(where) == 1


def test_split_is_deterministic_and_order_independent(fx):
    samples = fx.make_corpus(200)
    one = split_samples(samples_to_table(samples), SplitConfig(seed=3))
    two = split_samples(samples_to_table(list(reversed(samples))), SplitConfig(seed=3))
    other = split_samples(samples_to_table(samples), SplitConfig(seed=4))
    for name in one.tables:
        assert one.tables[name].equals(two.tables[name])
    assert any(_ids(one.tables[n]) != _ids(other.tables[n]) for n in one.tables)


def test_verified_only_and_failed_verification(fx):
    samples = [fx.make_sample(f"v{i}", human="accepted" if i % 2 else "rejected",
                              passed=i % 3 != 0) for i in range(30)]
    res = split_samples(samples_to_table(samples),
                        SplitConfig(verified_only=True, drop_failed_verification=True,
                                    force=True))
    assert res.report["dropped_failed_verification"] == 10
    assert res.report["dropped_not_human_accepted"] == 10
    assert res.report["kept"] == 10
    with pytest.raises(ConfigError, match="no sample has a human verdict"):
        split_samples(samples_to_table(fx.make_corpus(5)), SplitConfig(verified_only=True))


def test_verified_only_refuses_empty_or_unstratifiable_splits(fx):
    two = [fx.make_sample(f"a{i}", human="accepted" if i < 2 else "rejected")
           for i in range(12)]
    with pytest.raises(SplitTooSmallError, match=r"validation would be empty; test would be "
                       r"empty \(2 accepted samples kept\).*--force"):
        split_samples(samples_to_table(two), SplitConfig(verified_only=True))
    forced = split_samples(samples_to_table(two), SplitConfig(verified_only=True, force=True))
    assert forced.report["counts"] == {"train": 2, "validation": 0, "test": 0}
    assert forced.report["size_problems"] == ["validation would be empty",
                                              "test would be empty"]
    # non-empty but smaller than the number of trait labels: too few to be stratified
    sets = [["animal_harm"], ["gore"], [], ["needle_phobia"]]
    many = [fx.make_sample(f"m{i}", human="accepted", traits=sets[i % 4]) for i in range(40)]
    labels = {t or "control" for s in many for t in (s.traits or [None])}
    res = split_samples(samples_to_table(many), SplitConfig(ratios=(0.9, 0.05, 0.05),
                                                            verified_only=True, force=True))
    small = [n for n in ("validation", "test") if 0 < res.report["counts"][n] < len(labels)]
    assert small and all(any(p.startswith(f"{n} would hold") and "too few to be stratified"
                                 in p for p in res.report["size_problems"]) for n in small)
    # a ratio of 0 asks for no split: not a problem; without --verified-only: reported only
    none = split_samples(samples_to_table(many), SplitConfig(ratios=(1.0, 0.0, 0.0),
                                                             verified_only=True))
    assert none.report["size_problems"] == [] and none.report["counts"]["train"] == 40
    plain = split_samples(samples_to_table(two))
    assert plain.report["size_problems"]


def test_leak_report_catches_shared_seeds_and_near_duplicates(fx):
    import polars as pl

    frame = pl.DataFrame({
        "sample_id": ["a", "b", "c"], "content_hash": ["h1", "h2", "h3"],
        "seed_id": ["s1", "s1", "s2"], "pair_id": [None, None, None],
        "split": ["train", "test", "validation"],
    })
    texts = ["the same long dialogue about heist movies and quiet evenings at home"] * 2 + [
        "something else entirely about space operas"]
    cfg = MinHashConfig()
    rep = leak_report(frame, minhash_signatures(texts, cfg), ["train", "validation", "test"], cfg)
    assert not rep.ok
    assert rep.overlaps["seed_id"]["train|test"] == 1
    assert rep.overlaps["near_duplicate"]["train|test"] == 1
    assert rep.examples["seed_id"]["train|test"] == ["s1"]


def test_bad_ratios_rejected():
    with pytest.raises(ValueError, match="summing to 1"):
        SplitConfig(ratios=(0.5, 0.2, 0.2))


def test_minhash_batches_do_not_change_signatures():
    texts = ["the quick brown fox jumps over the lazy dog again and again", "", "Hi!",
             "a completely different sentence about heist films at night"] * 5
    assert (minhash_signatures(texts, batch=3) == minhash_signatures(texts, batch=1000)).all()


def test_short_texts_do_not_flood_lsh_buckets():
    from datagen.splits.minhash import candidate_pairs

    texts = [f"ok {i}" for i in range(3000)] + ["", "hi"] * 50
    pairs = candidate_pairs(minhash_signatures(texts))
    # only the repeated "hi" texts are candidates of each other (50 * 49 / 2 pairs)
    assert len(pairs) <= 50 * 49 // 2 + 10
