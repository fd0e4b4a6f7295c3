"""`datagen predict` against the fake OpenAI-compatible server over real HTTP.

The server (a test double, not an LLM) answers with :mod:`datagen.predict.fake_responder`;
requests go through the official SDK, the shared backend stack and the response cache.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from predict_helpers import paired_samples, save_catalogue, write_split

from datagen.evaluate.predictions import load_predictions
from datagen.llm.fake_server_proc import FakeServerProcess
from datagen.predict import PredictConfig, predict

pytestmark = pytest.mark.integration
CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def server():
    with FakeServerProcess(latency=0.01,
                           responder="datagen.predict.fake_responder:recommend") as srv:
        yield srv


def _config(run: Path, srv: FakeServerProcess, **extra: object) -> PredictConfig:
    fields: dict[str, object] = dict(run_dir=run, model="fake-model", n=5, concurrency=8,
                                     base_url=srv.openai_base_url)
    fields.update(extra)
    return PredictConfig.model_validate(fields)


def _chat_requests(srv: FakeServerProcess) -> int:
    return int(srv.stats()["by_path"].get(CHAT, 0))


def test_predict_writes_what_evaluate_reads(tmp_path: Path, server) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(4, controls=2, malformed=2))
    result = predict(_config(run, server, prompt="safety-aware"))
    assert result.predictions == run / "predictions" / "fake-model.safety-aware-v1.jsonl"
    pset = load_predictions(result.predictions)
    assert len(pset) == 14
    rec = pset.records["s-002-explicit"]
    assert rec.text is not None and rec.text.startswith("1. ")
    assert rec.meta is not None and rec.meta.model == "fake-model"
    assert rec.meta.prompt_version == "safety-aware-v1" and rec.meta.mode == "single"
    assert rec.meta.usage is not None and rec.meta.usage.input_tokens > 0
    assert rec.split == "test" and rec.taxonomy_version == "saferec@test"
    assert result.stats["parse_failures"] == 2 and result.stats["with_titles"] == 12

    from datagen.catalogue import Catalogue
    from datagen.catalogue.resolver import TitleResolver
    from datagen.evaluate import evaluate_predictions, load_split
    from datagen.tags.defaults import default_tag_index
    from datagen.taxonomy import load_taxonomy

    catalogue = Catalogue.load(save_catalogue(tmp_path / "cat.parquet"))
    tags, _ = default_tag_index(catalogue, load_taxonomy())
    report = evaluate_predictions(load_split(run, "test"), [pset], TitleResolver(catalogue),
                                  tags, resamples=50)
    model = report.models[0]
    assert model.counts.parse_failures == 2 and model.counts.missing == 0
    assert set(model.by_variant) == {"explicit", "implicit", "absent"}
    assert {(d.minuend, d.subtrahend) for d in model.variant_differences} == {
        ("explicit", "implicit"), ("explicit", "absent"), ("implicit", "absent")}
    assert all(d.n_pairs == 4 for d in model.variant_differences)


def test_rerun_is_answered_from_the_cache(tmp_path: Path, server) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(3))
    first = predict(_config(run, server))
    before = _chat_requests(server)
    again = predict(_config(run, server, overwrite=True))
    assert _chat_requests(server) == before
    assert again.stats["cached_answers"] == 9 and first.stats["cached_answers"] == 0
    assert load_predictions(again.predictions).records.keys() == \
        load_predictions(first.predictions).records.keys()


def test_retries_then_errors_are_recorded_and_retried(tmp_path: Path, server) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(4))
    server.control(faults=["429:2:0", "500:1"])
    result = predict(_config(run, server, no_cache=True, concurrency=1))
    assert result.stats["errors"] == 0 and result.stats["with_titles"] == 12
    assert result.stats["usage_this_session"]["retries"] >= 3
    server.control(faults=["400:2"])
    failed = predict(_config(run, server, no_cache=True, concurrency=1, overwrite=True))
    assert failed.stats["errors"] == 2 and failed.stats["error_http_400"] == 2
    errors = [r for r in load_predictions(failed.predictions).records.values()
              if r.meta is not None and r.meta.error]
    assert len(errors) == 2 and all(r.text == "" for r in errors)
    assert "HTTP 400" in (errors[0].meta.error or "")
    fixed = predict(_config(run, server, no_cache=True, resume=True, retry_errors=True))
    assert fixed.stats["errors"] == 0 and fixed.skipped == 10
    assert len(load_predictions(fixed.predictions)) == 12


def test_malformed_bodies_are_retried_and_non_titles_are_parse_failures(tmp_path: Path,
                                                                         server) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(3))
    server.control(faults=["malformed:1", "invalid_content:2"])
    result = predict(_config(run, server, no_cache=True, concurrency=1))
    assert result.stats["errors"] == 0 and result.stats["parse_failures"] == 2
    assert result.stats["with_titles"] == 7


def test_anthropic_backend(tmp_path: Path, server) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(2))
    result = predict(_config(run, server, backend="anthropic",
                             base_url=server.anthropic_base_url, no_cache=True))
    rec = next(iter(load_predictions(result.predictions).records.values()))
    assert rec.meta is not None and rec.meta.backend == "anthropic"
    assert result.stats["with_titles"] == 6 and (rec.text or "").startswith("1. ")


def test_resume_refuses_other_options(tmp_path: Path, server) -> None:
    from datagen.errors import ConfigError

    run = tmp_path / "run"
    write_split(run, paired_samples(2))
    predict(_config(run, server))
    with pytest.raises(ConfigError, match="--resume with different settings"):
        predict(_config(run, server, resume=True, temperature=0.5))
    with pytest.raises(ConfigError, match="is not empty"):
        predict(_config(run, server))


def test_sigkill_then_resume_neither_duplicates_nor_drops(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(20))  # 60 cases
    with FakeServerProcess(latency=0.15,
                           responder="datagen.predict.fake_responder:recommend") as srv:
        cmd = [sys.executable, "-c", "from datagen.cli.main import main; main()", "predict",
               "--run-dir", str(run), "--model", "fake-model", "--base-url",
               srv.openai_base_url, "--shard-size", "5", "--concurrency", "2", "--no-cache",
               "--no-progress", "--n", "5"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "NO_COLOR": "1"})
        shards = run / "predictions" / "fake-model.plain-v1.run" / "shards"
        deadline = time.monotonic() + 60
        while len(list(shards.glob("*.done.json"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        done = set()
        for marker in shards.glob("*.done.json"):
            done.update(json.loads(marker.read_text())["sample_ids"])
        assert 10 <= len(done) < 60
        assert not (run / "predictions" / "fake-model.plain-v1.jsonl").exists()
        before = int(srv.stats()["by_path"].get(CHAT, 0))
        result = predict(PredictConfig(run_dir=run, model="fake-model", n=5, no_cache=True,
                                       base_url=srv.openai_base_url, shard_size=5,
                                       concurrency=4, resume=True))
        assert int(srv.stats()["by_path"].get(CHAT, 0)) - before == 60 - len(done)
    assert result.skipped == len(done)
    lines = result.predictions.read_text().splitlines()
    ids = [json.loads(line)["sample_id"] for line in lines]
    assert len(ids) == len(set(ids)) == 60
