"""Leak report: what the splits share (it must be nothing).

For every pair of splits the report counts shared sample ids, content hashes, seed ids, pair
ids and near-duplicate dialogue pairs (MinHash over the kept samples), with a few examples.
:class:`SplitLeakError` is raised by the caller when any count is non-zero.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from datagen.errors import DatagenError
from datagen.splits.minhash import MinHashConfig, near_duplicate_pairs

__all__ = ["LEAK_KEYS", "LeakReport", "SplitLeakError", "leak_report"]

LEAK_KEYS = ("sample_id", "content_hash", "seed_id", "pair_id")
_EXAMPLES = 5


class SplitLeakError(DatagenError):
    """The splits share samples, dialogues, seeds, pairs or near-duplicates."""


class LeakReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ok: bool
    #: "<key>" -> "<split_a>|<split_b>" -> number of shared values
    overlaps: dict[str, dict[str, int]] = Field(default_factory=dict)
    examples: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    near_duplicate_threshold: float

    def problems(self) -> list[str]:
        """One phrase per non-zero overlap, e.g. ``3 seed_id train|test``."""
        return [
            f"{n} {key} {pair}"
            for key, by_pair in self.overlaps.items()
            for pair, n in by_pair.items()
            if n
        ]


def _key_overlaps(frame: pl.DataFrame, names: list[str], key: str) -> tuple[dict, dict]:
    values = {
        n: set(frame.filter(pl.col("split") == n)[key].drop_nulls().to_list()) for n in names
    }
    counts, examples = {}, {}
    for a, b in combinations(names, 2):
        shared = sorted(values[a] & values[b])
        counts[f"{a}|{b}"] = len(shared)
        if shared:
            examples[f"{a}|{b}"] = [str(v) for v in shared[:_EXAMPLES]]
    return counts, examples


def _near_dup_overlaps(
    frame: pl.DataFrame, pairs: np.ndarray, names: list[str]
) -> tuple[dict, dict]:
    split = frame["split"].to_numpy()
    ids = frame["sample_id"].to_numpy()
    counts = {f"{a}|{b}": 0 for a, b in combinations(names, 2)}
    examples: dict[str, list[str]] = {}
    for i, j in pairs:
        if split[i] == split[j]:
            continue
        a, b = sorted((split[i], split[j]), key=names.index)
        counts[f"{a}|{b}"] += 1
        ex = examples.setdefault(f"{a}|{b}", [])
        if len(ex) < _EXAMPLES:
            ex.append(f"{ids[i]}~{ids[j]}")
    return counts, examples


def leak_report(
    frame: pl.DataFrame,
    sig: np.ndarray | None,
    names: list[str],
    config: MinHashConfig,
    *,
    near_pairs: np.ndarray | None = None,
) -> LeakReport:
    """Overlaps between splits of the kept samples.

    ``frame`` has one row per kept sample with ``split`` and the :data:`LEAK_KEYS` columns;
    ``sig`` holds the MinHash signatures of the same rows in the same order, or
    ``near_pairs`` the near-duplicate pairs among them (row positions) when already known.
    """
    if near_pairs is None:
        if sig is None:
            raise ValueError("give sig or near_pairs")
        near_pairs, _ = near_duplicate_pairs(sig, config)
    overlaps: dict[str, dict[str, int]] = {}
    examples: dict[str, dict[str, list[str]]] = {}
    for key in LEAK_KEYS:
        overlaps[key], examples[key] = _key_overlaps(frame, names, key)
    overlaps["near_duplicate"], examples["near_duplicate"] = _near_dup_overlaps(
        frame, near_pairs, names
    )
    ok = not any(n for by_pair in overlaps.values() for n in by_pair.values())
    return LeakReport(
        ok=ok,
        overlaps=overlaps,
        examples={k: v for k, v in examples.items() if v},
        near_duplicate_threshold=config.threshold,
    )
