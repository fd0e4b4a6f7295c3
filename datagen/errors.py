"""Typed errors shared by every stage.

Every error a user can cause with bad input is an :class:`InputError` whose ``str()`` is a
single line naming the file, the record (line number, row or id) and the field, so that the
CLI can print it as-is and a user can jump straight to the problem.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BackendError", "ConfigError", "DatagenError", "InputError", "RunAbortedError"]


class DatagenError(Exception):
    """Base class: the CLI prints ``str(err)`` on one line and exits with status 2."""


class InputError(DatagenError):
    """Bad user input: a missing file, a wrong column, a malformed row or value."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        record: str | int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.record = record
        self.field = field
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file)
        if self.record is not None:
            parts.append(f"record {self.record}" if not isinstance(self.record, int)
                         else f"line {self.record}")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        where = ": ".join(parts)
        text = f"{where}: {self.reason}" if where else self.reason
        return " ".join(text.split())  # always one line


class ConfigError(DatagenError):
    """Invalid configuration or command-line options."""


class BackendError(DatagenError):
    """An LLM / Argilla / Hub backend failed after retries (message never contains secrets)."""


class RunAbortedError(DatagenError):
    """A run stopped itself, e.g. because the failure rate crossed the configured limit."""
