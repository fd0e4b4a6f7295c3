"""What every SDK backend shares: retries, concurrency and rate limits, usage accounting.

A subclass only builds its SDK client (with the SDK's own retries off) and turns one request
into one HTTP call (:meth:`RetryingBackend._call_once`). The first attempt runs bare (most
calls succeed, and tenacity's loop costs ~0.15 ms a call); retries use tenacity: exponential
backoff with full jitter, except after a 429/503 carrying ``Retry-After``, which is obeyed
(capped at ``retry_after_max``) by every request of the backend, not only the one refused.
Every attempt holds a concurrency slot and passes the rate limiter; slots are released while
waiting to retry so other requests can proceed.

Asyncio objects (semaphore, buckets, the SDK's HTTP pool) are bound to one event loop; a
backend used from a new loop (a second ``asyncio.run``) rebuilds them transparently.
"""

from __future__ import annotations

import asyncio
import random
import time
from abc import ABC, abstractmethod
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from datagen.errors import BackendError
from datagen.llm.config import BackendConfig
from datagen.llm.failures import backend_error, classify
from datagen.llm.ratelimit import RateLimiter, estimate_tokens
from datagen.llm.types import ChatRequest, ChatResult
from datagen.llm.usage import UsageMeter

__all__ = ["RetryingBackend"]


class _LoopState:
    def __init__(self, loop: asyncio.AbstractEventLoop, config: BackendConfig, client: Any):
        self.loop = loop
        self.semaphore = asyncio.Semaphore(config.concurrency)
        self.limiter = RateLimiter(config.requests_per_minute, config.tokens_per_minute)
        self.client = client
        self.in_flight = 0
        #: monotonic time before which no request is sent (a server's Retry-After)
        self.pause_until = 0.0


class RetryingBackend(ABC):
    """Base of the SDK backends; implements :class:`datagen.llm.types.ChatBackend`."""

    name: str = ""
    is_llm: bool = True

    def __init__(self, config: BackendConfig, *, meter: UsageMeter | None = None) -> None:
        self.config = config
        self.model = config.model
        self.meter = meter if meter is not None else UsageMeter()
        self._key = config.resolve_api_key()  # fail fast on a missing key, before any call
        self._state: _LoopState | None = None
        self._closed = False

    # -- subclass hooks -------------------------------------------------------------
    @abstractmethod
    def _make_client(self) -> Any:
        """The SDK's async client, with ``max_retries=0``."""

    @abstractmethod
    async def _call_once(self, client: Any, request: ChatRequest) -> ChatResult:
        """One HTTP call; raise the SDK's exception or MalformedResponseError on failure."""

    # -- the pipeline ---------------------------------------------------------------
    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop or self._state.loop.is_closed():
            self._state = _LoopState(loop, self.config, self._make_client())
        return self._state

    def _delay(self, exc: BaseException | None, attempt_number: int) -> float:
        """Seconds before the next attempt after ``exc`` ended attempt ``attempt_number``."""
        failure = classify(exc) if exc is not None else None
        if failure is not None and failure.retry_after is not None:
            wait = min(failure.retry_after, self.config.retry_after_max)
            if self._state is not None:  # the server asked everyone to wait, not just us
                self._state.pause_until = max(self._state.pause_until, time.monotonic() + wait)
            return wait
        growth = self.config.backoff_initial * 2 ** (attempt_number - 1)
        return random.uniform(0, min(self.config.backoff_max, growth))  # full jitter

    async def chat(self, request: ChatRequest) -> ChatResult:
        if self._closed:
            raise RuntimeError("backend is closed")
        state = self._loop_state()
        estimate = estimate_tokens([m.content for m in request.messages], request.max_tokens)
        try:  # fast path: most calls succeed at once and need no retry machinery
            return self._done(await self._attempt(state, request, estimate), 1)
        except Exception as exc:
            if not classify(exc).retryable or self.config.max_attempts == 1:
                raise self._failed(exc, 1) from None
            await asyncio.sleep(self._delay(exc, 1))
        attempts = 1
        retrying = AsyncRetrying(  # attempts 2..max_attempts
            stop=stop_after_attempt(self.config.max_attempts - 1),
            wait=lambda rs: self._delay(
                rs.outcome.exception() if rs.outcome else None, rs.attempt_number + 1),
            retry=retry_if_exception(lambda e: classify(e).retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    result = await self._attempt(state, request, estimate)
        except Exception as exc:
            raise self._failed(exc, attempts) from None
        return self._done(result, attempts)

    def _done(self, result: ChatResult, attempts: int) -> ChatResult:
        if attempts != 1:
            result = result.model_copy(update={"attempts": attempts})
        self.meter.record_call(result, self.config.effective_prices())
        return result

    def _failed(self, exc: BaseException, attempts: int) -> BackendError:
        self.meter.record_failure(self.model, attempts)
        return backend_error(exc, backend=self.name, model=self.model, attempts=attempts,
                             secrets=(self._key.get_secret_value(),))

    async def _attempt(self, state: _LoopState, request: ChatRequest, estimate: int) -> ChatResult:
        async with state.semaphore:
            pause = state.pause_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            await state.limiter.acquire(estimate)
            state.in_flight += 1
            try:
                result = await self._call_once(state.client, request)
            finally:
                state.in_flight -= 1
        state.limiter.settle(estimate, result.usage.input_tokens + result.usage.output_tokens)
        return result

    async def aclose(self) -> None:
        self._closed = True
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            await state.client.close()
