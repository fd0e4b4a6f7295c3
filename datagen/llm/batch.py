"""Provider batch APIs for catalogue-scale jobs: submit, poll, collect, resubmit, resume.

OpenAI's Batch API (:mod:`datagen.llm.batch_openai`) and Anthropic's Message Batches
(:mod:`datagen.llm.batch_anthropic`) take thousands of requests at about half the price of
live calls and answer within 24 hours. Both implement :class:`BatchProvider`; the request
bodies come from the live backend's own ``request_params`` (one place turns a ChatRequest
into a body, so structured outputs reach batch requests unchanged).

:func:`run_batches` is the one loop: requests already in the :class:`ResponseCache` are
skipped; batches the :class:`BatchStore` knows are polled before anything new is sent (a
killed command resumes polling, it does not pay again); new requests go out in chunks of the
provider's limit; each ended batch's successes are written to the cache under the request's
cache key (so the live path and a rerun reuse them), and its failed or expired requests are
submitted again, up to ``max_tries`` times each. A batch that fails as a whole (validation)
stops the run with its reason.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import SecretStr

from datagen.errors import BackendError
from datagen.llm.batch_store import BatchRecord, BatchStore
from datagen.llm.cache import ResponseCache
from datagen.llm.config import Prices
from datagen.llm.failures import backend_error
from datagen.llm.types import ChatRequest, ChatResult
from datagen.llm.usage import UsageMeter

__all__ = [
    "BATCH_DISCOUNT",
    "BatchItem",
    "BatchOptions",
    "BatchProvider",
    "BatchRunReport",
    "BatchStatus",
    "BodyOf",
    "SdkCalls",
    "batch_prices",
    "estimate_tokens",
    "make_batch_provider",
    "run_batches",
]

#: batch price / live price, for both vendors (published: "50% off" for Batch / Message Batches)
BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class BatchStatus:
    """A provider batch as seen by one poll."""

    state: str  # "running" | "ended" | "failed"
    counts: Mapping[str, int] = field(default_factory=dict)
    detail: str = ""


@dataclass(frozen=True)
class BatchItem:
    """One request's outcome in an ended batch: a result, or why there is none."""

    custom_id: str
    result: ChatResult | None = None
    error: str = ""


BodyOf = Callable[[str], dict[str, Any]]


