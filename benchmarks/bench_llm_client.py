"""Benchmark: our LLM backend stack vs the bare OpenAI SDK against the fake server.

The fake server (a test double, not an LLM) runs in its own process with a fixed latency.
Three passes of N distinct chat requests at concurrency C:

1. bare: ``openai.AsyncOpenAI`` (SDK retries off) under an ``asyncio.Semaphore(C)``;
2. stack: ``CachedBackend(make_backend(...))`` — tenacity retries, concurrency slots,
   rate-limiter hooks, usage metering and one SQLite cache write per call;
3. cached rerun of the same requests (zero network calls).

The bound is C / latency (64 / 0.2 s = 320 calls/s). Run:
``python benchmarks/bench_llm_client.py --n 2000 --concurrency 64 --latency 0.2``
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path


def _requests(n: int) -> list[object]:
    from datagen.llm import ChatRequest, Message

    return [ChatRequest(messages=(Message(role="system", content="You write short replies."),
                                  Message(role="user", content=f"request number {i}")),
                        max_tokens=64, seed=i) for i in range(n)]


async def _bare(base_url: str, requests: list, concurrency: int) -> float:
    import openai

    client = openai.AsyncOpenAI(api_key="bench", base_url=base_url, max_retries=0)
    sem = asyncio.Semaphore(concurrency)

    async def one(req) -> None:
        async with sem:
            await client.chat.completions.create(
                model="fake-model", max_tokens=req.max_tokens, seed=req.seed,
                messages=[{"role": m.role, "content": m.content} for m in req.messages])

    await one(requests[0])  # warm up: connection and lazy imports
    start = time.perf_counter()
    await asyncio.gather(*(one(r) for r in requests))
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed


async def _stack(base_url: str, requests: list, concurrency: int, cache_path: Path,
                 warm: bool) -> tuple[float, dict]:
    from datagen.llm import (
        BackendConfig,
        CachedBackend,
        ChatRequest,
        Message,
        ResponseCache,
        UsageMeter,
        make_backend,
    )

    meter = UsageMeter()
    config = BackendConfig(kind="openai", model="fake-model", base_url=base_url,
                           concurrency=concurrency, api_key="bench")
    with ResponseCache(cache_path) as cache:
        chat = CachedBackend(make_backend(config, meter=meter), cache)
        if warm:
            await chat.backend.chat(ChatRequest(messages=(Message(role="user", content="w"),)))
        start = time.perf_counter()
        await asyncio.gather(*(chat.chat(r) for r in requests))
        elapsed = time.perf_counter() - start
        await chat.aclose()
    return elapsed, meter.snapshot()


def main() -> None:
    from datagen.llm.fake_server_proc import FakeServerProcess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    bound = args.concurrency / args.latency
    requests = _requests(args.n)
    with FakeServerProcess(latency=args.latency) as srv, \
            tempfile.TemporaryDirectory() as tmp:
        bare = asyncio.run(_bare(srv.openai_base_url, requests, args.concurrency))
        cache_path = Path(tmp) / "cache.sqlite"
        stack, snap = asyncio.run(_stack(srv.openai_base_url, requests, args.concurrency,
                                         cache_path, warm=True))
        before = srv.stats()["requests"]
        cached, snap2 = asyncio.run(_stack(srv.openai_base_url, requests, args.concurrency,
                                           cache_path, warm=False))
        assert srv.stats()["requests"] == before, "cached rerun made network calls"
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fake server latency {args.latency}s, concurrency {args.concurrency}, "
          f"N={args.n}, bound {bound:.0f} calls/s")
    print(f"bare AsyncOpenAI      : {bare:7.2f} s  {args.n / bare:8.1f} calls/s  "
          f"ratio to bound {args.n / bare / bound:.2f}")
    print(f"backend stack + cache : {stack:7.2f} s  {args.n / stack:8.1f} calls/s  "
          f"ratio to bound {args.n / stack / bound:.2f}  "
          f"(stack/bare {bare / stack:.2f}; calls {snap['calls']}, retries {snap['retries']})")
    print(f"cached rerun          : {cached:7.2f} s  {args.n / cached:8.1f} calls/s  "
          f"(cache hits {snap2['cache_hits']}, network calls 0)")
    print(f"peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
