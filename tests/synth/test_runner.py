"""Runs in-process: outputs, stats that add up, resume, drop-failed, determinism."""

from __future__ import annotations

import json

import pytest

from datagen.errors import ConfigError
from datagen.parquet_io import read_parquet
from datagen.records.sample import SAMPLE_SCHEMA, table_to_samples
from datagen.synth import runner as runner_module
from datagen.synth.config import SynthConfig
from datagen.synth.rundir import REJECTS_SCHEMA
from datagen.synth.runner import synthesize
from datagen.synth.verify import JudgeOutcome


def _config(tmp_path, **kw) -> SynthConfig:
    base = {"n": 120, "run_dir": tmp_path / "run", "shard_size": 16, "progress": False}
    return SynthConfig(**{**base, **kw})


def test_offline_run_writes_everything_and_counts_add_up(tmp_path, resources):
    result = synthesize(_config(tmp_path), resources=resources)
    run = tmp_path / "run"
    samples = table_to_samples(read_parquet(run / "samples.parquet", SAMPLE_SCHEMA))
    rejects = read_parquet(run / "rejects.parquet", REJECTS_SCHEMA).to_pylist()
    stats = json.loads((run / "stats.json").read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    assert stats == result.stats
    assert stats["planned"] == 120 == len(samples) + len(rejects) == stats["samples"] + \
        stats["rejects"]
    assert stats["verified"] + stats["failed_verification"] == stats["samples"]
    assert sum(v for k, v in stats.items() if k.startswith("dropped_")) == stats["rejects"]
    assert stats["verified"] == sum(s.verification.passed for s in samples) > 40
    assert stats["is_llm"] is False and stats["backend"] == "offline"
    assert all(s.generation.is_llm is False and s.generation.model == "offline-composer-v1"
               for s in samples)
    assert len({s.sample_id for s in samples} | {r["sample_id"] for r in rejects}) == 120
    assert manifest["labels"]["is_llm"] is False and manifest["plan"]["entries"] == 120
    assert manifest["taxonomy"]["version_tag"].startswith("saferec@")
    assert manifest["sources"]["tags"] == "test:hash"
    validity = stats["validity"]
    assert validity["users"]["planned"] == 120 == sum(m["planned"] for m in
                                                       validity["mix"].values())
    assert validity["liked"]["yes"] == 0
    produced = validity["users"]["produced"]
    assert produced == len(samples)  # one variant per user here
    for r in rejects:
        assert r["stage"] == "ground_truth" and r["attempts"] == len(r["attempt_reasons"])
    for s in samples:
        assert s.user.attempts == len(s.user.rejected) + 1 and s.user.liked_yes == 0


def test_same_seed_same_output_and_existing_dir_refused(tmp_path, resources):
    synthesize(_config(tmp_path), resources=resources)
    first = read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA)
    with pytest.raises(ConfigError, match="not empty"):
        synthesize(_config(tmp_path), resources=resources)
    synthesize(_config(tmp_path, overwrite=True), resources=resources)
    again = read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA)
    assert first.equals(again)


def test_resume_skips_done_and_refuses_changed_config(tmp_path, resources):
    synthesize(_config(tmp_path), resources=resources)
    with pytest.raises(ConfigError, match="gt_max"):
        synthesize(_config(tmp_path, resume=True, gt_max=7), resources=resources)
    with pytest.raises(ConfigError, match="may only grow"):
        synthesize(_config(tmp_path, resume=True, n=100), resources=resources)
    result = synthesize(_config(tmp_path, resume=True, concurrency=3), resources=resources)
    assert result.skipped == 120 and result.stats["planned"] == 120


def _ids_and_records(run) -> dict[str, dict]:
    samples = read_parquet(run / "samples.parquet", SAMPLE_SCHEMA).to_pylist()
    rejects = read_parquet(run / "rejects.parquet", REJECTS_SCHEMA).to_pylist()
    return {r["sample_id"]: r for r in samples + rejects}


