"""Graph proximity between films: TF-IDF similarity over shared attribute nodes.

Each item is a vector over its attribute nodes with weight ``idf(a) = log(N / df(a))``, so a
director or a rare user tag shared by two films counts far more than "Drama". The score of a
candidate ``c`` for a liked film ``l`` is ``sum_shared idf(a)^2 / (|l| * |c|^0.5)``, summed
over the liked films: full cosine normalization (exponent 1) lets films with two or three
credits outrank real sequels, no normalization lets films with huge casts win; 0.5 ranks
"Aliens" first for "Alien" and both Dark Knight films first for "Batman Begins".
Lookups use a precomputed index (numpy arrays per attribute), built once per graph and
cached, so a 5-film profile on the full catalogue ranks in a few milliseconds without
skipping hubs.
"""

from __future__ import annotations

import math
import random
import weakref
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from datagen.gcpause import gc_paused
from datagen.graph.nodes import PREFERENCE_KINDS

__all__ = [
    "RelatedIndex",
    "clear_related_cache",
    "related_index",
    "related_items",
    "sample_profile",
]

#: attributes with more members than this are "hubs" (see RelatedIndex.add_to)
HUB_SIZE = 256
#: items whose merged neighbour lists are memoized (~2 KiB each: the whole bokeh catalogue
#: fits in ~35 MiB)
NEIGHBOUR_MEMO = 32_768
#: nearest items kept per item (see RelatedIndex.nearest)
NEAREST_K = 100

