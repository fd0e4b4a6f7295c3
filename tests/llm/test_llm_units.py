"""Rate limiter, usage meter and cache key: pure units, no server."""

from __future__ import annotations

import asyncio
import time

import pytest

from datagen.llm import ChatRequest, ChatResult, Message, Prices, Usage, UsageMeter, cache_key
from datagen.llm.ratelimit import AsyncTokenBucket, RateLimiter


def _req(text: str = "hi", **kw) -> ChatRequest:
    return ChatRequest(messages=(Message(role="user", content=text),), **kw)


def test_token_bucket_spreads_requests():
    async def run() -> float:
        bucket = AsyncTokenBucket(1200)  # 20/s, burst of 20
        start = time.monotonic()
        for _ in range(40):
            await bucket.acquire()
        return time.monotonic() - start

    elapsed = asyncio.run(run())
    assert 0.9 <= elapsed < 3.0


async def _first_only() -> tuple[float, float]:
    limiter = RateLimiter(None, tokens_per_minute=6000)  # 100/s, bucket of 100
    t0 = time.monotonic()
    await limiter.acquire(250)
    first = time.monotonic() - t0
    await limiter.acquire(10)  # level -150 -> needs 1.6 s of refill
    return first, time.monotonic() - t0


def test_a_request_larger_than_the_bucket_passes_then_delays_the_next():
    first, total = asyncio.run(_first_only())
    assert first < 0.1
    assert 1.4 <= total < 4.0


def test_usage_meter_counts_and_costs():
    meter = UsageMeter()
    prices = Prices(input_per_mtok=1.0, output_per_mtok=4.0)
    result = ChatResult(text="x", usage=Usage(input_tokens=1000, output_tokens=500),
                        backend="openai", model="m", attempts=3)
    meter.record_call(result, prices)
    meter.record_cache_hit(result.model_copy(update={"cached": True}))
    meter.record_failure("m", attempts=2)
    meter.record_call(result.model_copy(update={"model": "other", "attempts": 1}), None)
    snap = meter.snapshot()
    assert snap["calls"] == 2
    assert snap["cache_hits"] == 1
    assert snap["retries"] == 3  # 2 from the retried call, 1 from the failure
    assert snap["failures"] == 1
    assert snap["input_tokens"] == 2000
    assert snap["cached_input_tokens"] == 1000
    assert snap["cost_usd"] == pytest.approx((1000 * 1.0 + 500 * 4.0) / 1e6)
    assert snap["priced"] is False  # "other" has no price
    assert snap["models"]["m"]["priced"] is True


def test_cache_key_covers_every_parameter():
    base = cache_key("openai", "m", _req())
    assert base == cache_key("openai", "m", _req())
    variants = [
        cache_key("anthropic", "m", _req()),
        cache_key("openai", "m2", _req()),
        cache_key("openai", "m", _req("hi!")),
        cache_key("openai", "m", _req(temperature=0.1)),
        cache_key("openai", "m", _req(max_tokens=7)),
        cache_key("openai", "m", _req(seed=1)),
        cache_key("openai", "m", _req(json_mode=True)),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_cache_key_is_the_canonical_dump_of_the_request():
    import hashlib
    import json

    from datagen.llm import ResponseSchema
    from datagen.llm.cache import KEY_VERSION

    schema = ResponseSchema(name="s", schema={"type": "object", "properties": {}})
    for request in (_req(), _req(seed=3, json_mode=True), _req(response_schema=schema)):
        dumped = request.model_dump(mode="json", by_alias=True)
        if dumped["response_schema"] is None:
            del dumped["response_schema"]
        payload = {"v": KEY_VERSION, "backend": "openai", "model": "m", "request": dumped}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert cache_key("openai", "m", request) == hashlib.sha256(text.encode()).hexdigest()


def test_progress_line_shows_counts_rate_failures_and_concurrency():
    from datagen.cli.common import progress_line

    usage = {"calls": 40, "cache_hits": 2, "retries": 3, "timeouts": 1, "throttled": 2,
             "server_errors": 0, "failures": 1,
             "concurrency": [{"model": "m", "limit": 8, "ceiling": 16}]}
    line = progress_line("synthesize", 50, 200, 10.0, usage)
    assert line.startswith("synthesize: 50/200 (25%) | 5.0/s | calls 40 cache hits 2 ")
    assert "retries 3 timeouts 1 throttled 2" in line and "concurrency 8/16 (m)" in line
    assert line.endswith("elapsed 10s ETA 30s")
    assert "starting" in progress_line("tags llm", 0, 0, 2.0, None)
