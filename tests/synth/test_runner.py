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
    base = {"n": 120, "run_dir": tmp_path / "run", "candidate_pool": 40, "shard_size": 16,
            "progress": False}
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
    per_trait_planned = sum(c.get("samples", 0) for c in stats["per_trait"].values())
    assert per_trait_planned >= stats["samples"]
    for r in rejects:
        assert r["stage"] == "ground_truth" and r["reason"] == "insufficient_safe_ground_truth"


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
    result = synthesize(_config(tmp_path, resume=True, concurrency=3), resources=resources)
    assert result.skipped == 120 and result.stats["planned"] == 120


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


def test_pairs_share_pair_id_and_ground_truth(tmp_path, resources):
    synthesize(_config(tmp_path, pair_variants=True, n=40), resources=resources)
    samples = table_to_samples(read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA))
    pairs: dict[str, list] = {}
    for s in samples:
        if s.pair_id:
            pairs.setdefault(s.pair_id, []).append(s)
    full = [v for v in pairs.values() if len(v) == 2]
    assert full
    for a, b in full:
        assert {a.variant, b.variant} == {"context_rich", "context_free"}
        assert a.ground_truth == b.ground_truth and a.traits == b.traits


def test_hopeless_traits_rejected_without_scan(tmp_path, resources, taxonomy):
    from synth_helpers import HashTags

    from datagen.synth.runner import hopeless_traits

    class CountedTags(HashTags):
        def counts(self):
            return {t: ({"no": 0, "unknown": 5, "yes": 5} if t == "gore" else {"no": 9})
                    for t in taxonomy.trait_ids}

    tags = CountedTags()
    assert hopeless_traits(tags, "exclude") == frozenset({"gore"})
    assert hopeless_traits(tags, "allow") == frozenset()
    resources.tags = tags
    synthesize(_config(tmp_path, n=200), resources=resources)
    samples = table_to_samples(read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA))
    rejects = read_parquet(tmp_path / "run" / "rejects.parquet", REJECTS_SCHEMA).to_pylist()
    assert not any("gore" in s.traits for s in samples)
    gore = [r for r in rejects if "gore" in r["traits"]]
    assert gore and all(r["reason"] == "insufficient_safe_ground_truth"
                        and "no item can be safe for gore" in r["error"] for r in gore)


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
    synthesize(_config(tmp_path, n=30, trait_counts={0: 1.0}), resources=resources)
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
