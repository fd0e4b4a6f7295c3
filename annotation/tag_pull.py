"""Pull tag verdicts: submitted responses -> agreement per trait -> ``human:argilla`` evidence.

Only *submitted* responses count. A record's verdict is ``present`` or ``absent`` when a
strict majority of its submitted responses says so (``cannot tell`` counts as a response, so
it can block a majority), ``split`` otherwise, and ``pending`` below ``min_submitted``.
Agreement is Krippendorff's alpha (nominal; the three labels are the values) per trait and
over all records, with percent agreement beside it.

Decided verdicts become evidence rows with source ``human:argilla``, the trait id, the
polarity, the majority's share as confidence and the votes and notes in ``detail``; fusion
lets them outrank every other source (:mod:`datagen.tags.priority`). The evidence file and
the report are written atomically after everything has been read, so a failure never leaves
half a result.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from annotation.accounts import find_workspace
from annotation.agreement import krippendorff_alpha, pairable_units, percent_agreement
from annotation.client import map_errors
from annotation.pull import QuestionAgreement
from annotation.push import find_dataset
from annotation.tag_records import split_record_id
from annotation.tag_settings import CANNOT_TELL, Q_NOTE, Q_VERDICT
from datagen.errors import ConfigError
from datagen.tags.models import Evidence
from datagen.tags.priority import HUMAN_SOURCE

if TYPE_CHECKING:
    import argilla as rg

__all__ = [
    "TagPullResult",
    "TagVerdict",
    "TagVote",
    "decide_tag",
    "pull_tags",
    "tag_agreement",
    "verdict_evidence",
]


class TagVote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str
    verdict: str | None
    note: str = ""


class TagVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str
    trait_id: str
    verdict: str  # present | absent | split | pending
    votes: int
    present: int = 0
    absent: int = 0
    cannot_tell: int = 0
    notes: list[str] = Field(default_factory=list)


class TagPullResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str
    workspace: str
    min_submitted: int
    records: int
    verdicts: list[TagVerdict]
    agreement: QuestionAgreement
    trait_agreement: dict[str, QuestionAgreement]
    annotators: dict[str, int] = Field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        c = Counter(v.verdict for v in self.verdicts)
        return {k: c.get(k, 0) for k in ("present", "absent", "split", "pending")}


def decide_tag(record: str, votes: Sequence[TagVote], min_submitted: int) -> TagVerdict:
    """The verdict of one record from its submitted votes (see the module docstring)."""
    item_id, trait_id = split_record_id(record)
    c = Counter(v.verdict for v in votes)
    n = len(votes)
    if n < max(1, min_submitted):
        verdict = "pending"
    elif c["present"] * 2 > n:
        verdict = "present"
    elif c["absent"] * 2 > n:
        verdict = "absent"
    else:
        verdict = "split"
    return TagVerdict(item_id=item_id, trait_id=trait_id, verdict=verdict, votes=n,
                      present=c["present"], absent=c["absent"], cannot_tell=c[CANNOT_TELL],
                      notes=[f"{v.user}: {' '.join(v.note.split())}" for v in votes
                             if v.note.strip()])


def _score(units: list[list[Hashable | None]]) -> QuestionAgreement:
    return QuestionAgreement(level="nominal", alpha=krippendorff_alpha(units, "nominal"),
                             percent=percent_agreement(units),
                             units=len(pairable_units(units)))


def tag_agreement(votes: Mapping[str, Sequence[TagVote]]
                  ) -> tuple[QuestionAgreement, dict[str, QuestionAgreement]]:
    """Alpha over all records, and per trait."""
    by_trait: dict[str, list[list[Hashable | None]]] = defaultdict(list)
    for rid, vs in votes.items():
        by_trait[split_record_id(rid)[1]].append([v.verdict for v in vs])
    pooled = [u for units in by_trait.values() for u in units]
    return _score(pooled), {t: _score(u) for t, u in sorted(by_trait.items())}


def verdict_evidence(verdicts: Sequence[TagVerdict]) -> list[Evidence]:
    """``human:argilla`` evidence rows for the decided verdicts."""
    rows = []
    for v in verdicts:
        if v.verdict not in ("present", "absent"):
            continue
        k = v.present if v.verdict == "present" else v.absent
        notes = f"; notes: {' | '.join(v.notes)}" if v.notes else ""
        rows.append(Evidence(
            item_id=v.item_id, source=HUMAN_SOURCE, trait_id=v.trait_id, polarity=v.verdict,
            confidence=round(k / v.votes, 4),
            detail=f"{k}/{v.votes} annotators: {v.verdict}{notes}"))
    return rows


def fetch_tag_votes(client: rg.Argilla, ds: rg.Dataset) -> dict[str, list[TagVote]]:
    """Record id -> one vote per annotator who submitted."""
    names = {str(u.id): u.username for u in client.users}
    votes: dict[str, list[TagVote]] = {}
    for rec in ds.records(batch_size=1000, with_suggestions=False, with_responses=True):
        by_user: dict[str, dict[str, Any]] = defaultdict(dict)
        for resp in rec.responses:
            if getattr(resp.status, "value", resp.status) == "submitted":
                by_user[str(resp.user_id)][resp.question_name] = resp.value
        votes[str(rec.id)] = [
            TagVote(user=names.get(uid, uid), verdict=ans.get(Q_VERDICT),
                    note=str(ans.get(Q_NOTE) or "")) for uid, ans in by_user.items()]
    return votes


def pull_tag_verdicts(client: rg.Argilla, *, dataset: str, workspace: str,
                      min_submitted: int | None = None) -> TagPullResult:
    url = str(client.api_url).rstrip("/")

    def load() -> tuple[rg.Dataset, dict[str, list[TagVote]]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ws = find_workspace(client, workspace)
            ds = find_dataset(client, dataset, ws) if ws is not None else None
        if ds is None:
            raise ConfigError(f"dataset {dataset!r} not found in workspace {workspace!r} at {url}")
        return ds, fetch_tag_votes(client, ds)

    ds, votes = map_errors(url, load)
    need = min_submitted or ds.settings.distribution.min_submitted
    overall, per_trait = tag_agreement(votes)
    annotators: Counter[str] = Counter(v.user for vs in votes.values() for v in vs)
    return TagPullResult(
        dataset=dataset, workspace=workspace, min_submitted=need, records=len(votes),
        verdicts=[decide_tag(rid, vs, need) for rid, vs in sorted(votes.items())],
        agreement=overall, trait_agreement=per_trait, annotators=dict(sorted(annotators.items())))


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def render_tag_markdown(result: TagPullResult, evidence_path: Path) -> str:
    c = result.counts()
    a = result.agreement
    lines = [
        f"# Tag verification: {result.dataset} ({result.workspace})", "",
        f"- records: {result.records}; present {c['present']}, absent {c['absent']}, split "
        f"{c['split']}, pending {c['pending']} (min_submitted {result.min_submitted})",
        f"- human:argilla evidence rows: {c['present'] + c['absent']} -> {evidence_path}",
        f"- agreement over all records: alpha {_fmt(a.alpha)}, percent {_fmt(a.percent)} "
        f"({a.units} records with 2+ responses)", "",
        "| trait | Krippendorff's alpha | percent agreement | records |", "|---|---|---|---|",
    ]
    lines += [f"| {t} | {_fmt(q.alpha)} | {_fmt(q.percent)} | {q.units} |"
              for t, q in result.trait_agreement.items() if q.units]
    if result.annotators:
        lines += ["", "| annotator | submitted |", "|---|---|"]
        lines += [f"| {u} | {n} |" for u, n in result.annotators.items()]
    return "\n".join(lines) + "\n"


def pull_tags(client: rg.Argilla, *, dataset: str, workspace: str, out_path: Path,
              report_path: Path, min_submitted: int | None = None
              ) -> tuple[TagPullResult, dict[str, Any]]:
    """Pull, write the ``human:argilla`` evidence file and the report (JSON + .md)."""
    from datagen.parquet_io import atomic_write_bytes
    from datagen.tags.evidence import write_evidence_file

    result = pull_tag_verdicts(client, dataset=dataset, workspace=workspace,
                               min_submitted=min_submitted)
    evidence = verdict_evidence(result.verdicts)
    write_evidence_file(evidence, out_path)
    report = {**result.model_dump(mode="json", exclude={"verdicts"}),
              "verdicts": result.counts(), "evidence_file": str(out_path),
              "evidence_rows": len(evidence)}
    atomic_write_bytes(json.dumps(report, indent=2).encode(), report_path)
    atomic_write_bytes(render_tag_markdown(result, out_path).encode(),
                       report_path.with_suffix(".md"))
    return result, report
