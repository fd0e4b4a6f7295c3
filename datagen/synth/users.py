"""Simulated users drawn for fixed traits: graph profiles or real seeds that fit the traits.

The plan fixes a user's traits first (never looking at films). A *draw* then gives that user
a history: liked films (and, for a real seed, the films people recommended and the user's own
turns). A draw is rejected with a reason, and another one made, when it does not fit:

* **graph profiles** are walks through the attribute graph that never leave the films the user
  may like: none ``yes`` for any of their traits, at most ``max_unknown_liked`` (a share) of
  them ``unknown``, and for *strict-history* traits (``young_children`` by default: the
  history is what the family watches) only films tagged ``no``. The walk starts at a film
  tagged ``no`` for every trait of the user (a favourite known to be free of their trigger),
  then follows graph proximity; a walk that runs out of allowed films early is rejected
  (``profile_too_short``).

  *Taste balance.* Films known to be safe are not a random sample of films: for most traits
  they are the well-documented family films (weak rules and curated evidence know those
  best), so a start drawn uniformly among them makes trait users cartoon fans and the trait
  readable from taste alone. The first favourite is therefore drawn with importance weights
  per genre group (:func:`genre_group`): ``(share of the group among all films) / (share
  among the films known safe for these traits)``, raised to ``taste_balance`` (0 = uniform
  among the safe films, 1 = the catalogue's genre mix, which is what controls get). Groups
  without any safe film cannot be reached; the statistics report the liked films' mix.
* **real seeds** (ReDial, Reddit) are taken as they are, or rejected: a liked film ``yes``
  for a trait (``liked_contradicts_traits``), a strict-history trait with a liked film not
  ``no`` (``liked_not_strictly_safe``), too many ``unknown`` liked films
  (``too_many_unknown_liked``).

Draw ``a`` of user ``i`` depends only on ``(plan seed, i, a)``: the same plan draws the same
users, whatever ``--n`` is (prefix-stable plans), and the variants of a user share them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datagen.graph.related import RelatedIndex
from datagen.graph.restricted import ProfileScores, walk_profile
from datagen.records.sample import ItemRef
from datagen.synth.genres import OTHER_GROUP, genre_group
from datagen.synth.plan import PlanEntry
from datagen.synth.safety import SafetyMasks
from datagen.synth.seeds import Seed, seed_pick

__all__ = [
    "LIKED_CONTRADICTS",
    "MIN_LIKED",
    "NOT_STRICTLY_SAFE",
    "TOO_MANY_UNKNOWN",
    "TOO_SHORT",
    "UserDraft",
    "UserSampler",
]

LIKED_CONTRADICTS = "liked_contradicts_traits"
NOT_STRICTLY_SAFE = "liked_not_strictly_safe"
TOO_MANY_UNKNOWN = "too_many_unknown_liked"
TOO_SHORT = "profile_too_short"
#: liked films of a graph profile: drawn uniformly in [MIN_LIKED, MAX_LIKED]
MIN_LIKED, MAX_LIKED = 3, 5


@dataclass
class UserDraft:
    """One draw: the user's history and its proximity scores over every item."""

    seed_id: str
    source: str
    liked_ids: list[str]
    scores: ProfileScores
    #: (liked film, own trait) pairs by status: {"no", "yes", "unknown"}
    liked_status: dict[str, int]
    #: the liked films as records (a graph profile gets them from
    #: :meth:`UserSampler.complete` once accepted) and their genres, most frequent first
    liked: list[ItemRef] | None = None
    genres: list[str] = field(default_factory=list)
    recommended: list[ItemRef] = field(default_factory=list)
    user_turns: list[str] = field(default_factory=list)
    #: a matched control's taste traits (see datagen.synth.pipeline.ControlTaste)
    taste_of: list[str] = field(default_factory=list)