def test_prefix_stable_runs_and_resume_with_a_larger_n(tmp_path, resources):
    """--n 8 gives exactly the first 8 users of --n 20; --resume --n 20 extends the run."""
    variants = ["implicit", "absent"]
    small = tmp_path / "small"
    synthesize(_config(small, n=8, variants=variants), resources=resources)
    fresh = tmp_path / "fresh"
    synthesize(_config(fresh, n=20, variants=variants), resources=resources)
    a, b = _ids_and_records(small / "run"), _ids_and_records(fresh / "run")
    assert set(a) < set(b)
    for sample_id, record in a.items():  # same users, traits, cues, ground truth, dialogue
        assert record == b[sample_id]
    grown = synthesize(_config(small, n=20, variants=variants, resume=True),
                       resources=resources)
    assert grown.skipped == len(a) and grown.stats["planned"] == len(b)
    assert _ids_and_records(small / "run") == b
    manifest = json.loads((small / "run" / "manifest.json").read_text())
    assert manifest["config"]["n"] == 20 and manifest["plan"]["users"] == 20


class BlindJudge:
    """Names nothing: every cue-carrying sample fails inferability."""

    def __init__(self, taxonomy) -> None:
        pass

    async def judge(self, user_text: str) -> JudgeOutcome:
        return JudgeOutcome(backend="offline", model="blind", is_llm=False, traits=[])


def test_drop_failed_moves_failures_to_rejects(tmp_path, resources, monkeypatch):
    monkeypatch.setattr(runner_module, "OfflineJudgeAdapter", BlindJudge)
    kept = synthesize(_config(tmp_path / "a"), resources=resources).stats
    assert kept["failed_verification"] > 0 and kept["flag_not_inferable"] > 0
    dropped = synthesize(_config(tmp_path / "b", drop_failed=True, unknown_policy="allow"),
                         resources=resources).stats
    samples = table_to_samples(
        read_parquet(tmp_path / "b" / "run" / "samples.parquet", SAMPLE_SCHEMA))
    assert samples and all(s.verification.passed and not s.traits for s in samples)
    rejects = read_parquet(tmp_path / "b" / "run" / "rejects.parquet", REJECTS_SCHEMA).to_pylist()
    verify_rejects = [r for r in rejects if r["stage"] == "verify"]
    assert verify_rejects and all(r["reason"] == "verify_not_inferable" for r in verify_rejects)
    assert all(r["raw_output"] for r in verify_rejects)
    assert dropped["failed_verification"] == 0
    manifest = json.loads((tmp_path / "b" / "run" / "manifest.json").read_text())
    assert manifest["unknown_policy"] == "allow"


def test_variants_share_users_and_ground_truth_exactly(tmp_path, resources):
    synthesize(_config(tmp_path, variants=["implicit", "explicit", "absent"], n=40),
               resources=resources)
    samples = table_to_samples(read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA))
    pairs: dict[str, list] = {}
    for s in samples:
        if s.pair_id:
            pairs.setdefault(s.pair_id, []).append(s)
        else:
            assert not s.traits and s.variant == "implicit"  # controls: one implicit sample
    full = [v for v in pairs.values() if len(v) == 3]
    assert full
    for group in full:
        assert {s.variant for s in group} == {"implicit", "explicit", "absent"}
        first = group[0]
        for s in group[1:]:
            assert (s.traits, s.liked_items, s.ground_truth, s.dropped_candidates, s.user,
                    s.seed_id) == (first.traits, first.liked_items, first.ground_truth,
                                   first.dropped_candidates, first.user, first.seed_id)
        by = {s.variant: s for s in group}
        assert not by["absent"].cues and by["implicit"].cues
        # the same planned cues (trait, turn); the explicit one words it as a plain statement
        assert [(c.trait_id, c.turn_index) for c in by["implicit"].cues] == \
            [(c.trait_id, c.turn_index) for c in by["explicit"].cues]


def _counted_tags(taxonomy, starved: str, safe: int):
    """Hash tags, but ``starved`` is ``no`` for only ``safe`` films (the rest ``yes``)."""
    from synth_helpers import HashTags

    from datagen.tags.models import TagStatus

    class Tags(HashTags):
        def status(self, item_id, trait_id):
            if trait_id == starved:
                number = int(item_id[2:]) - 1_000_000
                return TagStatus.no if number < safe else TagStatus.yes
            return super().status(item_id, trait_id)

    return Tags(yes=1, unknown=0)


