"""Benchmark `datagen synthesize`: offline backend, and the LLM pipe against a bare client.

1. offline: ``datagen synthesize --n N`` in a subprocess (wall, CPU, peak RSS of the child);
   targets: < 30 s and < 1 GiB for 10,000 users.
2. the throughput table (issue 10): one fake OpenAI-compatible server (a test double, not an
   LLM) in its own process, 200 ms latency, responder ``datagen.synth.fake_responder``; at
   each concurrency C (16, 64), in the same run and alternating, each as its own process:
   * ``bare httpx``: ``openai.AsyncOpenAI`` (SDK defaults: httpx transport, retries off)
     under an ``asyncio.Semaphore(C)``, sending the same dialogue prompts, nothing else;
   * ``bare aiohttp``: the same with the SDK's aiohttp transport (what datagen uses);
   * ``datagen``: ``datagen synthesize --n N --concurrency C`` with the offline judge and
     the unknown policy ``allow`` (one call per planned user), reusing built artifacts
     (``artifacts/graph.json``, ``artifacts/item_tags.parquet``, built once beforehand),
     a fresh response cache, structured output ``json_schema`` fixed (no probe call).
   Rate = requests / (last answer - first request) at the server; bound = C / latency;
   client CPU and peak RSS from the child's rusage (the largest of its processes); start to
   first call = launch of the process -> first request at the server.
3. cached rerun of the same plan (zero calls; target < 10 s).

Targets (issue 10): datagen at C=64 >= 0.9 x the bare client's rate in the same run, start
to first call < 3 s, peak RSS < 500 MB.

Run: ``python benchmarks/bench_synthesize.py --skip-offline --rounds 2`` (``--n`` users of the
LLM runs, ``--offline-n`` of the offline one, ``--skip-llm``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def _run_child(cmd: list[str], srv: Any, cwd: Path) -> dict[str, float]:
    """Run one client process against ``srv``: the rate the server saw, and the child's own
    CPU, peak RSS (the largest of its processes) and time from launch to its first request."""
    srv.control(reset_stats=True)
    launched = time.time()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd[:3]} failed: {err.read()[-2000:]}")
    stats = srv.stats()
    span = max(1e-9, stats["last_at"] - stats["first_at"])
    return {"calls": stats["requests"], "rate": stats["requests"] / span,
            "cpu_s": usage.ru_utime + usage.ru_stime, "start_s": stats["first_at"] - launched,
            "rss_mib": usage.ru_maxrss / 1024, "max_in_flight": stats["max_in_flight"]}


def _prompts(n: int, folder: Path) -> Path:
    """The dialogue prompts datagen sends, for the bare clients (so both send the same)."""
    from datagen.synth.plan import CuePlan, PlanEntry
    from datagen.synth.tasks import build_dialogue_messages

    rows = []
    for i in range(n):
        cues = [CuePlan(trait_id="claustrophobia", strategy="mention", idea="small rooms",
                        user_turn=1)] if i % 5 else []
        entry = PlanEntry(index=i, sample_id=f"s{i}", seed_id=f"g{i}", seed_source="graph",
                          traits=[c.trait_id for c in cues], cues=cues, n_user_turns=3 + i % 3,
                          rng_seed=i)
        rows.append([m.model_dump() for m in build_dialogue_messages(entry)])
    path = folder / "prompts.json"
    path.write_text(json.dumps(rows))
    return path


_BARE = """
import asyncio, json, sys
import openai
url, path, c, transport = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
prompts = json.load(open(path))
async def main():
    http = openai.DefaultAioHttpClient() if transport == "aiohttp" else None
    client = openai.AsyncOpenAI(api_key="bench", base_url=url, max_retries=0, http_client=http)
    sem = asyncio.Semaphore(c)
    async def one(i, messages):
        async with sem:
            r = await client.chat.completions.create(model="fake-model", messages=messages,
                                                     max_tokens=512, seed=i, temperature=0.8)
            json.loads(r.choices[0].message.content)
    await asyncio.gather(*(one(i, m) for i, m in enumerate(prompts)))
    await client.close()
