"""Benchmark: split + every export + HF folder for 100,000 synthetic samples.

Samples are built as Arrow columns directly (no pydantic), with realistic sizes: 4 turns of
~50 words, 10 ground-truth films, 4 liked films, 6 dropped candidates from the real default
catalogue, a raw model output of ~1.5 kB, 1% planted exact duplicates and 1% near
duplicates. The pipeline then runs in a fresh child process so that its peak memory is
measured alone: read -> split (dedup, MinHash, grouping, leak report) -> write splits ->
sft, sft_prompt_completion, gdpo, dpo, samples -> HF folder. Targets: < 60 s, < 2 GiB.

    python benchmarks/bench_split_export.py [--n 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

TRAITS = ["animal_harm", "spiders_snakes", "gore", "extreme_violence", "self_harm_suicide",
          "substance_recovery", "claustrophobia", "horror_avoider", "young_children"]
WORDS = [
    "movie", "film", "night", "friend", "watch", "love", "like", "story", "ending", "scene",
    "scary", "funny", "sad", "quiet", "family", "weekend", "dog", "cat", "sister", "brother",
    "old", "new", "classic", "slow", "fast", "music", "city", "road", "trip", "heist", "space",
    "court", "war", "sea", "mountain", "winter", "summer", "book", "favourite", "cast",
    "director", "twist", "plot", "character", "hero", "villain", "kid", "parent", "school",
    "work", "tired", "cozy", "laugh", "cry",
]


def _list(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def _items(rng, ids, titles, years, n, per) -> pa.Array:
    idx = rng.integers(0, len(ids), n * per)
    struct = pa.StructArray.from_arrays(
        [pa.array(ids[idx]), pa.array(titles[idx]), pa.array(years[idx], pa.int32())],
        names=["item_id", "title", "year"])
    return _list(np.arange(0, n * per + 1, per), struct)


def _messages(rng, n: int, exact: np.ndarray, near: np.ndarray) -> pa.Array:
    """4 turns of 4 sentences; rows in ``exact``/``near`` copy the dialogue of the row
    before (``near`` then gets one sentence replaced: Jaccard ~0.85)."""
    pool = [" ".join(rng.choice(WORDS, 12)) + "." for _ in range(40_000)]
    picks = rng.integers(0, len(pool), (n, 4, 4))
    picks[exact] = picks[exact - 1]
    picks[near] = picks[near - 1]
    picks[near, 2, 1] = rng.integers(0, len(pool), len(near))
    picks = picks.reshape(n * 4, 4)
    contents = [" ".join(pool[j] for j in row) for row in picks]
    roles = pa.array(["user", "assistant", "user", "assistant"] * n)
    turns = pa.StructArray.from_arrays([roles, pa.array(contents)], names=["role", "content"])
    return _list(np.arange(0, n * 4 + 1, 4), turns)


def _traits(rng, n: int) -> tuple[pa.Array, list[str | None]]:
    counts = rng.choice([0, 1, 1, 1, 2], n)
    values = [TRAITS[i] for c in counts for i in rng.choice(len(TRAITS), c, replace=False)]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    first = [values[offsets[i]] if counts[i] else None for i in range(n)]
    return _list(offsets, pa.array(values, pa.string())), first


def _dropped(rng, ids, titles, years, first_trait, n: int) -> pa.Array:
    per = 6
    idx = rng.integers(0, len(ids), n * per)
    status = np.where(np.arange(n * per) % 3 == 2, "unknown", "yes")
    trait = np.repeat(np.array(first_trait, dtype=object), per)
    struct = pa.StructArray.from_arrays(
        [pa.array(ids[idx]), pa.array(titles[idx]), pa.array(years[idx], pa.int32()),
         pa.array(trait, pa.string()), pa.array(status), pa.array(rng.random(n * per)),
         pa.array(np.char.add("unsafe:", status.astype(str)))],
        names=["item_id", "title", "year", "trait_id", "status", "score", "reason"])
    has = np.array([t is not None for t in first_trait])
    offsets = np.concatenate([[0], np.cumsum(np.where(has, per, 0))])
    keep = np.repeat(has, per)
    return _list(offsets, struct.filter(pa.array(keep)))


def make_table(n: int, seed: int = 0) -> pa.Table:
    """``n`` Sample-shaped rows with SAMPLE_SCHEMA, built column-wise."""
    from datagen.catalogue import load_default_catalogue
    from datagen.records.sample import SAMPLE_SCHEMA

    rng = np.random.default_rng(seed)
    items = [it for it in load_default_catalogue().items if it.year]
    ids = np.array([it.item_id for it in items])
    titles = np.array([it.title for it in items])
    years = np.array([it.year for it in items])
    traits, first = _traits(rng, n)
    gen_t = SAMPLE_SCHEMA.field("generation").type
    ver_t = SAMPLE_SCHEMA.field("verification").type
    raw = "x" * 1500
    gen = pa.array([{"backend": "openai", "model": "gpt-4o-mini", "is_llm": True,
                     "prompt_version": "v1", "temperature": 0.7, "seed": 1,
                     "input_tokens": 900, "output_tokens": 400, "cached": False,
                     "attempts": 1, "raw_output": raw}] * n, gen_t)
    ver = pa.array([{"passed": True, "leak_passed": True, "leak_hits": [],
                     "schema_valid": True, "judge_backend": "openai", "judge_model": "gpt-4o",
                     "judge_is_llm": True, "judge_traits": [], "judge_agreement": 1.0,
                     "inferable": True, "ground_truth_safe": True, "flags": []}] * n, ver_t)
    seeds = rng.integers(0, n // 2, n)
    planted = rng.choice(np.arange(1, n), n // 50, replace=False)
    exact, near = planted[: n // 100], planted[n // 100:]
    cols = {
        "sample_id": pa.array([f"s{i:07d}" for i in range(n)]),
        "pair_id": pa.nulls(n, pa.string()),
        "variant": pa.array(["single"] * n),
        "domain": pa.array(["movies"] * n),
        "taxonomy_version": pa.array(["saferec@1.0.0+030d4f67dde7"] * n),
        "seed_source": pa.array(["graph_profile"] * n),
        "seed_id": pa.array([f"seed-{s}" for s in seeds]),
        "traits": traits,
        "cues": pa.nulls(n, SAMPLE_SCHEMA.field("cues").type).fill_null(pa.scalar(
            [], SAMPLE_SCHEMA.field("cues").type)),
        "messages": _messages(rng, n, exact, near),
        "liked_items": _items(rng, ids, titles, years, n, 4),
        "ground_truth": _items(rng, ids, titles, years, n, 10),
        "dropped_candidates": _dropped(rng, ids, titles, years, first, n),
        "generation": gen,
        "verification": ver,
        "human": pa.nulls(n, SAMPLE_SCHEMA.field("human").type),
        "content_hash": pa.array([f"{i:064x}" for i in range(n)]),
    }
    hashes = cols["content_hash"].to_numpy(zero_copy_only=False).astype(object)
    hashes[exact] = hashes[exact - 1]
    cols["content_hash"] = pa.array(hashes, pa.string())
    return pa.table(cols, schema=SAMPLE_SCHEMA)


def pipeline(run_dir: Path) -> dict:
    """Read, split, write, export all formats, write the HF folder; return timings."""
    from datagen.catalogue import load_default_catalogue
    from datagen.catalogue.resolver import TitleResolver
    from datagen.parquet_io import read_parquet
    from datagen.records.sample import SAMPLE_SCHEMA
    from datagen.splits import split_samples, write_split_result
    from datagen.taxonomy import load_taxonomy
    from exports import iter_exports, write_dataset_folder
    from exports.preference import PreferenceSources

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    table = read_parquet(run_dir / "samples.parquet", SAMPLE_SCHEMA)
    t["read"] = time.perf_counter() - t0
    res = split_samples(table)
    del table  # the split tables are copies
    write_split_result(res, run_dir)
    t["split"] = time.perf_counter() - t0 - sum(t.values())
    cat = load_default_catalogue()
    sources = PreferenceSources.from_catalogue(cat, TitleResolver(cat))
    chunks = iter_exports(res.tables, taxonomy=load_taxonomy(), sources=sources)
    rows = write_dataset_folder(run_dir / "hf", chunks, res.tables)
    t["exports_and_hf_folder"] = time.perf_counter() - t0 - sum(t.values())
    t["total"] = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    t["cpu_user_plus_sys"] = usage.ru_utime + usage.ru_stime
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    return {"seconds": {k: round(v, 2) for k, v in t.items()}, "peak_rss_gib": round(peak, 3),
            "split_report": {k: v for k, v in res.report.items() if k.startswith(("dropped",
                             "kept", "counts", "input"))},
            "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, default=None, help="keep the run folder here")
    ap.add_argument("--pipeline", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pipeline:
        print(json.dumps(pipeline(args.pipeline)))
        return
    from datagen.parquet_io import write_parquet
    from datagen.records.sample import SAMPLE_SCHEMA

    with tempfile.TemporaryDirectory() as tmp:
        run = args.keep or Path(tmp) / "run"
        t0 = time.perf_counter()
        write_parquet(make_table(args.n), run / "samples.parquet", SAMPLE_SCHEMA)
        made = time.perf_counter() - t0
        out = subprocess.run([sys.executable, __file__, "--pipeline", str(run)],
                             capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    size = args.n
    print(f"synthesized {size:,} samples in {made:.1f} s (not part of the targets)")
    print(json.dumps(figures, indent=2))
    ok_t, ok_m = figures["seconds"]["total"] < 60, figures["peak_rss_gib"] < 2
    sec = figures["seconds"]
    print(f"total {sec['total']:.1f} s wall, {sec['cpu_user_plus_sys']:.1f} s CPU "
          f"(target < 60: {'ok' if ok_t else 'MISS'}), "
          f"peak RSS {figures['peak_rss_gib']:.2f} GiB (target < 2: {'ok' if ok_m else 'MISS'})")


if __name__ == "__main__":
    main()