_Key = tuple[int, tuple[str, ...]]
_CACHE: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[_Key, RelatedIndex]]
_CACHE = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class RelatedIndex:
    """Precomputed item/attribute incidence with IDF weights (see module docstring)."""

    item_ids: list[str]
    position: dict[str, int]
    #: per item: attribute indices and per attribute: item indices
    item_attrs: list[np.ndarray]
    attr_items: list[np.ndarray]
    idf: np.ndarray
    norm: np.ndarray  # per item: sqrt(sum idf^2) over its attributes
    #: items with at least 3 attributes: where sampled profiles start
    starts: list[int]
    #: derived in __post_init__: 1 / sqrt(norm) per item (0 without attributes), the
    #: candidate normalization; ``starts`` as a mask; members per attribute
    inv_sqrt_norm: np.ndarray = field(init=False, repr=False, compare=False)
    starts_mask: np.ndarray = field(init=False, repr=False, compare=False)
    attr_size: np.ndarray = field(init=False, repr=False, compare=False)
    hub_size: int = field(init=False, repr=False, compare=False)
    #: hub attributes (more than HUB_SIZE members) -> column of ``signature_hubs``. Items
    #: with the same hubs (the same genres and rating) share a *signature*: a profile's hub
    #: part is ``(signature_hubs @ hub_weights)[hub_signature]``, a small product and one
    #: gather instead of one pass over the catalogue per hub
    hub_column: dict[int, int] = field(init=False, repr=False, compare=False)
    hub_signature: np.ndarray = field(init=False, repr=False, compare=False)
    signature_hubs: np.ndarray = field(init=False, repr=False, compare=False)
    hubs_by_signature: np.ndarray = field(init=False, repr=False, compare=False)
    #: per signature: the items that have it
    signature_items: list[np.ndarray] = field(init=False, repr=False, compare=False)
    #: per item, memoized: merged neighbour list of its small attributes, and its hubs
    _near: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        init=False, repr=False, compare=False)
    _best: dict[int, tuple[np.ndarray, np.ndarray]] = field(init=False, repr=False,
                                                            compare=False)
    _memos: dict[str, dict[int, Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        norm = self.norm
        inv = np.where(norm > 0, 1.0 / np.sqrt(np.where(norm > 0, norm, 1.0)), 0.0)
        mask = np.zeros(len(self.item_ids), dtype=bool)
        mask[self.starts] = True
        object.__setattr__(self, "inv_sqrt_norm", inv)
        object.__setattr__(self, "starts_mask", mask)
        sizes = np.array([len(m) for m in self.attr_items], dtype=np.int64)
        hubs = np.flatnonzero(sizes > HUB_SIZE).tolist()
        members = np.zeros((len(self.item_ids), len(hubs)), dtype=bool)
        for col, a in enumerate(hubs):
            members[self.attr_items[a], col] = True
        signatures, item_signature = np.unique(members, axis=0, return_inverse=True)
        object.__setattr__(self, "attr_size", sizes)
        object.__setattr__(self, "hub_size", HUB_SIZE)
        object.__setattr__(self, "hub_column", {a: col for col, a in enumerate(hubs)})
        object.__setattr__(self, "hub_signature", item_signature.reshape(-1).astype(np.int32))
        object.__setattr__(self, "signature_hubs", signatures.astype(np.float64))
        object.__setattr__(self, "hubs_by_signature",
                           np.ascontiguousarray(signatures.T.astype(np.float64)))
        order = np.argsort(item_signature.reshape(-1), kind="stable")
        bounds = np.searchsorted(item_signature.reshape(-1)[order], np.arange(len(signatures) + 1))
        object.__setattr__(self, "signature_items",
                           [order[bounds[k]:bounds[k + 1]] for k in range(len(signatures))])
        object.__setattr__(self, "_near", {})
        object.__setattr__(self, "_best", {})
        object.__setattr__(self, "_memos", {})

    @classmethod
    def from_graph(
        cls, g: nx.MultiDiGraph, kinds: Collection[str] = PREFERENCE_KINDS
    ) -> RelatedIndex:
        kinds = frozenset(kinds)
        items = [n for n, d in g.nodes(data=True) if d.get("type") == "item"]
        position = {n[5:]: i for i, n in enumerate(items)}
        attr_pos: dict[str, int] = {}
        per_item: list[list[int]] = []
        # the raw adjacency dict when available: same content as g.succ, without view layers
        succ = g._succ if isinstance(getattr(g, "_succ", None), dict) else g.succ
        with gc_paused():
            for node in items:
                attrs = [
                    v
                    for v, keyed in succ[node].items()
                    if any(d.get("kind") in kinds for d in keyed.values())
                ]
                per_item.append([attr_pos.setdefault(a, len(attr_pos)) for a in sorted(attrs)])
        members: list[list[int]] = [[] for _ in attr_pos]
        for i, attrs in enumerate(per_item):
            for a in attrs:
                members[a].append(i)
        df = np.array([len(m) for m in members], dtype=np.float64)
        idf = np.log(max(len(items), 1) / np.maximum(df, 1.0)) + 1e-3
        item_attrs = [np.asarray(a, dtype=np.int64) for a in per_item]
        norm = np.array([math.sqrt(float((idf[a] ** 2).sum())) for a in item_attrs])
        return cls(
            item_ids=[n[5:] for n in items],
            position=position,
            item_attrs=item_attrs,
            attr_items=[np.asarray(m, dtype=np.int64) for m in members],
            idf=idf,
            norm=norm,
            starts=[i for i, a in enumerate(item_attrs) if len(a) >= 3],
        )

    def add_to(self, total: np.ndarray, i: int) -> None:
        """Add the (not yet candidate-normalized) similarity of item ``i`` to every item into
        ``total``: what :meth:`scores` sums per liked item, one item at a time.

        The members of an item's small attributes (people, rare tags: ~150 items) are merged
        once into one deduplicated neighbour list with summed weights; its few hubs (genres,
        ratings: thousands of members each) are added one by one.
        """
        n = self.norm[i]
        if n == 0:
            return
        near, weights, hubs = self.neighbours(i)
        total[near] += weights / n
        idf, members = self.idf, self.attr_items
        for a in hubs.tolist():
            total[members[a]] += idf[a] ** 2 / n

    def memo(self, name: str) -> dict[int, Any]:
        """A named per-item memo living as long as the index (for derived per-item data)."""
        return self._memos.setdefault(name, {})

    def best_score(self, i: int) -> float:
        """The score of item ``i``'s nearest other item (0 when it shares nothing): what a
        liked film is divided by so that every favourite weighs the same."""
        scores = self.nearest(i)[1]
        return float(scores[0]) if len(scores) else 0.0

    def nearest(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The :data:`NEAREST_K` items nearest to item ``i`` alone (positions, scores; best
        first, ties by position, only positive scores), memoized."""
        hit = self._best.get(i)
        if hit is None:
            total = np.zeros(len(self.item_ids), dtype=np.float64)
            near, weights, hubs = self.neighbours(i)
            total[near] = weights
            if len(hubs):
                hub_weights = np.zeros(len(self.hub_column), dtype=np.float64)
                hub_weights[[self.hub_column[a] for a in hubs.tolist()]] = self.idf[hubs] ** 2
                total += (hub_weights @ self.hubs_by_signature)[self.hub_signature]
            total *= self.inv_sqrt_norm / self.norm[i] if self.norm[i] > 0 else 0.0
            total[i] = 0.0
            cand = np.flatnonzero(total > 0)
            if len(cand) > NEAREST_K:
                cand = cand[np.argpartition(-total[cand], NEAREST_K - 1)[:NEAREST_K]]
            cand = cand[np.lexsort((cand, -total[cand]))]
            hit = (cand.astype(np.int32), total[cand])
            if len(self._best) >= NEIGHBOUR_MEMO:
                self._best.clear()
            self._best[i] = hit
        return hit

    def neighbours(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Item ``i``'s small-attribute neighbours (positions, summed ``idf^2``; ``i``
        itself included) and its hub attributes, memoized."""
        hit = self._near.get(i)
        if hit is None:
            attrs = self.item_attrs[i]
            sizes = self.attr_size[attrs]
            small, hubs = attrs[sizes <= HUB_SIZE], attrs[sizes > HUB_SIZE]
            if len(small):
                flat = np.concatenate([self.attr_items[a] for a in small.tolist()])
                unique, inverse = np.unique(flat, return_inverse=True)
                weights: np.ndarray = np.bincount(
                    inverse, weights=np.repeat(self.idf[small] ** 2, sizes[sizes <= HUB_SIZE]))
                near: np.ndarray = unique.astype(np.int32)
            else:
                near, weights = np.zeros(0, dtype=np.int32), np.zeros(0)
            if len(self._near) >= NEIGHBOUR_MEMO:
                self._near.clear()
            hit = self._near[i] = (near, weights, hubs)
        return hit

    def scores(self, liked: Iterable[str]) -> np.ndarray:
        """Summed similarity of every item to the liked items (0 for unknown ids)."""
        total = np.zeros(len(self.item_ids), dtype=np.float64)
        for item_id in liked:
            i = self.position.get(item_id)
            if i is not None:
                self.add_to(total, i)
        return total * self.inv_sqrt_norm


def clear_related_cache(g: nx.MultiDiGraph) -> None:
    """Forget the cached index of ``g`` (needed only after adding edges between existing nodes;
    the cache is keyed by the node count, which such an edit does not change)."""
    _CACHE.pop(g, None)


def related_index(g: nx.MultiDiGraph, kinds: Collection[str] = PREFERENCE_KINDS) -> RelatedIndex:
    """The cached :class:`RelatedIndex` of ``g`` (built on first use)."""
    return _index(g, kinds)


def _index(g: nx.MultiDiGraph, kinds: Collection[str]) -> RelatedIndex:
    key = (g.number_of_nodes(), tuple(sorted(kinds)))
    hit = _CACHE.get(g)
    if hit is not None and hit[0] == key:
        return hit[1]
    index = RelatedIndex.from_graph(g, kinds)
    _CACHE[g] = (key, index)
    return index


def related_items(
    g: nx.MultiDiGraph,
    liked_item_ids: Iterable[str],
    k: int = 50,
    exclude: Iterable[str] = (),
    *,
    kinds: Collection[str] = PREFERENCE_KINDS,
) -> list[tuple[str, float]]:
    """Rank items by proximity to the liked ones: ``[(item_id, score), ...]``, best first.

    Liked and excluded items never appear; items sharing nothing score 0 and are left out.
    ``kinds`` chooses which attribute types count (trigger kinds are off by default so that
    safety labels do not shape preference candidates). Ties break by item id.
    """
    liked = list(liked_item_ids)
    index = _index(g, kinds)
    scores = index.scores(liked)
    for item_id in [*liked, *exclude]:
        i = index.position.get(item_id)
        if i is not None:
            scores[i] = 0.0
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k:
        top = np.argpartition(-scores[candidates], k - 1)[:k]
        cutoff = scores[candidates[top]].min()
        candidates = candidates[scores[candidates] >= cutoff]
    ranked = sorted(candidates.tolist(), key=lambda i: (-scores[i], index.item_ids[i]))[:k]
    return [(index.item_ids[i], float(scores[i])) for i in ranked]


def sample_profile(
    g: nx.MultiDiGraph,
    rng: random.Random,
    n_liked: int,
    *,
    pool: int = 20,
    kinds: Collection[str] = PREFERENCE_KINDS,
) -> list[str]:
    """Sample ``n_liked`` item ids that hang together: a random start, then graph walks.

    Each next film is drawn (score-weighted) from the ``pool`` items most related to the
    profile so far; the start is drawn among items with at least 3 attributes. Deterministic
    for a seeded ``rng``. Returns fewer ids only when the graph has too few connected items.
    """
    index = _index(g, kinds)
    if not index.starts or n_liked <= 0:
        return []
    profile = [index.item_ids[rng.choice(index.starts)]]
    while len(profile) < n_liked:
        ranked = related_items(g, profile, k=pool, kinds=kinds)
        if not ranked:
            break
        ids = [item_id for item_id, _ in ranked]
        weights = [score for _, score in ranked]
        profile.append(rng.choices(ids, weights=weights, k=1)[0])
    return profile


