"""Benchmark `datagen synthesize`: offline backend, LLM backend against the fake server, cache.

1. offline: ``datagen synthesize --n N`` in a subprocess (wall, CPU, peak RSS of the child);
   targets: < 30 s and < 1 GiB for 10,000 users.
2. openai backend against owner D's fake server (a test double, not an LLM) in its own
   process, 200 ms latency, concurrency 64, responder ``datagen.synth.fake_responder``. The
   judge is the offline heuristic, so each dialogue is exactly one call, and the unknown
   policy is ``allow`` so that (almost) every planned user reaches the model. Rate =
   dialogues that went to the model / wall time of the run (inputs loaded beforehand);
   target >= 0.9 of the bound concurrency / latency.
3. cached rerun of the same plan (zero calls; target < 10 s).
4. the bare-client ceiling: ``openai.AsyncOpenAI`` with a semaphore, same server, no
   synthesis at all, to show what the SDK alone reaches on this machine.

Run: ``python benchmarks/bench_synthesize.py --n 10000`` (``--skip-llm`` / ``--skip-offline``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESPONDER = "datagen.synth.fake_responder:respond"


def _children() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def bench_offline(n: int, folder: Path) -> dict[str, float]:
    datagen = str(Path(sys.executable).with_name("datagen"))
    cpu0, _ = _children()
    start = time.perf_counter()
    out = subprocess.run([datagen, "synthesize", "--n", str(n), "--run-dir",
                          str(folder / "offline"), "--no-progress", "--json"],
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    cpu1, rss_kb = _children()
    stats = json.loads(out.stdout)
    validity = stats["validity"]
    return {"wall_s": wall, "cpu_s": cpu1 - cpu0, "peak_rss_mib": rss_kb / 1024,
            "samples": stats["samples"], "verified": stats["verified"],
            "planned": stats["planned"], "draws": validity["attempts"]["total"],
            "lost": validity["users"]["lost_at_ground_truth"]}


def bench_llm(n: int, concurrency: int, latency: float, folder: Path) -> dict[str, float]:
    from datagen.llm.fake_server_proc import FakeServerProcess
    from datagen.synth.config import SynthConfig
    from datagen.synth.resources import load_resources
    from datagen.synth.runner import synthesize

    with FakeServerProcess(latency=latency, responder=RESPONDER) as srv:
        cfg = SynthConfig(n=n, backend="openai", model="fake-model", base_url=srv.openai_base_url,
                          judge_backend="offline", unknown_policy="allow",
                          concurrency=concurrency, run_dir=folder / "llm" / "run",
                          cache_path=folder / "llm" / "cache.sqlite", progress=False,
                          max_tokens=512)
        start = time.perf_counter()
        res = load_resources(cfg)
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        stats = synthesize(cfg, resources=res).stats
        run_s = time.perf_counter() - start
        calls = srv.stats()["requests"]
        dialogues = stats["planned"] - stats["validity"]["users"]["lost_at_ground_truth"]
        start = time.perf_counter()
        again = synthesize(cfg.model_copy(update={"overwrite": True}), resources=res).stats
        cached_s = time.perf_counter() - start
        cached_calls = srv.stats()["requests"] - calls
        bare_rate = asyncio.run(_bare_rate(srv.openai_base_url, min(n, 2000), concurrency))
    bound = concurrency / latency
    return {"load_s": load_s, "run_s": run_s, "dialogues": dialogues, "calls": calls,
            "rate": dialogues / run_s, "bound": bound, "ratio": dialogues / run_s / bound,
            "cached_s": cached_s, "cached_calls": cached_calls,
            "cached_samples": again["cached_samples"], "bare_rate": bare_rate,
            "bare_ratio": bare_rate / bound}


async def _bare_rate(base_url: str, n: int, concurrency: int) -> float:
    import openai

    client = openai.AsyncOpenAI(api_key="bench", base_url=base_url, max_retries=0)
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await client.chat.completions.create(
                model="fake-model", max_tokens=64, seed=i,
                messages=[{"role": "user", "content": f"Liked films: F{i}\nWrite it now."}])

    await one(-1)
    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - start
    await client.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--skip-offline", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        folder = Path(tmp)
        if not args.skip_offline:
            r = bench_offline(args.n, folder)
            print(f"offline  {r['planned']:,} users -> {r['samples']:,} samples "
                  f"({r['verified']:,} verified): wall {r['wall_s']:.1f} s, CPU "
                  f"{r['cpu_s']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB "
                  f"(targets < 30 s, < 1024 MiB); {r['draws']:,} users drawn, "
                  f"{r['lost']:,} lost")
        if not args.skip_llm:
            r = bench_llm(args.n, args.concurrency, args.latency, folder)
            print(f"openai   {r['dialogues']:,} dialogues, {r['calls']:,} calls in "
                  f"{r['run_s']:.1f} s (inputs loaded in {r['load_s']:.1f} s before): "
                  f"{r['rate']:.1f} dialogues/s = {r['ratio']:.2f} x bound "
                  f"{r['bound']:.0f}/s (target >= 0.9; offline judge, 1 call/dialogue)")
            print(f"cached   rerun of the same plan: {r['cached_s']:.1f} s, "
                  f"{r['cached_calls']} calls, {r['cached_samples']:,} cached samples "
                  f"(target < 10 s)")
            print(f"ceiling  bare AsyncOpenAI, same server: {r['bare_rate']:.1f} calls/s = "
                  f"{r['bare_ratio']:.2f} x bound")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
