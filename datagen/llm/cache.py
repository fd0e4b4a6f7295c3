"""Content-addressed response cache in SQLite: a rerun of the same plan makes zero calls.

The key is the sha256 of the canonical JSON of (backend name, model, the full request:
messages, temperature, max_tokens, seed, json_mode, and the response schema when set). The
base URL is deliberately not part of it, so the same model served from another host reuses
its answers. Each ``put`` / ``put_many`` is a committed transaction in WAL mode, so a
process killed with SIGKILL loses at most what it was writing and never corrupts the file.
:class:`CachedBackend` writes from a background thread (the event loop never waits on
SQLite) and reads the stored keys once, so a miss costs no query. Several processes may
share one file (a backend does not see answers another process stores while it runs).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from datagen.llm.types import ChatBackend, ChatRequest, ChatResult
from datagen.llm.usage import UsageMeter

__all__ = ["CachedBackend", "ResponseCache", "cache_key"]

KEY_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    created REAL NOT NULL,
    result TEXT NOT NULL
)
"""
#: small facts about servers learnt once (e.g. the structured-output mode a probe chose)
_NOTES = """
CREATE TABLE IF NOT EXISTS notes (
    key TEXT PRIMARY KEY,
    created REAL NOT NULL,
    value TEXT NOT NULL
)
"""


def _request_data(request: ChatRequest) -> dict[str, object]:
    """``request.model_dump(mode="json", by_alias=True)``, built by hand (a fifth of the
    cost: this runs once per call), minus ``response_schema`` when it is None, so keys of
    schema-less requests stay what they were before schemas existed."""
    data: dict[str, object] = {
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "temperature": request.temperature, "max_tokens": request.max_tokens,
        "seed": request.seed, "json_mode": request.json_mode,
    }
    schema = request.response_schema
    if schema is not None:
        data["response_schema"] = {"name": schema.name, "schema": schema.schema_,
                                   "strict": schema.strict}
    return data


def cache_key(backend: str, model: str, request: ChatRequest) -> str:
    """sha256 hex of the canonical JSON of what determines a completion."""
    payload = {"v": KEY_VERSION, "backend": backend, "model": model,
               "request": _request_data(request)}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data, digest = canonical.encode("utf-8"), hashlib.sha256()
    # pieces under 2 KiB: hashlib releases the GIL for larger ones, and taking it back from
    # the run's other threads costs more than hashing a prompt
    for start in range(0, len(data), 2000):
        digest.update(data[start:start + 2000])
    return digest.hexdigest()


