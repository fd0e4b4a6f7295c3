"""Async token buckets for requests-per-minute and tokens-per-minute limits.

A bucket refills continuously at ``rate_per_minute / 60`` per second and holds at most one
second's worth (at least one unit), so traffic is smooth and never exceeds the per-minute
limit over any minute. A request larger than the bucket waits for a full bucket and then
drives the level negative, which delays the next callers: large requests are never refused.
Waiters are served in arrival order.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["AsyncTokenBucket", "RateLimiter", "estimate_tokens"]


class AsyncTokenBucket:
    def __init__(self, rate_per_minute: float, *, capacity: float | None = None) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be > 0")
        self.rate = rate_per_minute / 60.0
        self.capacity = capacity if capacity is not None else max(1.0, self.rate)
        self._level = self.capacity
        self._stamp = time.monotonic()
        self._lock: asyncio.Lock | None = None

    def _refill(self) -> None:
        now = time.monotonic()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, amount: float = 1.0) -> float:
        """Take ``amount`` units, sleeping as needed; returns the seconds waited."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        waited = 0.0
        async with self._lock:
            need = min(amount, self.capacity)
            while True:
                self._refill()
                if self._level >= need:
                    self._level -= amount
                    return waited
                delay = (need - self._level) / self.rate
                await asyncio.sleep(delay)
                waited += delay

    def debit(self, amount: float) -> None:
        """Take units after the fact (the real token count exceeded the estimate)."""
        self._refill()
        self._level -= amount


def estimate_tokens(texts: list[str], max_tokens: int) -> int:
    """A cheap upper-ish estimate before the call: ~4 characters a token, plus the output cap."""
    return sum(len(t) for t in texts) // 4 + 1 + max_tokens


class RateLimiter:
    """Both limits of a backend; either may be None (unlimited)."""

    def __init__(self, requests_per_minute: float | None, tokens_per_minute: float | None):
        self.requests = AsyncTokenBucket(requests_per_minute) if requests_per_minute else None
        self.tokens = AsyncTokenBucket(tokens_per_minute) if tokens_per_minute else None

    async def acquire(self, estimated_tokens: int) -> float:
        waited = 0.0
        if self.requests is not None:
            waited += await self.requests.acquire(1.0)
        if self.tokens is not None:
            waited += await self.tokens.acquire(float(estimated_tokens))
        return waited

    def settle(self, estimated_tokens: int, actual_tokens: int) -> None:
        """Charge the difference when the real usage was larger than the estimate."""
        if self.tokens is not None and actual_tokens > estimated_tokens:
            self.tokens.debit(float(actual_tokens - estimated_tokens))
