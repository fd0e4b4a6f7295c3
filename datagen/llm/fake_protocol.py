"""Wire shapes and mutable state of :mod:`datagen.llm.fake_server` (a test double).

Response envelopes follow the public OpenAI chat-completion and Anthropic message formats
closely enough for the official SDKs to parse them; token counts are whitespace word counts.
"""

from __future__ import annotations

import importlib
import random
import resource
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = [
    "FAULT_KINDS",
    "STRUCTURED_FORMS",
    "Fault",
    "ServerState",
    "ServerUrls",
    "envelope",
    "error_response",
    "example_instance",
    "load_responder",
    "parse_faults",
    "request_form",
    "strip_prefill",
    "token_count",
]

FAULT_KINDS = ("429", "500", "503", "401", "400", "malformed", "invalid_content")
#: request forms of structured output the fake server can accept (``none``: plain request)
STRUCTURED_FORMS = ("json_schema", "json_object_schema", "json_object", "tool")
#: request bodies kept for tests to inspect (the newest ones)
_KEPT_BODIES = 2000
_ANTHROPIC_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
                          429: "rate_limit_error", 500: "api_error", 503: "overloaded_error"}


class ServerUrls:
    """Base URLs of a fake server bound to ``host``:``port`` (``port`` is 0 until started)."""

    host: str = "127.0.0.1"
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url


@dataclass
class Fault:
    """Serve ``kind`` to the next ``times`` API requests (``retry_after`` only for 429/503)."""

    kind: str
    times: int = 1
    retry_after: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.times < 1:
            raise ValueError("fault times must be >= 1")


def parse_faults(items: Any) -> list[Fault]:
    """Faults from Fault objects, dicts, or ``"kind[:times[:retry_after]]"`` strings."""
    faults: list[Fault] = []
    for item in items or ():
        if isinstance(item, Fault):
            faults.append(Fault(item.kind, item.times, item.retry_after))
        elif isinstance(item, dict):
            ra = item.get("retry_after")
            faults.append(Fault(str(item["kind"]), int(item.get("times", 1)),
                                None if ra is None else str(ra)))
        else:
            kind, _, rest = str(item).partition(":")
            times, _, ra = rest.partition(":")
            faults.append(Fault(kind, int(times or 1), ra or None))
    return faults


def token_count(text: str) -> int:
    return len(text.split())


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""


def strip_prefill(body: dict[str, Any], text: str) -> str:
    """Anthropic continues a prefilled assistant turn: drop the prefill from the reply."""
    messages = body.get("messages") or []
    if messages and messages[-1].get("role") == "assistant":
        prefill = _message_text(messages[-1].get("content"))
        if prefill and text.startswith(prefill):
            return text[len(prefill):]
    return text


def _truncate(text: str, max_tokens: int | None) -> tuple[str, bool]:
    words = text.split(" ")
    if max_tokens is None or len(words) <= max_tokens:
        return text, False
    return " ".join(words[:max_tokens]), True


def envelope(api: str, body: dict[str, Any], text: str,
             tool_input: Any = None) -> dict[str, Any]:
    """The success body of ``api`` for ``text`` (cut at ``max_tokens`` words); with
    ``tool_input`` (Anthropic), a ``tool_use`` block carrying it instead of text."""
    if tool_input is not None:
        return _tool_envelope(body, tool_input)
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    text, cut = _truncate(text, max_tokens)
    prompt = " ".join(_message_text(m.get("content")) for m in body.get("messages") or [])
    prompt += " " + _message_text(body.get("system"))
    n_in, n_out = token_count(prompt), token_count(text)
    model = str(body.get("model", "fake-model"))
    if api == "anthropic":
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant",
            "model": model, "content": [{"type": "text", "text": text}],
            "stop_reason": "max_tokens" if cut else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": n_in, "output_tokens": n_out},
        }
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "length" if cut else "stop"}],
        "usage": {"prompt_tokens": n_in, "completion_tokens": n_out,
                  "total_tokens": n_in + n_out},
    }


def _tool_envelope(body: dict[str, Any], tool_input: Any) -> dict[str, Any]:
    name = (body.get("tool_choice") or {}).get("name", "answer")
    n_in = token_count(" ".join(_message_text(m.get("content"))
                                for m in body.get("messages") or []))
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant",
        "model": str(body.get("model", "fake-model")),
        "content": [{"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:20]}", "name": name,
                     "input": tool_input}],
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": n_in, "output_tokens": token_count(str(tool_input))},
    }


def error_response(api: str, status: int, message: str, *,
                   retry_after: str | None = None) -> web.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    if api == "anthropic":
        body = {"type": "error", "error": {"type": _ANTHROPIC_ERROR_TYPES.get(status, "api_error"),
                                           "message": message}}
    else:
        body = {"error": {"message": message, "type": "fake_error", "code": str(status)}}
    return web.json_response(body, status=status, headers=headers)


