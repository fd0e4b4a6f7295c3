"""Human inferability: can people read the planned trait from the dialogue, and the judge?

The generator plans traits and weaves a cue for each into the user's turns; the automatic
inferability judge then names the traits it reads. This module measures both against the
annotators' *blind* answers to the ``traits`` question (no suggestion shown, the default of
``annotate push``), from the samples alone (``Sample.human.trait_votes`` after ``annotate
pull``), so the pull report and the dataset card compute the same figures.

Units. A *cue unit* is one planned trait of one annotated record whose dialogue carries a cue
for it; its human value is the share of the record's annotators who ticked that trait, its
judge value whether the judge named it (a record whose judge call failed, flagged
``judge_failed``, has no judge value: it is left out of the judge figures, not counted as
"not named"). A *control* is an annotated record with no cue at
all (a control user, or a variant without the cue); there, any trait ticked is a false
positive. Rows: overall, per trait, per cue strategy (these three over *implicit* cues only:
an ``explicit`` or ``acquisition`` sample states the trait plainly, and pooling it would
inflate the very figure the benchmark rests on), and per variant (every variant).

Figures per row: ``human`` = answers naming the trait / all answers; ``judge`` = units the
judge named; both with a 95% Wilson interval over the *units* (a record's annotators are not
independent, so the record, not the answer, is the sample size); ``agreement`` =
Krippendorff's alpha (named / not named) among annotators over the row's units, with a
bootstrap interval; ``judge_vs_majority`` = units where the judge and the annotators'
strict majority agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from annotation.intervals import binary_alpha, bootstrap_alpha, wilson
from annotation.settings import NONE_LABEL
from datagen.records.sample import Sample

__all__ = [
    "IMPLICIT_VARIANTS",
    "METHOD",
    "Agreement",
    "ControlFigures",
    "Figure",
    "InferabilityReport",
    "Row",
    "inferability_report",
    "sample_inferability",
]

METHOD = (
    "human = share of annotators' answers naming the planned trait; judge = share of units the "
    "inferability judge named; 95% Wilson intervals with n = units (records), not answers; "
    "agreement = Krippendorff's alpha (named / not) among annotators, 95% percentile "
    "bootstrap over units (1000 resamples, seed 0); controls = annotated records with no cue; "
    "overall, per trait and per strategy count implicit cues only (per variant: all); records "
    "whose judge call failed are left out of the judge figures"
)


class Figure(BaseModel):
    """A share with its 95% interval; ``n`` units, ``answers`` annotator answers behind it."""

    model_config = ConfigDict(extra="forbid")

    share: float | None
    low: float | None
    high: float | None
    n: int
    answers: int


class Agreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alpha: float | None
    low: float | None
    high: float | None
    percent: float | None
    units: int  # units with at least two answers


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    human: Figure
    judge: Figure
    judge_vs_majority: Figure
    agreement: Agreement
    false_positive_human: Figure | None = None  # per trait: ticked on controls
    false_positive_judge: Figure | None = None


class ControlFigures(BaseModel):
    model_config = ConfigDict(extra="forbid")

    human: Figure  # answers naming any trait on a control
    judge: Figure  # controls where the judge named a trait
    judge_vs_majority: Figure
    agreement: Agreement  # among annotators: any trait named or not


class InferabilityReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traits_suggested: bool | None
    records: int  # annotated records (at least one submitted answer)
    #: which judge the judge figures measure: "backend/model (LLM)" or "(not an LLM)", joined
    #: with "; " when the samples mix judges
    judge: str = ""
    #: annotated records whose judge call failed (left out of the judge figures)
    judge_failed: int = 0
    overall: Row | None
    per_trait: dict[str, Row]
    per_strategy: dict[str, Row]
    per_variant: dict[str, Row]
    controls: ControlFigures | None
    method: str = METHOD


class _Unit(NamedTuple):
    named: int  # annotators who ticked the trait (for a control: any trait)
    answers: int
    judge: bool | None  # None: the judge call failed
    trait: str
    strategy: str
    variant: str


def _counts(sample: Sample) -> dict[str, int]:
    assert sample.human is not None
    return {v.trait: v.votes for v in sample.human.trait_votes}


def _cue_strategies(sample: Sample) -> dict[str, str]:
    """Planned trait -> strategy of its first cue, for the traits the dialogue carries."""
    out: dict[str, str] = {}
    for cue in sample.cues:
        if cue.trait_id in sample.traits:
            out.setdefault(cue.trait_id, cue.strategy)
    return out


def sample_inferability(sample: Sample, counts: dict[str, int], answers: int) -> float | None:
    """Share of (annotator, carried trait) answers naming the trait; None without a cue."""
    carried = _cue_strategies(sample)
    if not carried or answers <= 0:
        return None
    return sum(counts.get(t, 0) for t in carried) / (answers * len(carried))


class _Control(NamedTuple):
    unit: _Unit
    counts: dict[str, int]  # trait -> annotators who ticked it ("none" left out)
    judged: frozenset[str]


def _units(samples: Iterable[Sample]) -> tuple[list[_Unit], list[_Control], int]:
    """Cue units, controls, and how many annotated records they come from."""
    cue_units: list[_Unit] = []
    controls: list[_Control] = []
    records = 0
    for s in samples:
        if s.human is None or s.human.votes <= 0:
            continue
        records += 1
        counts, m = _counts(s), s.human.votes
        judged = frozenset(s.verification.judge_traits) - {NONE_LABEL}
        failed = "judge_failed" in s.verification.flags
        carried = _cue_strategies(s)
        for trait, strategy in carried.items():
            cue_units.append(_Unit(counts.get(trait, 0), m, None if failed else trait in judged,
                                   trait, strategy, s.variant))
        if not carried:  # an answer of "none" alone is the only way not to name a trait
            unit = _Unit(m - counts.get(NONE_LABEL, 0), m, None if failed else bool(judged),
                         "", "", s.variant)
            controls.append(_Control(unit, {t: c for t, c in counts.items() if t != NONE_LABEL},
                                     judged))
    return cue_units, controls, records


def _figure(hits: float, answers: int, n: int) -> Figure:
    if n == 0 or answers == 0:
        return Figure(share=None, low=None, high=None, n=n, answers=answers)
    share = hits / answers
    low, high = wilson(share, n)
    return Figure(share=share, low=low, high=high, n=n, answers=answers)


def _agreement(units: Sequence[_Unit]) -> Agreement:
    yes, m = [u.named for u in units], [u.answers for u in units]
    pairs = [(k, a) for k, a in zip(yes, m, strict=True) if a >= 2]
    percent = (sum((k * (k - 1) + (a - k) * (a - k - 1)) / (a * (a - 1)) for k, a in pairs)
               / len(pairs)) if pairs else None
    interval = bootstrap_alpha(yes, m)
    return Agreement(alpha=binary_alpha(yes, m), low=interval[0] if interval else None,
                     high=interval[1] if interval else None, percent=percent, units=len(pairs))


def _judge_figures(units: Sequence[_Unit]) -> tuple[Figure, Figure]:
    judged = [u for u in units if u.judge is not None]
    n = len(judged)
    judge = _figure(sum(bool(u.judge) for u in judged), n, n)
    same = sum(u.judge == (2 * u.named > u.answers) for u in judged)
    return judge, _figure(same, n, n)


def _row(units: Sequence[_Unit]) -> Row:
    judge, vs = _judge_figures(units)
    human = _figure(sum(u.named for u in units), sum(u.answers for u in units), len(units))
    return Row(human=human, judge=judge, judge_vs_majority=vs, agreement=_agreement(units))


def _grouped(units: Sequence[_Unit], key: str) -> dict[str, Row]:
    groups: dict[str, list[_Unit]] = defaultdict(list)
    for u in units:
        groups[getattr(u, key)].append(u)
    return {k: _row(v) for k, v in sorted(groups.items())}


#: variants whose cues are implicit: the headline rows (overall, per trait, per strategy)
IMPLICIT_VARIANTS = frozenset({"implicit", ""})


def _judge_label(samples: Sequence[Sample]) -> str:
    labels = sorted({f"{s.verification.judge_backend or '?'}/{s.verification.judge_model or '?'}"
                     + (" (LLM)" if s.verification.judge_is_llm else " (not an LLM)")
                     for s in samples})
    return "; ".join(labels)


def inferability_report(samples: Iterable[Sample],
                        traits_suggested: bool | None = None) -> InferabilityReport:
    """Every figure of the module docstring over the annotated ``samples``."""
    annotated = [s for s in samples if s.human is not None and s.human.votes > 0]
    all_units, controls, records = _units(annotated)
    cue_units = [u for u in all_units if u.variant in IMPLICIT_VARIANTS]
    per_trait = _grouped(cue_units, "trait")
    n_ctrl = len(controls)
    answers_ctrl = sum(c.unit.answers for c in controls)
    for trait, row in per_trait.items():
        row.false_positive_human = _figure(sum(c.counts.get(trait, 0) for c in controls),
                                           answers_ctrl, n_ctrl)
        judged_ctrl = [c for c in controls if c.unit.judge is not None]
        row.false_positive_judge = _figure(sum(trait in c.judged for c in judged_ctrl),
                                           len(judged_ctrl), len(judged_ctrl))
    ctrl = None
    if controls:
        units = [c.unit for c in controls]
        judge, vs = _judge_figures(units)
        ctrl = ControlFigures(human=_figure(sum(u.named for u in units), answers_ctrl, n_ctrl),
                              judge=judge, judge_vs_majority=vs, agreement=_agreement(units))
    return InferabilityReport(
        traits_suggested=traits_suggested, records=records, judge=_judge_label(annotated),
        judge_failed=sum("judge_failed" in s.verification.flags for s in annotated),
        overall=_row(cue_units) if cue_units else None,
        per_trait=per_trait, per_strategy=_grouped(cue_units, "strategy"),
        per_variant=_grouped(all_units, "variant"), controls=ctrl)
