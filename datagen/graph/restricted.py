"""Related-items queries restricted to an allowed set of films, vectorised over the catalogue.

Synthesis needs two questions that :func:`~datagen.graph.related_items` cannot answer by
filtering its top ``k``: *which films hang together with these, among the films this user may
like* (a profile walk that never leaves an allowed set) and *which are the nearest films to
these, among the films that are safe for this user* (ground truth ranked inside the safe
neighbourhood, with the unfiltered best kept for comparison). Both work on boolean masks
aligned to the item positions of the :class:`~datagen.graph.related.RelatedIndex`, and the
ranking on one score vector over every item (the same TF-IDF proximity as
``related_items``), so a query costs a few numpy passes over the catalogue whatever the size
of the allowed set.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from datagen.graph.related import RelatedIndex

__all__ = ["WALK_POOL", "ProfileScores", "top_within", "walk_profile"]

#: allowed films nearest to a profile film among which a walk step draws the next one
WALK_POOL = 20


@dataclass
class ProfileScores:
    """Summed proximity of every item to a set of liked items (positions).

    Small attributes are added at once (merged neighbour lists); hub attributes (genres,
    ratings) are only summed as weights per hub and expanded through the items' hub
    signatures when :meth:`scores` is asked for, which keeps a profile's cost near a few
    microseconds per liked film whatever the size of the hubs.
    """

    index: RelatedIndex
    liked: list[int] = field(default_factory=list)
    total: np.ndarray | None = None
    hub_weights: np.ndarray | None = None
    #: divide each liked film by its own nearest-item score, so every favourite weighs the
    #: same (a film in a dense cluster of look-alikes would otherwise decide alone)
    balanced: bool = True

    def add(self, pos: int) -> None:
        index = self.index
        if self.total is None:
            self.total = np.zeros(len(index.item_ids), dtype=np.float64)
            self.hub_weights = np.zeros(len(index.hub_column), dtype=np.float64)
        self.liked.append(pos)
        n = index.norm[pos]
        if self.balanced:
            best = index.best_score(pos)
            n = n * best if best > 0 else 0.0
        if n == 0:
            return
        near, weights, hubs = index.neighbours(pos)
        self.total[near] += weights / n
        assert self.hub_weights is not None
        for a in hubs.tolist():
            self.hub_weights[index.hub_column[a]] += index.idf[a] ** 2 / n

    def raw(self) -> np.ndarray:
        """Summed shared attribute mass (before the candidate normalization)."""
        if self.total is None:
            return np.zeros(len(self.index.item_ids), dtype=np.float64)
        out = self.total.copy()
        if self.hub_weights is not None and self.hub_weights.any():
            index = self.index
            out += (self.hub_weights @ index.hubs_by_signature)[index.hub_signature]
        return out

    def scores(self) -> np.ndarray:
        """Candidate scores (the ``related_items`` scale); liked items score 0."""
        out = self.raw() * self.index.inv_sqrt_norm
        out[self.liked] = 0.0
        return out

    @classmethod
    def of(cls, index: RelatedIndex, positions: Sequence[int]) -> ProfileScores:
        prof = cls(index)
        for pos in positions:
            prof.add(pos)
        return prof


def top_within(scores: np.ndarray, mask: np.ndarray | None, k: int) -> np.ndarray:
    """Positions of the ``k`` best-scoring items with a positive score (inside ``mask`` when
    given), best first; ties break by position so the answer is deterministic."""
    cand = np.flatnonzero(scores > 0 if mask is None else (scores > 0) & mask)
    if k <= 0 or not len(cand):
        return cand[:0]
    if len(cand) > k:
        cand = cand[np.argpartition(-scores[cand], k - 1)[:k]]
    return cand[np.lexsort((cand, -scores[cand]))]


def walk_profile(
    index: RelatedIndex,
    rng: random.Random,
    n_liked: int,
    allowed: np.ndarray,
    *,
    start: np.ndarray | None = None,
    known: np.ndarray | None = None,
    max_unknown: int | None = None,
    pool: int = WALK_POOL,
    start_weights: np.ndarray | None = None,
) -> ProfileScores:
    """A profile of up to ``n_liked`` items that hang together, never leaving ``allowed``.

    The first item is drawn uniformly among items with at least 3 attributes inside
    ``allowed`` (and ``start`` when given). Each next one follows a random film of the
    profile: it is drawn (score-weighted) from the ``pool`` allowed items nearest to that film
    (:meth:`~datagen.graph.related.RelatedIndex.nearest`; another profile film is tried when
    none of those is allowed). With ``known`` and ``max_unknown``, at most ``max_unknown``
    items outside ``known`` are picked; after that the walk stays inside ``known``. Returns
    fewer items when the allowed set runs out of related items. Deterministic for a seeded
    ``rng``. ``start_weights`` (one weight per item) draws the first item in proportion to
    its weight instead of uniformly.
    """
    prof = ProfileScores(index)
    firsts = np.flatnonzero(index.starts_mask & (allowed if start is None else allowed & start))
    if start_weights is not None:
        firsts = firsts[start_weights[firsts] > 0]
    if not len(firsts) or n_liked <= 0:
        return prof
    if start_weights is None:
        pos = int(firsts[rng.randrange(len(firsts))])
    else:
        cum = np.cumsum(start_weights[firsts])
        pos = int(firsts[min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")),
                             len(firsts) - 1)])
    unknown = 0
    while True:
        prof.add(pos)
        unknown += int(known is not None and not known[pos])
        if len(prof.liked) >= n_liked:
            return prof
        ok = allowed
        if known is not None and max_unknown is not None and unknown >= max_unknown:
            ok = allowed & known
        nxt = _step(index, rng, prof.liked, ok, pool)
        if nxt is None:
            return prof
        pos = nxt


def _step(index: RelatedIndex, rng: random.Random, liked: list[int], ok: np.ndarray,
          pool: int) -> int | None:
    """One walk step from a random profile film (the others in turn if it has no allowed
    neighbour); None when no profile film has one."""
    order = list(liked)
    rng.shuffle(order)
    for src in order:
        near, scores = index.nearest(src)
        keep = ok[near]
        for taken in liked:
            keep &= near != taken
        near, scores = near[keep][:pool], scores[keep][:pool]
        if len(near):
            return int(rng.choices(near.tolist(), weights=scores.tolist(), k=1)[0])
    return None