class UserSampler:
    """Draws users for plan entries (see module docstring)."""

    def __init__(self, index: RelatedIndex, masks: SafetyMasks, lookup: Callable[[str], Any],
                 *, plan_seed: int, seeds: Sequence[Seed] | None = None,
                 max_unknown_liked: float = 1.0, strict_traits: Sequence[str] = (),
                 taste_balance: float = 0.0) -> None:
        self.index, self.masks, self.lookup = index, masks, lookup
        self.plan_seed = plan_seed
        self.seeds = list(seeds) if seeds else None
        self.max_unknown_liked = max_unknown_liked
        self.strict_traits = frozenset(strict_traits)
        self.taste_balance = taste_balance
        self._groups: np.ndarray | None = None
        self._weights: dict[tuple[str, ...], np.ndarray | None] = {}

    def _genre_groups(self) -> np.ndarray:
        """Genre group of every item position (computed once, on the first trait user)."""
        if self._groups is None:
            groups = np.full(len(self.index.item_ids), OTHER_GROUP, dtype=np.int64)
            for pos, item_id in enumerate(self.index.item_ids):
                item = self.lookup(item_id)
                if item is not None:
                    groups[pos] = genre_group(item.genres)
            self._groups = groups
        return self._groups

    def start_weights(self, traits: Sequence[str], candidates: np.ndarray) -> np.ndarray | None:
        """Importance weights of the first favourite (see module docstring), cached per
        trait set; None (uniform) when balancing is off or there is nothing to balance."""
        key = tuple(sorted(traits))
        if key in self._weights:
            return self._weights[key]
        weights = None
        if self.taste_balance > 0 and traits:
            groups = self._genre_groups()
            n_groups = OTHER_GROUP + 1
            starts = self.index.starts_mask
            reference = np.bincount(groups[starts], minlength=n_groups).astype(np.float64)
            pool = np.bincount(groups[candidates & starts], minlength=n_groups).astype(np.float64)
            if pool.sum() > 0 and reference.sum() > 0:
                ratio = np.zeros(n_groups)
                have = pool > 0
                ratio[have] = (reference[have] / reference.sum()) / (pool[have] / pool.sum())
                weights = np.where(candidates, ratio[groups] ** self.taste_balance, 0.0)
        self._weights[key] = weights
        return weights

    def draw(self, entry: PlanEntry, attempt: int) -> UserDraft | str:
        """Draw ``attempt`` for the entry's user: a :class:`UserDraft` or a reject reason."""
        if self.seeds is None:
            return self._graph_user(entry, attempt)
        k = seed_pick(self.plan_seed, entry.index, attempt, len(self.seeds))
        return self._seed_user(self.seeds[k], entry.traits)

    # -- graph profiles -------------------------------------------------------------------
    def _graph_user(self, entry: PlanEntry, attempt: int) -> UserDraft | str:
        rng = random.Random(f"{self.plan_seed}:user:{entry.index}:{attempt}")
        n_liked = rng.randint(MIN_LIKED, MAX_LIKED)
        traits = entry.traits
        masks = self.masks
        allowed = masks.not_yes(traits)
        strict = sorted(self.strict_traits.intersection(traits))
        if strict:
            allowed = allowed & masks.safe(strict)
        known = masks.safe(traits) if traits else None
        max_unknown = None
        if traits and self.max_unknown_liked < 1.0:
            max_unknown = int(self.max_unknown_liked * n_liked)
        weights = self.start_weights(traits, allowed & known) if known is not None else None
        prof = walk_profile(self.index, rng, n_liked, allowed, start=known, known=known,
                            max_unknown=max_unknown, start_weights=weights)
        if len(prof.liked) < MIN_LIKED:
            return TOO_SHORT
        return UserDraft(
            seed_id=f"graph:{self.plan_seed}:{entry.index}", source="graph_profile",
            liked_ids=[self.index.item_ids[p] for p in prof.liked], scores=prof,
            liked_status=masks.status_counts(prof.liked, traits))

    def complete(self, draft: UserDraft) -> UserDraft:
        """Fill a graph profile's liked films and genres (done for the accepted draw only)."""
        if draft.liked is not None:
            return draft
        liked: list[ItemRef] = []
        genres: Counter[str] = Counter()
        for item_id in draft.liked_ids:
            item = self.lookup(item_id)
            if item is not None:
                liked.append(ItemRef(item_id=item.item_id, title=item.title, year=item.year))
                genres.update(item.genres)
        draft.liked, draft.genres = liked, [g for g, _ in genres.most_common()]
        return draft

    # -- real seeds -------------------------------------------------------------------------
    def _seed_user(self, seed: Seed, traits: Sequence[str]) -> UserDraft | str:
        position = self.index.position
        pos = [position[r.item_id] for r in seed.liked if r.item_id in position]
        outside = len(seed.liked) - len(pos)  # not in the graph: unknown for every trait
        status = self.masks.status_counts(pos, traits)
        status["unknown"] += outside * len(traits)
        if traits:
            if status["yes"]:
                return LIKED_CONTRADICTS
            strict = sorted(self.strict_traits.intersection(traits))
            if strict and (outside or self.masks.status_counts(pos, strict)["no"]
                           < len(pos) * len(strict)):
                return NOT_STRICTLY_SAFE
            known = self.masks.safe(traits)
            unknown_films = outside + sum(1 for p in pos if not known[p])
            if unknown_films > self.max_unknown_liked * len(seed.liked):
                return TOO_MANY_UNKNOWN
        return UserDraft(
            seed_id=seed.seed_id, source=seed.source, liked_ids=[r.item_id for r in seed.liked],
            scores=ProfileScores.of(self.index, pos), liked_status=status,
            liked=list(seed.liked), recommended=list(seed.recommended),
            genres=list(seed.genres), user_turns=list(seed.user_turns))

