"""The pull report: verdict counts, agreement per question and per trait, as JSON + markdown."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotation.merge import MIN_NATURALNESS
from datagen.parquet_io import atomic_write_bytes

if TYPE_CHECKING:
    from annotation.pull import PullResult

__all__ = ["ACCEPTANCE_RULE", "build_report", "render_markdown", "write_report"]

ACCEPTANCE_RULE = (
    "pending while submitted responses < min_submitted; accepted when a strict majority says "
    f"cue_implicit=yes AND a strict majority says gt_safe=yes AND median naturalness >= "
    f"{MIN_NATURALNESS:g}; rejected otherwise (ties are rejected)"
)


def build_report(result: PullResult, *, input_path: Path, out_path: Path, matched: int,
                 unmatched: list[str]) -> dict[str, Any]:
    counts = Counter(v.verdict for v in result.verdicts.values())
    return {
        "dataset": result.dataset,
        "workspace": result.workspace,
        "min_submitted": result.min_submitted,
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
    }


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def render_markdown(report: dict[str, Any]) -> str:
    v = report["verdicts"]
    lines = [
        f"# Annotation report: {report['dataset']} ({report['workspace']})", "",
        f"- records in dataset: {report['records_in_dataset']}; samples updated: "
        f"{report['matched_samples']}; records with no sample: {report['unmatched_count']}",
        f"- accepted {v['accepted']}, rejected {v['rejected']}, pending {v['pending']} "
        f"(min_submitted {report['min_submitted']})",
        f"- rule: {report['rule']}", "",
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