def test_quotas_met_where_they_can_be_and_starvation_reported_where_not(tmp_path, taxonomy,
                                                                       small_world):
    from synth_helpers import make_resources

    fine = make_resources(taxonomy, small_world, tags=_counted_tags(taxonomy, "gore", 240))
    stats = synthesize(_config(tmp_path / "fine", n=300), resources=fine).stats["validity"]
    assert stats["starved"] == [] and stats["users"]["produced"] == 300
    for k, mix in stats["mix"].items():
        assert abs(mix["produced_share"] - {"0": 0.2, "1": 0.6, "2": 0.2}[k]) <= 0.03
    assert {c["planned"] for c in stats["traits"].values()} <= {c["produced"] for c in
                                                                stats["traits"].values()}
    poor = make_resources(taxonomy, small_world, tags=_counted_tags(taxonomy, "gore", 2))
    result = synthesize(_config(tmp_path / "poor", n=300), resources=poor).stats
    v = result["validity"]
    assert v["starved"] == ["gore"] and v["traits"]["gore"]["safe_films"] == 2
    assert v["traits"]["gore"]["produced"] == 0 < v["traits"]["gore"]["planned"]
    assert v["traits"]["gore"]["lost"] == v["traits"]["gore"]["planned"]
    others = [c for t, c in v["traits"].items() if t != "gore"]
    assert all(c["produced"] == c["planned"] for c in others if c["planned"])
    rejects = read_parquet(tmp_path / "poor" / "run" / "rejects.parquet", REJECTS_SCHEMA)
    for row in rejects.to_pylist():
        assert row["traits"] == ["gore"] and row["attempts"] == 0
        assert "no item can be safe for gore" in row["error"]


def test_reddit_seeds_use_real_recommendations_first(tmp_path, resources, taxonomy):
    from datagen.catalogue.resolver import TitleResolver
    from datagen.synth.seeds import load_reddit_seeds

    path = tmp_path / "reddit.jsonl"
    rows = [{"id": i, "prompt": f"Something like Film Number {i}, please.",
             "liked_with_release_year": [f"Film Number {i} ({1970 + i % 50})"],
             "groundtruth_with_release_year": [f"Film Number {i + 1} ({1970 + (i + 1) % 50})"]}
            for i in range(30)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    resources.seeds = load_reddit_seeds(path, TitleResolver(resources.catalogue))
    assert all(s.recommended and s.liked for s in resources.seeds)
    synthesize(_config(tmp_path, n=30, trait_counts={0: 1.0}, seed_source="reddit",
                       seed_path=path), resources=resources)
    samples = table_to_samples(read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA))
    assert len(samples) == 30
    for s in samples:
        number = int(s.seed_id.split(":")[1])
        assert s.seed_source == "reddit"
        assert s.ground_truth[0].title == f"Film Number {number + 1}"
        assert s.messages[0].content == f"Something like Film Number {number}, please."


def test_overwrite_refuses_a_folder_that_is_not_a_run(tmp_path, resources):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not a run directory"):
        synthesize(_config(tmp_path, overwrite=True), resources=resources)
    assert (tmp_path / "run" / "notes.txt").exists()


def test_splits_keep_the_variants_of_a_user_together(tmp_path, resources):
    from datagen.splits import SplitConfig, split_samples

    synthesize(_config(tmp_path, n=120, variants=["implicit", "explicit", "absent"]),
               resources=resources)
    table = read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA)
    result = split_samples(table, SplitConfig(ratios=(0.6, 0.2, 0.2)))
    where: dict[str, set[str]] = {}
    for name, part in result.tables.items():
        for pair_id in part.column("pair_id").to_pylist():
            if pair_id:
                where.setdefault(pair_id, set()).add(name)
    assert where and all(len(splits) == 1 for splits in where.values())
    assert len({n for s in where.values() for n in s}) == 3
