"""Typed errors of the Argilla loop, each printed by the CLI as one line.

They subclass the project's :mod:`datagen.errors` classes so ``datagen`` turns them into a red
one-liner with exit status 2, and a caller can catch one precise failure (a wrong key, a
dataset created with other settings) without parsing messages.
"""

from __future__ import annotations

from datagen.errors import BackendError, ConfigError

__all__ = [
    "ArgillaAuthError",
    "ArgillaUnreachableError",
    "DatasetSettingsMismatchError",
    "PushInterruptedError",
    "ServerStackError",
    "TaxonomyVersionMismatchError",
]


class ArgillaUnreachableError(BackendError):
    """No Argilla server answers at the configured URL."""


class ArgillaAuthError(BackendError):
    """The server answered 401: the API key (or password) is wrong."""


class DatasetSettingsMismatchError(ConfigError):
    """The dataset exists but was created with other fields, questions or metadata."""


class TaxonomyVersionMismatchError(ConfigError):
    """The dataset (or a sample) was built with another taxonomy version than the one given."""


class PushInterruptedError(BackendError):
    """A push stopped part-way; re-running the same command resumes it."""


class ServerStackError(BackendError):
    """The local Argilla stack (redis, search engine, server, worker) failed to start."""
