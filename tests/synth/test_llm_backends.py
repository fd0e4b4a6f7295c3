"""LLM backends end to end over real HTTP against owner D's FakeLLMServer."""

from __future__ import annotations

import pytest

from datagen.errors import RunAbortedError
from datagen.llm.fake_server import FakeLLMServer
from datagen.parquet_io import read_parquet
from datagen.records.sample import SAMPLE_SCHEMA, table_to_samples
from datagen.synth.config import SynthConfig
from datagen.synth.fake_responder import respond
from datagen.synth.rundir import RunDir
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
        # one generation + one judge call each, and one structured-output probe per server
        assert calls == 2 * first["samples"] + 1
        assert first["structured_output"] == {"openai/fake-model": "json_schema"}
        assert srv.stats()["forms"]["json_schema"] == calls
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

    # a server that takes schemas but does not enforce them: the probe settles on prompt-only
    with FakeLLMServer(responder=garbage, enforce=False) as srv:
        cfg = _config(tmp_path, srv.openai_base_url, max_failure_rate=1.0)
        with pytest.raises(RunAbortedError, match="failed for all"):  # never a quiet success
            synthesize(cfg, resources=resources)
        forms = srv.stats()["forms"]
    assert forms["json_schema"] == forms["json_object_schema"] == forms["json_object"] == 1
    _, table = RunDir(tmp_path / "runs" / "r").read_shards()
    rejects = table.to_pylist()
    bad = [r for r in rejects if r["stage"] == "generate"]
    assert forms["none"] == 2 * len(bad)  # first try + one repair each, plain requests
    assert len(bad) == sum(r["reason"] == "malformed_output" for r in rejects) > 0
    assert all(r["raw_output"].startswith("Sure!") and "no JSON object" in r["error"]
               for r in bad)
    assert all(r["backend"] == "openai" and r["model"] == "fake-model" for r in bad)


def test_abort_above_failure_rate_keeps_shards(tmp_path, resources):
    with FakeLLMServer(responder=lambda body, api: "not json", enforce=False) as srv:
        cfg = _config(tmp_path, srv.openai_base_url, n=80, min_failures_checked=10,
                      max_failure_rate=0.3, concurrency=2, shard_size=4)
        with pytest.raises(RunAbortedError, match="generation failed"):
            synthesize(cfg, resources=resources)
    shards = tmp_path / "runs" / "r" / "shards"
    assert list(shards.glob("*.done.json"))
    assert not (tmp_path / "runs" / "r" / "samples.parquet").exists()


def test_a_backend_failing_in_a_row_stops_the_run_with_the_cause(tmp_path, resources):
    with FakeLLMServer(responder=respond) as srv:
        srv.set_faults(["500:10000"])
        cfg = _config(tmp_path, srv.openai_base_url, n=60, retries=0, concurrency=2,
                      max_failure_rate=1.0, structured_output="json_schema")
        with pytest.raises(RunAbortedError, match=r"10 LLM requests in a row failed.*HTTP 500"):
            synthesize(cfg, resources=resources)
        sent = srv.stats()["requests"]
    assert sent < 20  # stopped, instead of failing all 60 entries one by one


def test_prefetch_worker_process_gives_the_same_run_as_the_event_loop(tmp_path, resources,
                                                                      monkeypatch):
    import datagen.synth.prefetch as prefetch

    tables, modes = {}, []
    original = prefetch.Prefetcher.__init__

    def recording(self, *args, **kw):
        original(self, *args, **kw)
        modes.append(self.use_process)

    monkeypatch.setattr(prefetch.Prefetcher, "__init__", recording)
    with FakeLLMServer(responder=respond) as srv:
        for name, min_entries in (("loop", 10_000), ("worker", 1)):
            monkeypatch.setattr(prefetch, "MIN_ENTRIES", min_entries)
            monkeypatch.setattr(prefetch, "CHUNK", 4)
            cfg = _config(tmp_path, srv.openai_base_url, n=24, no_cache=True,
                          run_dir=tmp_path / name)
            synthesize(cfg, resources=resources)
            tables[name] = read_parquet(tmp_path / name / "samples.parquet", SAMPLE_SCHEMA)
    assert modes == [False, True]
    loop, worker = (table_to_samples(tables[k]) for k in ("loop", "worker"))
    assert loop and [s.model_dump(exclude={"generation"}) for s in loop] == \
        [s.model_dump(exclude={"generation"}) for s in worker]
