"""Structured outputs over real HTTP: each request form, the probe's fallback chain, the
Anthropic forced tool call, all with the official SDKs against FakeLLMServer."""

from __future__ import annotations

import asyncio
import json

import pytest

from datagen.llm import BackendConfig, ChatRequest, Message, ResponseSchema, make_backend
from datagen.llm.fake_server import FakeLLMServer
from datagen.llm.structured import StructuredMode, strict_object

pytestmark = pytest.mark.integration

SCHEMA = ResponseSchema(name="answer", schema=strict_object({
    "colour": {"type": "string", "enum": ["red", "green"]},
    "count": {"type": "integer"},
}))


def _request(text: str = "Pick a colour.") -> ChatRequest:
    return ChatRequest(messages=(Message(role="user", content=text),), json_mode=True,
                       response_schema=SCHEMA)


def _prose(body: dict, api: str) -> str:
    """A model that ignores every format: what a server that does not enforce returns."""
    return "I would say red, probably."


def _run(srv: FakeLLMServer, kind: str = "openai", n: int = 1, **kw):
    url = srv.openai_base_url if kind == "openai" else srv.anthropic_base_url
    config = BackendConfig(kind=kind, model="fake-model", base_url=url, api_key="k",
                           backoff_initial=0.01, backoff_max=0.02, **kw)

    async def go():
        backend = make_backend(config)
        try:
            results = await asyncio.gather(*(backend.chat(_request(f"q{i}")) for i in range(n)))
            return backend, results
        finally:
            await backend.aclose()

    return asyncio.run(go())


def _api_bodies(srv: FakeLLMServer) -> list[dict]:
    return [b for b in srv.state.bodies if "messages" in b]


def test_enforcing_server_gets_strict_json_schema():
    with FakeLLMServer(_prose) as srv:
        backend, results = _run(srv, n=5)
        bodies = _api_bodies(srv)
    assert backend.structured_mode is StructuredMode.json_schema
    assert backend.probe_report == {"json_schema": "ok"}
    assert len(bodies) == 6  # one probe, then the five requests
    fmt = bodies[-1]["response_format"]
    assert fmt == {"type": "json_schema", "json_schema": {
        "name": "answer", "schema": SCHEMA.schema_, "strict": True}}
    assert all(json.loads(r.text)["colour"] in ("red", "green") for r in results)


def test_server_rejecting_json_schema_falls_back_to_json_object_with_schema():
    # llama-cpp-python's server: the Anyscale form, not type json_schema
    with FakeLLMServer(_prose, modes={"json_object_schema", "json_object"}) as srv:
        backend, results = _run(srv, n=3)
        forms = srv.stats()["forms"]
        last = _api_bodies(srv)[-1]
    assert backend.structured_mode is StructuredMode.json_object_schema
    assert backend.probe_report["json_schema"].startswith("HTTP 400")
    assert forms == {"json_schema": 1, "json_object_schema": 4}  # probed once, not per request
    assert last["response_format"] == {"type": "json_object", "schema": SCHEMA.schema_}
    assert all(json.loads(r.text)["colour"] in ("red", "green") for r in results)


def test_server_that_accepts_but_does_not_enforce_is_not_trusted():
    # llama.cpp's server has answered 200 to json_schema without enforcing it
    def echo_json(body: dict, api: str) -> str:
        return json.dumps({"colour": "blue"}) if body.get("response_format") else "blue"

    with FakeLLMServer(echo_json, enforce=False) as srv:
        backend, results = _run(srv, n=2)
        forms = srv.stats()["forms"]
    assert backend.structured_mode is StructuredMode.json_object
    assert "not enforced" in backend.probe_report["json_schema"]
    assert "not enforced" in backend.probe_report["json_object_schema"]
    assert forms == {"json_schema": 1, "json_object_schema": 1, "json_object": 3}
    assert [json.loads(r.text) for r in results] == [{"colour": "blue"}] * 2  # parser's job


def test_server_without_any_structured_mode_gets_prompt_only_requests():
    with FakeLLMServer(_prose, modes=()) as srv:
        backend, results = _run(srv, n=2)
        bodies = _api_bodies(srv)
    assert backend.structured_mode is StructuredMode.prompt
    assert [b.get("response_format", {}).get("type") for b in bodies] == [
        "json_schema", "json_object", "json_object", None, None]
    assert results[0].text == "I would say red, probably."


def test_a_fixed_mode_is_used_without_probing():
    with FakeLLMServer(_prose) as srv:
        backend, _ = _run(srv, n=2, structured_output="json_object_schema")
        assert srv.stats()["forms"] == {"json_object_schema": 2}
    assert backend.probe_report == {}


def test_anthropic_gets_a_forced_tool_call_and_its_input_is_the_text():
    with FakeLLMServer(_prose) as srv:
        backend, results = _run(srv, kind="anthropic", n=2)
        body = _api_bodies(srv)[-1]
    assert backend.structured_mode is StructuredMode.tool
    assert body["tools"] == [{"name": "answer", "input_schema": SCHEMA.schema_,
                              "description": body["tools"][0]["description"]}]
    assert body["tool_choice"] == {"type": "tool", "name": "answer"}
    assert body["messages"][-1]["role"] == "user"  # no "{" prefill with a tool
    value = json.loads(results[0].text)
    assert set(value) == {"colour", "count"} and results[0].finish_reason == "tool_use"


def test_batch_bodies_come_from_request_params_with_the_same_schema():
    with FakeLLMServer(_prose) as srv:
        openai_backend, _ = _run(srv, n=1)
        anthropic_backend, _ = _run(srv, kind="anthropic", n=1)
    body = openai_backend.request_params(_request())
    assert body["response_format"]["type"] == "json_schema"
    assert anthropic_backend.request_params(_request())["tool_choice"]["name"] == "answer"
