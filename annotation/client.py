"""Connecting to Argilla: one place that maps transport and auth failures to typed errors.

The SDK raises ``httpx`` connection errors, its own ``ArgillaCredentialsError`` and API errors
with status codes; callers of this package only ever see the one-line errors of
:mod:`annotation.errors`. Credentials come from arguments or, lazily, from the environment
variables the Argilla SDK documents (``ARGILLA_API_URL`` / ``ARGILLA_API_KEY``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from annotation.errors import ArgillaAuthError, ArgillaUnreachableError
from datagen.errors import BackendError, ConfigError

if TYPE_CHECKING:
    import argilla as rg

__all__ = ["ENV_API_KEY", "ENV_API_URL", "connect", "map_errors", "resolve_credentials"]

ENV_API_URL = "ARGILLA_API_URL"
ENV_API_KEY = "ARGILLA_API_KEY"
#: seconds an HTTP call may take (bulk upserts of 500 records take a few seconds here)
DEFAULT_TIMEOUT = 120

T = TypeVar("T")


def resolve_credentials(api_url: str | None, api_key: str | None) -> tuple[str, str]:
    """Arguments win over the environment; a missing value is a :class:`ConfigError`."""
    url = api_url or os.environ.get(ENV_API_URL, "")
    key = api_key or os.environ.get(ENV_API_KEY, "")
    if not url:
        raise ConfigError(f"no Argilla URL: pass --api-url or set {ENV_API_URL}")
    if not key:
        raise ConfigError(f"no Argilla API key: pass --api-key or set {ENV_API_KEY}")
    return url.rstrip("/"), key


def _translate(exc: BaseException, url: str) -> BaseException | None:
    """The typed error for an SDK / transport exception, or None if it is not one of ours."""
    import httpx
    from argilla._exceptions import ArgillaAPIError, ArgillaCredentialsError, ArgillaError

    if isinstance(exc, ArgillaCredentialsError):
        return ArgillaAuthError(f"Argilla at {url} rejected the API key (401); check {ENV_API_KEY}")
    if isinstance(exc, httpx.TransportError):
        kind = type(exc).__name__
        return ArgillaUnreachableError(
            f"cannot reach Argilla at {url} ({kind}); start one with `datagen annotate serve` "
            f"or set {ENV_API_URL}"
        )
    if isinstance(exc, ArgillaAPIError):
        if exc.status_code == 401:
            return ArgillaAuthError(f"Argilla at {url} rejected the API key (401)")
        detail = " ".join(str(exc).split())[:300]
        return BackendError(f"Argilla at {url} answered {exc.status_code}: {detail}")
    if isinstance(exc, ArgillaError):
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        return BackendError(f"Argilla SDK error: {' '.join(str(cause).split())[:300]}")
    return None


def map_errors(url: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` and re-raise SDK / transport failures as one-line typed errors."""
    try:
        return fn()
    except Exception as exc:
        mapped = _translate(exc, url)
        if mapped is None:
            raise
        raise mapped from exc


def connect(api_url: str | None = None, api_key: str | None = None,
            *, timeout: int = DEFAULT_TIMEOUT) -> rg.Argilla:
    """An authenticated SDK client; fails fast and clearly when unreachable or unauthorized."""
    import argilla as rg

    url, key = resolve_credentials(api_url, api_key)
    return map_errors(url, lambda: rg.Argilla(api_url=url, api_key=key, timeout=timeout,
                                              retries=1))
