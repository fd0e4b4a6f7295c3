"""Sample filters before splitting: verification filters, exact and near-duplicate removal.

Every filter returns a boolean "drop" mask over the frame's rows and the caller counts drops
per reason (``dropped_<reason>``), so a run says exactly why each sample left. The frame has
one row per sample with at least ``sample_id``, ``content_hash`` and ``group``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["exact_duplicate_mask", "near_duplicate_mask"]


def exact_duplicate_mask(frame: pl.DataFrame, alive: np.ndarray) -> np.ndarray:
    """Drop every later copy of a content hash among ``alive`` rows (first by sample id)."""
    live = frame.with_row_index("_row").filter(pl.Series(alive))
    keep = live.sort("sample_id").unique("content_hash", keep="first", maintain_order=True)
    drop = np.zeros(frame.height, dtype=bool)
    dup_rows = set(live["_row"].to_list()) - set(keep["_row"].to_list())
    drop[list(dup_rows)] = True
    return drop


def near_duplicate_mask(frame: pl.DataFrame, pairs: np.ndarray) -> np.ndarray:
    """Drop one side of every near-duplicate pair whose samples are in different groups.

    Pairs inside one group (a seed dialogue's trait variants, a context-rich/context-free
    pair) are intended variants and always land in the same split, so they are kept.
    ``pairs`` are near-duplicate pairs as frame row numbers. Of a
    cross-group pair the sample with the larger sample id goes, visiting pairs in sample-id
    order, so the result does not depend on the input order and no such pair survives.
    """
    drop = np.zeros(frame.height, dtype=bool)
    if len(pairs) == 0:
        return drop
    groups = frame["group"].to_numpy()
    ids = frame["sample_id"].to_numpy()
    a, b = pairs[:, 0], pairs[:, 1]
    cross = groups[a] != groups[b]
    a, b = a[cross], b[cross]
    lo = np.where(ids[a] <= ids[b], a, b)
    hi = np.where(ids[a] <= ids[b], b, a)
    order = np.lexsort((ids[hi], ids[lo]))
    for i, j in zip(lo[order], hi[order], strict=True):
        if not drop[i] and not drop[j]:
            drop[j] = True
    return drop
