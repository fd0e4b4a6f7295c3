"""Response cache durability, and the fake server as a subprocess with its control endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request

import pytest

from datagen.llm import BackendConfig, ChatRequest, ChatResult, Message, ResponseCache, make_backend
from datagen.llm.fake_server_proc import FakeServerProcess


def _result(i: int) -> ChatResult:
    return ChatResult(text=f"answer {i}", backend="openai", model="m")


def test_cache_roundtrip_and_reopen(tmp_path):
    path = tmp_path / "c.sqlite"
    with ResponseCache(path) as cache:
        cache.put("k1", _result(1))
        assert cache.get("k1") == _result(1)
        assert cache.get("missing") is None
        assert "k1" in cache and len(cache) == 1
    with ResponseCache(path) as cache:
        assert cache.get("k1").text == "answer 1"


def test_cache_survives_sigkill(tmp_path):
    """Every put is committed: a writer killed with SIGKILL keeps all finished writes."""
    path = tmp_path / "c.sqlite"
    script = textwrap.dedent(f"""
        import os, signal, sys
        from datagen.llm import ChatResult, ResponseCache
        cache = ResponseCache({str(path)!r})
        for i in range(50):
            cache.put(f"k{{i}}", ChatResult(text=f"answer {{i}}", backend="openai", model="m"))
        print("written", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert "written" in proc.stdout
    with ResponseCache(path) as cache:
        assert len(cache) == 50
        assert cache.get("k49").text == "answer 49"


@pytest.mark.integration
def test_fake_server_subprocess_control_and_stats():
    with FakeServerProcess(latency=0.0, faults=["503:1"]) as srv:
        body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "ping"}]})

        def post() -> tuple[int, dict]:
            req = urllib.request.Request(srv.openai_base_url + "/chat/completions",
                                         data=body.encode(),
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                return exc.code, json.loads(exc.read())

        assert post()[0] == 503
        status, data = post()
        assert status == 200
        assert "not an LLM" in data["choices"][0]["message"]["content"]
        srv.control(faults=["429:1:7"], reset_stats=True)
        req = urllib.request.Request(srv.openai_base_url + "/chat/completions",
                                     data=body.encode(),
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
        assert info.value.code == 429 and info.value.headers["Retry-After"] == "7"
        stats = srv.stats()
        assert stats["requests"] == 1 and stats["faults_served"] == {"429": 1}
        with urllib.request.urlopen(srv.openai_base_url + "/models", timeout=10) as resp:
            assert json.loads(resp.read())["data"][0]["id"] == "fake-model"


@pytest.mark.integration
def test_sdk_against_subprocess_server_with_module_responder(tmp_path):
    (tmp_path / "my_responder.py").write_text(
        "def reply(body, api):\n    return 'custom ' + api\n"
    )
    env = {"PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with FakeServerProcess(responder="my_responder:reply", env=env) as srv:
        config = BackendConfig(kind="anthropic", model="m", base_url=srv.anthropic_base_url,
                               api_key="k")
        backend = make_backend(config)
        req = ChatRequest(messages=(Message(role="user", content="x"),))
        result = asyncio.run(backend.chat(req))
    assert result.text == "custom anthropic"


def test_invalid_fault_spec_is_rejected():
    from datagen.llm.fake_protocol import parse_faults

    with pytest.raises(ValueError, match="unknown fault kind"):
        parse_faults(["418"])
    assert parse_faults(["429:3:2"])[0].retry_after == "2"
