"""Adaptive concurrency (AIMD): how many requests a backend keeps in flight right now.

One command has to work against a hosted API that takes hundreds of requests at once and
against a local server that answers one at a time. The limit starts at the configured
ceiling (``--concurrency``), grows by one per window of successes (``+1/limit`` each, as
TCP's congestion avoidance) and halves on congestion: a timeout, a 429 or a 5xx. Only a
request sent after the last decrease can cause the next one, so a burst of failures from
the same window halves the limit once, not once per request.

A timed-out request may still be computing on the server (a local server does not notice
that the client gave up), so its slot can be held for a while after the timeout
(``release(hold=...)``): the retry then does not pile a second copy on top of the first.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["AdaptiveLimiter"]

#: integer limits kept in :attr:`AdaptiveLimiter.history` (a run's trace, not a log)
_HISTORY_MAX = 1000


class AdaptiveLimiter:
    """An asyncio slot pool whose size follows AIMD between ``floor`` and ``ceiling``."""

    def __init__(self, ceiling: int, *, floor: int = 1, decrease: float = 0.5) -> None:
        if ceiling < 1 or not 1 <= floor <= ceiling or not 0 < decrease < 1:
            raise ValueError("need 1 <= floor <= ceiling and 0 < decrease < 1")
        self.ceiling, self.floor, self.decrease = ceiling, floor, decrease
        self._limit = float(ceiling)
        self.in_use = 0
        self.epoch = 0  # bumped by every decrease
        self.decreases = 0
        self.lowest = ceiling
        self.history: list[int] = [ceiling]
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def limit(self) -> int:
        return int(self._limit)

    async def acquire(self) -> int:
        """Wait for a slot; returns the epoch to pass to :meth:`congestion`."""
        if self.in_use < self.limit and not self._waiters:
            self.in_use += 1
            return self.epoch
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                self._release_now()  # we were handed a slot but will not use it
            elif future in self._waiters:
                self._waiters.remove(future)
            raise
        return self.epoch

    def release(self, *, hold: float = 0.0) -> None:
        """Give the slot back now, or after ``hold`` seconds (work left on the server)."""
        if hold > 0:
            asyncio.get_running_loop().call_later(hold, self._release_now)
        else:
            self._release_now()

    def _release_now(self) -> None:
        self.in_use -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_use < self.limit:
            future = self._waiters.popleft()
            if not future.done():
                self.in_use += 1  # the slot passes straight to the waiter
                future.set_result(None)

    def success(self) -> None:
        """Additive increase: about +1 per ``limit`` successes, up to the ceiling."""
        if self._limit < self.ceiling:
            before = self.limit
            self._limit = min(float(self.ceiling), self._limit + 1.0 / self._limit)
            if self.limit != before:
                self._trace()
                self._wake()

    def congestion(self, epoch: int) -> bool:
        """Multiplicative decrease, once per window; True when the limit went down."""
        if epoch != self.epoch:
            return False
        self.epoch += 1
        self.decreases += 1
        self._limit = max(float(self.floor), self._limit * self.decrease)
        self.lowest = min(self.lowest, self.limit)
        self._trace()
        return True

    def _trace(self) -> None:
        if len(self.history) < _HISTORY_MAX:
            self.history.append(self.limit)
