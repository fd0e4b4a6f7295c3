"""Confidence intervals for annotation figures: Wilson for shares, bootstrap for alpha.

Why these two: a share of a few dozen records near 0 or 1 (typical for inferability) gets a
normal-approximation interval that leaves [0, 1] or collapses to a point; Wilson's score
interval does neither. Krippendorff's alpha has no closed-form interval, so records are
resampled (percentile bootstrap, fixed seed: the same data gives the same interval).

For binary data (a trait named or not) alpha has a closed form in per-unit counts, used here
so a thousand resamples over thousands of records stay fast: with ``m_u`` answers in unit
``u`` of which ``k_u`` are "yes", ``n = sum m_u``, ``K = sum k_u``,
``alpha = 1 - (n - 1) * sum_u k_u (m_u - k_u) / (m_u - 1) / (K (n - K))``, which is
:func:`annotation.agreement.krippendorff_alpha` (nominal) on the same units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["BOOTSTRAP_SEED", "RESAMPLES", "Z95", "binary_alpha", "bootstrap_alpha", "wilson"]

Z95 = 1.959963984540054
RESAMPLES = 1000
BOOTSTRAP_SEED = 0
_CHUNK = 100


def wilson(share: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a share observed over ``n`` units (``n > 0``)."""
    denom = 1.0 + z * z / n
    centre = (share + z * z / (2 * n)) / denom
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _alpha_from_sums(n: np.ndarray, k: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Binary alpha from summed answers, yes answers and disagreement terms; NaN if undefined."""
    expected = k * (n - k)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1.0 - (n - 1) * observed / expected, np.nan)


def _disagreement(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    return y * (m - y) / (m - 1)


def _pairable(yes: Sequence[int], answers: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    y, m = np.asarray(yes, dtype=float), np.asarray(answers, dtype=float)
    keep = m >= 2
    return y[keep], m[keep]


def binary_alpha(yes: Sequence[int], answers: Sequence[int]) -> float | None:
    """Krippendorff's alpha of units with ``answers[u]`` answers of which ``yes[u]`` are yes."""
    y, m = _pairable(yes, answers)
    if not len(m):
        return None
    value = float(_alpha_from_sums(m.sum(), y.sum(), _disagreement(y, m).sum()))
    return None if math.isnan(value) else value


def bootstrap_alpha(yes: Sequence[int], answers: Sequence[int], *, resamples: int = RESAMPLES,
                    seed: int = BOOTSTRAP_SEED) -> tuple[float, float] | None:
    """95% percentile interval of :func:`binary_alpha` over resampled units.

    None when fewer than half of the resamples define alpha (too few units, or nearly no
    variation): an interval from the rest would claim precision the data does not have.
    """
    y, m = _pairable(yes, answers)
    if len(m) < 2:
        return None
    rng = np.random.default_rng(seed)
    d = _disagreement(y, m)
    chunks = []
    for start in range(0, resamples, _CHUNK):  # bounded memory: _CHUNK x units indices
        idx = rng.integers(0, len(m), size=(min(_CHUNK, resamples - start), len(m)))
        chunks.append(_alpha_from_sums(m[idx].sum(axis=1), y[idx].sum(axis=1),
                                       d[idx].sum(axis=1)))
    values = np.concatenate(chunks)
    values = values[~np.isnan(values)]
    if len(values) < resamples / 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)
