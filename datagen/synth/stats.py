"""``stats.json``: what a run produced and lost, counted from the merged tables.

Counted from ``samples.parquet`` and ``rejects.parquet`` (not from in-memory counters), so a
resumed run reports the whole run. The counts add up: ``planned == samples + rejects`` and
``samples == verified + failed_verification``. Drops are ``dropped_<reason>``; failing
verification checks are ``flag_<check>`` (a sample may carry several). ``validity`` holds
the dataset-validity statistics of :mod:`datagen.synth.validity` (users planned and produced
per trait, draws, starvation, ground-truth relatedness, liked-film statuses...).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pyarrow as pa

from datagen.synth.validity import RunFacts, validity_stats

__all__ = ["compute_stats"]


def _col(table: pa.Table, path: str) -> list[Any]:
    head, *rest = path.split(".")
    arr: Any = table.column(head).combine_chunks()
    for name in rest:
        arr = arr.field(name)
    return arr.to_pylist()


def _per_trait(samples: pa.Table, rejects: pa.Table) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    passed = _col(samples, "verification.passed")
    for traits, ok in zip(_col(samples, "traits"), passed, strict=True):
        for trait in traits or ["(control)"]:
            out[trait]["samples"] += 1
            out[trait]["verified"] += int(bool(ok))
    for traits, reason in zip(_col(rejects, "traits"), _col(rejects, "reason"), strict=True):
        for trait in traits or ["(control)"]:
            out[trait][f"dropped_{reason}"] += 1
    return {t: dict(sorted(c.items())) for t, c in sorted(out.items())}


def _per_strategy(samples: pa.Table) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for cues, ok in zip(_col(samples, "cues"), _col(samples, "verification.passed"), strict=True):
        for cue in cues:
            out[cue["strategy"]]["cues"] += 1
            out[cue["strategy"]]["verified"] += int(bool(ok))
    return {s: dict(c) for s, c in sorted(out.items())}


def compute_stats(samples: pa.Table, rejects: pa.Table, *, planned: int,
                  labels: dict[str, Any], duration_s: float, prices: tuple[float, float],
                  usage: dict[str, Any] | None = None,
                  facts: RunFacts | None = None) -> dict[str, Any]:
    """The stats document (see module docstring); ``prices`` = USD per 1M in/out tokens."""
    passed = _col(samples, "verification.passed")
    verified = sum(bool(p) for p in passed)
    flags: Counter[str] = Counter()
    for row in _col(samples, "verification.flags"):
        flags.update({f.split(":")[0] for f in row})
    reasons = Counter(_col(rejects, "reason"))
    tokens_in = sum(_col(samples, "generation.input_tokens")) + sum(_col(rejects, "input_tokens"))
    tokens_out = sum(_col(samples, "generation.output_tokens")) + \
        sum(_col(rejects, "output_tokens"))
    cached = sum(bool(c) for c in _col(samples, "generation.cached"))
    variants = Counter(_col(samples, "variant"))
    controls = sum(1 for t in _col(samples, "traits") if not t)
    stats: dict[str, Any] = {
        "planned": planned,
        "samples": samples.num_rows,
        "verified": verified,
        "failed_verification": samples.num_rows - verified,
        "rejects": rejects.num_rows,
        "controls": controls,
        "variants": dict(variants),
        **{f"dropped_{r}": n for r, n in sorted(reasons.items())},
        **{f"flag_{f}": n for f, n in sorted(flags.items())},
        "per_trait": _per_trait(samples, rejects),
        "per_strategy": _per_strategy(samples),
        "tokens": {"input": tokens_in, "output": tokens_out},
        "cost_usd": round((tokens_in * prices[0] + tokens_out * prices[1]) / 1e6, 6),
        "cached_samples": cached,
        "duration_s": round(duration_s, 3),
        "validity": validity_stats(samples, rejects, facts),
        **labels,
    }
    if usage is not None:
        stats["usage_this_session"] = usage
    return stats
