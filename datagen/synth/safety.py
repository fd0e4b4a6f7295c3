"""Item tag statuses as boolean masks over the graph's items: who may like what, what is safe.

Profiles and ground truth are drawn with numpy over every catalogue item at once, so the tag
index is turned, once per run, into one status code per (trait, item) aligned to the
positions of the graph's :class:`~datagen.graph.related.RelatedIndex` (``0`` no, ``1`` yes,
``2`` unknown; an item or trait the tags do not know is unknown, never safe by omission),
plus a mask of the ``no`` statuses that rest only on curated evidence (sources
``curated:<name>``). Masks for a set of traits are cached: a run meets a few hundred trait
sets, each a few kilobytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["NO", "UNKNOWN", "YES", "SafetyMasks"]

NO, YES, UNKNOWN = 0, 1, 2
_CODE = {"no": NO, "yes": YES, "unknown": UNKNOWN}
_CURATED = "curated:"


def _table_codes(tags: Any, item_ids: Sequence[str], traits: Sequence[str]) -> tuple[
        dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Codes and curated-only masks from a tag table (``item_id, trait_id, status, sources``)."""
    import polars as pl

    df = pl.from_arrow(tags.table.select(["item_id", "trait_id", "status", "sources"]))
    assert isinstance(df, pl.DataFrame)
    pos = {item_id: i for i, item_id in enumerate(item_ids)}
    df = df.with_columns(
        pl.col("item_id").replace_strict(pos, default=-1, return_dtype=pl.Int64).alias("pos"),
        pl.col("status").replace_strict(_CODE, default=UNKNOWN, return_dtype=pl.Int8)
        .alias("code"),
        pl.col("sources").list.eval(pl.element().str.starts_with(_CURATED)).list.all()
        .alias("curated"),
    ).filter(pl.col("pos") >= 0)
    codes: dict[str, np.ndarray] = {}
    curated: dict[str, np.ndarray] = {}
    for (trait,), part in df.group_by(["trait_id"]):
        if trait not in traits:
            continue
        p = part["pos"].to_numpy()
        row = np.full(len(item_ids), UNKNOWN, dtype=np.int8)
        row[p] = part["code"].to_numpy()
        codes[str(trait)] = row
        cur = np.zeros(len(item_ids), dtype=bool)
        cur[p] = part["curated"].to_numpy() & (part["code"].to_numpy() == NO)
        curated[str(trait)] = cur
    return codes, curated


def _lookup_codes(tags: Any, item_ids: Sequence[str], traits: Sequence[str]) -> tuple[
        dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The same from any ``status`` / ``tag`` lookup (test doubles, small custom indexes)."""
    codes: dict[str, np.ndarray] = {}
    curated: dict[str, np.ndarray] = {}
    for trait in traits:
        row = np.array([_CODE.get(str(tags.status(i, trait)), UNKNOWN) for i in item_ids],
                       dtype=np.int8)
        cur = np.zeros(len(item_ids), dtype=bool)
        for k in np.flatnonzero(row == NO).tolist():
            tag = tags.tag(item_ids[k], trait)
            sources = list(getattr(tag, "sources", []) or [])
            cur[k] = bool(sources) and all(s.startswith(_CURATED) for s in sources)
        codes[trait], curated[trait] = row, cur
    return codes, curated


class SafetyMasks:
    """Status codes per trait over ``item_ids`` (the graph index order) and masks per trait set.

    ``in_catalogue`` marks the items a sample may name (a graph loaded from a file may hold
    items the catalogue does not): only those are ever liked or ground truth.
    """

    def __init__(self, tags: Any, item_ids: Sequence[str], trait_ids: Sequence[str],
                 in_catalogue: np.ndarray | None = None) -> None:
        self.item_ids = list(item_ids)
        self.trait_ids = list(trait_ids)
        table_owner = tags if hasattr(tags, "table") else getattr(tags, "inner", None)
        if table_owner is not None and hasattr(table_owner, "table"):
            self._codes, self._curated = _table_codes(table_owner, self.item_ids, self.trait_ids)
        else:
            self._codes, self._curated = _lookup_codes(tags, self.item_ids, self.trait_ids)
        n = len(self.item_ids)
        self._unknown_row = np.full(n, UNKNOWN, dtype=np.int8)
        self._no_curated = np.zeros(n, dtype=bool)
        self.in_catalogue = np.ones(n, dtype=bool) if in_catalogue is None else in_catalogue
        self._cache: dict[tuple[Any, ...], np.ndarray] = {}

    def codes(self, trait: str) -> np.ndarray:
        return self._codes.get(trait, self._unknown_row)

    def curated_only(self, trait: str) -> np.ndarray:
        return self._curated.get(trait, self._no_curated)

    def _mask(self, key: tuple[Any, ...]) -> np.ndarray:
        hit = self._cache.get(key)
        if hit is None:
            kind, traits = key[0], key[1:]
            hit = self.in_catalogue.copy()
            for trait in traits:
                codes = self.codes(trait)
                if kind == "safe_allow":
                    hit &= codes != YES
                else:  # "safe": every trait no
                    hit &= codes == NO
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def safe(self, traits: Sequence[str], allow_unknown: bool = False) -> np.ndarray:
        """Items safe for every trait: all ``no`` (with ``allow_unknown``: none ``yes``)."""
        return self._mask(("safe_allow" if allow_unknown else "safe", *sorted(traits)))

    def not_yes(self, traits: Sequence[str]) -> np.ndarray:
        """Items ``yes`` for none of the traits (``no`` or ``unknown``)."""
        return self.safe(traits, allow_unknown=True)

    def safe_count(self, traits: Sequence[str], allow_unknown: bool = False) -> int:
        return int(np.count_nonzero(self.safe(traits, allow_unknown)))

    def status_counts(self, positions: Sequence[int], traits: Sequence[str]) -> dict[str, int]:
        """``{"no", "yes", "unknown"}`` counts over the (position, trait) pairs."""
        out = {"no": 0, "yes": 0, "unknown": 0}
        if not len(positions) or not traits:
            return out
        idx = np.asarray(positions, dtype=np.int64)
        for trait in traits:
            got = np.bincount(self.codes(trait)[idx], minlength=3)
            out["no"] += int(got[NO])
            out["yes"] += int(got[YES])
            out["unknown"] += int(got[UNKNOWN])
        return out

    def first_problem(self, positions: np.ndarray, traits: Sequence[str],
                      allow_unknown: bool) -> list[tuple[str, str] | None]:
        """Per position: ``None`` when safe, else ``(trait, "yes" | "unknown")``; a ``yes``
        wins over unknowns, and among equals the first trait in ``traits`` order."""
        out: list[tuple[str, str] | None] = [None] * len(positions)
        if not traits or not len(positions):
            return out
        codes = np.stack([self.codes(t)[positions] for t in traits])
        yes = codes == YES
        any_yes, first_yes = yes.any(axis=0), yes.argmax(axis=0)
        unknown = codes == UNKNOWN
        any_unknown = unknown.any(axis=0) & ~any_yes & (not allow_unknown)
        first_unknown = unknown.argmax(axis=0)
        for k in np.flatnonzero(any_yes).tolist():
            out[k] = (traits[first_yes[k]], "yes")
        for k in np.flatnonzero(any_unknown).tolist():
            out[k] = (traits[first_unknown[k]], "unknown")
        return out
