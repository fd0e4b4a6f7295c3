"""Shared CLI plumbing: the console, error printing, default paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from datagen.errors import DatagenError

__all__ = ["console", "err_console", "fail", "run_app", "usage_progress", "usage_text"]

console = Console()
err_console = Console(stderr=True)


def fail(exc: DatagenError) -> typer.Exit:
    """Print a user error on one line and return the exit to raise (status 2)."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def run_app(app: typer.Typer) -> int:
    """Run the app, turning :class:`DatagenError` into a one-line message and status 2."""
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
    """Tokens, cost and cache hits of a :class:`~datagen.llm.UsageMeter` snapshot, short."""
    if not usage:
        return ""
    tokens = int(usage["input_tokens"]) + int(usage["output_tokens"])
    return f"{tokens:,} tok ${float(usage['cost_usd']):.4f} cache hits {usage['cache_hits']}"


def usage_progress(label: str, *, enabled: bool) -> Any:
    """The progress bar of LLM-driven commands: count, rate, elapsed, ETA, tokens and cost.

    Tasks carry two fields: ``rate`` (items per second) and ``usage`` (:func:`usage_text`).
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
