"""Batch routes of the fake LLM server (a test double of the vendors' batch APIs, not an LLM).

OpenAI: ``POST /v1/files`` (multipart upload, ``purpose=batch``), ``GET /v1/files/{id}`` and
``/v1/files/{id}/content``, ``POST /v1/batches``, ``GET /v1/batches[/{id}]``,
``POST /v1/batches/{id}/cancel``. Anthropic: ``POST /v1/messages/batches``,
``GET /v1/messages/batches[/{id}]``, ``GET /v1/messages/batches/{id}/results``,
``POST /v1/messages/batches/{id}/cancel``. Answers come from the server's responder and
envelopes, exactly as for live requests.

How a batch behaves is planned per batch, in creation order (``plan``; after it ends every
batch is ``ok``):

* ``ok`` - every request succeeds;
* ``partial`` - every ``partial_every``-th request fails (HTTP 500 / ``api_error``);
* ``expire`` - the batch expires after ``expire_share`` of its requests ran: the rest come
  back as ``batch_expired`` errors (OpenAI) or ``expired`` results (Anthropic);
* ``fail`` - OpenAI: the batch fails validation (status ``failed``, nothing runs);
  Anthropic (which has no such state): every request comes back ``errored``.

A batch ends after ``polls`` retrieves (0: at the first one) unless ``hold`` is set: held
batches stay running until it is cleared. ``POST /_batch/control`` sets these;
``GET /_batch/stats`` counts uploads, batch creations and polls (what resume tests assert).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from datagen.llm.fake_protocol import ServerState, envelope, error_response, strip_prefill

__all__ = ["BATCH_MODES", "BatchPlan", "FakeBatches", "register_batch_routes"]

BATCH_MODES = ("ok", "partial", "expire", "fail")
#: OpenAI's limit on a batch input file
MAX_FILE_BYTES = 200 * 1024 * 1024
Responder = Callable[[dict[str, Any], str], str]


@dataclass
class BatchPlan:
    """What the next batches do (see the module docstring)."""

    plan: list[str] = field(default_factory=list)
    hold: bool = False
    polls: int = 0
    partial_every: int = 3
    expire_share: float = 0.5

    def update(self, body: dict[str, Any]) -> None:
        plan = [str(m) for m in body.get("plan", self.plan)]
        bad = [m for m in plan if m not in BATCH_MODES]
        if bad:
            raise ValueError(f"unknown batch modes {bad}; expected {BATCH_MODES}")
        self.plan = plan
        self.hold = bool(body.get("hold", self.hold))
        self.polls = int(body.get("polls", self.polls))
        self.partial_every = max(1, int(body.get("partial_every", self.partial_every)))
        self.expire_share = float(body.get("expire_share", self.expire_share))


@dataclass
class _Batch:
    id: str
    api: str
    mode: str
    lines: list[bytes]
    created: int
    input_file_id: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    status: str = "in_progress"
    ended_at: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None
    results: bytes = b""
    cancelled: bool = False


@dataclass
class FakeBatches:
    """Files, batches and counters of one fake server (guarded by a lock)."""

    responder: Responder
    plan: BatchPlan = field(default_factory=BatchPlan)
    files: dict[str, tuple[str, str, bytes, int]] = field(default_factory=dict)
    batches: dict[str, _Batch] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_mode(self) -> str:
        with self._lock:
            return self.plan.plan.pop(0) if self.plan.plan else "ok"

    def add_file(self, name: str, purpose: str, data: bytes) -> str:
        file_id = f"file-{uuid.uuid4().hex[:24]}"
        with self._lock:
            self.files[file_id] = (name, purpose, data, int(time.time()))
        return file_id

    def stats(self) -> dict[str, Any]:
        with self._lock:
            by_status = Counter(b.status for b in self.batches.values())
            return {"counters": dict(self.counters), "batches": len(self.batches),
                    "by_status": dict(by_status), "files": len(self.files),
                    "plan": list(self.plan.plan), "hold": self.plan.hold}

    # -- processing ---------------------------------------------------------------------
    def _answer(self, api: str, obj: dict[str, Any]) -> dict[str, Any]:
        """The success body for one request line, from the responder and envelopes."""
        body = obj.get("body") if api == "openai" else obj.get("params")
        body = body if isinstance(body, dict) else {}
        text = self.responder(body, api)
        if api == "anthropic":
            text = strip_prefill(body, text)
        return envelope(api, body, text)

    def _outcome(self, batch: _Batch, index: int) -> str:
        n = len(batch.lines)
        if batch.mode == "fail":
            return "failed"
        if batch.mode == "partial" and index % self.plan.partial_every == \
                self.plan.partial_every - 1:
            return "failed"
        if (batch.mode == "expire" and index >= int(n * self.plan.expire_share)) \
                or batch.cancelled:
            return "expired"
        return "ok"

    def finish(self, batch: _Batch) -> None:
        """Run every request of an ending batch and store its results."""
        ok_lines: list[bytes] = []
        err_lines: list[bytes] = []
        counts: Counter[str] = Counter()
        for index, line in enumerate(batch.lines):
            outcome = self._outcome(batch, index)
            obj = json.loads(line)
            custom_id = str(obj.get("custom_id"))
            if outcome == "ok":
                ok_lines.append(_success_line(batch.api, custom_id,
                                              self._answer(batch.api, obj)))
                counts["ok"] += 1
            else:
                err_lines.append(_error_line(batch.api, custom_id, outcome))
                counts[outcome] += 1
        batch.lines = []
        batch.ended_at = int(time.time())
        batch.counts = dict(counts)
        if batch.api == "openai":
            batch.status = "cancelled" if batch.cancelled else (
                "expired" if batch.mode == "expire" else "completed")
            if ok_lines:
                batch.output_file_id = self.add_file(f"{batch.id}_output.jsonl",
                                                     "batch_output", b"".join(ok_lines))
            if err_lines:
                batch.error_file_id = self.add_file(f"{batch.id}_error.jsonl",
                                                    "batch_output", b"".join(err_lines))
        else:
            batch.status = "ended"
            batch.results = b"".join(ok_lines + err_lines)

    async def poll(self, batch: _Batch) -> None:
        """One retrieve: count it, and end the batch when its time has come."""
        with self._lock:
            self.counters["retrieve"] += 1
            batch.polls += 1
            due = not self.plan.hold and batch.polls > self.plan.polls
            running = batch.ended_at is None and batch.status != "failed"
        if due and running:
            await asyncio.get_running_loop().run_in_executor(None, self.finish, batch)


def _success_line(api: str, custom_id: str, body: dict[str, Any]) -> bytes:
    if api == "openai":
        obj: dict[str, Any] = {
            "id": f"batch_req_{uuid.uuid4().hex[:20]}", "custom_id": custom_id,
            "response": {"status_code": 200, "request_id": uuid.uuid4().hex, "body": body},
            "error": None}
    else:
        obj = {"custom_id": custom_id, "result": {"type": "succeeded", "message": body}}
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def _error_line(api: str, custom_id: str, outcome: str) -> bytes:
    if api == "openai":
        if outcome == "expired":
            obj: dict[str, Any] = {
                "id": f"batch_req_{uuid.uuid4().hex[:20]}", "custom_id": custom_id,
                "response": None, "error": {"code": "batch_expired", "message": "This request "
                                            "could not be executed before the completion "
                                            "window expired."}}
        else:
            obj = {"id": f"batch_req_{uuid.uuid4().hex[:20]}", "custom_id": custom_id,
                   "response": {"status_code": 500, "request_id": uuid.uuid4().hex,
                                "body": {"error": {"message": "injected batch fault",
                                                   "type": "server_error", "code": None}}},
                   "error": None}
    elif outcome == "expired":
        obj = {"custom_id": custom_id, "result": {"type": "expired"}}
    else:
        obj = {"custom_id": custom_id, "result": {"type": "errored", "error": {
            "type": "error", "error": {"type": "api_error", "message": "injected batch fault"}}}}
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


# -- wire shapes -------------------------------------------------------------------------
def _openai_batch(b: _Batch) -> dict[str, Any]:
    n = b.counts.get("ok", 0) + b.counts.get("failed", 0) + b.counts.get("expired", 0)
    failed = b.status == "failed"
    return {
        "id": b.id, "object": "batch", "endpoint": "/v1/chat/completions",
        "errors": {"object": "list", "data": [{"code": "invalid_request", "line": 1,
                                               "message": "injected validation failure"}]}
        if failed else None,
        "input_file_id": b.input_file_id, "completion_window": "24h", "status": b.status,
        "output_file_id": b.output_file_id, "error_file_id": b.error_file_id,
        "created_at": b.created, "in_progress_at": b.created, "expires_at": b.created + 86400,
        "completed_at": b.ended_at if b.status == "completed" else None,
        "expired_at": b.ended_at if b.status == "expired" else None,
        "failed_at": b.created if failed else None,
        "cancelled_at": b.ended_at if b.status == "cancelled" else None,
        "request_counts": {"total": n or len(b.lines), "completed": b.counts.get("ok", 0),
                           "failed": b.counts.get("failed", 0) + b.counts.get("expired", 0)},
        "metadata": b.metadata,
    }


def _iso(ts: int | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _anthropic_batch(b: _Batch, origin: str) -> dict[str, Any]:
    ended = b.status == "ended"
    return {
        "id": b.id, "type": "message_batch",
        "processing_status": "ended" if ended else ("canceling" if b.cancelled
                                                    else "in_progress"),
        "request_counts": {
            "processing": 0 if ended else len(b.lines), "succeeded": b.counts.get("ok", 0),
            "errored": b.counts.get("failed", 0), "expired": b.counts.get("expired", 0),
            "canceled": 0},
        "created_at": _iso(b.created), "expires_at": _iso(b.created + 86400),
        "ended_at": _iso(b.ended_at), "archived_at": None, "cancel_initiated_at": None,
        "results_url": f"{origin}/v1/messages/batches/{b.id}/results" if ended else None,
    }


def _file_object(file_id: str, entry: tuple[str, str, bytes, int]) -> dict[str, Any]:
    name, purpose, data, created = entry
    return {"id": file_id, "object": "file", "bytes": len(data), "created_at": created,
            "filename": name, "purpose": purpose, "status": "processed"}


# -- handlers ------------------------------------------------------------------------------
BATCHES_KEY: web.AppKey[FakeBatches] = web.AppKey("batches", FakeBatches)
_STATE_KEY: web.AppKey[ServerState] = web.AppKey("batch_server_state", ServerState)


def _authorized(request: web.Request, api: str) -> bool:
    key = request.app[_STATE_KEY].api_key
    if key is None:
        return True
    # Anthropic SDKs send x-api-key, newer ones a bearer token: both are the key
    bearer = request.headers.get("Authorization") == f"Bearer {key}"
    return bearer or (api == "anthropic" and request.headers.get("x-api-key") == key)


def _guard(api: str) -> Callable[[Any], Any]:
    def wrap(handler: Any) -> Any:
        async def run(request: web.Request) -> web.StreamResponse:
            if not _authorized(request, api):
                return error_response(api, 401, "invalid api key")
            return await handler(request, request.app[BATCHES_KEY])
        return run
    return wrap


async def _read_file_part(part: BodyPartReader) -> bytes:
    """The part in chunks: the app's client_max_size (32 MB) is for JSON bodies, and batch
    files may be up to :data:`MAX_FILE_BYTES`, as at OpenAI."""
    chunks = []
    size = 0
    while chunk := await part.read_chunk(1 << 20):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            break
    return b"".join(chunks)


@_guard("openai")
async def _upload(request: web.Request, fake: FakeBatches) -> web.Response:
    reader = await request.multipart()
    purpose, name, data = "", "upload.jsonl", b""
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "purpose":
            purpose = (await part.read()).decode()
        elif part.name == "file":
            name = part.filename or name
            data = await _read_file_part(part)
            if len(data) > MAX_FILE_BYTES:
                return error_response("openai", 413, "file exceeds the 200 MB batch limit")
    if purpose != "batch":
        return error_response("openai", 400, f"purpose must be 'batch', got {purpose!r}")
    file_id = fake.add_file(name, purpose, data)
    fake.counters["files_create"] += 1
    return web.json_response(_file_object(file_id, fake.files[file_id]))


def _file(request: web.Request, fake: FakeBatches) -> tuple[str, Any]:
    file_id = request.match_info["file_id"]
    return file_id, fake.files.get(file_id)


@_guard("openai")
async def _file_get(request: web.Request, fake: FakeBatches) -> web.Response:
    file_id, entry = _file(request, fake)
    if entry is None:
        return error_response("openai", 404, f"no file {file_id}")
    return web.json_response(_file_object(file_id, entry))


@_guard("openai")
async def _file_content(request: web.Request, fake: FakeBatches) -> web.Response:
    file_id, entry = _file(request, fake)
    if entry is None:
        return error_response("openai", 404, f"no file {file_id}")
    fake.counters["files_content"] += 1
    return web.Response(body=entry[2], content_type="application/octet-stream")


@_guard("openai")
async def _openai_create(request: web.Request, fake: FakeBatches) -> web.Response:
    body = await request.json()
    entry = fake.files.get(str(body.get("input_file_id")))
    if entry is None:
        return error_response("openai", 400, "input_file_id is not an uploaded file")
    mode = fake.next_mode()
    batch = _Batch(id=f"batch_{uuid.uuid4().hex[:24]}", api="openai", mode=mode,
                   lines=[ln for ln in entry[2].splitlines() if ln.strip()],
                   created=int(time.time()), input_file_id=str(body["input_file_id"]),
                   metadata=dict(body.get("metadata") or {}))
    if mode == "fail":
        batch.status, batch.lines = "failed", []
    fake.batches[batch.id] = batch
    fake.counters["batches_create"] += 1
    return web.json_response(_openai_batch(batch))


def _shape(api: str, batch: _Batch, request: web.Request) -> dict[str, Any]:
    return _openai_batch(batch) if api == "openai" else _anthropic_batch(batch, _origin(request))


def _cancel(batch: _Batch) -> None:
    batch.cancelled = True
    if batch.api == "openai" and batch.ended_at is None:
        batch.status = "cancelling"


def _batch_handler(api: str, *, cancel: bool) -> Any:
    """``GET .../{batch_id}`` (a poll) or ``POST .../{batch_id}/cancel`` of ``api``."""

    @_guard(api)
    async def handler(request: web.Request, fake: FakeBatches) -> web.Response:
        batch = fake.batches.get(request.match_info["batch_id"])
        if batch is None or batch.api != api:
            return error_response(api, 404, "no such batch")
        if cancel:
            _cancel(batch)
        else:
            await fake.poll(batch)
        return web.json_response(_shape(api, batch, request))

    return handler


def _list_handler(api: str) -> Any:
    """``GET /v1/batches`` or ``/v1/messages/batches``: newest first, ``limit`` of them."""

    @_guard(api)
    async def handler(request: web.Request, fake: FakeBatches) -> web.Response:
        limit = int(request.query.get("limit", "20"))
        data = [_shape(api, b, request) for b in reversed(list(fake.batches.values()))
                if b.api == api][:limit]
        body: dict[str, Any] = {"data": data, "has_more": False,
                                "first_id": data[0]["id"] if data else None,
                                "last_id": data[-1]["id"] if data else None}
        return web.json_response({"object": "list", **body} if api == "openai" else body)

    return handler


@_guard("anthropic")
async def _anthropic_create(request: web.Request, fake: FakeBatches) -> web.Response:
    body = json.loads(await request.content.read())  # may exceed client_max_size: stream
    requests = body.get("requests") or []
    if not requests:
        return error_response("anthropic", 400, "requests: at least one request is required")
    mode = fake.next_mode()
    lines = [json.dumps(r, separators=(",", ":")).encode() for r in requests]
    batch = _Batch(id=f"msgbatch_{uuid.uuid4().hex[:24]}", api="anthropic", mode=mode,
                   lines=lines, created=int(time.time()))
    fake.batches[batch.id] = batch
    fake.counters["batches_create"] += 1
    return web.json_response(_anthropic_batch(batch, _origin(request)))


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


@_guard("anthropic")
async def _anthropic_results(request: web.Request, fake: FakeBatches) -> web.Response:
    batch = fake.batches.get(request.match_info["batch_id"])
    if batch is None or batch.api != "anthropic" or batch.status != "ended":
        return error_response("anthropic", 404, "no results for this batch (not ended?)")
    fake.counters["results"] += 1
    return web.Response(body=batch.results, content_type="application/binary")


async def _control(request: web.Request) -> web.Response:
    fake = request.app[BATCHES_KEY]
    try:
        fake.plan.update(await request.json())
    except (ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(fake.stats())


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[BATCHES_KEY].stats())


def register_batch_routes(app: web.Application, state: ServerState,
                          responder: Responder) -> FakeBatches:
    """Add the batch routes to the fake server's app (called by its ``build_app``)."""
    fake = FakeBatches(responder=responder)
    app[BATCHES_KEY] = fake
    app[_STATE_KEY] = state
    r = app.router
    r.add_post("/v1/files", _upload)
    r.add_get("/v1/files/{file_id}", _file_get)
    r.add_get("/v1/files/{file_id}/content", _file_content)
    r.add_post("/v1/batches", _openai_create)
    r.add_post("/v1/messages/batches", _anthropic_create)
    r.add_get("/v1/messages/batches/{batch_id}/results", _anthropic_results)
    for api, prefix in (("openai", "/v1/batches"), ("anthropic", "/v1/messages/batches")):
        r.add_get(prefix, _list_handler(api))
        r.add_get(prefix + "/{batch_id}", _batch_handler(api, cancel=False))
        r.add_post(prefix + "/{batch_id}/cancel", _batch_handler(api, cancel=True))
    r.add_post("/_batch/control", _control)
    r.add_get("/_batch/stats", _stats)
    return fake
