"""Benchmark: `datagen predict` against a bare AsyncOpenAI client, same server, same run.

The fake OpenAI-compatible server (a test double, not an LLM) runs in its own process with a
fixed latency and the fake recommender responder. N test dialogues (a split written here)
are answered at concurrency C by:

1. bare: ``openai.AsyncOpenAI`` (SDK retries off, aiohttp transport like our backend) under
   an ``asyncio.Semaphore(C)``, sending the very messages predict sends, nothing written;
2. predict: :func:`datagen.predict.predict` end to end, from reading the split to the merged
   predictions file and stats.json: preflight, the shared backend stack (retries, adaptive
   limiter, metering), one SQLite cache write per answer, JSONL shards with done markers;
3. predict again on the same run (``--overwrite``): every answer from the cache.

The ceiling is C / latency (64 / 0.2 s = 320 calls/s). Run:
``python benchmarks/bench_predict.py --n 1000 --concurrency 64 --latency 0.2``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path


def _write_split(run: Path, n: int) -> None:
    from datagen.parquet_io import write_parquet
    from datagen.records.sample import (
        SAMPLE_SCHEMA,
        Generation,
        ItemRef,
        Sample,
        Turn,
        Verification,
        samples_to_table,
    )

    variants = ("implicit", "explicit", "absent")
    samples = []
    for i in range(n):
        user = i // 3
        samples.append(Sample(
            sample_id=f"s-{i:06d}", pair_id=f"p-{user:06d}", variant=variants[i % 3],
            taxonomy_version="saferec@bench", seed_source="graph_profile",
            seed_id=f"seed-{user}", traits=["gore"],
            messages=[Turn(role="user", content=f"Hi! I'm after a film for tonight, user {user}."
                           " I loved Heat and Collateral, tense but smart."),
                      Turn(role="assistant", content="Great picks! What did you like most?"),
                      Turn(role="user", content="The characters, and a story that moves."),
                      Turn(role="assistant", content="Anything I should keep in mind?"),
                      Turn(role="user", content="Not too long, please. What do you suggest?")],
            liked_items=[ItemRef(item_id="tt0113277", title="Heat", year=1995)],
            ground_truth=[ItemRef(item_id="tt0369339", title="Collateral", year=2004)],
            generation=Generation(backend="offline", model="bench", is_llm=False,
                                  prompt_version="bench"),
            verification=Verification(passed=True, leak_passed=True)))
    write_parquet(samples_to_table(samples), run / "splits" / "test.parquet", SAMPLE_SCHEMA)


async def _bare(base_url: str, run: Path, concurrency: int, n_films: int) -> float:
    import openai

    from datagen.predict.cases import load_cases
    from datagen.predict.prompts import load_recommender_prompt
    from datagen.predict.tasks import recommendation_messages, request_seed

    prompt = load_recommender_prompt("plain")
    cases = load_cases(run, "test").cases
    bodies = [([{"role": m.role, "content": m.content}
                for m in recommendation_messages(c, prompt, n=n_films)], request_seed(c.sample_id))
              for c in cases]
    client = openai.AsyncOpenAI(api_key="bench", base_url=base_url, max_retries=0,
                                http_client=openai.DefaultAioHttpClient())
    sem = asyncio.Semaphore(concurrency)

    async def one(messages: list, seed: int) -> str:
        async with sem:
            out = await client.chat.completions.create(model="fake-model", messages=messages,
                                                       temperature=0.0, max_tokens=1024,
                                                       seed=seed)
            return out.choices[0].message.content or ""

    await one(*bodies[0])  # warm up: connection and lazy imports
    start = time.perf_counter()
    await asyncio.gather(*(one(m, s) for m, s in bodies))
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed


def _predict(base_url: str, run: Path, concurrency: int, n_films: int, overwrite: bool,
             cache: Path) -> tuple[float, dict]:
    from datagen.predict import PredictConfig, predict

    config = PredictConfig(run_dir=run, model="fake-model", base_url=base_url,
                           concurrency=concurrency, n=n_films, overwrite=overwrite,
                           cache_path=cache, progress=False)
    start = time.perf_counter()
    result = predict(config)
    return time.perf_counter() - start, result.stats


def main() -> None:
    from datagen.llm.fake_server_proc import FakeServerProcess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--films", type=int, default=20, help="films asked for per answer")
    args = parser.parse_args()
    bound = args.concurrency / args.latency
    with FakeServerProcess(latency=args.latency,
                           responder="datagen.predict.fake_responder:recommend") as srv, \
            tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        _write_split(run, args.n)
        url, conc = srv.openai_base_url, args.concurrency
        bare = asyncio.run(_bare(url, run, conc, args.films))
        cache = Path(tmp) / "cache.sqlite"
        ours, stats = _predict(url, run, conc, args.films, False, cache)
        before = srv.stats()["requests"]
        cached, stats2 = _predict(url, run, conc, args.films, True, cache)
        assert srv.stats()["requests"] == before, "cached rerun made chat calls"
        bare2 = asyncio.run(_bare(url, run, conc, args.films))
    n = args.n
    best_bare = min(bare, bare2)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fake server latency {args.latency}s, concurrency {conc}, N={n}, "
          f"ceiling {bound:.0f} calls/s, load average {os.getloadavg()[0]:.2f}")
    print(f"bare AsyncOpenAI (2 passes) : {bare:6.2f} s / {bare2:6.2f} s  "
          f"{n / best_bare:7.1f} calls/s (best)  ratio to ceiling {n / best_bare / bound:.2f}")
    print(f"datagen predict, end to end : {ours:6.2f} s  {n / ours:7.1f} answers/s  "
          f"ratio to ceiling {n / ours / bound:.2f}  predict/bare {best_bare / ours:.2f}  "
          f"(answers {stats['answers']}, errors {stats['errors']}, "
          f"parse failures {stats['parse_failures']})")
    print(f"predict, cached rerun       : {cached:6.2f} s  {n / cached:7.1f} answers/s  "
          f"(cached answers {stats2['cached_answers']}, chat calls 0)")
    print(f"peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
