"""What every SDK backend shares: retries, concurrency and rate limits, usage accounting.

A subclass only builds its SDK client (with the SDK's own retries off) and turns one request
into one HTTP call (:meth:`RetryingBackend._call_once`). Retries use tenacity: exponential
backoff with full jitter, except after a 429/503 carrying ``Retry-After``, which is obeyed
(capped at ``retry_after_max``). Every attempt holds a concurrency slot and passes the rate
limiter; slots are released while waiting to retry so other requests can proceed.

Asyncio objects (semaphore, buckets, the SDK's HTTP pool) are bound to one event loop; a
backend used from a new loop (a second ``asyncio.run``) rebuilds them transparently.
"""

from __future__ import annotations

import asyncio
import random
from abc import ABC, abstractmethod
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

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

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        failure = classify(exc) if exc is not None else None
        if failure is not None and failure.retry_after is not None:
            return min(failure.retry_after, self.config.retry_after_max)
        growth = self.config.backoff_initial * 2 ** (state.attempt_number - 1)
        return random.uniform(0, min(self.config.backoff_max, growth))  # full jitter

    async def chat(self, request: ChatRequest) -> ChatResult:
        if self._closed:
            raise RuntimeError("backend is closed")
        state = self._loop_state()
        attempts = 0
        estimate = estimate_tokens([m.content for m in request.messages], request.max_tokens)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: classify(e).retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    result = await self._attempt(state, request, estimate)
        except Exception as exc:
            self.meter.record_failure(self.model, attempts)
            raise backend_error(
                exc, backend=self.name, model=self.model, attempts=attempts,
                secrets=(self._key.get_secret_value(),),
            ) from None
        result = result.model_copy(update={"attempts": attempts})
        self.meter.record_call(result, self.config.effective_prices())
        return result

    async def _attempt(self, state: _LoopState, request: ChatRequest, estimate: int) -> ChatResult:
        async with state.semaphore:
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
        if state is not None and not state.loop.is_closed():
            await state.client.close()
