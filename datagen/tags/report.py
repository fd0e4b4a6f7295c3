"""How far each evidence source can be trusted: precision and recall against human verdicts.

Each source (``curated:<name>``, ``rule:genre``, ``rule:mpaa``, ``user_tag``, ``ddd``,
``parents_guide``, each ``llm:<model>``) is fused *on its own* with the same
:func:`~datagen.tags.fusion.fuse` and policy the tags file uses, over the (film, trait) pairs
people verified; its ``yes`` and ``no`` calls are then compared with the human verdicts
(``human:argilla`` evidence: ``present`` = the trigger is in the film):

* precision of yes = P(human present | source yes), recall of yes = P(source yes | human
  present); precision / recall of no likewise with absent; coverage = share of verified
  pairs where the source said yes or no;
* each with its count and a 95% Wilson score interval (sound for small counts, never outside
  [0, 1]); per source overall and per (source, trait).

Fusing each source alone means a vote-based or Parents Guide source is judged by the same
arithmetic that turns it into tags, not by its raw rows. :func:`source_confidences` turns the
report into the opt-in per-source confidences of :mod:`datagen.tags.priority`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from datagen.catalogue.models import Item
from datagen.errors import InputError
from datagen.tags.evidence import EvidenceLike, concat_evidence
from datagen.tags.models import FusionPolicy
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "Rate",
    "SourceStats",
    "TagReport",
    "build_tag_report",
    "load_source_confidences",
    "render_markdown",
    "source_confidences",
    "wilson",
]

Z95 = 1.959963984540054


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``hits / n`` (None when ``n == 0``)."""
    if n <= 0:
        return None
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


class Rate(BaseModel):
    """``hits / n`` with its interval (value and interval None when ``n == 0``)."""

    model_config = ConfigDict(extra="forbid")
    hits: int
    n: int
    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, hits: int, n: int) -> Rate:
        ci = wilson(hits, n)
        return cls(hits=hits, n=n, value=hits / n if n else None,
                   low=ci[0] if ci else None, high=ci[1] if ci else None)


