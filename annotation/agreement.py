"""Inter-annotator agreement: Krippendorff's alpha (nominal, ordinal, interval) and percent.

Written here (numpy only) rather than pulled from a package so the exact definition is in
view: alpha = 1 - D_o / D_e computed from the coincidence matrix of pairable values
(Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011). Units (records) with fewer
than two values are not pairable and are ignored; missing values are ``None``. When every
pairable value is the same, D_e is 0 and alpha is undefined: the functions return ``None``
(report it as "n/a"), while percent agreement is 1.0.

Percent agreement is the mean over pairable units of the share of ordered value pairs (from
different coders) that are equal.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np

__all__ = ["Level", "krippendorff_alpha", "pairable_units", "percent_agreement"]

Level = Literal["nominal", "ordinal", "interval"]


def pairable_units(units: Sequence[Sequence[Hashable | None]]) -> list[list[Hashable]]:
    """Drop missing values, then units with fewer than two values."""
    kept = [[v for v in u if v is not None] for u in units]
    return [u for u in kept if len(u) >= 2]


def _sorted_values(units: list[list[Hashable]]) -> list[Hashable]:
    values = {v for u in units for v in u}
    try:
        return sorted(values)  # type: ignore[type-var]
    except TypeError:  # mixed types: any fixed order works for nominal data
        return sorted(values, key=repr)


def _coincidences(units: list[list[Hashable]], values: list[Hashable]) -> np.ndarray:
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for u in units:
        counts = np.bincount([index[v] for v in u], minlength=len(values)).astype(float)
        o += (np.outer(counts, counts) - np.diag(counts)) / (len(u) - 1)
    return o


def _delta2(values: list[Hashable], n_c: np.ndarray, level: Level) -> np.ndarray:
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "interval":
        x = np.asarray(values, dtype=float)
        return (x[:, None] - x[None, :]) ** 2
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        lo = np.minimum.outer(np.arange(k), np.arange(k))
        hi = np.maximum.outer(np.arange(k), np.arange(k))
        between = cum[hi + 1] - cum[lo]  # sum of n_g for g from c to k inclusive
        return (between - (n_c[:, None] + n_c[None, :]) / 2.0) ** 2
    raise ValueError(f"unknown level of measurement {level!r}")


def krippendorff_alpha(units: Sequence[Sequence[Hashable | None]],
                       level: Level = "nominal") -> float | None:
    """Krippendorff's alpha over ``units`` (each unit: the values its coders gave).

    Ordinal and interval levels need values that sort in their natural order (numbers).
    Returns ``None`` when undefined (no pairable unit, or no variation at all).
    """
    kept = pairable_units(units)
    if not kept:
        return None
    values = _sorted_values(kept)
    o = _coincidences(kept, values)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    d2 = _delta2(values, n_c, level)
    expected = float((np.outer(n_c, n_c) * d2).sum())
    if expected == 0.0:
        return None
    observed = float((o * d2).sum())
    return float(1.0 - (n - 1.0) * observed / expected)


def percent_agreement(units: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Mean share of agreeing coder pairs per pairable unit (``None`` if none is pairable)."""
    kept = pairable_units(units)
    if not kept:
        return None
    shares = []
    for u in kept:
        m = len(u)
        same = sum(1 for i in range(m) for j in range(m) if i != j and u[i] == u[j])
        shares.append(same / (m * (m - 1)))
    return float(np.mean(shares))
