"""Split groups and strata: what must stay together, and what must be balanced.

Samples that share a seed dialogue/profile (``seed_id``) or a context pair (``pair_id``) form
one group (connected components over both keys), and a group never crosses splits. Each group
gets one stratum, its most common trait set (``control`` for no trait), and groups are dealt
to splits stratum by stratum so every trait set is spread in the requested ratios.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

__all__ = ["CONTROL", "assign_groups", "group_ids", "trait_key"]

CONTROL = "control"


def trait_key(traits: list[str] | None) -> str:
    """The stratum name of a trait set: sorted ids joined by ``+``; ``control`` when empty."""
    return "+".join(sorted(traits)) if traits else CONTROL


def group_ids(seed_ids: list[str], pair_ids: list[str | None]) -> np.ndarray:
    """Connected components over shared seed ids and pair ids (int label per row)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for seed, pair in zip(seed_ids, pair_ids, strict=True):
        if pair:
            a, b = find("s:" + seed), find("p:" + pair)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = [find("s:" + s) for s in seed_ids]
    _, labels = np.unique(np.array(roots, dtype=object), return_inverse=True)
    return labels.astype(np.int64)


def _order_key(seed: int, name: str) -> str:
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()


def assign_groups(frame: pl.DataFrame, ratios: dict[str, float], seed: int) -> dict[int, str]:
    """Deal groups to splits stratum by stratum (largest deficit first); deterministic.

    ``frame`` needs ``group``, ``sample_id`` and ``stratum``. Within a stratum, groups are
    visited in an order fixed by ``seed`` and the smallest sample id of the group, so the
    result depends neither on row order nor on the platform.
    """
    per_group = (
        frame.group_by("group", "stratum")
        .agg(pl.len().alias("n"), pl.col("sample_id").min().alias("first_id"))
        .sort(["group", "n", "stratum"], descending=[False, True, False])
        .group_by("group", maintain_order=True)
        .agg(
            pl.col("stratum").first(), pl.col("first_id").min(), pl.col("n").sum().alias("size")
        )
    )
    names = list(ratios)
    target = np.array([ratios[n] for n in names], dtype=float)
    out: dict[int, str] = {}
    for (_stratum,), part in sorted(per_group.group_by("stratum"), key=lambda kv: kv[0]):
        rows = sorted(
            zip(part["group"].to_list(), part["first_id"].to_list(), part["size"].to_list(),
                strict=True),
            key=lambda r: _order_key(seed, r[1]),
        )
        have = np.zeros(len(names))
        for group, _first, size in rows:
            deficit = target * (have.sum() + size) - have
            pick = int(np.argmax(deficit))
            have[pick] += size
            out[group] = names[pick]
    return out