class SourceStats(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    trait_id: str  # a trait id, or "*" for all traits
    verified: int  # pairs with a human verdict present / absent
    said_yes: int
    said_no: int
    precision_yes: Rate
    recall_yes: Rate
    precision_no: Rate
    recall_no: Rate
    coverage: Rate


class TagReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verified_pairs: int
    human_present: int
    human_absent: int
    traits: list[str]
    sources: list[str]
    rows: list[SourceStats]
    policy: dict[str, Any]

    def overall(self) -> list[SourceStats]:
        return [r for r in self.rows if r.trait_id == "*"]


@dataclass(frozen=True)
class _Items:
    items: Sequence[Item]


def _human_verdicts(ev: pl.DataFrame) -> pl.DataFrame:
    from datagen.tags.priority import HUMAN_SOURCE

    human = ev.filter((pl.col("source") == HUMAN_SOURCE) & pl.col("trait_id").is_not_null())
    return (human.group_by(["item_id", "trait_id"]).agg(pl.col("polarity").first())
            .rename({"polarity": "truth"}))


def _source_calls(source_ev: pl.DataFrame, truth: pl.DataFrame, taxonomy: Taxonomy,
                  policy: FusionPolicy) -> pl.DataFrame:
    """(item, trait, truth, call) for the verified pairs, the source fused on its own."""
    from datagen.tags.fusion import fuse

    items = _Items([Item(item_id=i, title=i) for i in truth["item_id"].unique().sort()])
    fused = fuse(items, taxonomy, source_ev, policy).table.select(["item_id", "trait_id",
                                                                   "status"])
    calls = pl.from_arrow(fused)
    assert isinstance(calls, pl.DataFrame)
    return truth.join(calls, on=["item_id", "trait_id"], how="left").rename(
        {"status": "call"})


def _stats(df: pl.DataFrame, source: str, trait_id: str) -> SourceStats:
    def n(expr: pl.Expr) -> int:
        return int(df.select(expr.sum()).item())

    yes, no = pl.col("call") == "yes", pl.col("call") == "no"
    present, absent = pl.col("truth") == "present", pl.col("truth") == "absent"
    tp_yes, tp_no = n(yes & present), n(no & absent)
    return SourceStats(
        source=source, trait_id=trait_id, verified=df.height, said_yes=n(yes), said_no=n(no),
        precision_yes=Rate.of(tp_yes, n(yes)), recall_yes=Rate.of(tp_yes, n(present)),
        precision_no=Rate.of(tp_no, n(no)), recall_no=Rate.of(tp_no, n(absent)),
        coverage=Rate.of(n(yes | no), df.height))


def build_tag_report(
    evidence: EvidenceLike | Sequence[EvidenceLike],
    taxonomy: Taxonomy,
    policy: FusionPolicy | None = None,
) -> TagReport:
    """Per-source and per-(source, trait) precision / recall against the human verdicts in
    ``evidence`` (rows of source ``human:argilla``)."""
    from datagen.tags.priority import HUMAN_SOURCE

    policy = policy or FusionPolicy()
    ev = concat_evidence(evidence)
    truth = _human_verdicts(ev)
    if truth.height == 0:
        raise InputError(f"no human verdicts ({HUMAN_SOURCE} evidence) to measure against: "
                         "run `datagen annotate pull --kind tags` and pass its evidence file",
                         field="--evidence")
    verified = ev.join(truth.select("item_id").unique(), on="item_id", how="semi")
    sources = sorted(s for s in verified["source"].unique().to_list() if s != HUMAN_SOURCE)
    rows: list[SourceStats] = []
    for source in sources:
        calls = _source_calls(verified.filter(pl.col("source") == source), truth, taxonomy,
                              policy)
        rows.append(_stats(calls, source, "*"))
        for trait_id in taxonomy.trait_ids:
            sub = calls.filter(pl.col("trait_id") == trait_id)
            if sub.height:
                rows.append(_stats(sub, source, trait_id))
    return TagReport(
        verified_pairs=truth.height,
        human_present=int((truth["truth"] == "present").sum()),
        human_absent=int((truth["truth"] == "absent").sum()),
        traits=[t for t in taxonomy.trait_ids if t in set(truth["trait_id"].to_list())],
        sources=sources, rows=rows, policy=policy.model_dump())


def _fmt(rate: Rate) -> str:
    if rate.value is None:
        return "-"
    return f"{rate.value:.2f} [{rate.low:.2f}, {rate.high:.2f}] ({rate.hits}/{rate.n})"


HEADER = ["source", "trait", "verified", "precision yes", "recall yes", "precision no",
          "recall no", "coverage"]


def table_rows(report: TagReport, *, per_trait: bool = True) -> list[list[str]]:
    """The rows of the rich and markdown tables (overall rows first, per source)."""
    out = []
    for row in report.rows:
        if row.trait_id != "*" and not per_trait:
            continue
        out.append([row.source, "all" if row.trait_id == "*" else row.trait_id,
                    str(row.verified), _fmt(row.precision_yes), _fmt(row.recall_yes),
                    _fmt(row.precision_no), _fmt(row.recall_no), _fmt(row.coverage)])
    return out


def render_markdown(report: TagReport) -> str:
    lines = [
        "# Tag sources against human verdicts", "",
        f"{report.verified_pairs} verified (film, trait) pairs: {report.human_present} "
        f"present, {report.human_absent} absent. Rates: value [95% Wilson interval] "
        "(hits/n). Each source is fused on its own under the tags policy.", "",
        "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(report)]
    return "\n".join(lines) + "\n"


def source_confidences(report: TagReport, *, min_verdicts: int = 20,
                       origin: str = "") -> Any:
    """Per-source confidences: the precision of each source's yes / no, where at least
    ``min_verdicts`` verdicts back it (per trait when that cell has enough, else overall)."""
    from datagen.tags.priority import ALL_TRAITS, SourceConfidence, SourceConfidences

    sources: dict[str, dict[str, SourceConfidence]] = {}
    for row in report.rows:
        py, pn = row.precision_yes, row.precision_no
        present = py.value if py.n >= min_verdicts else None
        absent = pn.value if pn.n >= min_verdicts else None
        if present is None and absent is None:
            continue
        key = ALL_TRAITS if row.trait_id == "*" else row.trait_id
        sources.setdefault(row.source, {})[key] = SourceConfidence(
            present=present, absent=absent, verdicts=row.verified)
    return SourceConfidences(report=origin, sources=sources)


def load_source_confidences(path: Path) -> Any:
    """Read a ``--confidences-out`` file of `datagen tags report` (errors name the field)."""
    from datagen.tags.priority import SourceConfidences

    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        return SourceConfidences.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise InputError(first["msg"], file=path, field=field) from None
