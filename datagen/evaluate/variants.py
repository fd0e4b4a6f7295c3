"""Context variants in evaluation: every metric per variant, and paired differences.

A split made with ``synthesize --variants implicit,explicit,absent`` holds, for each trait
user, one sample per variant sharing ``pair_id`` (same profile, traits and ground truth; only
how the sensitivity shows differs). The benchmark's central figures are the gaps between
variants, so they are computed on the pairs themselves: for variants A and B, the difference
of a metric is the mean over pairs having both of ``metric(A sample) - metric(B sample)``
(pairs where either is undefined are left out), and its interval is a percentile bootstrap
that resamples *pairs* (:func:`datagen.evaluate.bootstrap.bootstrap_ci`), so the user-level
variation that both variants share cancels out. Differences are reported in the order of
:data:`VARIANT_ORDER`: explicit - implicit, explicit - absent, implicit - absent, ...
Variant names of older runs are mapped (``single`` / ``context_rich`` -> implicit,
``context_free`` -> absent).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from datagen.evaluate.bootstrap import bootstrap_ci
from datagen.evaluate.models import MetricValue, VariantDifference
from datagen.evaluate.truth import BenchmarkSplit

__all__ = ["VARIANT_ALIASES", "VARIANT_ORDER", "canonical_variant", "paired_differences",
           "variant_masks"]

#: the order tables use; a difference is always an earlier variant minus a later one
VARIANT_ORDER = ("explicit", "implicit", "absent", "acquisition")
#: variant names of runs made before the implicit / explicit / absent naming
VARIANT_ALIASES = {"single": "implicit", "context_rich": "implicit", "context_free": "absent"}


def canonical_variant(name: str | None) -> str:
    """``implicit`` / ``explicit`` / ``absent`` / ...; older names mapped, empty = implicit."""
    return VARIANT_ALIASES.get(name or "implicit", name or "implicit")


def _rank(name: str) -> tuple[int, str]:
    return (VARIANT_ORDER.index(name) if name in VARIANT_ORDER else len(VARIANT_ORDER), name)


def variant_masks(split: BenchmarkSplit) -> dict[str, np.ndarray]:
    """Boolean sample mask per canonical variant, in :data:`VARIANT_ORDER` (unknown names
    last, alphabetically). Empty when the split has no variant column."""
    if not split.variants:
        return {}
    names = np.array([canonical_variant(v) for v in split.variants])
    return {v: names == v for v in sorted(set(names.tolist()), key=_rank)}


def _pairs(split: BenchmarkSplit, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of the A and B sample of every pair that has both (first of each)."""
    first: dict[tuple[str, str], int] = {}
    for i, (pair, variant) in enumerate(zip(split.pair_ids, split.variants, strict=True)):
        if pair:
            first.setdefault((pair, canonical_variant(variant)), i)
    pairs = sorted({p for p, _ in first})
    both = [p for p in pairs if (p, a) in first and (p, b) in first]
    return (np.array([first[(p, a)] for p in both], dtype=np.int64),
            np.array([first[(p, b)] for p in both], dtype=np.int64))


def paired_differences(matrix: np.ndarray, names: list[str], split: BenchmarkSplit, *,
                       resamples: int, seed: int, confidence: float) -> list[VariantDifference]:
    """Every metric's A - B over pairs, with a pair-bootstrap interval (module docstring)."""
    present = list(variant_masks(split))
    if len(present) < 2 or not split.pair_ids:
        return []
    out = []
    for a, b in combinations(present, 2):
        ia, ib = _pairs(split, a, b)
        if not len(ia):
            continue
        diff = matrix[ia] - matrix[ib]
        defined = ~np.isnan(diff)
        n_def = defined.sum(axis=0)
        sums = np.where(defined, diff, 0.0).sum(axis=0)
        low, high = bootstrap_ci(diff, resamples=resamples, seed=seed, confidence=confidence)
        metrics = {}
        for j, name in enumerate(names):
            ok = bool(n_def[j])
            metrics[name] = MetricValue(
                value=float(sums[j] / n_def[j]) if ok else None,
                low=float(low[j]) if ok and not np.isnan(low[j]) else None,
                high=float(high[j]) if ok and not np.isnan(high[j]) else None,
                n=int(n_def[j]))
        out.append(VariantDifference(minuend=a, subtrahend=b, n_pairs=len(ia), metrics=metrics))
    return out