asyncio.run(main())
"""


def _artifacts(folder: Path) -> None:
    datagen = str(Path(sys.executable).with_name("datagen"))
    for cmd in (["graph", "build"], ["tags", "build"]):
        subprocess.run([datagen, *cmd], cwd=folder, check=True, capture_output=True)


def _datagen_cmd(url: str, n: int, c: int, run_dir: Path, cache: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("datagen")), "synthesize", "--n", str(n),
            "--backend", "openai", "--model", "fake-model", "--base-url", url,
            "--judge-backend", "offline", "--unknown-policy", "allow", "--concurrency", str(c),
            "--max-tokens", "512", "--structured-output", "json_schema", "--no-progress",
            "--json", "--run-dir", str(run_dir), "--cache", str(cache)]


def bench_table(n: int, latency: float, concurrencies: list[int], rounds: int,
                folder: Path) -> list[dict[str, Any]]:
    from datagen.llm.fake_server_proc import FakeServerProcess

    _artifacts(folder)
    prompts = _prompts(n, folder)
    rows: list[dict[str, Any]] = []
    with FakeServerProcess(latency=latency, responder=RESPONDER) as srv:
        for rnd in range(rounds):
            for c in concurrencies:
                for name in ("bare httpx", "bare aiohttp", "datagen"):
                    if name == "datagen":
                        cmd = _datagen_cmd(srv.openai_base_url, n, c, folder / f"run-{rnd}-{c}",
                                           folder / f"cache-{rnd}-{c}.sqlite")
                    else:
                        cmd = [sys.executable, "-c", _BARE, srv.openai_base_url, str(prompts),
                               str(c), name.split()[1]]
                    row = _run_child(cmd, srv, folder)
                    row.update(client=name, concurrency=c, round=rnd + 1, bound=c / latency)
                    rows.append(row)
        c = concurrencies[-1]
        cmd = [*_datagen_cmd(srv.openai_base_url, n, c, folder / f"run-0-{c}",
                             folder / f"cache-0-{c}.sqlite"), "--overwrite"]
        srv.control(reset_stats=True)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=folder, check=True, capture_output=True)
        rows.append({"client": "cached rerun", "wall_s": time.perf_counter() - start,
                     "calls": srv.stats()["requests"]})
    return rows


def _print_table(rows: list[dict[str, Any]]) -> None:
    print("| round | client | C | calls/s (of bound) | client CPU s | start to 1st call | "
          "peak RSS | server peak in flight |")
    print("|---|---|---|---|---|---|---|---|")
    timed = [r for r in rows if r["client"] != "cached rerun"]
    for r in timed:
        print(f"| {r['round']} | {r['client']} | {r['concurrency']} | {r['rate']:.0f} "
              f"({r['rate'] / r['bound']:.2f}) | {r['cpu_s']:.1f} | {r['start_s']:.1f} s | "
              f"{r['rss_mib']:.0f} MiB | {r['max_in_flight']} |")
    for r in timed:
        if r["client"] == "datagen":
            bare = [b for b in timed if b["round"] == r["round"] and
                    b["concurrency"] == r["concurrency"] and b["client"] != "datagen"]
            ratios = ", ".join(f"{b['client']} {r['rate'] / b['rate']:.2f}" for b in bare)
            print(f"round {r['round']} C={r['concurrency']}: datagen rate / {ratios}")
    for r in rows:
        if r["client"] == "cached rerun":
            print(f"cached rerun of the same plan: {r['wall_s']:.1f} s, {r['calls']} calls "
                  "(target < 10 s, 0 calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2100, help="users of the LLM runs")
    parser.add_argument("--offline-n", type=int, default=10_000, help="users of the offline run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--skip-offline", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        folder = Path(tmp)
        if not args.skip_offline:
            r = bench_offline(args.offline_n, folder)
            print(f"offline  {r['planned']:,} users -> {r['samples']:,} samples "
                  f"({r['verified']:,} verified): wall {r['wall_s']:.1f} s, CPU "
                  f"{r['cpu_s']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB "
                  f"(targets < 30 s, < 1024 MiB); {r['draws']:,} users drawn, "
                  f"{r['lost']:,} lost")
        if not args.skip_llm:
            _print_table(bench_table(args.n, args.latency, args.concurrency, args.rounds,
                                     folder))
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
