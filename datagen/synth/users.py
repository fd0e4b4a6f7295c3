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

from datagen.graph.related import RelatedIndex
from datagen.graph.restricted import ProfileScores, walk_profile
from datagen.records.sample import ItemRef
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


class UserSampler:
    """Draws users for plan entries (see module docstring)."""

    def __init__(self, index: RelatedIndex, masks: SafetyMasks, lookup: Callable[[str], Any],
                 *, plan_seed: int, seeds: Sequence[Seed] | None = None,
                 max_unknown_liked: float = 1.0, strict_traits: Sequence[str] = ()) -> None:
        self.index, self.masks, self.lookup = index, masks, lookup
        self.plan_seed = plan_seed
        self.seeds = list(seeds) if seeds else None
        self.max_unknown_liked = max_unknown_liked
        self.strict_traits = frozenset(strict_traits)

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
        prof = walk_profile(self.index, rng, n_liked, allowed, start=known, known=known,
                            max_unknown=max_unknown)
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

