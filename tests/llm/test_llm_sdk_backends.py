"""The real openai and anthropic SDKs against FakeLLMServer over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from email.utils import formatdate

import pytest

from datagen.errors import BackendError
from datagen.llm import (
    BackendConfig,
    CachedBackend,
    ChatRequest,
    Message,
    Prices,
    ResponseCache,
    UsageMeter,
    make_backend,
)
from datagen.llm.fake_server import FakeLLMServer

pytestmark = pytest.mark.integration
KINDS = ["openai", "anthropic"]
SECRET = "sk-test-SECRET-0123456789abcdef"


def _config(srv: FakeLLMServer, kind: str, **kw) -> BackendConfig:
    url = srv.openai_base_url if kind == "openai" else srv.anthropic_base_url
    kw.setdefault("api_key", SECRET)
    kw.setdefault("backoff_initial", 0.01)
    kw.setdefault("backoff_max", 0.05)
    return BackendConfig(kind=kind, model="fake-model", base_url=url, **kw)


def _req(text: str = "hello world", **kw) -> ChatRequest:
    return ChatRequest(messages=(Message(role="system", content="be brief"),
                                 Message(role="user", content=text)), **kw)


def _chat(config: BackendConfig, *requests: ChatRequest, meter: UsageMeter | None = None):
    async def run():
        backend = make_backend(config, meter=meter)
        try:
            return await asyncio.gather(*(backend.chat(r) for r in requests))
        finally:
            await backend.aclose()

    return asyncio.run(run())


@pytest.fixture
def server():
    seen: list[dict] = []

    def responder(body: dict, api: str) -> str:
        seen.append(body)
        last = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
        if body.get("response_format") or body["messages"][-1]["role"] == "assistant":
            return json.dumps({"said": last})
        return f"{api}: {last}"

    with FakeLLMServer(responder, latency=0.01) as srv:
        srv.seen = seen
        yield srv


@pytest.mark.parametrize("kind", KINDS)
def test_success(server, kind):
    (result,) = _chat(_config(server, kind), _req())
    assert result.text == f"{kind}: hello world"
    assert result.backend == kind and result.model == "fake-model"
    assert result.attempts == 1 and not result.cached
    assert result.usage.input_tokens > 0 and result.usage.output_tokens == 3
    assert result.finish_reason in {"stop", "end_turn"}
    assert SECRET not in result.raw and SECRET not in result.model_dump_json()
    if kind == "anthropic":
        assert server.seen[-1]["system"] == "be brief"
        assert [m["role"] for m in server.seen[-1]["messages"]] == ["user"]


@pytest.mark.parametrize("kind", KINDS)
def test_json_mode(server, kind):
    (result,) = _chat(_config(server, kind), _req(json_mode=True))
    assert json.loads(result.text) == {"said": "hello world"}
    body = server.seen[-1]
    if kind == "openai":
        assert body["response_format"] == {"type": "json_object"}
    else:
        assert body["messages"][-1] == {"role": "assistant", "content": "{"}
        assert "JSON" in body["system"]


def test_json_response_format_can_be_disabled(server):
    _chat(_config(server, "openai", json_response_format=False), _req(json_mode=True))
    assert "response_format" not in server.seen[-1]


@pytest.mark.parametrize("kind", KINDS)
def test_429_retry_after_seconds_is_honoured(server, kind):
    server.set_faults(["429:1:0.6"])
    start = time.monotonic()
    (result,) = _chat(_config(server, kind), _req())
    waited = time.monotonic() - start
    assert result.attempts == 2
    assert waited >= 0.6
    assert server.stats()["faults_served"] == {"429": 1}


def test_429_retry_after_http_date_is_honoured(server):
    server.set_faults([{"kind": "429", "times": 1,
                        "retry_after": formatdate(time.time() + 2, usegmt=True)}])
    start = time.monotonic()
    (result,) = _chat(_config(server, "openai"), _req())
    assert result.attempts == 2
    assert time.monotonic() - start >= 0.9  # HTTP dates have 1 s resolution


@pytest.mark.parametrize("kind", KINDS)
def test_5xx_then_success(server, kind):
    server.set_faults(["500:1", "503:1"])
    meter = UsageMeter()
    (result,) = _chat(_config(server, kind), _req(), meter=meter)
    assert result.attempts == 3 and result.text == f"{kind}: hello world"
    assert server.stats()["requests"] == 3
    assert meter.snapshot()["retries"] == 2


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_body_retried_then_backend_error(server, kind):
    server.set_faults(["malformed:10"])
    meter = UsageMeter()
    with pytest.raises(BackendError, match="malformed response after 3 attempts") as info:
        _chat(_config(server, kind, max_retries=2), _req(), meter=meter)
    assert server.stats()["requests"] == 3
    assert "\n" not in str(info.value)
    assert meter.snapshot()["failures"] == 1


def test_malformed_once_then_success(server):
    server.set_faults(["malformed:1"])
    (result,) = _chat(_config(server, "openai"), _req())
    assert result.attempts == 2


@pytest.mark.parametrize("kind", KINDS)
def test_401_is_not_retried_and_hides_the_key(kind):
    with FakeLLMServer(latency=0.0, api_key="sk-the-right-one") as srv:
        with pytest.raises(BackendError) as info:
            _chat(_config(srv, kind), _req())
        assert srv.stats()["requests"] == 1
    message = str(info.value)
    assert "HTTP 401" in message and kind in message and "fake-model" in message
    assert "after 1 attempt" in message
    assert SECRET not in message and "\n" not in message
    assert SECRET not in repr(info.value)


def test_400_is_not_retried(server):
    server.set_faults(["400:5"])
    with pytest.raises(BackendError, match="HTTP 400 bad request"):
        _chat(_config(server, "openai"), _req())
    assert server.stats()["requests"] == 1


def test_connection_refused_is_retried_then_fails():
    with FakeLLMServer() as srv:
        config = _config(srv, "openai", max_retries=1)
    with pytest.raises(BackendError, match="could not connect after 2 attempts"):
        _chat(config, _req())


@pytest.mark.parametrize("kind", KINDS)
def test_concurrency_limit_is_respected(kind):
    with FakeLLMServer(latency=0.1) as srv:
        results = _chat(_config(srv, kind, concurrency=4), *[_req(f"q{i}") for i in range(16)])
        stats = srv.stats()
    assert len(results) == 16
    assert stats["max_in_flight"] == 4


def test_requests_per_minute_limit(server):
    start = time.monotonic()
    _chat(_config(server, "openai", requests_per_minute=600), *[_req(f"q{i}") for i in range(20)])
    assert time.monotonic() - start >= 0.9  # 10 in the first burst, then 10/s


@pytest.mark.parametrize("kind", KINDS)
def test_cache_hit_makes_zero_calls(server, tmp_path, kind):
    requests = [_req(f"q{i}", seed=i) for i in range(5)]

    async def run():
        meter = UsageMeter()
        with ResponseCache(tmp_path / "cache.sqlite") as cache:
            backend = CachedBackend(make_backend(_config(server, kind), meter=meter), cache)
            try:
                return await asyncio.gather(*(backend.chat(r) for r in requests)), meter
            finally:
                await backend.aclose()

    first, _ = asyncio.run(run())
    calls = server.stats()["requests"]
    assert calls == 5 and not any(r.cached for r in first)
    second, meter = asyncio.run(run())
    assert server.stats()["requests"] == calls  # unchanged: zero network calls
    assert all(r.cached for r in second)
    assert [r.text for r in second] == [r.text for r in first]
    snap = meter.snapshot()
    assert snap["cache_hits"] == 5 and snap["calls"] == 0
    assert SECRET.encode() not in (tmp_path / "cache.sqlite").read_bytes()


def test_cache_ignores_base_url(tmp_path):
    with FakeLLMServer() as a, FakeLLMServer() as b:
        for srv in (a, b):
            async def run(srv=srv):
                with ResponseCache(tmp_path / "c.sqlite") as cache:
                    backend = CachedBackend(make_backend(_config(srv, "openai")), cache)
                    try:
                        return await backend.chat(_req())
                    finally:
                        await backend.aclose()

            asyncio.run(run())
        assert a.stats()["requests"] == 1 and b.stats()["requests"] == 0


def test_identical_requests_in_flight_share_one_call(server, tmp_path):
    meter = UsageMeter()

    async def run():
        with ResponseCache(tmp_path / "c.sqlite") as cache:
            backend = CachedBackend(make_backend(_config(server, "openai"), meter=meter), cache)
            try:
                return await asyncio.gather(*(backend.chat(_req()) for _ in range(6)))
            finally:
                await backend.aclose()

    results = asyncio.run(run())
    assert server.stats()["requests"] == 1
    assert sum(not r.cached for r in results) == 1
    assert len({r.text for r in results}) == 1
    assert meter.snapshot()["calls"] == 1 and meter.snapshot()["cache_hits"] == 5


def test_cost_is_metered_with_prices(server):
    meter = UsageMeter()
    prices = Prices(input_per_mtok=1_000_000.0, output_per_mtok=2_000_000.0)  # $1 / token in
    (result,) = _chat(_config(server, "openai", prices=prices), _req(), meter=meter)
    snap = meter.snapshot()
    expected = result.usage.input_tokens * 1.0 + result.usage.output_tokens * 2.0
    assert snap["cost_usd"] == pytest.approx(expected)
    assert snap["input_tokens"] == result.usage.input_tokens


def test_backend_survives_a_second_event_loop(server):
    backend = make_backend(_config(server, "openai"))

    async def ask(text: str, close: bool):
        try:
            return await backend.chat(_req(text))
        finally:
            if close:
                await backend.aclose()

    first = asyncio.run(ask("one", close=False))
    second = asyncio.run(ask("two", close=True))
    assert (first.text, second.text) == ("openai: one", "openai: two")


def test_timeout_is_retried_then_reported():
    with FakeLLMServer(latency=5.0) as srv:
        start = time.monotonic()
        with pytest.raises(BackendError, match="timed out after 2 attempts"):
            _chat(_config(srv, "openai", timeout=0.2, max_retries=1), _req())
        assert time.monotonic() - start < 4.0  # did not wait for the slow answers
        assert srv.stats()["requests"] == 2


@pytest.mark.parametrize("kind", KINDS)
def test_invalid_content_fault_returns_unusable_text(server, kind):
    server.set_faults(["invalid_content:1"])
    (bad,) = _chat(_config(server, kind), _req(json_mode=True))
    (good,) = _chat(_config(server, kind), _req(json_mode=True))
    with pytest.raises(ValueError):
        json.loads(bad.text)
    assert json.loads(good.text) == {"said": "hello world"}


def test_anthropic_json_without_prefill(server):
    (result,) = _chat(_config(server, "anthropic", json_prefill=False), _req(json_mode=True))
    body = server.seen[-1]
    assert body["messages"][-1]["role"] == "user" and "JSON" in body["system"]
    assert result.text == "anthropic: hello world"  # the responder saw no prefill


def test_server_rejecting_response_format_gets_plain_requests():
    seen: list[dict] = []

    def responder(body: dict, api: str) -> str:
        seen.append(body)
        return '{"ok": true}'

    with FakeLLMServer(responder, reject_response_format=True) as srv:
        config = _config(srv, "openai", concurrency=1)
        results = _chat(config, _req("a", json_mode=True), _req("b", json_mode=True))
        assert srv.stats()["requests"] == 3  # one 400, then plain requests only
    assert [json.loads(r.text) for r in results] == [{"ok": True}, {"ok": True}]
    assert all("response_format" not in body for body in seen)
    assert all(r.attempts == 1 for r in results)  # the fallback is not a retry


def test_retry_after_pauses_every_request_of_the_backend(server):
    server.set_faults(["429:1:0.8"])

    async def run():
        backend = make_backend(_config(server, "openai"))
        try:
            start = time.monotonic()
            first = asyncio.create_task(backend.chat(_req("first")))
            await asyncio.sleep(0.3)  # the 429 has arrived; the pause is on
            later = await asyncio.gather(*(backend.chat(_req(f"later {i}")) for i in range(3)))
            later_done = time.monotonic() - start  # measured before awaiting the first one
            return later_done, await first, later
        finally:
            await backend.aclose()

    elapsed, first, later = asyncio.run(run())
    assert first.attempts == 2 and all(r.attempts == 1 for r in later)
    assert elapsed >= 0.75  # the later requests waited for the server's Retry-After
