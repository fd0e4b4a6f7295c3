"""`synthesize --variants implicit,explicit,absent`: the variants of a user share everything
but how the sensitivity shows; splits keep them together; evaluation pairs them.

Needs the plan side of context variants (``SynthConfig.variants``, branch wip/data); skipped
until it is there.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from datagen.parquet_io import read_parquet
from datagen.records.sample import SAMPLE_SCHEMA, table_to_samples
from datagen.synth.config import SynthConfig
from datagen.synth.runner import synthesize
from datagen.taxonomy import LeakMatcher


@pytest.fixture()
def run(tmp_path, resources):
    config = SynthConfig.model_validate(dict(
        n=90, run_dir=tmp_path / "run", shard_size=16, progress=False,
        variants=["implicit", "explicit", "absent"]))
    synthesize(config, resources=resources)
    table = read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA)
    return tmp_path / "run", table, table_to_samples(table)


def test_variants_share_user_traits_and_ground_truth_exactly(run, taxonomy):
    _, _, samples = run
    leaks = LeakMatcher(taxonomy)
    pairs = defaultdict(list)
    for s in samples:
        if s.traits:
            pairs[s.pair_id].append(s)
        else:
            assert s.variant == "implicit" and s.pair_id is None  # controls: one sample
    assert len(pairs) >= 20 and None not in pairs
    for group in pairs.values():
        by = {s.variant: s for s in group}
        assert sorted(by) == ["absent", "explicit", "implicit"]
        first = group[0]
        for s in group[1:]:
            assert (s.seed_id, s.traits, s.liked_items, s.ground_truth) == \
                (first.seed_id, first.traits, first.liked_items, first.ground_truth)
            assert len(s.messages) == len(first.messages)
        user = {v: "\n".join(t.content for t in s.messages if t.role == "user")
                for v, s in by.items()}
        assert {t for t, _ in leaks.find(user["explicit"])} == set(first.traits)
        assert not leaks.find(user["implicit"], first.traits)
        assert not leaks.find(user["absent"], first.traits) and by["absent"].cues == []
        assert all(c.strategy == "explicit" for c in by["explicit"].cues)


def test_splits_keep_pairs_together(run):
    from datagen.splits.split import SplitConfig, split_samples

    _, table, _ = run
    result = split_samples(table, SplitConfig(ratios=(0.6, 0.2, 0.2), seed=3))
    where: dict[str, set[str]] = defaultdict(set)
    for name, part in result.tables.items():
        for pair_id in part.column("pair_id").to_pylist():
            if pair_id:
                where[pair_id].add(name)
    assert where and all(len(names) == 1 for names in where.values())
