"""LLM backends end to end over real HTTP against owner D's FakeLLMServer."""

from __future__ import annotations

import pytest

from datagen.errors import RunAbortedError
from datagen.llm.fake_server import FakeLLMServer
from datagen.parquet_io import read_parquet
from datagen.records.sample import SAMPLE_SCHEMA, table_to_samples
from datagen.synth.config import SynthConfig
from datagen.synth.fake_responder import respond
from datagen.synth.rundir import REJECTS_SCHEMA
from datagen.synth.runner import synthesize

pytestmark = pytest.mark.integration


def _config(tmp_path, url, **kw) -> SynthConfig:
    base = {"n": 30, "run_dir": tmp_path / "runs" / "r",
            "shard_size": 8, "progress": False, "backend": "openai", "model": "fake-model",
            "base_url": url, "concurrency": 8}
    return SynthConfig(**{**base, **kw})


def test_openai_end_to_end_then_cached_rerun_makes_zero_calls(tmp_path, resources):
    with FakeLLMServer(responder=respond, latency=0.01) as srv:
        cfg = _config(tmp_path, srv.openai_base_url, judge_backend="openai")
        first = synthesize(cfg, resources=resources).stats
        calls = srv.stats()["requests"]
        samples = table_to_samples(
            read_parquet(tmp_path / "runs" / "r" / "samples.parquet", SAMPLE_SCHEMA))
        assert samples and first["is_llm"] is True and first["judge_is_llm"] is True
        assert calls == 2 * first["samples"]  # one generation + one judge call each
        for s in samples:
            assert s.generation.backend == "openai" and s.generation.model == "fake-model"
            assert s.generation.is_llm and s.generation.input_tokens > 0
            assert s.generation.raw_output.startswith("{")
            assert s.verification.judge_is_llm and s.verification.judge_model == "fake-model"
        assert first["verified"] >= 0.8 * first["samples"]
        again = synthesize(cfg.model_copy(update={"overwrite": True}), resources=resources).stats
        assert srv.stats()["requests"] == calls
        assert again["cached_samples"] == again["samples"] == first["samples"]
        assert again["usage_this_session"]["calls"] == 0


def test_anthropic_backend_end_to_end(tmp_path, resources):
    with FakeLLMServer(responder=respond) as srv:
        cfg = _config(tmp_path, srv.anthropic_base_url, backend="anthropic", n=10)
        stats = synthesize(cfg, resources=resources).stats
    assert stats["backend"] == "anthropic" and stats["samples"] > 0


def test_malformed_output_repaired_once_then_rejected_with_raw_output(tmp_path, resources):
    def garbage(body, api):
        return "Sure! Here is a lovely conversation about films."

    with FakeLLMServer(responder=garbage) as srv:
        cfg = _config(tmp_path, srv.openai_base_url, max_failure_rate=1.0)
        stats = synthesize(cfg, resources=resources).stats
        planned_llm = stats["planned"] - stats.get("dropped_insufficient_safe_ground_truth", 0)
        assert srv.stats()["requests"] == 2 * planned_llm  # first try + one repair each
    rejects = read_parquet(tmp_path / "runs" / "r" / "rejects.parquet", REJECTS_SCHEMA)
    bad = [r for r in rejects.to_pylist() if r["stage"] == "generate"]
    assert len(bad) == planned_llm == stats["dropped_malformed_output"]
    assert all(r["raw_output"].startswith("Sure!") and "no JSON object" in r["error"]
               for r in bad)
    assert all(r["backend"] == "openai" and r["model"] == "fake-model" for r in bad)


def test_abort_above_failure_rate_keeps_shards(tmp_path, resources):
    with FakeLLMServer(responder=lambda body, api: "not json") as srv:
        cfg = _config(tmp_path, srv.openai_base_url, n=80, min_failures_checked=10,
                      max_failure_rate=0.3, concurrency=2, shard_size=4)
        with pytest.raises(RunAbortedError, match="generation failed"):
            synthesize(cfg, resources=resources)
    shards = tmp_path / "runs" / "r" / "shards"
    assert list(shards.glob("*.done.json"))
    assert not (tmp_path / "runs" / "r" / "samples.parquet").exists()
