"""Ground truth: the films nearest to the user's liked films among those safe for the user.

Ranking happens *inside* the safe neighbourhood, not by filtering a fixed top-N: every film of
the catalogue gets its graph proximity to the liked films (:mod:`datagen.graph.restricted`),
and ground truth is the ``gt_max`` best among the films safe for every trait of the user
(all ``no``; with ``--unknown-policy allow``, none ``yes``). A real seed's recommendations that
are safe come first (people recommended them), in their order. Each item keeps

* ``relatedness``: its score over the *unfiltered* best (the nearest film of all, safe or not),
  the measure of how much the safety filter cost the user in relevance;
* ``unfiltered_rank``: its place in the unfiltered neighbourhood (seed recommendations, then
  every film by score), so ``rank - position`` films were passed over to reach it.

A *relevance floor* (``relevance_floor``, relative to the unfiltered best) keeps "safe but
unrelated" films out: fewer than ``gt_min`` safe films above it rejects the draw with reason
``unrelated_safe_ground_truth`` (``insufficient_safe_ground_truth`` when fewer than
``gt_min`` safe films are related at all), and the pipeline draws another user for the same
traits. A control has no traits: every film is safe for it, so its ground truth is plain
relevance under the very same ranking. Unsafe and unknown films that rank above the last
ground-truth film are kept as ``dropped_candidates`` (best first, at most ``max_dropped``)
with their reason: they are the preference pairs' and rewards' relevant-but-unsafe films.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from datagen.records.sample import DroppedCandidate, GroundTruthItem, ItemRef
from datagen.synth.safety import UNKNOWN, SafetyMasks
from datagen.synth.users import UserDraft

__all__ = [
    "DEFAULT_RELEVANCE_FLOOR",
    "INSUFFICIENT",
    "UNRELATED",
    "FastTags",
    "GroundTruth",
    "Ranker",
    "TagLookup",
    "tag_status",
]

INSUFFICIENT = "insufficient_safe_ground_truth"
UNRELATED = "unrelated_safe_ground_truth"
#: ground truth must score at least this share of the unfiltered best (see module docstring)
DEFAULT_RELEVANCE_FLOOR = 0.4
#: films above the floor sorted at first (4x more while they hold fewer than gt_max safe)
_SORTED_HEAD = 256
#: dropped-candidate records a run's memo keeps before it starts over
MEMO_MAX = 200_000


class TagLookup(Protocol):
    """What ground truth needs from owner C's TagIndex (``status`` is the fast path)."""

    def status(self, item_id: str, trait_id: str) -> Any: ...

    def tag(self, item_id: str, trait_id: str) -> Any: ...


@dataclass
class GroundTruth:
    safe: list[GroundTruthItem] = field(default_factory=list)
    dropped: list[DroppedCandidate] = field(default_factory=list)
    reject_reason: str | None = None
    #: what a rejected draw lacked, in words (for the reject record's ``error``)
    detail: str = ""


class FastTags:
    """Set-based status lookups over a TagIndex's table, built once per run.

    Ground truth checks hundreds of (candidate, trait) pairs per user; membership in a set of
    ``no`` ids and a dict of ``yes`` pairs costs far less than the index's per-call path.
    Answers are identical to the wrapped index (``tag`` of a non-``yes`` pair delegates).
    """

    def __init__(self, tags: Any) -> None:
        import polars as pl

        self.inner = tags
        df = pl.from_arrow(tags.table.select(["item_id", "trait_id", "status", "score",
                                              "sources", "evidence"]))
        assert isinstance(df, pl.DataFrame)
        no = df.filter(pl.col("status") == "no").group_by("trait_id").agg(pl.col("item_id"))
        self._no = {t: set(ids) for t, ids in no.iter_rows()}
        yes = df.filter(pl.col("status") == "yes")
        self._yes = {(i, t): (score, list(src), list(ev)) for i, t, _, score, src, ev
                     in yes.iter_rows()}
        self._yes_ids: dict[str, set[str]] = {}
        for item_id, trait_id in self._yes:
            self._yes_ids.setdefault(trait_id, set()).add(item_id)
        ids = df["item_id"].unique(maintain_order=True).to_list()
        self._pos = {item_id: i for i, item_id in enumerate(ids)}
        #: per trait: status code per item (0 no, 1 yes, 2 unknown) plus a last slot (2) for
        #: ids the table does not know; traits the table never mentions are all unknown
        self._unknown_row = np.full(len(ids) + 1, 2, dtype=np.int8)
        self._codes: dict[str, np.ndarray] = {}
        for trait_id in df["trait_id"].unique().to_list():
            row = self._unknown_row.copy()
            row[[self._pos[i] for i in self._no.get(trait_id, ())]] = 0
            row[[self._pos[i] for i in self._yes_ids.get(trait_id, ())]] = 1
            self._codes[trait_id] = row

    def status(self, item_id: str, trait_id: str) -> str:
        if item_id in self._yes_ids.get(trait_id, ()):
            return "yes"
        return "no" if item_id in self._no.get(trait_id, ()) else "unknown"

    def tag(self, item_id: str, trait_id: str) -> Any:
        hit = self._yes.get((item_id, trait_id))
        if hit is None:
            return self.inner.tag(item_id, trait_id)
        from datagen.tags.models import ItemTraitTag, TagStatus

        score, sources, evidence = hit
        return ItemTraitTag(item_id=item_id, trait_id=trait_id, status=TagStatus.yes,
                            score=score, sources=sources, evidence=evidence)

    def counts(self) -> dict[str, dict[str, int]]:
        return self.inner.counts()


