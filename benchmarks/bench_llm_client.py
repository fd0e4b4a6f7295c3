"""Benchmark: our LLM backend stack vs the bare OpenAI SDK against the fake server.

The fake server (a test double, not an LLM) runs in its own process with a fixed latency.
Passes of N distinct chat requests at concurrency C (first, a plain aiohttp load shows what
the server itself sustains):

1. bare: ``openai.AsyncOpenAI`` (SDK retries off) under an ``asyncio.Semaphore(C)``, with
   the SDK's default httpx transport and with its aiohttp transport (our default);
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


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _requests(n: int) -> list[object]:
    from datagen.llm import ChatRequest, Message

    return [ChatRequest(messages=(Message(role="system", content="You write short replies."),
                                  Message(role="user", content=f"request number {i}")),
                        max_tokens=64, seed=i) for i in range(n)]


async def _bare(base_url: str, requests: list, concurrency: int,
                aiohttp: bool) -> tuple[float, float]:
    import openai

    http_client = openai.DefaultAioHttpClient() if aiohttp else None
    client = openai.AsyncOpenAI(api_key="bench", base_url=base_url, max_retries=0,
                                http_client=http_client)
    sem = asyncio.Semaphore(concurrency)

    async def one(req) -> None:
        async with sem:
            await client.chat.completions.create(
                model="fake-model", max_tokens=req.max_tokens, seed=req.seed,
                messages=[{"role": m.role, "content": m.content} for m in req.messages])

    await one(requests[0])  # warm up: connection and lazy imports
    start, cpu = time.perf_counter(), _cpu()
    await asyncio.gather(*(one(r) for r in requests))
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    await client.close()
    return elapsed, cpu


async def _server_capacity(base_url: str, n: int, concurrency: int) -> float:
    """Wall time of N posts from a plain aiohttp client: what the fake server sustains."""
    import aiohttp

    body = {"model": "fake-model", "messages": [{"role": "user", "content": "ping"}]}
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:
        async def one() -> None:
            async with sem, session.post(base_url + "/chat/completions", json=body) as resp:
                await resp.read()

        await one()
        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return time.perf_counter() - start


async def _stack(base_url: str, requests: list, concurrency: int, cache_path: Path,
                 warm: bool) -> tuple[float, float, dict]:
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
        start, cpu = time.perf_counter(), _cpu()
        await asyncio.gather(*(chat.chat(r) for r in requests))
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
        await chat.aclose()
    return elapsed, cpu, meter.snapshot()


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
        url, conc, cache_path = srv.openai_base_url, args.concurrency, Path(tmp) / "c.sqlite"
        server_cpu = srv.stats()["process_cpu_s"]
        server = asyncio.run(_server_capacity(url, args.n, conc))
        server_cpu = srv.stats()["process_cpu_s"] - server_cpu
        bare, cpu_bare = asyncio.run(_bare(url, requests, conc, False))
        bare_aio, cpu_aio = asyncio.run(_bare(url, requests, conc, True))
        stack, cpu_stack, snap = asyncio.run(_stack(url, requests, conc, cache_path, True))
        before = srv.stats()["requests"]
        cached, _, snap2 = asyncio.run(_stack(url, requests, conc, cache_path, False))
        assert srv.stats()["requests"] == before, "cached rerun made network calls"
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fake server latency {args.latency}s, concurrency {args.concurrency}, "
          f"N={args.n}, bound {bound:.0f} calls/s")
    ms = 1000 / args.n
    print(f"fake server, plain aiohttp load: {server:7.2f} s  {args.n / server:8.1f} calls/s  "
          f"ratio to bound {args.n / server / bound:.2f}  server CPU {server_cpu * ms:.2f} ms/call")
    print(f"bare AsyncOpenAI      : {bare:7.2f} s  {args.n / bare:8.1f} calls/s  "
          f"ratio to bound {args.n / bare / bound:.2f}  client CPU {cpu_bare * ms:.2f} ms/call")
    print(f"bare + aiohttp client : {bare_aio:7.2f} s  {args.n / bare_aio:8.1f} calls/s  "
          f"ratio to bound {args.n / bare_aio / bound:.2f}  client CPU {cpu_aio * ms:.2f} ms/call")
    print(f"backend stack + cache : {stack:7.2f} s  {args.n / stack:8.1f} calls/s  "
          f"ratio to bound {args.n / stack / bound:.2f}  "
          f"client CPU {cpu_stack * ms:.2f} ms/call  (stack/bare {bare / stack:.2f}; "
          f"calls {snap['calls']}, retries {snap['retries']})")
    print(f"cached rerun          : {cached:7.2f} s  {args.n / cached:8.1f} calls/s  "
          f"(cache hits {snap2['cache_hits']}, network calls 0)")
    print(f"peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
