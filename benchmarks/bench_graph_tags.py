"""Benchmark: full bokeh catalogue + MovieLens small tags -> graph -> item tags.

Prints wall and CPU time per step and the peak resident memory. Targets on the 2-core
machine: catalogue + graph + tags build < 10 s, peak < 1 GiB; a 5-film related_items
query < 50 ms.

No per-film DoesTheDogDie / Parents Guide data is openly licensed, so to time those loaders
at a realistic size the script writes SYNTHETIC vote files (random votes for 5,000 films x 12
topics and 5,000 films x 5 Parents Guide categories) into a temporary folder. They exist
only to measure speed; the tags they produce are not data and are deleted afterwards.

Usage: python benchmarks/bench_graph_tags.py [--movielens ../shared/data/ml-latest-small]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ML = ROOT.parent / "shared" / "data" / "ml-latest-small"


class Timer:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []

    def __call__(self, name: str, fn: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        self.rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))
        print(f"{name:<44} {self.rows[-1][1]:7.2f} s wall {self.rows[-1][2]:7.2f} s cpu",
              flush=True)
        return out

    def total(self, names: list[str]) -> tuple[float, float]:
        picked = [r for r in self.rows if r[0] in names]
        return sum(r[1] for r in picked), sum(r[2] for r in picked)


def _synthetic_votes(folder: Path, item_ids: list[str], topics: list[int]) -> tuple[Path, Path]:
    rng = random.Random(0)
    films = rng.sample(item_ids, min(5000, len(item_ids)))
    ddd = folder / "ddd_synthetic.csv"
    with ddd.open("w") as fh:
        fh.write("imdb_id,topic_id,yes_votes,no_votes\n")
        for film in films:
            for topic in rng.sample(topics, min(12, len(topics))):
                fh.write(f"{film},{topic},{rng.randint(0, 30)},{rng.randint(0, 30)}\n")
    pg = folder / "pg_synthetic.csv"
    with pg.open("w") as fh:
        fh.write("imdb_id,category,none_votes,mild_votes,moderate_votes,severe_votes\n")
        for film in films:
            for cat in ("Sex & Nudity", "Violence & Gore", "Profanity",
                        "Alcohol, Drugs & Smoking", "Frightening & Intense Scenes"):
                votes = ",".join(str(rng.randint(0, 20)) for _ in range(4))
                fh.write(f'{film},"{cat}",{votes}\n')
    return ddd, pg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movielens", type=Path, default=DEFAULT_ML)
    args = parser.parse_args()

    from datagen.catalogue import load_default_catalogue
    from datagen.catalogue.sources import load_movielens_tags
    from datagen.graph import build_graph, load_graph, related_items, sample_profile, save_graph
    from datagen.tags import (
        TagIndex,
        UnknownPolicy,
        fuse,
        load_ddd_votes,
        load_parents_guide,
        rule_evidence,
        user_tag_evidence,
        write_item_tags,
    )
    from datagen.taxonomy import load_taxonomy

    t = Timer()
    cat = t("catalogue (bokeh, embedded)", load_default_catalogue)
    tax = t("taxonomy (embedded)", load_taxonomy)
    user_tags = t("MovieLens tags -> item ids", lambda: load_movielens_tags(args.movielens, cat))
    g = t("graph build (items + user tags)", lambda: build_graph(cat, user_tags=user_tags))
    rules = t("evidence: genre / MPAA rules", lambda: rule_evidence(cat, tax))
    tagged = t("evidence: user-tag keywords", lambda: user_tag_evidence(user_tags, tax, cat))
    result = t("fusion (items x traits)", lambda: fuse(cat, tax, [rules, tagged]))
    build_steps = [r[0] for r in t.rows]
    build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t("graph save (JSON)", lambda: save_graph(g, folder / "graph.json"))
        t("graph load (JSON)", lambda: load_graph(folder / "graph.json"))
        t("write item_tags.parquet",
          lambda: write_item_tags(result.table, folder / "item_tags.parquet", taxonomy=tax))
        index = t("TagIndex.load", lambda: TagIndex.load(folder / "item_tags.parquet"))
        topics = sorted({tp for tr in tax.traits for tp in tr.dtdd_topics})
        ddd_path, pg_path = _synthetic_votes(folder, [i.item_id for i in cat.items], topics)
        ddd = t("load DDD votes (60k synthetic rows)", lambda: load_ddd_votes(ddd_path, cat))
        pg = t("load Parents Guide (25k synthetic rows)",
               lambda: load_parents_guide(pg_path, cat))
        t("fusion with DDD + PG + rules + user tags",
          lambda: fuse(cat, tax, [rules, tagged, ddd, pg]))

    t("related_items: build index (first call)", lambda: related_items(g, ["tt0468569"]))
    rng = random.Random(1)
    profiles = [sample_profile(g, rng, 5) for _ in range(100)]
    started = time.perf_counter()
    for profile in profiles:
        related_items(g, profile, k=50)
    per_query = (time.perf_counter() - started) / len(profiles) * 1000
    ids = [i.item_id for i in cat.items[:5000]]
    started = time.perf_counter()
    index.safe_for(ids, tax.trait_ids[:3], UnknownPolicy.exclude)
    safe_ms = (time.perf_counter() - started) * 1000

    wall, cpu = t.total(build_steps)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("-" * 76)
    print(f"catalogue + graph + tags build: {wall:.2f} s wall, {cpu:.2f} s cpu (target < 10 s)")
    print(f"related_items, 5-film profile, k=50: {per_query:.2f} ms per query (target < 50)")
    print(f"TagIndex.safe_for, 5,000 items x 3 traits: {safe_ms:.1f} ms")
    print(f"graph: {g.number_of_nodes():,} nodes; tags: {result.table.num_rows:,} rows")
    print(f"peak resident memory: {build_peak:,.0f} MiB after the build steps, "
          f"{peak:,.0f} MiB for the whole script (target < 1024)")


if __name__ == "__main__":
    main()
