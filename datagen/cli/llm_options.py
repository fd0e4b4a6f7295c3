"""The options every LLM-driven command shares (synthesize, tags llm, predict), defined once.

Each is a typer option object used as a parameter default, so the name, the default and the
help text are the same in every command. :func:`backend_fields` maps them onto
:class:`~datagen.llm.BackendConfig` fields.
"""

from __future__ import annotations

from typing import Any

import typer

__all__ = [
    "CONCURRENCY",
    "MAX_TOKENS",
    "PROGRESS_EVERY",
    "RETRIES",
    "STRUCTURED_OUTPUT",
    "TIMEOUT",
    "backend_fields",
]

CONCURRENCY: Any = typer.Option(
    16, "--concurrency", min=1, max=1024,
    help="Most LLM requests in flight at once: the ceiling of the adaptive limit "
    "(timeouts, 429 and 5xx halve it, successes grow it back). A local server that answers "
    "one request at a time: 1.")
TIMEOUT: Any = typer.Option(
    60.0, "--timeout", min=0.01,
    help="Seconds per LLM request. Local models on CPU may need 300 or more. A timed-out "
    "request keeps its slot for another --timeout (the server may still be computing it) "
    "before its retry goes out.")
MAX_TOKENS: Any = typer.Option(
    1024, "--max-tokens", min=16, help="Output token budget of each request.")
RETRIES: Any = typer.Option(
    6, "--retries", "--max-retries", min=0,
    help="Retries per request after the first attempt (429, 5xx, timeouts, connection "
    "errors), with exponential backoff; a server's Retry-After is obeyed.")
STRUCTURED_OUTPUT: Any = typer.Option(
    "auto", "--structured-output",
    help="How answer schemas are sent: auto (probe the server once: json_schema, then "
    "json_object_schema, json_object, prompt; Anthropic: a forced tool call) or one of "
    "json_schema | json_object_schema | json_object | prompt | tool.")
PROGRESS_EVERY: Any = typer.Option(
    5.0, "--progress-every", min=0.1,
    help="Seconds between progress lines on stderr when it is not a terminal.")


def backend_fields(*, concurrency: int, timeout: float, retries: int,
                   structured_output: str) -> dict[str, Any]:
    """The :class:`~datagen.llm.BackendConfig` fields these options set."""
    return {"concurrency": concurrency, "timeout": timeout, "max_retries": retries,
            "structured_output": structured_output}
