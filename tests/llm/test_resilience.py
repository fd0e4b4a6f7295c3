"""Adaptive concurrency, timeouts without duplicate storms, the failure guard and the
preflight, over real HTTP with the official SDKs against FakeLLMServer."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from datagen.errors import BackendError, RunAbortedError
from datagen.llm import BackendConfig, ChatRequest, Message, UsageMeter, make_backend
from datagen.llm.fake_server import FakeLLMServer
from datagen.llm.preflight import preflight

pytestmark = pytest.mark.integration
SECRET = "sk-test-SECRET-9876543210"


def _config(url: str, kind: str = "openai", **kw) -> BackendConfig:
    kw.setdefault("api_key", SECRET)
    kw.setdefault("backoff_initial", 0.01)
    kw.setdefault("backoff_max", 0.05)
    return BackendConfig(kind=kind, model=kw.pop("model", "fake-model"), base_url=url, **kw)


def _req(i: int) -> ChatRequest:
    return ChatRequest(messages=(Message(role="user", content=f"request {i}"),), max_tokens=8)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("fault", ["429", "503"])
def test_limit_goes_down_on_429_and_5xx_then_back_up(fault):
    with FakeLLMServer(latency=0.01) as srv:
        srv.set_faults([f"{fault}:6"])
        meter = UsageMeter()

        async def run():
            backend = make_backend(_config(srv.openai_base_url, concurrency=8), meter=meter)
            try:
                await asyncio.gather(*(backend.chat(_req(i)) for i in range(8)))
                low = backend.slots.limit
                await asyncio.gather(*(backend.chat(_req(100 + i)) for i in range(150)))
                return backend.slots, low
            finally:
                await backend.aclose()

        slots, low = asyncio.run(run())
    assert low < 8 and slots.lowest <= 4  # multiplicative decrease
    assert slots.limit == 8  # additive increase back to the ceiling
    assert slots.history[0] == 8 and min(slots.history) == slots.lowest
    snap = meter.snapshot()
    assert snap["throttled" if fault == "429" else "server_errors"] == 6
    assert snap["concurrency"] == [{"backend": "openai", "model": "fake-model", "limit": 8,
                                    "ceiling": 8, "lowest": slots.lowest,
                                    "decreases": slots.decreases}]


def test_timeouts_back_off_lower_the_limit_and_do_not_pile_up_on_the_server():
    # a local server keeps computing a request whose client gave up; the retry must not
    # add a second copy on top of it while it still runs
    with FakeLLMServer(latency=1.0, cancel_on_disconnect=False) as srv:
        meter = UsageMeter()

        async def run():
            backend = make_backend(_config(srv.openai_base_url, concurrency=4, timeout=0.3,
                                           max_retries=2), meter=meter)
            try:
                return backend, await asyncio.gather(
                    *(backend.chat(_req(i)) for i in range(4)), return_exceptions=True)
            finally:
                await backend.aclose()

        start = time.monotonic()
        backend, results = asyncio.run(run())
        elapsed = time.monotonic() - start
        time.sleep(1.1)  # let the abandoned requests finish on the server
        stats = srv.stats()
    assert all(isinstance(r, BackendError) and "timed out" in str(r) for r in results)
    assert stats["requests"] <= 4 * 3  # no more than the attempts asked for
    # a blind resend would have 12 on the server at once (4 abandoned + 4 + 4 retries);
    # held slots and the halved limit allow the 4 abandoned ones plus 2 retries at most
    assert stats["max_in_flight"] <= 6
    # every attempt timed out (one that timed out while connecting never reached the server)
    assert stats["requests"] <= meter.snapshot()["timeouts"] <= 4 * 3
    assert backend.slots.lowest < 4 and elapsed < 20


def test_consecutive_failures_abort_with_the_cause():
    with FakeLLMServer() as srv:
        srv.set_faults(["500:1000"])

        async def run():
            backend = make_backend(_config(srv.openai_base_url, concurrency=1, max_retries=0,
                                           max_consecutive_failures=3))
            errors = []
            try:
                for i in range(6):
                    try:
                        await backend.chat(_req(i))
                    except (BackendError, RunAbortedError) as exc:
                        errors.append(exc)
            finally:
                await backend.aclose()
            return errors

        errors = asyncio.run(run())
        requests = srv.stats()["requests"]
    assert [type(e).__name__ for e in errors] == ["BackendError"] * 2 + ["RunAbortedError"] * 4
    assert "3 LLM requests in a row failed" in str(errors[2]) and "HTTP 500" in str(errors[2])
    assert srv.openai_base_url in str(errors[2])
    assert requests == 3  # once tripped, nothing more is sent


def _preflight(config: BackendConfig):
    async def run():
        backend = make_backend(config)
        try:
            return await preflight(backend)
        finally:
            await backend.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_preflight_connection_refused_is_fast_and_names_the_url(kind):
    url = f"http://127.0.0.1:{_free_port()}" + ("/v1" if kind == "openai" else "")
    start = time.monotonic()
    with pytest.raises(BackendError) as err:
        _preflight(_config(url, kind))
    assert time.monotonic() - start < 15
    text = str(err.value)
    assert url in text and "fake-model" in text and "cannot connect" in text
    assert "\n" not in text


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_preflight_bad_key_names_the_problem_not_the_key(kind):
    with FakeLLMServer(api_key="sk-right") as srv:
        url = srv.openai_base_url if kind == "openai" else srv.anthropic_base_url
        with pytest.raises(BackendError) as err:
            _preflight(_config(url, kind))
    text = str(err.value)
    assert "API key was not accepted (HTTP 401)" in text and SECRET not in text
    assert ("OPENAI_API_KEY" if kind == "openai" else "ANTHROPIC_API_KEY") in text


def test_preflight_unknown_model_lists_what_is_served():
    with FakeLLMServer(models=["served-a", "served-b"]) as srv:
        with pytest.raises(BackendError) as err:
            _preflight(_config(srv.openai_base_url, model="typo-model"))
        (report,) = _preflight(_config(srv.openai_base_url, model="served-b"))
    text = str(err.value)
    assert "does not serve model 'typo-model'" in text and "served-a, served-b" in text
    assert report["model_listed"] and report["structured_output"] == "json_schema"


def test_preflight_without_a_models_route_confirms_with_one_token():
    with FakeLLMServer(serve_models=False) as srv:
        (report,) = _preflight(_config(srv.openai_base_url, model="any-alias"))
        sent = [b for b in srv.state.bodies if b.get("max_tokens") == 1]
    assert report["model_listed"] is False and len(sent) == 1


def test_preflight_probes_a_shared_server_once_for_two_backends():
    with FakeLLMServer() as srv:
        async def run():
            a = make_backend(_config(srv.openai_base_url))
            b = make_backend(_config(srv.openai_base_url))
            try:
                return await preflight(a, b), b.structured_mode
            finally:
                await a.aclose()
                await b.aclose()

        reports, mode = asyncio.run(run())
        forms = srv.stats()["forms"]
    assert len(reports) == 2 and mode == "json_schema" and forms == {"json_schema": 1}


def test_a_rejected_form_answered_with_500_is_not_load():
    """llama-cpp-python answers json_schema with HTTP 500 naming response_format: the probe
    steps down a mode, and neither the concurrency limit nor the server-error count moves."""
    with FakeLLMServer(modes=["json_object_schema", "json_object"], reject_status=500) as srv:
        async def run():
            backend = make_backend(_config(srv.openai_base_url, concurrency=16))
            try:
                (report,) = await preflight(backend)
                return report, backend._loop_state().slots, backend.meter.snapshot()
            finally:
                await backend.aclose()

        report, slots, usage = asyncio.run(run())
    assert report["structured_output"] == "json_object_schema"
    assert "HTTP 500" in report["probe"]["json_schema"]
    assert slots.limit == 16 and slots.decreases == 0
    assert usage["server_errors"] == 0


def test_preflight_404_without_v1_suggests_the_suffix():
    """llama.cpp's and vLLM's servers answer only under /v1 (a 404 elsewhere); an error branch,
    so the 404 is built here rather than served (the fake answers both paths)."""
    import httpx
    import openai

    from datagen.llm.preflight import _problem

    bare = "http://127.0.0.1:8000"
    request = httpx.Request("POST", f"{bare}/chat/completions")
    exc = openai.NotFoundError("Not Found", response=httpx.Response(404, request=request),
                               body=None)
    for url, hint in ((bare, True), (f"{bare}/v1", False)):
        backend = make_backend(_config(url))
        text = str(_problem(backend, exc, 10))
        assert ("try --base-url http://127.0.0.1:8000/v1" in text) is hint, text
        assert "does not serve model 'fake-model' (HTTP 404)" in text and "\n" not in text


def test_a_server_that_answers_any_model_name_gets_a_warning(caplog):
    # the fake lists fake-model and answers whatever model is named
    with FakeLLMServer() as srv, caplog.at_level("WARNING", logger="datagen.llm"):
        (report,) = _preflight(_config(srv.openai_base_url, model="nosuch"))
    assert report["model_listed"] is False
    assert "does not list model 'nosuch'" in report["warning"]
    assert any("check --model" in r.getMessage() for r in caplog.records)


def test_a_probe_that_times_out_fails_as_one_preflight_line():
    """/models answers, chat calls hang: the failure still names the URL as a preflight."""
    with FakeLLMServer(latency=3.0) as srv:
        with pytest.raises(BackendError) as err:
            _preflight(_config(srv.openai_base_url, timeout=0.3, max_retries=0))
        url = srv.openai_base_url
    text = str(err.value)
    assert text.startswith(f"preflight failed for {url} (model fake-model, openai backend)")
    assert "structured-output probe failed" in text and "\n" not in text
