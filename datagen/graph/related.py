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
from dataclasses import dataclass

import networkx as nx
import numpy as np

from datagen.gcpause import gc_paused
from datagen.graph.nodes import PREFERENCE_KINDS

__all__ = ["RelatedIndex", "clear_related_cache", "related_items", "sample_profile"]

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

    def scores(self, liked: Iterable[str]) -> np.ndarray:
        """Summed similarity of every item to the liked items (0 for unknown ids)."""
        total = np.zeros(len(self.item_ids), dtype=np.float64)
        for item_id in liked:
            i = self.position.get(item_id)
            if i is None or self.norm[i] == 0:
                continue
            for a in self.item_attrs[i]:
                total[self.attr_items[a]] += self.idf[a] ** 2 / self.norm[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.norm > 0, total / np.sqrt(self.norm), 0.0)


def clear_related_cache(g: nx.MultiDiGraph) -> None:
    """Forget the cached index of ``g`` (needed only after adding edges between existing nodes;
    the cache is keyed by the node count, which such an edit does not change)."""
    _CACHE.pop(g, None)


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


