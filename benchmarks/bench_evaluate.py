"""Benchmark: evaluate 100,000 predictions of 20 items each (target < 30 s on 2 cores).

Builds a synthetic split over the embedded bokeh catalogue (1-2 traits for 80% of samples,
controls otherwise; 5-10 ground-truth films) and one predictions file of title lists, or with
``--text-share`` a share of raw markdown model answers (parsed with ``extract_titles``).
Titles are mostly clean ``Title (Year)`` forms with noise: articles moved
(``Dark Knight, The``), lower case, missing or off-by-one years, markdown, and invented
films. Tags are fused in memory from the rule evidence. Prints wall and CPU time of each
stage and the peak memory (ru_maxrss).

    python benchmarks/bench_evaluate.py [--samples 100000] [--resamples 1000] [--text-share 0.5]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

TRAITS = ["animal_harm", "spiders_snakes", "gore", "extreme_violence", "self_harm_suicide",
          "needle_phobia", "claustrophobia", "horror_avoider", "young_children", "mental_health"]


_WORDS = ["Secret", "Last Summer", "Silent Echo", "Lost Garden", "Long Night", "Winter Song",
          "Broken Compass", "Hidden River", "Paper Crown", "Glass Harbor"]
_PLACES = ["Avalon", "Marrow Bay", "the North", "Eldridge", "Cold Springs", "Kestrel Hill",
           "Lantern Street", "Saint Ives", "Blue Mesa", "Harrow"]


def _noisy(rng: random.Random, title: str, year: int | None) -> str:
    kind = rng.randrange(8)
    if kind == 0 and title.startswith("The "):
        return f"{title[4:]}, The ({year})"
    if kind == 1:
        return f"{title.lower()} ({year})"
    if kind == 2:
        return title
    if kind == 3 and year:
        return f"{title} ({year + rng.choice((-1, 1))})"
    if kind == 4:
        return f"**{title}** ({year})"
    if kind == 5:  # an invented film: models hallucinate from a limited repertoire
        return f"The {rng.choice(_WORDS)} of {rng.choice(_PLACES)} ({rng.randint(1990, 2020)})"
    return f"{title} ({year})"


def _answer(rng: random.Random, items: list, gt: list[str], by_id: dict) -> list[str]:
    picks = rng.sample(gt, k=min(len(gt), rng.randint(0, 4)))
    picks += [it.item_id for it in rng.sample(items, 20 - len(picks))]
    rng.shuffle(picks)
    out = []
    for item_id in picks:
        it = by_id[item_id]
        out.append(_noisy(rng, it.title, it.year) if rng.random() < 0.3 else it.display)
    return out


def build(n: int, catalogue, work: Path, text_share: float = 0.0,  # type: ignore[no-untyped-def]
          seed: int = 0):
    from datagen.evaluate.predictions import PredictionRecord, write_predictions
    from datagen.evaluate.truth import BenchmarkSplit

    rng = random.Random(seed)
    items = sorted(catalogue.items, key=lambda it: -it.popularity)[:6000]
    by_id = {it.item_id: it for it in catalogue.items}
    ids, traits, liked, gts, records = [], [], [], [], []
    for i in range(n):
        sid = f"b{i:06d}"
        gt = [it.item_id for it in rng.sample(items, rng.randint(5, 10))]
        ids.append(sid)
        traits.append(rng.sample(TRAITS, rng.randint(1, 2)) if rng.random() < 0.8 else [])
        liked.append([it.item_id for it in rng.sample(items, 3)])
        gts.append(gt)
        titles = _answer(rng, items, gt, by_id)
        if rng.random() < text_share:
            text = "Here you go:\n" + "\n".join(f"{j + 1}. {t} - worth a watch"
                                                for j, t in enumerate(titles))
            records.append(PredictionRecord(sample_id=sid, text=text, split="test"))
        else:
            records.append(PredictionRecord(sample_id=sid, titles=tuple(titles), split="test"))
    split = BenchmarkSplit("test", ids, traits, liked, gts, "1.0.0")
    path = write_predictions(records, work / "bench.jsonl")
    return split, path


class _Clock:
    """Wall and CPU seconds since the last lap (CPU time is robust on a shared machine)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out


def _fmt(t: tuple[float, float]) -> str:
    return f"{t[0]:.2f} s wall, {t[1]:.2f} s CPU"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--text-share", type=float, default=0.0,
                    help="share of answers given as raw markdown text (parsed with "
                    "extract_titles) instead of title lists")
    args = ap.parse_args()

    from datagen.catalogue import load_default_catalogue
    from datagen.catalogue.resolver import TitleResolver
    from datagen.evaluate import evaluate_predictions, load_predictions
    from datagen.evaluate.resources import load_tag_index

    clock = _Clock()
    catalogue = load_default_catalogue()
    resolver = TitleResolver(catalogue)
    tags, source = load_tag_index(None, catalogue)
    t_setup = clock.lap()
    with tempfile.TemporaryDirectory() as tmp:
        split, path = build(args.samples, catalogue, Path(tmp), args.text_share)
        t_build = clock.lap()
        pset = load_predictions(path)
        t_load = clock.lap()
        report = evaluate_predictions(split, [pset], resolver, tags,
                                      resamples=args.resamples, seed=0)
        t_eval = clock.lap()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = report.models[0]
    print(f"samples: {args.samples:,} x 20 titles ({args.text_share:.0%} raw text); "
          f"tags: {source}")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"setup (catalogue + resolver + tags): {_fmt(t_setup)}")
    print(f"build synthetic split + write JSONL: {_fmt(t_build)}")
    print(f"load predictions file: {_fmt(t_load)}")
    print(f"evaluate (parse, resolve {report.distinct_titles_resolved:,} distinct strings, "
          f"metrics, {args.resamples} bootstrap resamples x {1 + len(m.by_trait) + 1} groups): "
          f"{_fmt(t_eval)}")
    total = (t_load[0] + t_eval[0], t_load[1] + t_eval[1])
    print(f"load + evaluate: {_fmt(total)} (target < 30 s)")
    print(f"peak memory (ru_maxrss): {peak_mib:.0f} MiB")
    print(f"recall@10 {m.overall.metrics['recall@10'].value:.3f}  "
          f"svr@10 {m.overall.metrics['svr@10'].value:.3f}  "
          f"hallucination {m.overall.metrics['hallucination_rate'].value:.3f}  "
          f"parsed {m.counts.titles_parsed:,} resolved {m.counts.titles_resolved:,}")


if __name__ == "__main__":
    main()
