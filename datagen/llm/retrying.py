"""What every SDK backend shares: retries, adaptive concurrency, rate limits, usage, guard.

A subclass only builds its SDK client (with the SDK's own retries off) and turns one request
into one HTTP call (:meth:`RetryingBackend._call_once`). The first attempt runs bare (most
calls succeed, and tenacity's loop costs ~0.15 ms a call); retries use tenacity: exponential
backoff with full jitter, except after a 429/503 carrying ``Retry-After``, which is obeyed
(capped at ``retry_after_max``) by every request of the backend, not only the one refused.

Every attempt holds a slot of the backend's :class:`~datagen.llm.adaptive.AdaptiveLimiter`
(AIMD between 1 and ``concurrency``: timeouts, 429 and 5xx halve it, successes grow it back)
and passes the rate limiter; slots are released while waiting to retry, except that a
timed-out request keeps its slot for another ``timeout`` seconds, because the server may
still be working on it. A :class:`~datagen.llm.guard.FailureGuard` aborts the run after
``max_consecutive_failures`` final failures in a row.

The structured-output mode (:mod:`datagen.llm.structured`) is fixed once per backend: from
the config, or, with ``auto``, by the subclass's probe before the first request that carries
a schema (the preflight runs it earlier).

Asyncio objects (limiter, buckets, the SDK's HTTP pool) are bound to one event loop; a
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
from datagen.llm.adaptive import AdaptiveLimiter
from datagen.llm.config import BackendConfig
from datagen.llm.failures import Failure, backend_error, classify
from datagen.llm.guard import FailureGuard
from datagen.llm.ratelimit import RateLimiter, estimate_tokens
from datagen.llm.structured import StructuredMode
from datagen.llm.types import ChatRequest, ChatResult
from datagen.llm.usage import UsageMeter

__all__ = ["RetryingBackend"]


class _LoopState:
    def __init__(self, loop: asyncio.AbstractEventLoop, backend: RetryingBackend, client: Any):
        config = backend.config
        self.loop = loop
        self.slots = backend.slots
        self.limiter = RateLimiter(config.requests_per_minute, config.tokens_per_minute)
        self.client = client
        self.in_flight = 0
        #: monotonic time before which no request is sent (a server's Retry-After)
        self.pause_until = 0.0
        self.mode_lock = asyncio.Lock()


def _congestion(failure: Failure) -> bool:
    """Timeouts, 429 and 5xx mean the server is overloaded: lower the limit (a rejected
    structured-output form is not load: :attr:`Failure.rejects_form`)."""
    if failure.rejects_form:
        return False
    return failure.kind == "timeout" or (
        failure.status is not None and (failure.status == 429 or failure.status >= 500))


def _event(failure: Failure) -> str:
    if failure.kind == "timeout":
        return "timeouts"
    return "throttled" if failure.status == 429 else "server_errors"


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
        self.slots = self._new_slots()
        self.meter.register_limiter(self, self.name, self.model, self.slots)
        self.guard = FailureGuard(config.max_consecutive_failures,
                                  what=f"{self.name} backend, model {self.model} at {config.url}")
        fixed = config.structured_output
        if fixed == "auto" and not config.json_response_format:
            fixed = "prompt"
        #: how schemas are sent; None until the probe ran (``auto``)
        self.structured_mode: StructuredMode | None = (
            None if fixed == "auto" else StructuredMode(fixed))
        #: what the probe tried, for manifests: mode -> "ok" or why not
        self.probe_report: dict[str, str] = {}

    def _new_slots(self) -> AdaptiveLimiter:
        ceiling = self.config.concurrency
        return AdaptiveLimiter(ceiling, floor=1 if self.config.adaptive_concurrency else ceiling,
                               decrease=0.5)

    # -- subclass hooks -------------------------------------------------------------
    @abstractmethod
    def _make_client(self) -> Any:
        """The SDK's async client, with ``max_retries=0``."""

    @abstractmethod
    async def _call_once(self, client: Any, request: ChatRequest,
                         mode: StructuredMode | None = None) -> ChatResult:
        """One HTTP call (``mode`` overrides the backend's structured mode, for probes);
        raise the SDK's exception or MalformedResponseError on failure."""

    async def _probe(self) -> StructuredMode:
        """Choose the structured mode of ``auto`` (subclasses that can probe override this)."""
        return StructuredMode.prompt

    # -- the pipeline ---------------------------------------------------------------
    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop or self._state.loop.is_closed():
            if self._state is not None:  # a new loop: slots of the old one are gone
                self.slots = self._new_slots()
                self.meter.register_limiter(self, self.name, self.model, self.slots)
            self._state = _LoopState(loop, self, self._make_client())
        return self._state

    async def ensure_structured_mode(self) -> StructuredMode:
        """The structured mode, probing the server once if the config says ``auto``."""
        state = self._loop_state()
        async with state.mode_lock:
            if self.structured_mode is None:
                self.structured_mode = await self._probe()
        return self.structured_mode

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
        self.guard.check()
        state = self._loop_state()
        if request.response_schema is not None and self.structured_mode is None:
            await self.ensure_structured_mode()
        try:
            result = await self._chat(state, request)
        except BackendError as exc:
            self.guard.failure(exc)
            raise
        self.guard.success()
        return result

    async def _chat(self, state: _LoopState, request: ChatRequest) -> ChatResult:
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
        return self.error(exc, attempts)

    def error(self, exc: BaseException, attempts: int = 1) -> BackendError:
        """The one-line BackendError of ``exc`` (the key scrubbed)."""
        return backend_error(exc, backend=self.name, model=self.model, attempts=attempts,
                             secrets=(self._key.get_secret_value(),))

    async def _attempt(self, state: _LoopState, request: ChatRequest, estimate: int,
                       mode: StructuredMode | None = None) -> ChatResult:
        slots = state.slots
        epoch = await slots.acquire()
        hold = 0.0
        try:
            pause = state.pause_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            await state.limiter.acquire(estimate)
            state.in_flight += 1
            try:
                result = await self._call_once(state.client, request, mode)
            finally:
                state.in_flight -= 1
        except Exception as exc:
            failure = classify(exc)
            if _congestion(failure):
                slots.congestion(epoch)
                self.meter.record_event(self.model, _event(failure))
            if failure.kind == "timeout":
                hold = self.config.timeout  # the server may still be computing it
            raise
        finally:
            slots.release(hold=hold)
        slots.success()
        state.limiter.settle(estimate, result.usage.input_tokens + result.usage.output_tokens)
        return result

    async def aclose(self) -> None:
        self._closed = True
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            await state.client.close()
