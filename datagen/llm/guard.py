"""Stop a run whose backend keeps failing, instead of failing every request one by one.

A wrong URL, a revoked key or a server that fell over makes every request fail after its
retries; without a guard a run of thousands of entries would grind through all of them
(and, before this existed, report success with zero samples). :class:`FailureGuard` counts
final failures in a row; at ``threshold`` it trips, and from then on every call raises the
same :class:`~datagen.errors.RunAbortedError` naming the count and the last cause. Any
success resets the count. Every SDK backend has one, so every caller (synthesize, tags llm,
predict) stops the same way; finished work (shards, the response cache) is kept.
"""

from __future__ import annotations

from datagen.errors import RunAbortedError

__all__ = ["FailureGuard"]


class FailureGuard:
    """Consecutive-failure counter; ``threshold`` 0 never trips."""

    def __init__(self, threshold: int, *, what: str) -> None:
        self.threshold = threshold
        self.what = what  # e.g. "openai backend, model M at http://..."
        self.in_a_row = 0
        self.error: RunAbortedError | None = None

    def check(self) -> None:
        """Raise the abort if the guard has tripped (call before each request)."""
        if self.error is not None:
            raise self.error

    def success(self) -> None:
        self.in_a_row = 0

    def failure(self, cause: Exception) -> None:
        """Count one final failure; raise the abort (chained to ``cause``) when it trips."""
        self.in_a_row += 1
        if self.error is None and self.threshold and self.in_a_row >= self.threshold:
            self.error = RunAbortedError(
                f"stopped after {self.in_a_row} LLM requests in a row failed ({self.what}); "
                f"last error: {cause}")
        if self.error is not None:
            raise self.error from cause