class ResponseCache:
    """A SQLite table of ChatResult JSON by key; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes
        self._db.execute(_SCHEMA)
        self._db.execute(_NOTES)
        #: writes go through their own connection: in WAL mode a reader never waits for a
        #: writer's commit, so lookups from the event loop do not queue behind a batch
        self._write_lock = threading.Lock()
        self._wdb = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0,
                                    isolation_level=None)
        self._wdb.execute("PRAGMA synchronous=NORMAL")

    def get(self, key: str) -> ChatResult | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM responses WHERE key = ?", (key,)).fetchone()
        return ChatResult.model_validate_json(row[0]) if row else None

    def put(self, key: str, result: ChatResult) -> None:
        """Store one answer, committed before this returns."""
        self.put_many([(key, result)])

    def put_many(self, items: list[tuple[str, ChatResult]]) -> None:
        """Store answers in one committed transaction (cheaper per answer than ``put``)."""
        now = time.time()
        rows = [(key, r.backend, r.model, now,
                 (r.model_copy(update={"cached": False}) if r.cached else r).model_dump_json())
                for key, r in items]
        with self._write_lock:
            self._wdb.execute("BEGIN")
            try:
                self._wdb.executemany(
                    "INSERT OR REPLACE INTO responses (key, backend, model, created, result) "
                    "VALUES (?, ?, ?, ?, ?)", rows)
            except BaseException:
                self._wdb.execute("ROLLBACK")
                raise
            self._wdb.execute("COMMIT")

    def note(self, key: str) -> str | None:
        """A remembered fact (see :meth:`remember`), or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM notes WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def remember(self, key: str, value: str) -> None:
        """Keep a small fact beside the answers, e.g. a server's structured-output mode, so a
        rerun from the cache does not probe again."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO notes (key, created, value) "
                             "VALUES (?, ?, ?)", (key, time.time(), value))

    def keys(self) -> set[str]:
        """Every stored key (CachedBackend answers misses from this set, without a query)."""
        with self._lock:
            return {str(row[0]) for row in self._db.execute("SELECT key FROM responses")}

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def __contains__(self, key: object) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone()
        return row is not None

    def close(self) -> None:
        with self._write_lock:
            self._wdb.close()
        with self._lock:
            self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: seconds between two batches of the cache writer
_BATCH_WAIT = 0.05


class _Writer:
    """Stores answers from a background thread, so the event loop never waits on SQLite.

    The thread wakes every :data:`_BATCH_WAIT` seconds and writes what was queued in one
    transaction; queuing only appends to a list, so it never wakes the thread (a woken
    thread would take the GIL from the event loop). Answers queued but not yet written are
    served from memory; ``close`` writes the rest. A process killed with SIGKILL loses the
    answers of the last ~50 ms at most (their entries were not finished either, so a resume
    asks for them again).
    """

    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache
        self.pending: dict[str, ChatResult] = {}
        self._queued: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, key: str, result: ChatResult) -> None:
        with self._lock:
            self.pending[key] = result
            self._queued.append(key)
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name="llm-cache-writer")
            self._thread.start()

    def get(self, key: str) -> ChatResult | None:
        with self._lock:
            return self.pending.get(key)

    def _write(self) -> None:
        with self._lock:
            keys, self._queued = self._queued, []
            items = [(k, self.pending[k]) for k in keys if k in self.pending]
        if not items:
            return
        self.cache.put_many(items)
        with self._lock:
            for k, r in items:
                if self.pending.get(k) is r:
                    del self.pending[k]

    def _run(self) -> None:
        while not self._stop.wait(_BATCH_WAIT):
            self._write()
        self._write()

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None


class CachedBackend:
    """Wraps a backend: answers from the cache when it can, else calls and stores.

    Identical requests in flight at the same time share one call. Failures are not cached.
    Answers are stored by a background thread (:class:`_Writer`); :meth:`aclose` (or
    :meth:`flush`) waits for every answer to be written.
    """

    def __init__(
        self, backend: ChatBackend, cache: ResponseCache, *, meter: UsageMeter | None = None
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.name = backend.name
        self.model = backend.model
        self.is_llm = backend.is_llm
        inner_meter = getattr(backend, "meter", None)
        self.meter = meter if meter is not None else inner_meter or UsageMeter()
        self._pending: dict[str, asyncio.Future[ChatResult]] = {}
        self._writer = _Writer(cache)
        #: keys stored when the backend was made, plus its own answers: a miss costs no
        #: query (answers another process stores meanwhile are not seen by this one)
        self._known: set[str] | None = None

    def key(self, request: ChatRequest) -> str:
        return cache_key(self.name, self.model, request)

    async def chat(self, request: ChatRequest) -> ChatResult:
        key = self.key(request)
        if self._known is None:
            self._known = self.cache.keys()
        hit = self._writer.get(key) or (self.cache.get(key) if key in self._known else None)
        if hit is not None:
            hit = hit.model_copy(update={"cached": True})
            self.meter.record_cache_hit(hit)
            return hit
        pending = self._pending.get(key)
        if pending is not None and pending.get_loop() is asyncio.get_running_loop():
            shared = (await asyncio.shield(pending)).model_copy(update={"cached": True})
            self.meter.record_cache_hit(shared)
            return shared
        future: asyncio.Future[ChatResult] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            result = await self.backend.chat(request)
        except BaseException as exc:
            if future.done():
                pass
            elif isinstance(exc, Exception):
                future.set_exception(exc)
                future.exception()  # mark retrieved: waiters re-raise it themselves
            else:
                future.cancel()
            raise
        finally:
            if self._pending.get(key) is future:
                del self._pending[key]
        self._writer.put(key, result)
        self._known.add(key)
        future.set_result(result)
        return result

    def flush(self) -> None:
        """Write every answer still queued (blocks until they are committed)."""
        self._writer.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.flush)
        await self.backend.aclose()
