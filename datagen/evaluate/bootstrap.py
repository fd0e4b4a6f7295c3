"""Seeded, vectorized percentile-bootstrap confidence intervals for means over samples.

A resample is expressed as a vector of multiplicities (how often each sample was drawn), so
the resampled means of every metric at once are one matrix product ``W @ values``. Resamples
are processed in chunks to bound memory (``chunk x n`` floats). NaN values (metric undefined
for a sample) are excluded from both numerator and denominator of every resampled mean.
Using the same seed for every model gives paired resamples: each model is scored on the same
drawn samples, which makes side-by-side intervals comparable.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_RESAMPLES", "bootstrap_ci"]

DEFAULT_RESAMPLES = 1000
_CHUNK_CELLS = 4_000_000  # resamples per chunk * samples


def _weights(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    draws = rng.integers(0, n, size=(rows, n))
    flat = draws + (np.arange(rows)[:, None] * n)
    return np.bincount(flat.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float64)


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
    if values.ndim == 1:
        values = values[:, None]
    n, m = values.shape
    if n == 0 or resamples <= 0:
        nan = np.full(m, np.nan)
        return nan, nan.copy()
    defined = ~np.isnan(values)
    filled = np.where(defined, values, 0.0)
    counts_src = defined.astype(np.float64)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, _CHUNK_CELLS // n))
    means = np.empty((resamples, m))
    for start in range(0, resamples, chunk):
        rows = min(chunk, resamples - start)
        w = _weights(rng, rows, n)
        sums = w @ filled
        counts = w @ counts_src
        with np.errstate(invalid="ignore", divide="ignore"):
            means[start : start + rows] = sums / counts
    alpha = (1.0 - confidence) / 2.0
    low, high = np.full(m, np.nan), np.full(m, np.nan)
    ok = ~np.isnan(means).all(axis=0)  # a column never defined has no interval
    if ok.any():
        low[ok] = np.nanquantile(means[:, ok], alpha, axis=0)
        high[ok] = np.nanquantile(means[:, ok], 1.0 - alpha, axis=0)
    return low, high
