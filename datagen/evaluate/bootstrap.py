"""Seeded, vectorized percentile-bootstrap confidence intervals for means over samples.

A resample is expressed as a vector of multiplicities (how often each sample was drawn), so
the resampled means of every metric at once are one matrix product ``W @ values``. Resamples
are processed in chunks to bound memory (``chunk x n`` floats). NaN values (metric undefined
for a sample) are excluded from both numerator and denominator of every resampled mean.
Groups (per trait, controls) share the draws: a group's resampled mean is over the drawn
samples that belong to it, so its size varies across resamples as it would in a new
benchmark of the same population.
Using the same seed for every model gives paired resamples: each model is scored on the same
drawn samples, which makes side-by-side intervals comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["DEFAULT_RESAMPLES", "bootstrap_ci", "bootstrap_groups"]

DEFAULT_RESAMPLES = 1000
_CHUNK_CELLS = 4_000_000  # resamples per chunk * samples


def _weights(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    draws = rng.integers(0, n, size=(rows, n))
    flat = draws + (np.arange(rows)[:, None] * n)
    # float32 is exact for multiplicities and ample for means of metrics in [0, 1]
    return np.bincount(flat.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float32)


def _interval(means: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1.0 - confidence) / 2.0
    m = means.shape[1]
    low, high = np.full(m, np.nan), np.full(m, np.nan)
    ok = ~np.isnan(means).all(axis=0)  # a column never defined has no interval
    if ok.any():
        low[ok] = np.nanquantile(means[:, ok], alpha, axis=0)
        high[ok] = np.nanquantile(means[:, ok], 1.0 - alpha, axis=0)
    return low, high


def bootstrap_groups(
    values: np.ndarray,
    masks: Sequence[np.ndarray],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Percentile intervals of NaN-ignoring column means of ``values`` (n x m) per group.

    Each resample draws n samples with replacement from all of ``values``; a group's
    resampled mean is taken over the drawn samples that belong to it (``masks``: boolean
    arrays of length n). Drawing once for all groups keeps 20 trait groups as cheap as one.
    Returns one ``(low, high)`` pair of length-m arrays per mask; NaN where undefined.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n, m = values.shape
    if n == 0 or resamples <= 0:
        return [(np.full(m, np.nan), np.full(m, np.nan)) for _ in masks]
    defined = ~np.isnan(values)
    stacked = np.hstack([np.where(defined, values, 0.0), defined]).astype(np.float32)
    parts = [(None, stacked) if mask.all() else (idx, stacked[idx])
             for mask in masks for idx in [np.flatnonzero(mask)]]
    means = [np.empty((resamples, m)) for _ in masks]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, _CHUNK_CELLS // n))
    # these products are small and many: BLAS threads only contend (10x slower on a busy box)
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, resamples, chunk):
            rows = min(chunk, resamples - start)
            w = _weights(rng, rows, n)
            for (idx, x), out in zip(parts, means, strict=True):
                totals = (w if idx is None else w[:, idx]) @ x
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[start : start + rows] = totals[:, :m].astype(np.float64) / totals[:, m:]
    return [_interval(mv, confidence) for mv in means]


def bootstrap_ci(
    values: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of the NaN-ignoring mean of each column of ``values`` (n x m).

    Returns ``(low, high)`` arrays of length m; a column with no defined value gives NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    return bootstrap_groups(values, [np.ones(n, dtype=bool)], resamples=resamples, seed=seed,
                            confidence=confidence)[0]
