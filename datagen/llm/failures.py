"""The one place where SDK / HTTP exceptions become retry decisions and typed errors.

Both official SDKs raise the same family of exceptions (``APIStatusError`` with a
``status_code`` and the ``response``, ``APITimeoutError``, ``APIConnectionError``,
``APIResponseValidationError``). :func:`classify` turns any of them into a :class:`Failure`
(retryable or not, the server's ``Retry-After``); :func:`backend_error` turns the last one
into a :class:`~datagen.errors.BackendError` whose message is one line with the status,
backend and model, and never the API key.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from datagen.errors import BackendError

__all__ = ["Failure", "MalformedResponseError", "backend_error", "classify", "parse_retry_after"]

#: HTTP statuses worth another attempt: rate limits, timeouts, server errors, overload.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
_MESSAGE_LIMIT = 240


class MalformedResponseError(Exception):
    """The server answered 2xx but the body was not the expected JSON shape (retryable)."""


@dataclass(frozen=True)
class Failure:
    retryable: bool
    kind: str  # "http", "timeout", "connection", "malformed", "other"
    status: int | None = None
    retry_after: float | None = None
    detail: str = ""

    @property
    def rejects_form(self) -> bool:
        """A 5xx whose message names ``response_format``: the server refuses the
        structured-output form (llama-cpp-python answers ``json_schema`` with HTTP 500), it is
        not overloaded. The form steps down; the concurrency limit does not."""
        return self.status is not None and self.status >= 500 \
            and "response_format" in self.detail


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _response_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
    return str(getattr(exc, "message", "") or exc)


def _sdk_classes(name: str) -> tuple[type[BaseException], ...]:
    """``name`` from every loaded SDK (an SDK's exception implies its module is loaded;
    importing an SDK only to compare would cost seconds)."""
    found = []
    for module_name in ("openai", "anthropic"):
        module = sys.modules.get(module_name)
        cls = getattr(module, name, None) if module is not None else None
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def _os_error_cause(exc: BaseException) -> OSError | None:
    """The OSError (refused, reset, unreachable) under an SDK error, if any."""
    seen = 0
    cause = exc.__cause__ or exc.__context__
    while cause is not None and seen < 8:
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return cause
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return None


def classify(exc: BaseException) -> Failure:
    """Decide whether ``exc`` (from either SDK, or ours) is worth retrying, and after when."""
    if isinstance(exc, MalformedResponseError | json.JSONDecodeError):
        return Failure(True, "malformed", detail=str(exc))
    if isinstance(exc, _sdk_classes("APIResponseValidationError")):
        return Failure(True, "malformed", status=getattr(exc, "status_code", None),
                       detail=str(exc))
    if isinstance(exc, _sdk_classes("APIStatusError")):
        status = int(getattr(exc, "status_code", 0))
        headers = exc.response.headers  # type: ignore[attr-defined]
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is None and headers.get("retry-after-ms"):
            retry_after = (parse_retry_after(headers.get("retry-after-ms")) or 0.0) / 1000.0
        return Failure(
            status in RETRYABLE_STATUSES, "http", status=status,
            retry_after=retry_after, detail=_response_message(exc),
        )
    if isinstance(exc, (*_sdk_classes("APIConnectionError"), TimeoutError)):
        refused = _os_error_cause(exc)
        if refused is not None:  # the aiohttp transport reports refusals as connect timeouts
            return Failure(True, "connection", detail=f"{type(refused).__name__}: {refused}")
        if isinstance(exc, (*_sdk_classes("APITimeoutError"), TimeoutError)):
            return Failure(True, "timeout", detail="request timed out")
        return Failure(True, "connection", detail="connection error")
    return Failure(False, "other", detail=f"{type(exc).__name__}: {exc}")


_STATUS_TEXT = {
    400: "bad request", 401: "authentication failed", 403: "permission denied",
    404: "not found (check the model name and base URL)", 413: "request too large",
    422: "unprocessable request", 429: "rate limited",
}


def backend_error(
    exc: BaseException, *, backend: str, model: str, attempts: int, secrets: tuple[str, ...] = ()
) -> BackendError:
    """One-line BackendError for the final failure; every secret is scrubbed from the text."""
    failure = classify(exc)
    if failure.status is not None:
        what = f"HTTP {failure.status} {_STATUS_TEXT.get(failure.status, 'server error')}"
    else:
        what = {"timeout": "timed out", "connection": "could not connect",
                "malformed": "malformed response"}.get(failure.kind, "failed")
    detail = " ".join(failure.detail.split())
    for secret in secrets:
        if secret:
            detail = detail.replace(secret, "***")
    if len(detail) > _MESSAGE_LIMIT:
        detail = detail[: _MESSAGE_LIMIT - 3] + "..."
    tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    msg = f"{backend} backend, model {model}: {what} {tries}" + (f": {detail}" if detail else "")
    err = BackendError(msg)
    err.status = failure.status  # type: ignore[attr-defined]
    err.attempts = attempts  # type: ignore[attr-defined]
    return err
