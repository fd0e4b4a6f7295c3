"""FakeLLMServer: a local HTTP test double of the OpenAI and Anthropic chat APIs.

It is NOT an LLM. It answers ``POST /v1/chat/completions`` (and ``GET /v1/models``) in the
OpenAI shape and ``POST /v1/messages`` in the Anthropic shape with text from a *responder*
``responder(request_json, api) -> str`` (``api`` is ``"openai"`` or ``"anthropic"``); the
default responder echoes the last user message, or returns a small JSON object in JSON mode.
It exists so tests and benchmarks drive the real SDKs over real HTTP with injectable
latency and faults:

* faults, served in schedule order, each ``times`` times: ``429`` (with ``Retry-After``,
  seconds or an HTTP date), ``500``, ``503``, ``401``, ``400``, ``malformed`` (a 200 whose
  body is broken JSON) and ``invalid_content`` (a well-formed reply whose text is not JSON);
* ``reject_response_format``: a 400 for OpenAI requests with ``response_format``, as some
  local servers answer;
* structured outputs: the forms of :data:`~datagen.llm.fake_protocol.STRUCTURED_FORMS`
  (OpenAI ``json_schema``, ``json_object`` with a ``schema``, plain ``json_object``;
  Anthropic forced tool calls) are understood; ``modes`` limits which are accepted (others
  get a 400) and ``enforce=False`` accepts them but ignores the schema. Enforcing stands in
  for constrained decoding: a responder answer that does not conform is replaced by a
  conforming value built from the schema. ``GET /_requests`` (or ``state.bodies``) returns
  the request bodies received, ``/_stats`` counts requests per form;
* ``models``: the served model ids (others: 404), listed by ``GET /v1/models`` in the
  OpenAI or, with an ``anthropic-version`` header, the Anthropic shape (``serve_models=False``:
  no such route, as some servers); ``cancel_on_disconnect=False`` keeps working on a request
  whose client gave up (as a local LLM server does);
* ``hooks``: callables that add routes to the app (:func:`build_app`);
* ``POST /_control`` sets faults / latency / jitter / that flag / stats at run time (for a
  server in another process); ``GET /_stats`` returns request counters, the peak in-flight
  count and the process CPU seconds.

In-process: ``with FakeLLMServer(latency=0.05) as srv: srv.openai_base_url``. As a process:
``python -m datagen.llm.fake_server --port 0 --latency 0.2 --responder pkg.mod:fn`` prints
the port on its first stdout line (see :mod:`datagen.llm.fake_server_proc`).
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from datagen.llm.fake_protocol import (
    ServerState,
    ServerUrls,
    envelope,
    error_response,
    example_instance,
    load_responder,
    parse_faults,
    request_form,
    strip_prefill,
    token_count,
)
from datagen.llm.schema_check import schema_errors

__all__ = ["AppHook", "FakeLLMServer", "Responder", "build_app", "main"]

Responder = Callable[[dict[str, Any], str], str]
STATE_KEY: web.AppKey[ServerState] = web.AppKey("state", ServerState)
RESPONDER_KEY: web.AppKey[Responder] = web.AppKey("responder")
MALFORMED_BODY = '{"id": "broken", "choices": [{"message": {"content": "unterminated'


async def _api(request: web.Request, api: str) -> web.Response:
    state = request.app[STATE_KEY]
    responder = request.app[RESPONDER_KEY]
    state.enter(request.path)
    try:
        try:
            body = await request.json()
        except ValueError:
            return error_response(api, 400, "request body is not JSON")
        form, schema = request_form(api, body)
        state.record(form, body)
        fault, latency = state.next_fault(), state.delay()
        if latency > 0:
            await asyncio.sleep(latency)
        refusal = _refusal(state, api, request, body, form)
        if refusal is not None:
            return refusal
        if fault is not None and fault.kind != "invalid_content":
            if fault.kind == "malformed":
                return web.Response(status=200, text=MALFORMED_BODY,
                                    content_type="application/json")
            return error_response(api, int(fault.kind), f"injected fault {fault.kind}",
                                  retry_after=fault.retry_after)
        try:
            text = "not json {" if fault is not None else responder(body, api)
        except Exception as exc:  # a responder bug is a 500, like a real server's
            return error_response(api, 500, f"responder failed: {type(exc).__name__}")
        if api == "anthropic":
            text = strip_prefill(body, text)
        value = _constrained(text, schema) if schema is not None and state.enforce else None
        if value is not None and form != "tool":
            text = json.dumps(value)
        tool_input = value if form == "tool" else None
        if form == "tool" and tool_input is None:
            tool_input = _json_or_none(text)
        return web.json_response(envelope(api, body, text, tool_input))
    finally:
        state.leave()


def _refusal(state: ServerState, api: str, request: web.Request, body: dict[str, Any],
             form: str) -> web.Response | None:
    """The 4xx a real server would answer instead of a completion, if any."""
    if state.api_key is not None and not _authorized(request, api, state.api_key):
        return error_response(api, 401, "invalid api key")
    if state.models is not None and body.get("model") not in state.models:
        return error_response(api, 404, f"model {body.get('model')!r} not found")
    if api == "openai" and state.reject_response_format and "response_format" in body:
        return error_response(api, 400, "response_format is not supported by this server")
    if form != "none" and form not in state.modes:
        what = "tools" if form == "tool" else f"response_format of type {form}"
        return error_response(api, state.reject_status,
                              f"{what} is not supported by this server")
    return None


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _constrained(text: str, schema: dict[str, Any]) -> Any:
    """What constrained decoding would give: the answer if it conforms, else a conforming
    stand-in built from the schema."""
    value = _json_or_none(text)
    if value is not None and not schema_errors(schema, value):
        return value
    return example_instance(schema)


def _authorized(request: web.Request, api: str, key: str) -> bool:
    if api == "anthropic":
        return request.headers.get("x-api-key") == key
    return request.headers.get("Authorization") == f"Bearer {key}"


async def _openai(request: web.Request) -> web.Response:
    return await _api(request, "openai")


async def _anthropic(request: web.Request) -> web.Response:
    return await _api(request, "anthropic")


async def _models(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    api = "anthropic" if "anthropic-version" in request.headers else "openai"
    if state.api_key is not None and not _authorized(request, api, state.api_key):
        return error_response(api, 401, "invalid api key")
    if not state.serve_models:
        return error_response(api, 404, "no such route")
    ids = state.models if state.models is not None else ["fake-model"]
    if api == "anthropic":
        data = [{"type": "model", "id": m, "display_name": m,
                 "created_at": "2025-01-01T00:00:00Z"} for m in ids]
        return web.json_response({"data": data, "has_more": False,
                                  "first_id": ids[0] if ids else None,
                                  "last_id": ids[-1] if ids else None})
    listed = [{"id": m, "object": "model", "created": 0, "owned_by": "datagen-fake"}
              for m in ids]
    return web.json_response({"object": "list", "data": listed})


async def _requests(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    with state._lock:
        bodies = list(state.bodies)
    return web.json_response({"bodies": bodies})


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].stats())


async def _control(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        body = await request.json()
        state.control(body)
    except (ValueError, TypeError, KeyError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(state.stats())


def default_responder(request_json: dict[str, Any], api: str) -> str:
    """Echo the last user message; in JSON mode, a JSON object that contains it."""
    last_user = ""
    for message in request_json.get("messages", []):
        if message.get("role") == "user":
            content = message.get("content")
            last_user = content if isinstance(content, str) else json.dumps(content)
    fmt = request_json.get("response_format") or {}
    prefill = _last_assistant(request_json).startswith("{")
    if fmt.get("type") in {"json_object", "json_schema"} or prefill:
        return json.dumps({"echo": last_user[:500], "words": token_count(last_user)})
    return f"(fake reply, not an LLM) {last_user[:500]}"


def _last_assistant(request_json: dict[str, Any]) -> str:
    messages = request_json.get("messages") or []
    if messages and messages[-1].get("role") == "assistant":
        content = messages[-1].get("content")
        return content if isinstance(content, str) else ""
    return ""


#: adds routes to the app (e.g. provider batch APIs); see :func:`build_app`
AppHook = Callable[[web.Application], None]


def build_app(state: ServerState, responder: Responder | None = None,
              hooks: Iterable[AppHook] = ()) -> web.Application:
    """The fake server's aiohttp app; each of ``hooks`` may add routes (after the core
    ones) and keys to the app before it starts."""
    app = web.Application(client_max_size=32 * 1024 * 1024)
    app[STATE_KEY] = state
    app[RESPONDER_KEY] = responder or default_responder
    app.router.add_post("/v1/chat/completions", _openai)
    app.router.add_post("/chat/completions", _openai)
    app.router.add_post("/v1/messages", _anthropic)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/_stats", _stats)
    app.router.add_get("/_requests", _requests)
    app.router.add_post("/_control", _control)
    from datagen.llm.fake_batch import register_batch_routes

    register_batch_routes(app, state, app[RESPONDER_KEY])  # /v1/files, /v1/batches...
    for hook in hooks:
        hook(app)
    return app


class FakeLLMServer(ServerUrls):
    """The fake server on 127.0.0.1 in a background thread of this process (a test double)."""

    def __init__(
        self,
        responder: Responder | str | None = None,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        faults: Iterable[Any] = (),
        api_key: str | None = None,
        reject_response_format: bool = False,
        modes: Iterable[str] | None = None,
        reject_status: int = 400,
        enforce: bool = True,
        models: list[str] | None = None,
        serve_models: bool = True,
        cancel_on_disconnect: bool = True,
        hooks: Iterable[AppHook] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
    ) -> None:
        self.state = ServerState(latency=latency, jitter=jitter, faults=parse_faults(faults),
                                 api_key=api_key, rng=random.Random(seed),
                                 reject_response_format=reject_response_format,
                                 enforce=enforce, models=models, serve_models=serve_models)
        if modes is not None:
            self.state.modes = frozenset(modes)
        self.state.reject_status = reject_status
        #: False: a request whose client gave up keeps running (like a local LLM server)
        self.cancel_on_disconnect = cancel_on_disconnect
        self.hooks = list(hooks)
        self._responder: Responder | None = (
            load_responder(responder) if isinstance(responder, str) else responder
        )
        self.host, self._port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> FakeLLMServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(build_app(self.state, self._responder, self.hooks),
                                     access_log=None,
                                     handler_cancellation=self.cancel_on_disconnect)
        self._loop.run_until_complete(self._runner.setup())
        site = web.SockSite(self._runner, sock, backlog=1024)
        self._loop.run_until_complete(site.start())
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"fake-llm-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._loop is None or self._runner is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._runner = self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_faults(self, faults: Iterable[Any]) -> None:
        self.state.control({"faults": list(faults)})

    def set_latency(self, latency: float, jitter: float = 0.0) -> None:
        self.state.control({"latency": latency, "jitter": jitter})

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def reset_stats(self) -> None:
        self.state.control({"reset_stats": True})


def main(argv: list[str] | None = None) -> None:
    """``python -m datagen.llm.fake_server``: serve until SIGTERM/SIGINT; port on line 1."""
    from datagen.llm.fake_server_proc import serve_forever

    serve_forever(argv)


if __name__ == "__main__":  # pragma: no cover
    main()
