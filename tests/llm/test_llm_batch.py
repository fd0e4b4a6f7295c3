"""Provider batch APIs against the fake server over real HTTP, with the official SDKs.

The fake routes first (``client.files.create``, ``client.batches.create/retrieve``,
``client.files.content``; ``client.messages.batches.create/retrieve/results``), including
expired, failed and partially failed batches; then the batch loop (resubmission, expiry,
whole-batch failure, resume from the store), whole-film tagging by batch, the CLI's
``--batch --dry-run`` pricing, and a ``datagen tags llm --batch`` process killed with SIGKILL
while its batch runs, then resumed without a second submission.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tag_responder import catalogue as _catalogue
from tag_responder import reply

from datagen.errors import BackendError
from datagen.llm import BackendConfig, ChatRequest, Message, ResponseCache
from datagen.llm.batch import BatchOptions, make_batch_provider, run_batches
from datagen.llm.batch_store import BatchStore
from datagen.llm.cache import cache_key
from datagen.llm.fake_server import FakeLLMServer
from datagen.tags.evidence import load_evidence_file
from datagen.tags.llm_batch import tag_items_batch
from datagen.tags.llm_tagging import LlmTaggingOptions
from datagen.taxonomy import load_taxonomy

pytestmark = pytest.mark.integration
HERE = Path(__file__).parent
FAST = BatchOptions(poll_interval=0.01)


def _control(srv: FakeLLMServer, **body: object) -> dict:
    return httpx.post(f"{srv.url}/_batch/control", json=body, timeout=10).json()


def _stats(srv: FakeLLMServer) -> dict:
    return httpx.get(f"{srv.url}/_batch/stats", timeout=10).json()


def _line(i: int) -> bytes:
    body = {"model": "fake-model", "messages": [{"role": "user", "content": f"hello {i}"}],
            "max_tokens": 50}
    return json.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                       "body": body}).encode() + b"\n"


def _openai_run(client, n: int) -> tuple[object, dict[str, dict]]:
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO(b"".join(
        _line(i) for i in range(n)))), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h", metadata={"job": "t"})
    assert batch.status == "in_progress" and batch.metadata == {"job": "t"}
    batch = client.batches.retrieve(batch.id)
    lines: dict[str, dict] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            for text in client.files.content(file_id).text.splitlines():
                obj = json.loads(text)
                lines[obj["custom_id"]] = obj
    return batch, lines


def test_openai_sdk_batch_routes_ok_partial_expired_failed():
    import openai

    with FakeLLMServer(api_key="sk-batch") as srv:
        client = openai.OpenAI(api_key="sk-batch", base_url=srv.openai_base_url)
        _control(srv, plan=["ok", "partial", "expire", "fail"], partial_every=2,
                 expire_share=0.5)
        batch, lines = _openai_run(client, 4)
        assert batch.status == "completed" and batch.request_counts.completed == 4
        assert batch.error_file_id is None
        body = lines["r2"]["response"]["body"]
        assert body["choices"][0]["message"]["content"].endswith("hello 2")
        batch, lines = _openai_run(client, 4)
        assert (batch.status, batch.request_counts.failed) == ("completed", 2)
        assert [lines[f"r{i}"]["response"]["status_code"] for i in range(4)] == [200, 500] * 2
        batch, lines = _openai_run(client, 4)
        assert batch.status == "expired"
        assert [lines[f"r{i}"]["error"] is None for i in range(4)] == [True, True, False, False]
        assert lines["r3"]["error"]["code"] == "batch_expired"
        uploaded = client.files.create(file=("x.jsonl", io.BytesIO(_line(0))), purpose="batch")
        failed = client.batches.create(input_file_id=uploaded.id,
                                       endpoint="/v1/chat/completions", completion_window="24h")
        assert failed.status == "failed" and failed.errors.data[0].code == "invalid_request"
        assert next(b.id for b in client.batches.list(limit=2).data) == failed.id
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(api_key="wrong", base_url=srv.openai_base_url).batches.retrieve(
                failed.id)


def _anthropic_run(client, n: int):
    requests = [{"custom_id": f"r{i}", "params": {
        "model": "fake-claude", "max_tokens": 50,
        "messages": [{"role": "user", "content": f"hi {i}"}]}} for i in range(n)]
    batch = client.messages.batches.create(requests=requests)
    assert batch.processing_status == "in_progress" and batch.results_url is None
    batch = client.messages.batches.retrieve(batch.id)
    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    return batch, results


def test_anthropic_sdk_message_batches_ok_partial_expired_failed():
    import anthropic

    with FakeLLMServer(api_key="sk-ant-batch") as srv:
        client = anthropic.Anthropic(api_key="sk-ant-batch", base_url=srv.anthropic_base_url)
        _control(srv, plan=["ok", "partial", "expire", "fail"], partial_every=2)
        batch, results = _anthropic_run(client, 4)
        assert batch.processing_status == "ended" and batch.request_counts.succeeded == 4
        assert results["r1"].type == "succeeded"
        assert results["r1"].message.content[0].text.endswith("hi 1")
        batch, results = _anthropic_run(client, 4)
        assert batch.request_counts.errored == 2
        assert [results[f"r{i}"].type for i in range(4)] == ["succeeded", "errored"] * 2
        assert results["r1"].error.error.type == "api_error"
        batch, results = _anthropic_run(client, 4)
        assert batch.request_counts.expired == 2
        assert [results[f"r{i}"].type for i in range(4)] == ["succeeded"] * 2 + ["expired"] * 2
        batch, results = _anthropic_run(client, 2)
        assert {r.type for r in results.values()} == {"errored"}


def _requests(n: int) -> dict[str, ChatRequest]:
    reqs = [ChatRequest(messages=(Message(role="user", content=f"film {i}"),), max_tokens=40)
            for i in range(n)]
    return {cache_key("openai", "fake-model", r): r for r in reqs}


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_run_batches_resubmits_partial_failures_and_expired(kind, tmp_path):
    with FakeLLMServer() as srv:
        base = srv.openai_base_url if kind == "openai" else srv.anthropic_base_url
        provider = make_batch_provider(BackendConfig(kind=kind, model="fake-model",
                                                     base_url=base, api_key="k"))
        requests = _requests(6)
        requests = {cache_key(kind, "fake-model", r): r for r in requests.values()}
        _control(srv, plan=["partial", "expire"], partial_every=3, expire_share=0.5)
        with ResponseCache(tmp_path / "c.sqlite") as cache, \
                BatchStore(tmp_path / "b.sqlite") as store:
            report = run_batches(provider, requests, store=store, cache=cache, options=FAST)
            assert all(k in cache for k in requests)
        provider.close()
    # 6 sent; 2 failed (partial) -> resent; 1 of those 2 expired -> resent once more
    assert report.submitted_requests == 6 + 2 + 1
    assert report.resubmitted_requests == 3 and report.expired_batches == 1
    assert len(report.submitted_batches) == 3 and report.collected == 6 and not report.failed


def test_run_batches_gives_up_after_max_tries_and_stops_on_failed_batch(tmp_path):
    with FakeLLMServer() as srv:
        provider = make_batch_provider(BackendConfig(
            kind="openai", model="fake-model", base_url=srv.openai_base_url, api_key="k"))
        requests = _requests(3)
        _control(srv, plan=["partial", "partial"], partial_every=1)
        with ResponseCache(tmp_path / "c.sqlite") as cache, \
                BatchStore(tmp_path / "b.sqlite") as store:
            report = run_batches(provider, requests, store=store, cache=cache,
                                 options=BatchOptions(poll_interval=0.01, max_tries=2))
            assert len(report.failed) == 3 and report.collected == 0
            assert "injected batch fault" in next(iter(report.failed.values()))
            _control(srv, plan=["fail"])
            with pytest.raises(BackendError, match="failed: invalid_request"):
                run_batches(provider, _requests(4), store=store, cache=cache, options=FAST)
        provider.close()


def test_batch_created_just_before_a_kill_is_found_by_its_token(tmp_path):
    """Killed after the provider created the batch but before its id reached the store."""
    with FakeLLMServer() as srv:
        provider = make_batch_provider(BackendConfig(
            kind="openai", model="fake-model", base_url=srv.openai_base_url, api_key="k"))
        requests = _requests(3)
        with ResponseCache(tmp_path / "c.sqlite") as cache, \
                BatchStore(tmp_path / "b.sqlite") as store:
            store.begin("saferec-killed", "openai", "fake-model", list(requests))
            provider.submit("saferec-killed", [(k, provider.body(r)) for k, r in
                                               requests.items()])
            report = run_batches(provider, requests, store=store, cache=cache, options=FAST)
            assert all(k in cache for k in requests)
            # a token the provider never saw: its requests go out again, once
            store.begin("saferec-never-sent", "openai", "fake-model", list(_requests(5))[3:])
            again = run_batches(provider, _requests(5), store=store, cache=cache, options=FAST)
        provider.close()
        assert _stats(srv)["counters"]["batches_create"] == 2
    assert len(report.resumed_batches) == 1 and report.submitted_batches == []
    assert again.submitted_requests == 2 and again.resubmitted_requests == 0
    assert again.cached == 3 and not again.failed


def test_tag_items_batch_rounds_and_cache_shared_with_rerun(tmp_path):
    tax = load_taxonomy()
    with FakeLLMServer(reply) as srv:
        provider = make_batch_provider(BackendConfig(
            kind="anthropic", model="fake-claude", base_url=srv.anthropic_base_url,
            api_key="k"))
        with ResponseCache(tmp_path / "c.sqlite") as cache, \
                BatchStore(tmp_path / "b.sqlite") as store:
            outcomes, reports = tag_items_batch(provider, _catalogue().items, tax,
                                                LlmTaggingOptions(confidence=0.8),
                                                store=store, cache=cache, batch_options=FAST)
            created = _stats(srv)["counters"]["batches_create"]
            again, _ = tag_items_batch(provider, _catalogue().items, tax, LlmTaggingOptions(
                confidence=0.8), store=store, cache=cache, batch_options=FAST)
        provider.close()
        assert _stats(srv)["counters"]["batches_create"] == created == 3  # rerun: no batch
    by_id = {o.item_id: o for o in outcomes}
    alien = by_id["tt0078748"]
    assert alien.status == "ok" and alien.unsure == ["spiders_snakes"]
    present = {e.trait_id for e in alien.evidence if e.polarity == "present"}
    assert present == {"gore", "extreme_violence"}
    assert len(alien.evidence) == len(tax.traits) - 1
    gore = next(e for e in alien.evidence if e.trait_id == "gore")
    assert gore.source == "llm:fake-claude" and gore.confidence == 0.8
    assert gore.detail == "Alien (1979) shows it [tags-llm-v2]"
    assert by_id["tt0000001"].status == "ok" and by_id["tt0000001"].calls == 2
    assert by_id["tt0000002"].status == "failed" and by_id["tt0000002"].calls == 3
    assert [len(r.submitted_batches) for r in reports] == [1, 1, 1]
    assert [o.status for o in again] == [o.status for o in outcomes]
    assert all(o.calls == 0 for o in again)


def _datagen(*args: str, env: dict[str, str]) -> list[str]:
    return [str(Path(sys.executable).with_name("datagen")), "tags", "llm", *args]


def test_cli_dry_run_prices_a_catalogue_job(tmp_path):
    env = {**os.environ, "COLUMNS": "160"}
    env.pop("OPENAI_API_KEY", None)
    cmd = _datagen("--model", "gpt-4o-mini", "--batch", "--dry-run", "--limit", "2000",
                   "--cache", str(tmp_path / "c.sqlite"), "--json", env=env)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    price = json.loads(proc.stdout.strip().splitlines()[-1])
    assert price["films"] == price["requests"] == 2000 and price["cached"] == 0
    per_request = price["input_tokens"] / 2000
    assert 1500 < per_request < 6000  # every trait with its description and topics
    assert price["batch_cost_usd"] == pytest.approx(price["live_cost_usd"] / 2, rel=0.01)
    assert price["batch_cost_max_usd"] > price["batch_cost_usd"] > 0
    assert not (tmp_path / "artifacts").exists() or not any(
        (tmp_path / "artifacts").glob("*.parquet"))  # nothing written but the cache


def _store_batches(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("SELECT batch_id, state FROM batches").fetchall()


def test_batch_job_survives_sigkill_and_resumes_without_resubmitting(tmp_path):
    cat_path = _catalogue().save(tmp_path / "cat.parquet")
    out = tmp_path / "ev.parquet"
    store = Path(str(out) + ".batches.sqlite")
    env = {**os.environ, "OPENAI_API_KEY": "sk-kill-SECRET", "PYTHONPATH": str(HERE)}
    with FakeLLMServer("tag_responder:reply") as srv:
        _control(srv, hold=True)
        args = ("--model", "fake-model", "--base-url", srv.openai_base_url, "--batch",
                "--poll-interval", "0.05", "--catalogue", str(cat_path), "--titles",
                "Alien (1979)", "--titles", "Up (2009)", "--out", str(out),
                "--cache", str(tmp_path / "c.sqlite"))
        proc = subprocess.Popen(_datagen(*args, env=env), env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _stats(srv)["counters"].get("retrieve", 0) < 3:
            time.sleep(0.05)
        assert _store_batches(store) and _store_batches(store)[0][1] == "submitted"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL and not out.exists()
        _control(srv, hold=False)
        done = subprocess.run(_datagen(*args, "--json", env=env), env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        stats = _stats(srv)["counters"]
    assert stats["batches_create"] == 1 and stats["files_create"] == 1  # not paid twice
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["batches_resumed"] == 1 and summary["batches_submitted"] == 0
    assert summary["films"] == 2 and summary["failed"] == 0 and summary["pending"] == 0
    assert "sk-kill-SECRET" not in done.stdout + done.stderr
    df = load_evidence_file(out)
    assert set(df.filter(df["polarity"] == "present")["trait_id"]) == {
        "gore", "extreme_violence", "pregnancy_loss"}
