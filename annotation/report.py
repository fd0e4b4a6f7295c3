"""The pull report as JSON + markdown: verdicts, agreement, and human vs judge inferability.

:func:`inferability_lines` renders the inferability figures as markdown tables; the dataset
card (``exports.hf_card``) uses it too, so the report and the card read the same.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotation.merge import MIN_NATURALNESS
from datagen.parquet_io import atomic_write_bytes

if TYPE_CHECKING:
    from annotation.inferability import InferabilityReport
    from annotation.pull import PullResult

__all__ = ["ACCEPTANCE_RULE", "build_report", "inferability_lines", "render_markdown",
           "write_report"]

ACCEPTANCE_RULE = (
    "pending while submitted responses < min_submitted; accepted when a strict majority says "
    f"cue_implicit=yes AND a strict majority says gt_safe=yes AND median naturalness >= "
    f"{MIN_NATURALNESS:g}; rejected otherwise (ties are rejected)"
)


def build_report(result: PullResult, *, input_path: Path, out_path: Path, matched: int,
                 unmatched: list[str], inferability: InferabilityReport | None = None
                 ) -> dict[str, Any]:
    counts = Counter(v.verdict for v in result.verdicts.values())
    return {
        "dataset": result.dataset,
        "workspace": result.workspace,
        "min_submitted": result.min_submitted,
        "traits_question": "suggested" if result.traits_suggested else "blind",
        "rule": ACCEPTANCE_RULE,
        "input": str(input_path),
        "output": str(out_path),
        "records_in_dataset": result.records,
        "matched_samples": matched,
        "unmatched_records": unmatched[:50],
        "unmatched_count": len(unmatched),
        "verdicts": {k: counts.get(k, 0) for k in ("accepted", "rejected", "pending")},
        "annotators": result.annotators,
        "agreement": {k: v.model_dump() for k, v in result.agreement.items()},
        "trait_agreement": {k: v.model_dump() for k, v in result.trait_agreement.items()
                            if v.units},
        "inferability": inferability.model_dump() if inferability else None,
    }


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _ci(fig: dict[str, Any] | None) -> str:
    """``0.83 [0.64, 0.93]`` for a figure with its interval, ``n/a`` without data."""
    if not fig or fig.get("share") is None:
        return "n/a"
    return f"{fig['share']:.2f} [{fig['low']:.2f}, {fig['high']:.2f}]"


def _alpha_ci(a: dict[str, Any]) -> str:
    if a.get("alpha") is None:
        return "n/a"
    ci = f" [{a['low']:.2f}, {a['high']:.2f}]" if a.get("low") is not None else ""
    return f"{a['alpha']:.2f}{ci}"


_HEAD = ["units", "human named", "judge named", "judge = majority", "alpha"]


def _rows(title: str, rows: dict[str, Any], fp: bool) -> list[str]:
    head = [title, *_HEAD, *(["on controls: human", "judge"] if fp else [])]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in rows.items():
        cells = [name, str(r["human"]["n"]), _ci(r["human"]), _ci(r["judge"]),
                 _ci(r["judge_vs_majority"]), _alpha_ci(r["agreement"])]
        if fp:
            cells += [_ci(r.get("false_positive_human")), _ci(r.get("false_positive_judge"))]
        out.append("| " + " | ".join(cells) + " |")
    return out


def inferability_lines(inf: dict[str, Any] | None) -> list[str]:
    """Markdown: who named the planned trait (humans vs judge) overall, per trait, strategy."""
    if not inf or (inf["overall"] is None and inf["controls"] is None):
        return ["No annotated record yet."]
    mode = {True: "annotators saw the generator's traits pre-selected (--suggest-traits): "
                  "these figures measure agreement with a suggestion, not inference",
            False: "blind: annotators answered from the dialogue alone",
            None: "not recorded"}[inf["traits_suggested"]]
    judge = inf.get("judge") or "not recorded"
    failed = inf.get("judge_failed") or 0
    lines = [f"Traits question: {mode}. {inf['records']} annotated records. Judge: {judge}"
             + (f" ({failed} records whose judge call failed are left out of its figures)"
                if failed else "") + f". Method: {inf['method']}.", ""]
    if inf["overall"] is not None:
        lines += [*_rows("", {"all implicit cues": inf["overall"]}, False), "",
                  *_rows("trait", inf["per_trait"], True), "",
                  *_rows("cue strategy", inf["per_strategy"], False), ""]
        if len(inf["per_variant"]) > 1:
            lines += [*_rows("variant", inf["per_variant"], False), ""]
    c = inf["controls"]
    if c is not None:
        lines += [f"Controls (no cue in the dialogue, {c['human']['n']} records): a trait "
                  f"named by annotators {_ci(c['human'])}, by the judge {_ci(c['judge'])}; "
                  f"judge = majority {_ci(c['judge_vs_majority'])}; "
                  f"alpha {_alpha_ci(c['agreement'])}.", ""]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    v = report["verdicts"]
    lines = [
        f"# Annotation report: {report['dataset']} ({report['workspace']})", "",
        f"- records in dataset: {report['records_in_dataset']}; samples updated: "
        f"{report['matched_samples']}; records with no sample: {report['unmatched_count']}",
        f"- accepted {v['accepted']}, rejected {v['rejected']}, pending {v['pending']} "
        f"(min_submitted {report['min_submitted']})",
        f"- rule: {report['rule']}",
        f"- traits question: {report.get('traits_question', 'suggested')}", "",
        "## Agreement per question", "",
        "| question | level | Krippendorff's alpha | percent agreement | records |",
        "|---|---|---|---|---|",
    ]
    for q, a in report["agreement"].items():
        lines.append(f"| {q} | {a['level']} | {_fmt(a['alpha'])} | {_fmt(a['percent'])} "
                     f"| {a['units']} |")
    if report["trait_agreement"]:
        lines += ["", "## Agreement per trait (present / absent)", "",
                  "| trait | alpha | percent | records |", "|---|---|---|---|"]
        for t, a in report["trait_agreement"].items():
            lines.append(f"| {t} | {_fmt(a['alpha'])} | {_fmt(a['percent'])} | {a['units']} |")
    lines += ["", "## Human inferability (people vs the inferability judge)", "",
              *inferability_lines(report.get("inferability"))]
    if report["annotators"]:
        lines += ["", "## Annotators", "", "| user | submitted |", "|---|---|"]
        lines += [f"| {u} | {n} |" for u, n in report["annotators"].items()]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], path: Path) -> tuple[Path, Path]:
    """``path`` (JSON) and the same name with ``.md`` (markdown), both written atomically."""
    path = Path(path)
    md = path.with_suffix(".md")
    atomic_write_bytes(json.dumps(report, indent=2, ensure_ascii=False).encode(), path)
    atomic_write_bytes(render_markdown(report).encode(), md)
    return path, md
