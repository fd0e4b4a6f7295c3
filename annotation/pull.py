"""Pull submitted responses from Argilla, score agreement, decide verdicts, write them back.

Reads as the dataset owner with the SDK (annotators cannot list records with it). Only
*submitted* responses count; drafts and discards are ignored. Everything is computed in memory
first; the Parquet is then replaced atomically and the reports written after it, so a failure
never leaves a half-updated file or a report for work that was not saved.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from annotation.accounts import find_workspace
from annotation.agreement import Level, krippendorff_alpha, pairable_units, percent_agreement
from annotation.client import map_errors
from annotation.merge import RecordVerdict, Vote, answered_traits, decide, merge_verdicts
from annotation.push import find_dataset
from annotation.settings import (
    Q_CORRECTION,
    Q_CUE_IMPLICIT,
    Q_GT_SAFE,
    Q_NATURALNESS,
    Q_OFFENDING,
    Q_TRAITS,
    traits_suggested_of,
)
from datagen.errors import ConfigError

if TYPE_CHECKING:
    import argilla as rg

    from datagen.records.sample import Sample

__all__ = ["PullResult", "QuestionAgreement", "fetch_votes", "pull_to_parquet", "pull_verdicts"]


class QuestionAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: str
    alpha: float | None
    percent: float | None
    units: int  # records with at least two submitted answers


class PullResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str
    workspace: str
    min_submitted: int
    records: int
    verdicts: dict[str, RecordVerdict]
    agreement: dict[str, QuestionAgreement]
    trait_agreement: dict[str, QuestionAgreement]
    annotators: dict[str, int] = Field(default_factory=dict)  # username -> submitted records
    #: whether annotators saw the generator's traits pre-selected (dataset guidelines marker)
    traits_suggested: bool = False


def _vote(user: str, answers: dict[str, Any]) -> Vote:
    nat = answers.get(Q_NATURALNESS)
    return Vote(
        user=user,
        cue_implicit=answers.get(Q_CUE_IMPLICIT),
        traits=answered_traits(answers.get(Q_TRAITS) or []),
        gt_safe=answers.get(Q_GT_SAFE),
        offending_films=list(answers.get(Q_OFFENDING) or []),
        naturalness=int(nat) if nat is not None else None,
        correction=str(answers.get(Q_CORRECTION) or ""),
    )


def fetch_votes(client: rg.Argilla, ds: rg.Dataset) -> dict[str, list[Vote]]:
    """Record id (= sample id) -> one vote per annotator who submitted."""
    names = {str(u.id): u.username for u in client.users}
    votes: dict[str, list[Vote]] = {}
    for rec in ds.records(batch_size=1000, with_suggestions=False, with_responses=True):
        by_user: dict[str, dict[str, Any]] = defaultdict(dict)
        for resp in rec.responses:
            if getattr(resp.status, "value", resp.status) == "submitted":
                by_user[str(resp.user_id)][resp.question_name] = resp.value
        votes[str(rec.id)] = [_vote(names.get(uid, uid), ans) for uid, ans in by_user.items()]
    return votes


def _score(units: list[list[Hashable | None]], level: Level) -> QuestionAgreement:
    return QuestionAgreement(level=level, alpha=krippendorff_alpha(units, level),
                             percent=percent_agreement(units), units=len(pairable_units(units)))


def question_agreement(votes: dict[str, list[Vote]], trait_ids: Sequence[str]
                       ) -> tuple[dict[str, QuestionAgreement], dict[str, QuestionAgreement]]:
    """Alpha and percent agreement per question, and per trait (present / absent)."""
    recs = list(votes.values())
    per_q = {
        Q_CUE_IMPLICIT: _score([[v.cue_implicit for v in vs] for vs in recs], "nominal"),
        Q_GT_SAFE: _score([[v.gt_safe for v in vs] for vs in recs], "nominal"),
        Q_NATURALNESS: _score([[v.naturalness for v in vs] for vs in recs], "ordinal"),
    }
    per_trait: dict[str, QuestionAgreement] = {}
    pooled: list[list[Hashable | None]] = []
    for t in trait_ids:
        units: list[list[Hashable | None]] = [[t in v.traits for v in vs] for vs in recs]
        pooled += units
        per_trait[t] = _score(units, "nominal")
    per_q[Q_TRAITS] = _score(pooled, "nominal")  # every (record, trait) pair is one unit
    return per_q, per_trait


def pull_verdicts(client: rg.Argilla, *, dataset: str, workspace: str,
                  min_submitted: int | None = None) -> PullResult:
    """Votes, agreement and a verdict per record of ``dataset``.

    ``min_submitted`` defaults to the dataset's own task distribution setting.
    """
    url = str(client.api_url).rstrip("/")

    def load() -> tuple[rg.Dataset, dict[str, list[Vote]]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ws = find_workspace(client, workspace)
            ds = find_dataset(client, dataset, ws) if ws is not None else None
        if ds is None:
            raise ConfigError(f"dataset {dataset!r} not found in workspace {workspace!r} at {url}")
        return ds, fetch_votes(client, ds)

    ds, votes = map_errors(url, load)
    need = min_submitted or ds.settings.distribution.min_submitted
    trait_ids = [lab for lab in ds.settings.questions[Q_TRAITS].labels]
    per_q, per_trait = question_agreement(votes, trait_ids)
    annotators: dict[str, int] = defaultdict(int)
    for vs in votes.values():
        for v in vs:
            annotators[v.user] += 1
    return PullResult(
        dataset=dataset, workspace=workspace, min_submitted=need, records=len(votes),
        verdicts={sid: decide(sid, vs, need) for sid, vs in votes.items()},
        agreement=per_q, trait_agreement=per_trait, annotators=dict(sorted(annotators.items())),
        traits_suggested=traits_suggested_of(ds.settings.guidelines))


def pull_to_parquet(client: rg.Argilla, *, dataset: str, workspace: str, input_path: Path,
                    out_path: Path, report_path: Path, min_submitted: int | None = None
                    ) -> tuple[PullResult, dict[str, Any]]:
    """Pull, merge ``Sample.human`` into ``input_path`` and write ``out_path`` and the reports.

    Returns the result and the report dict (also written as ``report_path`` JSON and a
    markdown file beside it), which includes human inferability next to the judge's
    (:mod:`annotation.inferability`) over the samples in the dataset.
    """
    from annotation.inferability import inferability_report
    from annotation.report import build_report, write_report
    from datagen.parquet_io import read_parquet, write_parquet
    from datagen.records.sample import SAMPLE_SCHEMA, samples_to_table, table_to_samples

    samples: list[Sample] = table_to_samples(read_parquet(input_path, SAMPLE_SCHEMA))
    result = pull_verdicts(client, dataset=dataset, workspace=workspace,
                           min_submitted=min_submitted)
    merged, matched = merge_verdicts(samples, result.verdicts, result.traits_suggested)
    known = {s.sample_id for s in samples}
    unmatched = sorted(sid for sid in result.verdicts if sid not in known)
    inferability = inferability_report((s for s in merged if s.sample_id in result.verdicts),
                                       result.traits_suggested)
    report = build_report(result, input_path=input_path, out_path=out_path, matched=matched,
                          unmatched=unmatched, inferability=inferability)
    write_parquet(samples_to_table(merged), out_path, SAMPLE_SCHEMA)
    write_report(report, report_path)
    return result, report
