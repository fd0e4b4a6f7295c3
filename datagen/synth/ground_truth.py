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
make the sample a reject with reason ``insufficient_safe_ground_truth`` (its candidates are
counted, not listed: a reject carries no candidate records). Traits were fixed by
the plan before this step ever runs, so they never depend on what the ground truth holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from datagen.records.sample import DroppedCandidate, ItemRef
from datagen.synth.plan import PlanEntry

__all__ = [
    "INSUFFICIENT",
    "FastTags",
    "GroundTruth",
    "TagLookup",
    "build_ground_truth",
    "candidates_for",
    "tag_status",
]

INSUFFICIENT = "insufficient_safe_ground_truth"
#: records a ``build_ground_truth`` memo keeps (~0.8 KiB each; a 10,000-user run needs
#: ~330,000) before it starts over
MEMO_MAX = 400_000


class TagLookup(Protocol):
    """What ground truth needs from owner C's TagIndex (``status`` is the fast path)."""

    def status(self, item_id: str, trait_id: str) -> Any: ...

    def tag(self, item_id: str, trait_id: str) -> Any: ...


@dataclass
class GroundTruth:
    safe: list[ItemRef] = field(default_factory=list)
    dropped: list[DroppedCandidate] = field(default_factory=list)
    reject_reason: str | None = None
    #: candidates dropped; for a rejected sample only this count is kept (no records)
    n_dropped: int = 0

    def __post_init__(self) -> None:
        self.n_dropped = self.n_dropped or len(self.dropped)


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
        #: candidate list -> positions (the same ranked lists come back for every user that
        #: shares a seed); cleared when it grows large so memory stays bounded
        self._idx_cache: dict[tuple[str, ...], np.ndarray] = {}

    def _positions(self, item_ids: Sequence[str]) -> np.ndarray:
        key = tuple(item_ids)
        idx = self._idx_cache.get(key)
        if idx is None:
            if len(self._idx_cache) >= 20_000:
                self._idx_cache.clear()
            missing, pos = len(self._pos), self._pos
            idx = np.array([pos.get(i, missing) for i in key], dtype=np.int64)
            self._idx_cache[key] = idx
        return idx

    def verdicts(self, item_ids: Sequence[str], traits: Sequence[str],
                 allow_unknown: bool) -> list[tuple[str, str] | None]:
        """:func:`_verdict` for many items at once (numpy status codes; same answers)."""
        if not item_ids:
            return []
        if not traits:
            return [None] * len(item_ids)
        idx = self._positions(item_ids)
        codes = np.stack([self._codes.get(t, self._unknown_row)[idx] for t in traits])
        yes = codes == 1
        any_yes = yes.any(axis=0)
        first_yes = yes.argmax(axis=0)
        unknown = codes == 2
        any_unknown = unknown.any(axis=0) & ~any_yes & (not allow_unknown)
        first_unknown = unknown.argmax(axis=0)
        out: list[tuple[str, str] | None] = [None] * len(item_ids)
        for k in np.flatnonzero(any_yes).tolist():
            out[k] = (traits[first_yes[k]], "yes")
        for k in np.flatnonzero(any_unknown).tolist():
            out[k] = (traits[first_unknown[k]], "unknown")
        return out

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


def candidates_for(
    entry: PlanEntry,
    related: Callable[[list[str], int, Sequence[str]], list[tuple[str, float]]],
    pool: int,
) -> list[tuple[str, float]]:
    """``(item_id, score)``: real recommendations first (score 1.0), then graph neighbours
    of the liked films, never a liked film, at most ``pool``."""
    liked_ids = [r.item_id for r in entry.liked]
    out = [(r.item_id, 1.0) for r in entry.recommended if r.item_id not in liked_ids][:pool]
    if len(out) < pool and liked_ids:
        exclude = sorted({item_id for item_id, _ in out})
        out += related(liked_ids, pool - len(out), exclude)  # never liked or excluded ids
    return out


def _verdict(item_id: str, traits: Sequence[str], status: Callable[[str, str], Any],
             allow_unknown: bool) -> tuple[str, str] | None:
    """``None`` when safe, else ``(trait, "yes" | "unknown")``: a ``yes`` wins over unknowns."""
    unknown = None
    for trait in traits:
        st = status(item_id, trait)  # TagStatus is a StrEnum, FastTags answers plain str
        if st == "yes":
            return trait, "yes"
        if unknown is None and st != "no" and not allow_unknown:
            unknown = trait
    return None if unknown is None else (unknown, "unknown")


def _dropped(tags: TagLookup, item_id: str, title: str, year: int | None,
             trait: str, status: str) -> dict[str, Any]:
    if status == "yes":
        _, score, evidence = tag_status(tags, item_id, trait)
        reason = f"unsafe:{trait} ({score:.2f}; {evidence})"
    else:
        score, reason = 0.0, f"unknown:{trait}"
    return {"item_id": item_id, "title": title, "year": year, "trait_id": trait,
            "status": status, "score": score, "reason": reason}


def build_ground_truth(
    candidates: Sequence[tuple[str, float]],
    traits: Sequence[str],
    tags: TagLookup,
    describe: Callable[[str], tuple[str, int | None] | None],
    *,
    unknown_policy: str = "exclude",
    gt_min: int = 3,
    gt_max: int = 10,
    memo: dict[Any, Any] | None = None,
) -> GroundTruth:
    """Split ranked candidates into safe ground truth and dropped candidates with reasons.

    ``describe(item_id) -> (title, year)`` names a candidate (None = not in the catalogue:
    skipped). The scan stops once ``gt_max`` safe items are found. ``memo`` (one dict per
    run, shared by all users) keeps the validated records: a record depends only on the item,
    the trait and the status, and the same candidates come back for user after user.
    """
    allow = unknown_policy == "allow"
    ids = [item_id for item_id, _ in candidates]
    fast = getattr(tags, "verdicts", None)
    problems = fast(ids, traits, allow) if fast is not None else \
        [_verdict(item_id, traits, tags.status, allow) for item_id in ids]
    verdicts: list[tuple[str, tuple[str, int | None], tuple[str, str] | None]] = []
    n_safe = 0
    for item_id, problem in zip(ids, problems, strict=True):  # no records yet: cheap
        name = describe(item_id)
        if name is None:
            continue
        verdicts.append((item_id, name, problem))
        if problem is None:
            n_safe += 1
            if n_safe >= gt_max:
                break
    if n_safe < gt_min:
        return GroundTruth(reject_reason=INSUFFICIENT, n_dropped=len(verdicts) - n_safe)
    result = GroundTruth()
    memo = {} if memo is None else memo
    dropped: list[DroppedCandidate] = []
    for item_id, (title, year), problem in verdicts:
        key = (item_id, problem)
        record: Any = memo.get(key)
        if record is None:
            if len(memo) >= MEMO_MAX:
                memo.clear()
            record = memo[key] = ItemRef(item_id=item_id, title=title, year=year) \
                if problem is None else \
                DroppedCandidate.model_validate(_dropped(tags, item_id, title, year, *problem))
        if problem is None:
            result.safe.append(record)
        else:
            dropped.append(record)
    result.dropped = dropped
    result.n_dropped = len(dropped)
    return result
