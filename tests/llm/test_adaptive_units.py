"""The AIMD limiter and the failure guard on their own (no network)."""

from __future__ import annotations

import asyncio

import pytest

from datagen.errors import BackendError, RunAbortedError
from datagen.llm.adaptive import AdaptiveLimiter
from datagen.llm.guard import FailureGuard


def test_halves_once_per_window_then_grows_back_to_the_ceiling():
    async def run() -> AdaptiveLimiter:
        limiter = AdaptiveLimiter(16)
        epochs = [await limiter.acquire() for _ in range(16)]
        for epoch in epochs:  # a burst of 429s from one window: one decrease
            limiter.congestion(epoch)
            limiter.release()
        assert limiter.limit == 8 and limiter.decreases == 1
        later = await limiter.acquire()
        assert limiter.congestion(later) and limiter.limit == 4  # a new window may cut again
        limiter.release()
        while limiter.limit < 16:
            await limiter.acquire()
            limiter.success()
            limiter.release()
        return limiter

    limiter = asyncio.run(run())
    assert limiter.history[:3] == [16, 8, 4] and limiter.history[-1] == 16
    assert limiter.lowest == 4


def test_waiters_get_slots_in_order_and_never_exceed_the_limit():
    async def run() -> tuple[int, list[int]]:
        limiter = AdaptiveLimiter(3)
        in_use_peak, order = 0, []

        async def one(i: int) -> None:
            nonlocal in_use_peak
            await limiter.acquire()
            in_use_peak = max(in_use_peak, limiter.in_use)
            order.append(i)
            await asyncio.sleep(0.01)
            limiter.release()

        await asyncio.gather(*(one(i) for i in range(12)))
        return in_use_peak, order

    peak, order = asyncio.run(run())
    assert peak == 3 and order == list(range(12))


def test_a_held_slot_comes_back_after_the_hold():
    async def run() -> tuple[int, int]:
        limiter = AdaptiveLimiter(1)
        await limiter.acquire()
        limiter.release(hold=0.2)
        held = limiter.in_use
        loop = asyncio.get_running_loop()
        start = loop.time()
        await limiter.acquire()
        return held, int((loop.time() - start) * 10)

    held, tenths = asyncio.run(run())
    assert held == 1 and tenths >= 1


def test_floor_equal_to_ceiling_turns_adaptation_off():
    limiter = AdaptiveLimiter(8, floor=8)
    limiter.congestion(limiter.epoch)
    assert limiter.limit == 8
    with pytest.raises(ValueError):
        AdaptiveLimiter(0)


def test_failure_guard_trips_at_the_threshold_and_stays_tripped():
    guard = FailureGuard(3, what="openai backend, model m at http://x/v1")
    guard.failure(BackendError("one"))
    guard.success()
    guard.failure(BackendError("a"))
    guard.failure(BackendError("b"))
    with pytest.raises(RunAbortedError, match=r"3 LLM requests in a row failed.*last error: c"):
        guard.failure(BackendError("c"))
    with pytest.raises(RunAbortedError, match="http://x/v1"):
        guard.check()
    FailureGuard(0, what="never").failure(BackendError("x"))  # 0 = never trips
