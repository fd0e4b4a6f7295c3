"""Where provider batch jobs are remembered, so a killed command resumes instead of re-paying.

A SQLite file (WAL, one committed transaction per change, like the response cache) holds:

* ``batches``: every batch this job submitted, with its provider id, the local token sent as
  metadata, its state (``submitting`` -> ``submitted`` -> ``collected``) and request count;
* ``requests``: which batch each request (custom id = its cache key) went out in and how
  many times it has been tried, with the last error.

The ``submitting`` row is written *before* the provider is asked to create the batch, and the
provider's id is written the moment it answers, so a SIGKILL leaves either no batch, or a
batch the store knows (by id, or by the token when the provider keeps metadata). Answers
themselves go to the :class:`~datagen.llm.cache.ResponseCache`, never here.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BatchRecord", "BatchStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    token TEXT PRIMARY KEY,
    batch_id TEXT,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    state TEXT NOT NULL,
    n_requests INTEGER NOT NULL,
    created REAL NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS requests (
    custom_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    tries INTEGER NOT NULL,
    state TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True)
class BatchRecord:
    token: str
    batch_id: str | None
    provider: str
    model: str
    state: str  # submitting | submitted | collected
    n_requests: int
    created: float
    detail: str = ""


class BatchStore:
    """Batch ids and request attempts of one tagging job (thread-safe, crash-safe)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def _run(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def begin(self, token: str, provider: str, model: str, custom_ids: Sequence[str]) -> None:
        """Record a batch about to be created, with its requests (one transaction)."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO batches (token, batch_id, provider, model, state, n_requests, "
                "created) VALUES (?, NULL, ?, ?, 'submitting', ?, ?)",
                (token, provider, model, len(custom_ids), time.time()))
            self._db.executemany(
                "INSERT INTO requests (custom_id, token, tries, state) VALUES (?, ?, 1, "
                "'submitted') ON CONFLICT(custom_id) DO UPDATE SET token = excluded.token, "
                "tries = tries + 1, state = 'submitted'",
                [(cid, token) for cid in custom_ids])
            self._db.execute("COMMIT")

    def submitted(self, token: str, batch_id: str) -> None:
        self._run("UPDATE batches SET batch_id = ?, state = 'submitted' WHERE token = ?",
                  (batch_id, token))

    def abandon(self, token: str, detail: str) -> None:
        """The provider never created the batch: its requests may go out again."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("UPDATE batches SET state = 'collected', detail = ? WHERE token = ?",
                             (detail, token))
            self._db.execute("UPDATE requests SET state = 'failed', tries = tries - 1, "
                             "error = ? WHERE token = ?", (detail, token))
            self._db.execute("COMMIT")

    def collected(self, token: str, detail: str, failures: Iterable[tuple[str, str]]) -> None:
        """The batch's results are in the cache; ``failures`` = (custom id, error) to retry."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("UPDATE requests SET state = 'done' WHERE token = ?", (token,))
            self._db.executemany(
                "UPDATE requests SET state = 'failed', error = ? WHERE custom_id = ?",
                [(err, cid) for cid, err in failures])
            self._db.execute("UPDATE batches SET state = 'collected', detail = ? WHERE token = ?",
                             (detail, token))
            self._db.execute("COMMIT")

    def open_batches(self) -> list[BatchRecord]:
        """Batches not collected yet (submitting ones included), oldest first."""
        rows = self._run("SELECT token, batch_id, provider, model, state, n_requests, created, "
                         "detail FROM batches WHERE state != 'collected' ORDER BY created")
        return [BatchRecord(*r) for r in rows]  # type: ignore[arg-type]

    def all_batches(self) -> list[BatchRecord]:
        rows = self._run("SELECT token, batch_id, provider, model, state, n_requests, created, "
                         "detail FROM batches ORDER BY created")
        return [BatchRecord(*r) for r in rows]  # type: ignore[arg-type]

    def requests_of(self, token: str) -> list[str]:
        return [str(r[0]) for r in self._run(
            "SELECT custom_id FROM requests WHERE token = ? ORDER BY custom_id", (token,))]

    def tries(self) -> dict[str, tuple[int, str, str]]:
        """custom id -> (tries, state, last error) for every request ever submitted."""
        return {str(c): (int(t), str(s), str(e))  # type: ignore[call-overload]
                for c, t, s, e in self._run("SELECT custom_id, tries, state, error FROM requests")}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> BatchStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
