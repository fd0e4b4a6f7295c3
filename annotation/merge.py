"""Majority verdicts per record and their merge into samples as :class:`HumanVerdict`.

The acceptance rule (also in the dataset guidelines and docs/annotation.md):

* **pending** while a record has fewer submitted responses than ``min_submitted``;
* **accepted** when a strict majority (more than half) of the submitted responses says
  ``cue_implicit = yes`` and a strict majority says ``gt_safe = yes`` and the median
  ``naturalness`` is at least 3;
* **rejected** otherwise (a tie is not a majority: a 1-1 split is rejected, the safe side).

``traits`` of the verdict are the trait labels a strict majority ticked (``none`` dropped);
``trait_votes`` counts every label ticked (an answer of ``none`` together with a trait counts
as the trait alone), the raw material of human inferability (:mod:`annotation.inferability`).
``agreement`` of a record is the mean, over ``cue_implicit``, ``gt_safe`` and the trait set,
of the share of agreeing annotator pairs (``None`` with fewer than two responses).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from annotation.agreement import percent_agreement
from annotation.inferability import sample_inferability
from annotation.settings import NONE_LABEL, film_label
from datagen.records.sample import HumanVerdict, Sample, TraitVote

__all__ = [
    "MIN_NATURALNESS",
    "RecordVerdict",
    "Vote",
    "answered_traits",
    "decide",
    "merge_verdicts",
]

#: the median naturalness a record needs to be accepted
MIN_NATURALNESS = 3.0


class Vote(BaseModel):
    """One annotator's submitted response to one record."""

    model_config = ConfigDict(extra="forbid")

    user: str
    cue_implicit: str | None = None
    traits: list[str] = Field(default_factory=list)
    gt_safe: str | None = None
    offending_films: list[str] = Field(default_factory=list)
    naturalness: int | None = None
    correction: str = ""


class RecordVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_id: str
    verdict: str  # accepted | rejected | pending
    votes: int
    agreement: float | None = None
    cue_implicit_yes: int = 0
    gt_safe_yes: int = 0
    naturalness_median: float | None = None
    traits: list[str] = Field(default_factory=list)
    offending_films: list[str] = Field(default_factory=list)  # option keys: film1, film2...
    corrections: list[str] = Field(default_factory=list)
    trait_votes: dict[str, int] = Field(default_factory=dict)  # label -> annotators ticking it


def answered_traits(labels: Iterable[str]) -> list[str]:
    """An answer's trait labels: ``none`` next to a real trait is dropped (the trait wins)."""
    unique = sorted(set(labels))
    real = [t for t in unique if t != NONE_LABEL]
    return real if real else unique


def _majority(labels: Iterable[str], n: int) -> list[str]:
    counts = Counter(labels)
    return sorted(k for k, c in counts.items() if c * 2 > n)


def _record_agreement(votes: Sequence[Vote]) -> float | None:
    per_question: list[list[Hashable | None]] = [
        [v.cue_implicit for v in votes],
        [v.gt_safe for v in votes],
        [frozenset(v.traits) for v in votes],
    ]
    shares = [p for p in (percent_agreement([u]) for u in per_question) if p is not None]
    return sum(shares) / len(shares) if shares else None


def decide(sample_id: str, votes: Sequence[Vote], min_submitted: int) -> RecordVerdict:
    """The verdict for one record from its submitted votes (see the module docstring)."""
    n = len(votes)
    cue_yes = sum(1 for v in votes if v.cue_implicit == "yes")
    gt_yes = sum(1 for v in votes if v.gt_safe == "yes")
    ratings = [v.naturalness for v in votes if v.naturalness is not None]
    median = float(statistics.median(ratings)) if ratings else None
    if n < max(1, min_submitted):
        verdict = "pending"
    elif cue_yes * 2 > n and gt_yes * 2 > n and median is not None and median >= MIN_NATURALNESS:
        verdict = "accepted"
    else:
        verdict = "rejected"
    return RecordVerdict(
        sample_id=sample_id, verdict=verdict, votes=n, agreement=_record_agreement(votes),
        cue_implicit_yes=cue_yes, gt_safe_yes=gt_yes, naturalness_median=median,
        traits=[t for t in _majority((t for v in votes for t in set(v.traits)), n)
                if t != NONE_LABEL],
        offending_films=_majority((f for v in votes for f in set(v.offending_films)), n),
        corrections=[f"{v.user}: {' '.join(v.correction.split())}" for v in votes
                     if v.correction.strip()],
        trait_votes=dict(sorted(Counter(t for v in votes for t in answered_traits(v.traits))
                                .items())),
    )


def _notes(sample: Sample, rv: RecordVerdict) -> str:
    parts = [f"cue_implicit yes {rv.cue_implicit_yes}/{rv.votes}",
             f"gt_safe yes {rv.gt_safe_yes}/{rv.votes}"]
    if rv.naturalness_median is not None:
        parts.append(f"naturalness median {rv.naturalness_median:g}")
    films = {film_label(i): ref for i, ref in enumerate(sample.ground_truth, start=1)}
    offending = [films[f] for f in rv.offending_films if f in films]
    if offending:
        parts.append("offending: " + ", ".join(
            f"{r.title} ({r.year})" if r.year else r.title for r in offending))
    parts += [f"correction {c}" for c in rv.corrections]
    return "; ".join(parts)


def merge_verdicts(samples: Sequence[Sample], verdicts: dict[str, RecordVerdict],
                   traits_suggested: bool | None = None) -> tuple[list[Sample], int]:
    """Samples with ``human`` set from ``verdicts`` (others unchanged), and how many matched.

    ``traits_suggested`` (from the dataset settings) is stored with each verdict so blind
    and suggested answers are never pooled unknowingly.
    """
    out: list[Sample] = []
    matched = 0
    for s in samples:
        rv = verdicts.get(s.sample_id)
        if rv is None:
            out.append(s)
            continue
        matched += 1
        human = HumanVerdict(
            verdict=rv.verdict, votes=rv.votes, agreement=rv.agreement, traits=rv.traits,
            notes=_notes(s, rv),
            trait_votes=[TraitVote(trait=t, votes=n) for t, n in rv.trait_votes.items()],
            inferability=sample_inferability(s, rv.trait_votes, rv.votes),
            traits_suggested=traits_suggested)
        out.append(s.model_copy(update={"human": human}))
    return out, matched
