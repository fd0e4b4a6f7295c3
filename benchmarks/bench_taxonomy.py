"""Benchmark: load the embedded taxonomy and leak-check synthetic dialogues.

Synthesis verification runs the leak check on every generated dialogue, so its cost per
dialogue matters. Dialogues are built from the taxonomy's own cue ideas (leak-free) mixed
with ordinary movie talk; one in ten gets a leak phrase appended. Prints wall times and peak
memory (tracemalloc for the matcher, ru_maxrss for the process).

    python benchmarks/bench_taxonomy.py [--dialogues 20000]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datagen.taxonomy import Taxonomy

FILLER = [
    "I loved Paddington 2 and The Grand Budapest Hotel.",
    "Something from the nineties would be great, maybe with Tom Hanks.",
    "We watched Knives Out last week and wanted more like that!",
    "Not too long please, it's a school night.",
    "Any good heist films? Ocean's Eleven is my favourite.",
]


def _dialogues(tax: Taxonomy, count: int, rng: random.Random) -> list[str]:
    cues = [c.text for t in tax.traits for c in t.cues]
    leaks = [term for t in tax.traits for term in t.leak_terms]
    out = []
    for i in range(count):
        turns = [*rng.sample(FILLER, 3), rng.choice(cues)]
        if i % 10 == 0:
            turns.append(f"Oh and {rng.choice(leaks)}, by the way.")
        rng.shuffle(turns)
        out.append(" ".join(turns))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=20_000)
    args = parser.parse_args()

    start = time.perf_counter()
    from datagen.taxonomy import LeakMatcher, load_taxonomy

    tax = load_taxonomy()
    loaded = time.perf_counter()
    tracemalloc.start()
    matcher = LeakMatcher(tax)
    _, matcher_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    built = time.perf_counter()

    texts = _dialogues(tax, args.dialogues, random.Random(7))
    chars = sum(len(t) for t in texts)
    t0 = time.perf_counter()
    flagged = sum(1 for text in texts if matcher.find(text))
    elapsed = time.perf_counter() - t0

    print(f"load_taxonomy (import + parse + validate): {loaded - start:.3f} s "
          f"({tax.version_tag}, {len(tax.traits)} traits)")
    print(f"LeakMatcher build: {built - loaded:.3f} s, peak {matcher_peak / 2**20:.1f} MiB")
    print(f"leak check: {len(texts):,} dialogues ({chars / len(texts):.0f} chars avg) in "
          f"{elapsed:.3f} s = {len(texts) / elapsed:,.0f}/s; flagged {flagged:,} "
          f"(expected >= {len(texts) // 10:,})")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
