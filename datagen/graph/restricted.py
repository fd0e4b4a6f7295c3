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

__all__ = ["WALK_ATTR_MAX", "ProfileScores", "rank_positions", "top_within", "walk_profile"]

#: attributes a walk step may follow: people and tags shared by at most this many films
#: (genres and ratings are far larger; a walk along them would not hang together)
WALK_ATTR_MAX = 128


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

    def add(self, pos: int) -> None:
        index = self.index
        if self.total is None:
            self.total = np.zeros(len(index.item_ids), dtype=np.float64)
            self.hub_weights = np.zeros(len(index.hub_column), dtype=np.float64)
        self.liked.append(pos)
        n = index.norm[pos]
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
            out += (index.signature_hubs @ self.hub_weights)[index.hub_signature]
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


def rank_positions(scores: np.ndarray, positions: np.ndarray, among: np.ndarray) -> np.ndarray:
    """1-based rank of each position's score among the items ``among`` (a mask) with a
    positive score: 1 + the number of those scoring strictly higher, ties by position."""
    pool = np.flatnonzero(among & (scores > 0))
    pool_scores = scores[pool]
    out = np.empty(len(positions), dtype=np.int64)
    for k, pos in enumerate(positions.tolist()):
        s = scores[pos]
        out[k] = 1 + int(np.count_nonzero(pool_scores > s)) + \
            int(np.count_nonzero((pool_scores == s) & (pool < pos)))
    return out


def walk_profile(
    index: RelatedIndex,
    rng: random.Random,
    n_liked: int,
    allowed: np.ndarray,
    *,
    start: np.ndarray | None = None,
    known: np.ndarray | None = None,
    max_unknown: int | None = None,
    pool: int = 20,
) -> ProfileScores:
    """A profile of up to ``n_liked`` items that hang together, never leaving ``allowed``.

    The first item is drawn uniformly among items with at least 3 attributes inside
    ``allowed`` (and ``start`` when given). Each next one is drawn (score-weighted) from the
    ``pool`` allowed items most related to the profile so far among its neighbours: items
    sharing a person or a rare tag with a profile film (an attribute of at most
    :data:`WALK_ATTR_MAX` films) or all of its large attributes (the same genres and rating);
    when there is none, among all allowed items. With ``known`` and ``max_unknown``, at most
    ``max_unknown`` items outside ``known`` are picked; after that the walk stays inside
    ``known``. Returns fewer items when the allowed set runs out of related items.
    Deterministic for a seeded ``rng``.
    """
    prof = ProfileScores(index)
    firsts = np.flatnonzero(index.starts_mask & (allowed if start is None else allowed & start))
    if not len(firsts) or n_liked <= 0:
        return prof
    pos = int(firsts[rng.randrange(len(firsts))])
    unknown = 0
    while True:
        prof.add(pos)
        unknown += int(known is not None and not known[pos])
        if len(prof.liked) >= n_liked:
            return prof
        ok = allowed
        if known is not None and max_unknown is not None and unknown >= max_unknown:
            ok = allowed & known
        top, weights = _candidates(prof, ok, pool)
        if not len(top):
            return prof
        pos = int(rng.choices(top.tolist(), weights=weights.tolist(), k=1)[0])


def _candidates(prof: ProfileScores, ok: np.ndarray, pool: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``pool`` best allowed next films and their scores (see :func:`walk_profile`)."""
    index = prof.index
    near = np.unique(np.concatenate(
        [_walk_neighbours(index, p) for p in prof.liked]
        + [index.signature_items[index.hub_signature[p]] for p in prof.liked]))
    near = near[ok[near]]
    near = near[~np.isin(near, prof.liked)]
    if not len(near):  # nothing shares a small attribute: rank every allowed item
        scores = prof.scores()
        top = top_within(scores, ok, pool)
        return top, scores[top]
    assert prof.total is not None and prof.hub_weights is not None
    scores = prof.total[near]
    if prof.hub_weights.any():
        scores = scores + index.signature_hubs[index.hub_signature[near]] @ prof.hub_weights
    scores = scores * index.inv_sqrt_norm[near]
    keep = scores > 0
    near, scores = near[keep], scores[keep]
    if len(near) > pool:
        best = np.argpartition(-scores, pool - 1)[:pool]
        near, scores = near[best], scores[best]
    order = np.lexsort((near, -scores))
    return near[order], scores[order]


def _walk_neighbours(index: RelatedIndex, pos: int) -> np.ndarray:
    """Items sharing with ``pos`` an attribute of at most :data:`WALK_ATTR_MAX` films."""
    attrs = index.item_attrs[pos]
    small = attrs[index.attr_size[attrs] <= WALK_ATTR_MAX]
    if not len(small):
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([index.attr_items[a] for a in small.tolist()])
