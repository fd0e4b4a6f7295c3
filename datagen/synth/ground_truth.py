"""Ground truth: the relevant candidates that are safe for *this* user, and why others left.

Candidates come from the seed's real recommendations (in their order) and then from the
graph neighbours of the liked films, up to the candidate pool size. Each candidate is checked
against every trait of the user with the item trigger tags:

* any ``yes``  -> dropped, reason ``unsafe:<trait> (<score>)``;
* any ``unknown`` (and no ``yes``) -> dropped, reason ``unknown:<trait>``, unless the unknown
  policy is ``allow`` (an explicit, recorded choice), then it counts as safe;
* every trait ``no`` -> safe: ground truth (the first ``gt_max`` in rank order).

A control sample has no traits, so every relevant candidate is safe for it (its ground truth
is plain relevance, which is what a control is for). Fewer than ``gt_min`` safe candidates
make the sample a reject with reason ``insufficient_safe_ground_truth``. Traits were fixed by
the plan before this step ever runs, so they never depend on what the ground truth holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from datagen.records.sample import DroppedCandidate, ItemRef
from datagen.synth.plan import PlanEntry

__all__ = [
    "INSUFFICIENT",
    "GroundTruth",
    "TagLookup",
    "build_ground_truth",
    "candidates_for",
    "tag_status",
]

INSUFFICIENT = "insufficient_safe_ground_truth"


class TagLookup(Protocol):
    """What ground truth needs from owner C's TagIndex (``status`` is the fast path)."""

    def status(self, item_id: str, trait_id: str) -> Any: ...

    def tag(self, item_id: str, trait_id: str) -> Any: ...


@dataclass
class GroundTruth:
    safe: list[ItemRef] = field(default_factory=list)
    dropped: list[DroppedCandidate] = field(default_factory=list)
    reject_reason: str | None = None


def tag_status(tags: TagLookup, item_id: str, trait_id: str) -> tuple[str, float, str]:
    """``(status, score, first evidence line)``; a missing tag is ``unknown``.

    The full tag (score, evidence) is only read for ``yes``: the common ``no`` stays cheap.
    """
    status = getattr(tags.status(item_id, trait_id), "value", None)
    if status in ("no", "unknown"):
        return status, 0.0, ""
    tag = tags.tag(item_id, trait_id)
    if tag is None:
        return "unknown", 0.0, "no evidence"
    status = getattr(tag.status, "value", tag.status)
    evidence = tag.evidence[0] if tag.evidence else ",".join(tag.sources)
    return str(status), float(tag.score), evidence


def candidates_for(
    entry: PlanEntry,
    related: Callable[[list[str], int, Sequence[str]], list[tuple[str, float]]],
    lookup: Callable[[str], Any],
    pool: int,
) -> list[tuple[ItemRef, float]]:
    """Real recommendations first (score 1.0), then graph neighbours of the liked films."""
    liked_ids = [r.item_id for r in entry.liked]
    out: list[tuple[ItemRef, float]] = [(r, 1.0) for r in entry.recommended
                                       if r.item_id not in liked_ids][:pool]
    seen = {r.item_id for r, _ in out} | set(liked_ids)
    if len(out) < pool and liked_ids:
        for item_id, score in related(liked_ids, pool, sorted(seen)):
            if item_id in seen:
                continue
            item = lookup(item_id)
            if item is None:
                continue
            # trusted catalogue data: construct without re-validation (hot path)
            ref = ItemRef.model_construct(item_id=item.item_id, title=item.title, year=item.year)
            out.append((ref, score))
            seen.add(item_id)
            if len(out) >= pool:
                break
    return out


def _verdict(ref: ItemRef, traits: Sequence[str], tags: TagLookup,
             allow_unknown: bool) -> DroppedCandidate | None:
    unknown: DroppedCandidate | None = None
    for trait in traits:
        status, score, evidence = tag_status(tags, ref.item_id, trait)
        if status == "yes":
            return DroppedCandidate(
                item_id=ref.item_id, title=ref.title, year=ref.year, trait_id=trait,
                status="yes", score=score, reason=f"unsafe:{trait} ({score:.2f}; {evidence})")
        if status != "no" and unknown is None and not allow_unknown:
            unknown = DroppedCandidate.model_construct(
                item_id=ref.item_id, title=ref.title, year=ref.year, trait_id=trait,
                status="unknown", score=score, reason=f"unknown:{trait}")
    return unknown


def build_ground_truth(
    candidates: Sequence[tuple[ItemRef, float]],
    traits: Sequence[str],
    tags: TagLookup,
    *,
    unknown_policy: str = "exclude",
    gt_min: int = 3,
    gt_max: int = 10,
) -> GroundTruth:
    """Split ranked candidates into safe ground truth and dropped candidates with reasons."""
    result = GroundTruth()
    allow = unknown_policy == "allow"
    for ref, _score in candidates:
        if len(result.safe) >= gt_max:
            break
        dropped = _verdict(ref, traits, tags, allow)
        if dropped is None:
            result.safe.append(ref)
        else:
            result.dropped.append(dropped)
    if len(result.safe) < gt_min:
        result.reject_reason = INSUFFICIENT
    return result