class BatchProvider(Protocol):
    """A vendor's batch API (the SDK client is built and owned by the provider)."""

    name: str
    model: str
    #: requests per batch the provider accepts
    max_requests: int

    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The request's body, from the live backend's ``request_params``."""
        ...

    def submit(self, token: str, lines: Iterable[tuple[str, dict[str, Any]]]) -> str:
        """Create a batch of (custom id, body) and return its id (``lines`` is read once, so
        bodies can be built as they are written)."""
        ...

    def find(self, token: str) -> str | None:
        """The id of a batch created with ``token`` (a kill before its id was stored)."""
        ...

    def status(self, batch_id: str) -> BatchStatus: ...

    def results(self, batch_id: str, body_of: BodyOf) -> Iterator[BatchItem]:
        """Every request's outcome; ``body_of(custom_id)`` gives the request body when reading
        an answer needs it (a prefilled turn)."""
        ...

    def close(self) -> None: ...


class BatchOptions:
    """How long to wait and how often to retry (plain attributes; the CLI fills them)."""

    def __init__(self, *, poll_interval: float = 30.0, max_tries: int = 3,
                 chunk_size: int | None = None, wait: bool = True,
                 timeout: float | None = None) -> None:
        self.poll_interval = poll_interval
        self.max_tries = max_tries
        self.chunk_size = chunk_size
        #: False: submit what is new, collect what has ended, and return (re-run to finish)
        self.wait = wait
        #: stop waiting after this many seconds (the batches stay known; re-run to resume)
        self.timeout = timeout


@dataclass
class BatchRunReport:
    """What one run did: nothing here is an estimate."""

    requests: int = 0
    cached: int = 0
    submitted_batches: list[str] = field(default_factory=list)
    resumed_batches: list[str] = field(default_factory=list)
    submitted_requests: int = 0
    resubmitted_requests: int = 0
    collected: int = 0
    #: custom id -> last error, for requests that used up their tries
    failed: dict[str, str] = field(default_factory=dict)
    #: requests still in batches that have not ended (``wait=False`` or timeout)
    pending: int = 0
    expired_batches: int = 0
    #: open batches of requests this call was not given (left for the call that has them)
    other_batches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests, "cached": self.cached,
            "submitted_batches": self.submitted_batches, "resumed_batches": self.resumed_batches,
            "submitted_requests": self.submitted_requests,
            "resubmitted_requests": self.resubmitted_requests, "collected": self.collected,
            "failed": len(self.failed), "pending": self.pending,
            "expired_batches": self.expired_batches, "other_batches": self.other_batches,
        }


def batch_prices(prices: Prices | None) -> Prices | None:
    """The batch price of a model whose live price is ``prices``."""
    if prices is None:
        return None
    return Prices(input_per_mtok=prices.input_per_mtok * BATCH_DISCOUNT,
                  output_per_mtok=prices.output_per_mtok * BATCH_DISCOUNT)


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """Input tokens of a request body, ~4 characters a token (what a dry run prices)."""
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":"))) // 4 + 1


class SdkCalls:
    """What both providers share: the live backend (for ``request_params``), a sync SDK
    client with the SDK's own retries on (batch calls are few and idempotent to retry), and
    SDK exceptions as one-line BackendErrors with the key scrubbed."""

    name: str
    model: str
    max_requests: int
    _key: SecretStr

    def _setup(self, config: Any, backend: Any, client_class: Any, max_requests: int) -> None:
        self.config = config
        self.model = config.model
        self.max_requests = max_requests
        self._backend = backend  # for request_params only: it makes no call
        self._key = config.resolve_api_key()
        self._client = client_class(
            api_key=self._key.get_secret_value(), base_url=config.base_url,
            timeout=max(config.timeout, 300.0), max_retries=config.max_retries,
            default_headers=config.extra_headers or None)

    def body(self, request: ChatRequest) -> dict[str, Any]:
        return self._backend.request_params(request)  # type: ignore[no-any-return]

    def close(self) -> None:
        self._client.close()

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise backend_error(exc, backend=self.name, model=self.model, attempts=1,
                                secrets=(self._key.get_secret_value(),)) from None


EventFn = Callable[[str, dict[str, Any]], None]


class _Run:
    """State of one :func:`run_batches` call (kept out of the function for readability)."""

    def __init__(self, provider: BatchProvider, store: BatchStore, cache: ResponseCache,
                 requests: Mapping[str, ChatRequest], options: BatchOptions,
                 meter: UsageMeter | None, prices: Prices | None, on_event: EventFn | None):
        self.provider, self.store, self.cache = provider, store, cache
        self.requests, self.options = requests, options
        self.meter, self.prices = meter, batch_prices(prices)
        self.on_event = on_event or (lambda kind, data: None)
        self.report = BatchRunReport(requests=len(requests))
        self.started = time.monotonic()

    def timed_out(self) -> bool:
        limit = self.options.timeout
        return limit is not None and time.monotonic() - self.started > limit

    def bodies(self, custom_ids: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """(custom id, body) pairs, built one at a time (a catalogue's bodies are ~100 MB)."""
        for cid in custom_ids:
            yield cid, self.provider.body(self.requests[cid])

    def body_of(self, custom_id: str) -> dict[str, Any]:
        request = self.requests.get(custom_id)
        return self.provider.body(request) if request is not None else {}

    def resolve(self, record: BatchRecord) -> str | None:
        """The batch id of a stored batch; a 'submitting' one is looked up by its token."""
        if record.batch_id:
            return record.batch_id
        found = self.provider.find(record.token)
        if found is None:
            self.store.abandon(record.token, "not created (killed while submitting)")
            return None
        self.store.submitted(record.token, found)
        return found

    def submit(self, custom_ids: list[str]) -> list[BatchRecord]:
        size = min(self.options.chunk_size or self.provider.max_requests,
                   self.provider.max_requests)
        tries = self.store.tries()
        made = []
        for start in range(0, len(custom_ids), size):
            chunk = custom_ids[start:start + size]
            token = f"saferec-{secrets.token_hex(8)}"
            self.store.begin(token, self.provider.name, self.provider.model, chunk)
            try:
                batch_id = self.provider.submit(token, self.bodies(chunk))
            except BackendError:
                self.store.abandon(token, "submission failed")
                raise
            self.store.submitted(token, batch_id)
            self.report.submitted_batches.append(batch_id)
            self.report.submitted_requests += len(chunk)
            self.report.resubmitted_requests += sum(1 for c in chunk
                                                    if tries.get(c, (0, "", ""))[0] > 0)
            self.on_event("submitted", {"batch_id": batch_id, "requests": len(chunk)})
            made.append(BatchRecord(token, batch_id, self.provider.name, self.provider.model,
                                    "submitted", len(chunk), time.time()))
        return made

    def wait(self, record: BatchRecord, batch_id: str) -> BatchStatus | None:
        """Poll until the batch ends (None: not ended and we are not waiting any longer)."""
        while True:
            status = self.provider.status(batch_id)
            self.on_event("polled", {"batch_id": batch_id, "state": status.state,
                                     "counts": dict(status.counts)})
            if status.state != "running":
                return status
            if not self.options.wait or self.timed_out():
                return None
            time.sleep(self.options.poll_interval)

    def collect(self, record: BatchRecord, batch_id: str, status: BatchStatus) -> None:
        custom_ids = self.store.requests_of(record.token)
        if status.state == "failed":
            self.store.abandon(record.token, status.detail)
            raise BackendError(f"{self.provider.name} batch {batch_id} failed: {status.detail}")
        failures: dict[str, str] = {cid: "no result in the batch output" for cid in custom_ids}
        for item in self.provider.results(batch_id, self.body_of):
            if item.custom_id not in failures:
                continue  # not one of ours (or a duplicate line)
            if item.result is None:
                failures[item.custom_id] = item.error or "failed"
                continue
            del failures[item.custom_id]
            self.cache.put(item.custom_id, item.result)
            self.report.collected += 1
            if self.meter is not None:
                self.meter.record_call(item.result, self.prices)
        if any("expired" in e for e in failures.values()):
            self.report.expired_batches += 1
        self.store.collected(record.token, status.detail, failures.items())
        self.on_event("collected", {"batch_id": batch_id, "failed": len(failures),
                                    "succeeded": len(custom_ids) - len(failures)})

    def drain(self, records: list[BatchRecord], *, resumed: bool = False) -> None:
        for record in records:
            if not all(cid in self.requests for cid in self.store.requests_of(record.token)):
                self.report.other_batches += 1  # another round's or job's: read with its own
                continue
            batch_id = self.resolve(record)
            if batch_id is None:
                continue
            if resumed:
                self.report.resumed_batches.append(batch_id)
            status = self.wait(record, batch_id)
            if status is None:
                self.report.pending += record.n_requests
                continue
            self.collect(record, batch_id, status)

    def todo(self) -> list[str]:
        tries = self.store.tries()
        out = []
        for cid in self.requests:
            if cid in self.cache:
                continue
            n, state, error = tries.get(cid, (0, "", ""))
            if state == "submitted":
                continue  # in a batch that has not ended
            if n >= self.options.max_tries:
                self.report.failed[cid] = error or "failed"
                continue
            out.append(cid)
        return out


def run_batches(
    provider: BatchProvider,
    requests: Mapping[str, ChatRequest],
    *,
    store: BatchStore,
    cache: ResponseCache,
    options: BatchOptions | None = None,
    meter: UsageMeter | None = None,
    prices: Prices | None = None,
    on_event: EventFn | None = None,
) -> BatchRunReport:
    """Get every request of ``requests`` (cache key -> request) into ``cache`` by batch.

    ``prices`` are the model's live prices (the batch discount is applied for ``meter``).
    """
    run = _Run(provider, store, cache, requests, options or BatchOptions(), meter, prices,
               on_event)
    run.report.cached = sum(1 for cid in requests if cid in cache)
    open_records = store.open_batches()
    run.drain(open_records, resumed=True)
    while not run.timed_out() and run.report.pending == 0:
        todo = run.todo()
        if not todo:
            break
        run.drain(run.submit(todo))
        if not run.options.wait:
            break
    if run.report.pending == 0:
        run.todo()  # fills report.failed with what used up its tries
    return run.report


def make_batch_provider(config: Any) -> BatchProvider:
    """The batch provider of a :class:`~datagen.llm.config.BackendConfig`'s kind."""
    if config.kind == "openai":
        from datagen.llm.batch_openai import OpenAIBatchProvider

        return OpenAIBatchProvider(config)
    from datagen.llm.batch_anthropic import AnthropicBatchProvider

    return AnthropicBatchProvider(config)
