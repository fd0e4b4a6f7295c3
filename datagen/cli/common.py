"""Shared CLI plumbing: the console, error printing, default paths."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from datagen.errors import DatagenError

__all__ = [
    "LLMProgress",
    "console",
    "err_console",
    "fail",
    "progress_line",
    "run_app",
    "usage_progress",
    "usage_text",
]

console = Console()
err_console = Console(stderr=True)


def fail(exc: DatagenError) -> typer.Exit:
    """Print a user error on one line and return the exit to raise (status 2)."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


class _WarningLine(logging.Handler):
    """Library warnings (``logging.getLogger("datagen...")``) as one yellow line on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        err_console.print(f"[bold yellow]warning:[/] {record.getMessage()}", highlight=False,
                          soft_wrap=True)


def run_app(app: typer.Typer) -> int:
    """Run the app, turning :class:`DatagenError` into a one-line message and status 2."""
    log = logging.getLogger("datagen")
    if not log.handlers:
        log.addHandler(_WarningLine(logging.WARNING))
        log.propagate = False
    try:
        result = app(standalone_mode=False)
        if isinstance(result, int):  # click returns typer.Exit's code instead of raising
            return result
    except DatagenError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click's own usage errors
        return int(exc.code or 0)
    except typer.exceptions.TyperException as exc:  # usage errors, no arguments -> help
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        return int(getattr(exc, "exit_code", 2))
    return 0


def default_runs_dir() -> Path:
    return Path("runs")


def usage_text(usage: dict[str, Any] | None) -> str:
    """Tokens, cost, cache hits, retries, timeouts and the current concurrency of a
    :class:`~datagen.llm.UsageMeter` snapshot, short."""
    if not usage:
        return ""
    tokens = int(usage["input_tokens"]) + int(usage["output_tokens"])
    text = (f"{tokens:,} tok ${float(usage['cost_usd']):.4f} cache hits {usage['cache_hits']}"
            f" retries {usage.get('retries', 0)} timeouts {usage.get('timeouts', 0)}")
    limits = usage.get("concurrency") or []
    if limits:
        text += " conc " + ",".join(f"{c['limit']}/{c['ceiling']}" for c in limits)
    return text


def usage_progress(label: str, *, enabled: bool) -> Any:
    """The rich progress bar of LLM-driven commands: count, rate, elapsed, ETA, usage.

    Tasks carry two fields: ``rate`` (items per second) and ``usage`` (:func:`usage_text`).
    Use it through :class:`LLMProgress`, which falls back to log lines without a terminal.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]:>7.1f}/s"), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(),
                    TextColumn("{task.fields[usage]}"), console=err_console,
                    disable=not enabled)


def progress_line(label: str, done: int, total: int, elapsed: float,
                  usage: dict[str, Any] | None) -> str:
    """One log line of progress: done/total, rate, calls, retries, timeouts, concurrency."""
    if not total and not done:
        return f"{label}: starting (checking the backend, loading inputs) | elapsed {elapsed:.0f}s"
    rate = done / elapsed if elapsed > 0 else 0.0
    share = f" ({done / total:.0%})" if total else ""
    parts = [f"{label}: {done:,}/{total:,}{share}", f"{rate:.1f}/s"]
    if usage:
        parts.append(f"calls {usage['calls']:,} cache hits {usage['cache_hits']:,} "
                     f"retries {usage['retries']:,} timeouts {usage.get('timeouts', 0):,} "
                     f"throttled {usage.get('throttled', 0):,} "
                     f"server errors {usage.get('server_errors', 0):,} "
                     f"failures {usage['failures']:,}")
        limits = usage.get("concurrency") or []
        if limits:
            parts.append("concurrency " + ", ".join(
                f"{c['limit']}/{c['ceiling']} ({c['model']})" for c in limits))
    eta = (total - done) / rate if rate > 0 and total > done else None
    parts.append(f"elapsed {elapsed:.0f}s" + (f" ETA {eta:.0f}s" if eta is not None else ""))
    return " | ".join(parts)


class LLMProgress:
    """The one progress display of LLM-driven commands (synthesize, tags llm, predict).

    On a terminal it is a rich bar; when stderr is not a terminal (output redirected, CI,
    nohup) it writes :func:`progress_line` to stderr every ``every`` seconds from a
    background thread, so a run whose requests are all timing out still says so, and once
    more at the end. ``meter`` (a :class:`~datagen.llm.UsageMeter`) is read live; callers
    only report ``update(done, total)``.
    """

    def __init__(self, label: str, *, meter: Any = None, enabled: bool = True,
                 every: float = 5.0) -> None:
        import threading

        self.label, self.meter, self.enabled, self.every = label, meter, enabled, every
        self.done = self.total = 0
        self.lines = enabled and not err_console.is_terminal
        self._bar = usage_progress(label, enabled=enabled and not self.lines)
        self._task: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def _usage(self) -> dict[str, Any] | None:
        return self.meter.snapshot() if self.meter is not None else None

    def update(self, done: int, total: int, _usage: object = None) -> None:
        """Record progress (the signature of the runner's progress callback)."""
        self.done, self.total = done, total
        if self.lines or not self.enabled:
            return
        if self._task is None:
            self._task = self._bar.add_task(self.label, total=total, rate=0.0, usage="")
        elapsed = self._bar.tasks[self._task].elapsed or 1e-9
        self._bar.update(self._task, completed=done, total=total, rate=done / elapsed,
                         usage=usage_text(self._usage()))

    def _line(self) -> None:
        import sys
        import time

        text = progress_line(self.label, self.done, self.total,
                             time.monotonic() - self._started, self._usage())
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self._line()

    def __enter__(self) -> LLMProgress:
        import threading
        import time

        self._started = time.monotonic()
        if self.lines:
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name=f"progress-{self.label}")
            self._thread.start()
        else:
            self._bar.__enter__()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            if exc_type is None:  # a failed run ends with its error line alone
                self._line()
        else:
            self._bar.__exit__(None, None, None)
