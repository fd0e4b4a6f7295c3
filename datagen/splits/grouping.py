"""Split groups and strata: what must stay together, and what must be balanced.

Samples that share a seed dialogue/profile (``seed_id``) or a context pair (``pair_id``) form
one group (connected components over both keys), and a group never crosses splits. Each group
gets one stratum, its most common trait set (``control`` for no trait), and groups are dealt
to splits so that both the whole and every trait set approach the requested ratios.
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
    """Deal groups to the split furthest behind its share; deterministic.

    "Behind" adds the deficit over all samples dealt so far and the deficit within the
    group's stratum, so both the overall ratios and each stratum's ratios are approached.
    Strata are interleaved (each stratum's groups spread evenly over the dealing order) and
    within a stratum groups are ordered by a hash of ``seed`` and their smallest sample id,
    so the result depends neither on row order nor on the platform. ``frame`` needs
    ``group``, ``sample_id`` and ``stratum``.
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
    # interleave strata: the k-th of m groups of a stratum sits at (k + 0.5) / m
    order: list[tuple[float, str, str, int, int]] = []
    for (stratum,), part in per_group.group_by("stratum"):
        rows = sorted(
            zip(part["group"].to_list(), part["first_id"].to_list(), part["size"].to_list(),
                strict=True),
            key=lambda r: _order_key(seed, r[1]),
        )
        m = len(rows)
        order += [((k + 0.5) / m, _order_key(seed, first), stratum, group, size)
                  for k, (group, first, size) in enumerate(rows)]
    have_all = np.zeros(len(names))
    have: dict[str, np.ndarray] = {}
    out: dict[int, str] = {}
    for _pos, _key, stratum, group, size in sorted(order):
        st = have.setdefault(stratum, np.zeros(len(names)))
        deficit = (target * (have_all.sum() + size) - have_all) + (target * (st.sum() + size) - st)
        pick = int(np.argmax(deficit))
        have_all[pick] += size
        st[pick] += size
        out[group] = names[pick]
    return out