def tag_status(tags: TagLookup, item_id: str, trait_id: str) -> tuple[str, float, str]:
    """``(status, score, first evidence line)``; a missing tag is ``unknown``.

    The full tag (score, evidence) is only read for ``yes``: the common ``no`` stays cheap.
    """
    status = str(tags.status(item_id, trait_id))  # TagStatus is a StrEnum: "yes" | "no" | ...
    if status in ("no", "unknown"):
        return status, 0.0, ""
    tag = tags.tag(item_id, trait_id)
    if tag is None:
        return "unknown", 0.0, "no evidence"
    status = getattr(tag.status, "value", tag.status)
    evidence = tag.evidence[0] if tag.evidence else ",".join(tag.sources)
    return str(status), float(tag.score), evidence


def _dropped(tags: TagLookup, item_id: str, title: str, year: int | None,
             trait: str, status: str) -> dict[str, Any]:
    if status == "yes":
        _, score, evidence = tag_status(tags, item_id, trait)
        reason = f"unsafe:{trait} ({score:.2f}; {evidence})"
    else:
        score, reason = 0.0, f"unknown:{trait}"
    return {"item_id": item_id, "title": title, "year": year, "trait_id": trait,
            "status": status, "score": score, "reason": reason}




@dataclass
class Ranker:
    """Ranks one user's ground truth inside the safe neighbourhood (see module docstring).

    Built once per run; ``names`` maps an item id to ``(title, year)``; ``memo`` keeps the
    validated dropped-candidate records, which depend only on (item, trait, status) and come
    back for user after user.
    """

    masks: SafetyMasks
    tags: TagLookup
    names: dict[str, tuple[str, int | None]]
    unknown_policy: str = "exclude"
    gt_min: int = 3
    gt_max: int = 10
    relevance_floor: float = DEFAULT_RELEVANCE_FLOOR
    max_dropped: int = 20
    memo: dict[Any, DroppedCandidate] = field(default_factory=dict)

    def rank(self, user: UserDraft, traits: Sequence[str]) -> GroundTruth:
        masks, allow = self.masks, self.unknown_policy == "allow"
        index = user.scores.index
        scores = user.scores.scores()
        in_cat = masks.in_catalogue
        best = float(np.max(scores, where=in_cat, initial=0.0))
        safe = masks.safe(traits, allow) if traits else in_cat
        liked = set(user.liked_ids)
        recs = [r for r in user.recommended if r.item_id not in liked]
        rec_pos = [index.position.get(r.item_id) for r in recs]
        gt, dropped = self._from_seed(recs, rec_pos, traits, scores, best, safe)
        room = self.gt_max - len(gt)
        order = self._above_floor(scores, best, in_cat, {p for p in rec_pos if p is not None},
                                  safe, room)
        is_safe = safe[order]
        picked = np.flatnonzero(is_safe)[:max(room, 0)]
        if len(gt) + len(picked) < self.gt_min:
            return self._rejected(len(gt), scores, safe & in_cat, best)
        for j in picked.tolist():
            pos = int(order[j])
            gt.append(self._item(index.item_ids[pos], pos, scores[pos] / best,
                                 j + 1 + len(recs), traits))
        if len(picked):  # unsafe / unknown films ranked above the last ground-truth film
            passed = order[:picked[-1]][~is_safe[:picked[-1]]][:self.max_dropped - len(dropped)]
            for pos, problem in zip(passed.tolist(), masks.first_problem(passed, traits, allow),
                                    strict=True):
                if problem is not None:
                    dropped.append(self._dropped(index.item_ids[pos], *problem))
        return GroundTruth(safe=gt, dropped=dropped)

    def _above_floor(self, scores: np.ndarray, best: float, in_cat: np.ndarray,
                     recs: set[int], safe: np.ndarray, room: int) -> np.ndarray:
        """Catalogue films (seed recommendations aside) scoring at least the floor, best first
        (ties by position), cut after the ``room``-th safe one: ground truth, their unfiltered
        ranks and the films passed over all lie in this prefix."""
        if best <= 0 or room <= 0:
            return np.zeros(0, dtype=np.int64)
        cand = np.flatnonzero(scores >= max(self.relevance_floor * best, 1e-12))
        cand = cand[in_cat[cand]]
        if recs:
            cand = cand[~np.isin(cand, list(recs))]
        head = _SORTED_HEAD
        while True:  # sort only the best ``head``; widen when they hold too few safe films
            part = cand if len(cand) <= head else \
                cand[np.argpartition(-scores[cand], head - 1)[:head]]
            order = part[np.lexsort((part, -scores[part]))]
            if len(part) == len(cand) or np.count_nonzero(safe[order]) >= room:
                return order
            head *= 4

    def _from_seed(self, recs: list[ItemRef], rec_pos: list[int | None], traits: Sequence[str],
                   scores: np.ndarray, best: float, safe: np.ndarray) -> tuple[
                       list[GroundTruthItem], list[DroppedCandidate]]:
        """The seed's real recommendations: safe ones are ground truth (in their order), the
        others dropped candidates; items outside the graph are unknown for every trait."""
        gt: list[GroundTruthItem] = []
        dropped: list[DroppedCandidate] = []
        allow = self.unknown_policy == "allow"
        for rank, (ref, pos) in enumerate(zip(recs, rec_pos, strict=True), start=1):
            if pos is None:
                if traits and not allow:
                    dropped.append(self._dropped(ref.item_id, traits[0], "unknown", ref))
                elif len(gt) < self.gt_max:
                    gt.append(GroundTruthItem.model_construct(
                        item_id=ref.item_id, title=ref.title, year=ref.year, relatedness=None,
                        unfiltered_rank=rank, curated_only=False, unknown=bool(traits)))
                continue
            if safe[pos]:
                if len(gt) < self.gt_max:
                    rel = scores[pos] / best if best > 0 else None
                    gt.append(self._item(ref.item_id, pos, rel, rank, traits, ref))
                continue
            problem = self.masks.first_problem(np.array([pos]), traits, allow)[0]
            if problem is not None and len(dropped) < self.max_dropped:
                dropped.append(self._dropped(ref.item_id, *problem, ref))
        return gt, dropped

    def _rejected(self, n_seed: int, scores: np.ndarray, pool: np.ndarray,
                  best: float) -> GroundTruth:
        related = int(np.count_nonzero(pool & (scores > 0)))
        floor = self.relevance_floor * best
        above = int(np.count_nonzero(pool & (scores >= floor) & (scores > 0)))
        if n_seed + related < self.gt_min:
            return GroundTruth(reject_reason=INSUFFICIENT,
                               detail=f"{n_seed + related} safe related films (need "
                               f"{self.gt_min})")
        return GroundTruth(reject_reason=UNRELATED,
                           detail=f"{n_seed + above} safe films above the relevance floor "
                           f"{self.relevance_floor:.2f} of the unfiltered best (need "
                           f"{self.gt_min}; {related} safe films related at all)")

    def _item(self, item_id: str, pos: int, rel: float | None, rank: int,
              traits: Sequence[str], ref: ItemRef | None = None) -> GroundTruthItem:
        title, year = (ref.title, ref.year) if ref is not None else self.names[item_id]
        masks = self.masks
        return GroundTruthItem.model_construct(
            item_id=item_id, title=title, year=year,
            relatedness=None if rel is None else round(float(rel), 4),
            unfiltered_rank=int(rank),
            curated_only=any(bool(masks.curated_only(t)[pos]) for t in traits),
            unknown=any(int(masks.codes(t)[pos]) == UNKNOWN for t in traits))

    def _dropped(self, item_id: str, trait: str, status: str,
                 ref: ItemRef | None = None) -> DroppedCandidate:
        key = (item_id, trait, status)
        record = self.memo.get(key)
        if record is None:
            if len(self.memo) >= MEMO_MAX:
                self.memo.clear()
            title, year = (ref.title, ref.year) if ref is not None else self.names[item_id]
            record = self.memo[key] = DroppedCandidate.model_validate(
                _dropped(self.tags, item_id, title, year, trait, status))
        return record
