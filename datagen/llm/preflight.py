"""Fail fast: check every backend of a run before any work is planned.

:func:`preflight` asks each SDK backend's server, within ``preflight_timeout`` and without
retries, three things: is it reachable, does it accept the key, does it serve the model. It
lists the models (``GET /models``) where the server has that route; when the route is
missing or the model is not listed (llama.cpp serves an alias, Anthropic lists dated ids),
a 1-token call settles it. Then it fixes each backend's structured-output mode (the probe of
:mod:`datagen.llm.structured`, once per server and model even when a run has two backends
on it). Any failure is one :class:`~datagen.errors.BackendError` line naming the URL, the
model and the cause, never the key; the report (mode, probe, models) goes into manifests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from datagen.errors import BackendError
from datagen.llm.config import KEY_ENV_VARS
from datagen.llm.failures import classify
from datagen.llm.retrying import RetryingBackend
from datagen.llm.structured import StructuredMode
from datagen.llm.types import ChatRequest, Message

__all__ = ["preflight", "sdk_backend"]

_log = logging.getLogger("datagen.llm")

_PING = ChatRequest(messages=(Message(role="user", content="Reply with OK."),),
                    temperature=0.0, max_tokens=1)


def sdk_backend(backend: Any) -> RetryingBackend | None:
    """The SDK backend under wrappers (cache, generator), or None (offline)."""
    seen = 0
    while backend is not None and seen < 8:
        if isinstance(backend, RetryingBackend):
            return backend
        backend = getattr(backend, "backend", None) or getattr(backend, "_backend", None)
        seen += 1
    return None


async def preflight(*backends: Any) -> list[dict[str, Any]]:
    """Check each distinct server/model once; return one report per SDK backend given."""
    reports: list[dict[str, Any]] = []
    done: dict[tuple[str, str, str], tuple[RetryingBackend, dict[str, Any]]] = {}
    for wrapped in backends:
        backend = sdk_backend(wrapped)
        if backend is None:
            continue
        key = (backend.name, backend.config.url, backend.model)
        if key in done:
            first, report = done[key]
            if backend.structured_mode is None:
                backend.structured_mode = first.structured_mode
                backend.probe_report = dict(first.probe_report)
            reports.append({**report, "structured_output": backend.structured_mode})
            continue
        report = await _check(backend, getattr(wrapped, "cache", None))
        done[key] = (backend, report)
        reports.append(report)
    return reports


async def _check(backend: RetryingBackend, cache: Any) -> dict[str, Any]:
    started = time.perf_counter()
    config = backend.config
    listed = await _listed_models(backend)
    if listed is None or config.model not in listed:
        await _ping(backend, listed)
    try:
        mode = await _structured_mode(backend, cache)
    except BackendError as exc:  # the probe's own call: same one-line form as the checks
        raise BackendError(f"preflight failed for {config.url} (model {config.model}, "
                           f"{backend.name} backend): the structured-output probe failed: "
                           f"{exc}") from None
    warning = None
    if listed and config.model not in listed:
        shown = ", ".join(listed[:8]) + (" ..." if len(listed) > 8 else "")
        warning = (f"{config.url} does not list model {config.model!r} (it lists {shown}) "
                   "but answered a call to it: many local servers answer any name with the "
                   "one model they load; check --model")
        _log.warning(warning)
    return {"backend": backend.name, "url": config.url, "model": config.model,
            "model_listed": listed is not None and config.model in listed,
            "warning": warning,
            "structured_output": mode.value, "probe": dict(backend.probe_report),
            "seconds": round(time.perf_counter() - started, 3)}


async def _structured_mode(backend: RetryingBackend, cache: Any) -> StructuredMode:
    """Probe once per server and model; a response cache remembers the outcome, so a rerun
    answered from the cache makes no call at all."""
    note_key = f"structured_output|{backend.name}|{backend.config.url}|{backend.model}"
    remembered = cache.note(note_key) if cache is not None and backend.structured_mode is None \
        else None
    if remembered is not None:
        data = json.loads(remembered)
        backend.structured_mode = StructuredMode(data["mode"])
        backend.probe_report = {**data["probe"], "remembered": "from the response cache"}
        return backend.structured_mode
    mode = await backend.ensure_structured_mode()
    if cache is not None and backend.probe_report:
        cache.remember(note_key, json.dumps({"mode": mode.value,
                                             "probe": backend.probe_report}))
    return mode


def _problem(backend: RetryingBackend, exc: BaseException, timeout: float) -> BackendError:
    """One line: URL, model, cause (the key is never part of it)."""
    config = backend.config
    where = f"{config.url} (model {config.model}, {backend.name} backend)"
    failure = classify(exc)
    if failure.status in (401, 403):
        cause = (f"the API key was not accepted (HTTP {failure.status}); check "
                 f"{KEY_ENV_VARS[config.kind]} or --api-key-file")
    elif failure.status == 404:
        cause = f"the server does not serve model {config.model!r} (HTTP 404)"
        if config.kind == "openai" and config.base_url \
                and not config.base_url.rstrip("/").endswith("/v1"):
            cause += "; OpenAI-compatible servers answer under /v1: try --base-url " \
                     f"{config.base_url.rstrip('/')}/v1"
    elif failure.kind == "timeout":
        cause = f"no answer within {timeout:g} s"
    elif failure.kind == "connection":
        cause = f"cannot connect ({failure.detail})"
    elif failure.status is not None:
        cause = f"HTTP {failure.status}: {' '.join(failure.detail.split())[:160]}"
    else:
        cause = failure.detail[:160]
    error = BackendError(f"preflight failed for {where}: {cause}")
    error.status = failure.status  # type: ignore[attr-defined]
    return error


async def _listed_models(backend: RetryingBackend) -> list[str] | None:
    """The served model ids, or None when the server has no models route."""
    timeout = backend.config.preflight_timeout
    client = backend._loop_state().client.with_options(timeout=timeout, max_retries=0)
    try:
        page = await asyncio.wait_for(_models_page(backend, client), timeout + 1)
    except Exception as exc:
        failure = classify(exc)
        if failure.status in (404, 405, 501):
            return None
        raise _problem(backend, exc, timeout) from None
    return [str(getattr(m, "id", "")) for m in getattr(page, "data", None) or []]


async def _models_page(backend: RetryingBackend, client: Any) -> Any:
    if backend.name == "anthropic":
        return await client.models.list(limit=1000)
    return await client.models.list()


async def _ping(backend: RetryingBackend, listed: list[str] | None) -> None:
    """A 1-token call: the model exists if the server answers it."""
    timeout = backend.config.preflight_timeout
    state = backend._loop_state()
    client = state.client.with_options(timeout=timeout, max_retries=0)
    try:
        await asyncio.wait_for(backend._call_once(client, _PING), timeout + 1)
    except Exception as exc:
        error = _problem(backend, exc, timeout)
        if getattr(error, "status", None) == 404 and listed:
            shown = ", ".join(listed[:8]) + (" ..." if len(listed) > 8 else "")
            error = BackendError(f"{error} (served: {shown})")
        raise error from None