def request_form(api: str, body: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """Which structured-output form a request uses, and its schema (None without one)."""
    if api == "anthropic":
        tools = body.get("tools") or []
        choice = body.get("tool_choice") or {}
        if tools and choice.get("type") == "tool":
            chosen = [t for t in tools if t.get("name") == choice.get("name")] or tools
            return "tool", chosen[0].get("input_schema")
        return "none", None
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return "json_schema", (fmt.get("json_schema") or {}).get("schema")
    if fmt.get("type") == "json_object":
        return ("json_object_schema", fmt["schema"]) if fmt.get("schema") else ("json_object",
                                                                               None)
    return "none", None


def example_instance(schema: dict[str, Any]) -> Any:
    """A small value that conforms to ``schema`` (what a constrained decoder could emit)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return {k: example_instance(v) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        items = schema.get("items")
        item: dict[str, Any] = items if isinstance(items, dict) else {}
        return [example_instance(item) for _ in range(int(schema.get("minItems", 0)))]
    return {"string": "fake text", "integer": 0, "number": 0.0, "boolean": False,
            "null": None}.get(str(kind), "fake text")


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_responder(spec: str) -> Any:
    """Import ``"package.module:function"``."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"responder must be 'module:function', got {spec!r}")
    return getattr(importlib.import_module(module_name), attr)


@dataclass
class ServerState:
    """Latency, fault schedule and counters; guarded by a lock (controlled from any thread)."""

    latency: float = 0.0
    jitter: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    api_key: str | None = None
    #: answer 400 to OpenAI requests carrying ``response_format`` (like some local servers)
    reject_response_format: bool = False
    #: structured-output forms accepted (others: 400, as a server that does not know them)
    modes: frozenset[str] = frozenset(STRUCTURED_FORMS)
    #: the status of a rejected form: 400, or 500 as llama-cpp-python answers ``json_schema``
    reject_status: int = 400
    #: constrain answers to the request's schema (False: accept the form, ignore the schema,
    #: as llama.cpp's server has done for ``json_schema``)
    enforce: bool = True
    #: served model ids; None = any model name is accepted (``/v1/models`` lists fake-model)
    models: list[str] | None = None
    #: answer ``GET /v1/models`` (False: 404, as servers without that route)
    serve_models: bool = True
    rng: random.Random = field(default_factory=random.Random)
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    by_path: Counter[str] = field(default_factory=Counter)
    faults_served: Counter[str] = field(default_factory=Counter)
    #: wall-clock time of the first API request and of the last answer (benchmarks)
    first_at: float = 0.0
    last_at: float = 0.0
    #: requests per structured-output form ("none" = plain)
    forms: Counter[str] = field(default_factory=Counter)
    #: the newest request bodies (tests check what was sent)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, form: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.forms[form] += 1
            self.bodies.append(body)
            if len(self.bodies) > _KEPT_BODIES:
                del self.bodies[: len(self.bodies) - _KEPT_BODIES]

    def enter(self, path: str) -> None:
        with self._lock:
            if not self.requests:
                self.first_at = time.time()
            self.requests += 1
            self.by_path[path] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1
            self.last_at = time.time()

    def next_fault(self) -> Fault | None:
        with self._lock:
            while self.faults:
                fault = self.faults[0]
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.pop(0)
                self.faults_served[fault.kind] += 1
                return fault
            return None

    def delay(self) -> float:
        with self._lock:
            return self.latency + (self.rng.uniform(0, self.jitter) if self.jitter else 0.0)

    def control(self, body: dict[str, Any]) -> None:
        new_faults = parse_faults(body["faults"]) if "faults" in body else None
        with self._lock:
            if new_faults is not None:
                self.faults = new_faults
            if "latency" in body:
                self.latency = float(body["latency"])
            if "jitter" in body:
                self.jitter = float(body["jitter"])
            if "reject_response_format" in body:
                self.reject_response_format = bool(body["reject_response_format"])
            if "modes" in body:
                self.modes = frozenset(str(m) for m in body["modes"])
            if "enforce" in body:
                self.enforce = bool(body["enforce"])
            if "models" in body:
                self.models = None if body["models"] is None else [str(m)
                                                                   for m in body["models"]]
            if body.get("reset_stats"):
                self.requests = self.max_in_flight = 0
                self.first_at = self.last_at = 0.0
                self.by_path.clear()
                self.faults_served.clear()
                self.forms.clear()
                self.bodies.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests, "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight, "by_path": dict(self.by_path),
                "faults_served": dict(self.faults_served),
                "faults_pending": [f.__dict__.copy() for f in self.faults],
                "latency": self.latency, "jitter": self.jitter,
                "reject_response_format": self.reject_response_format,
                "forms": dict(self.forms), "modes": sorted(self.modes),
                "first_at": self.first_at, "last_at": self.last_at,
                "enforce": self.enforce, "models": self.models,
                "process_cpu_s": round(_process_cpu(), 3),
            }
