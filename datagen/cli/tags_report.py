"""`datagen tags report`: precision and recall of every evidence source against human verdicts.

Registered as ``datagen tags report`` by :mod:`datagen.cli.tags`; the work is done by
:mod:`datagen.tags.report`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from datagen.cli.common import console, fail
from datagen.errors import DatagenError

__all__ = ["tags_report"]


def tags_report(
    evidence: list[Path] = typer.Option([Path("artifacts/evidence.parquet")], "--evidence",
                                        metavar="FILE", help="Evidence files (.parquet / "
                                        ".jsonl): every source's rows, e.g. `datagen tags "
                                        "build --evidence-out FILE`; repeatable."),
    human: list[Path] = typer.Option([], "--human", metavar="FILE", help="Human verdicts "
                                     "(human:argilla evidence from `datagen annotate pull "
                                     "--kind tags`), if not already in --evidence; repeatable."),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", show_default=False,
                                         help="Taxonomy YAML. Default: embedded."),
    tags: Path | None = typer.Option(None, "--tags", show_default=False, help="Judge sources "
                                     "under the fusion policy recorded in this item_tags.parquet"
                                     " (default: the default policy)."),
    out: Path | None = typer.Option(None, "--out", "-o", show_default=False,
                                    help="Write the report as JSON here (and .md beside it)."),
    confidences_out: Path | None = typer.Option(
        None, "--confidences-out", show_default=False, help="Write per-source confidences "
        "(precision of yes / no) for `datagen tags build --source-confidences FILE`."),
    min_verdicts: int = typer.Option(20, "--min-verdicts", min=1, help="Verdicts a precision "
                                     "needs before it becomes a confidence."),
    per_trait: bool = typer.Option(False, "--per-trait", help="Also print one row per "
                                   "(source, trait) (the JSON and markdown always have them)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """How far each source can be trusted: precision / recall of its yes and no per source
    and per trait, with counts and 95% Wilson intervals, against the human verdicts.

    Example: datagen tags build --evidence human_tags.parquet --evidence-out
    artifacts/evidence.parquet && datagen tags report --evidence artifacts/evidence.parquet
    --out artifacts/tag_report.json --confidences-out artifacts/source_confidences.json
    """
    from datagen.parquet_io import atomic_write_bytes
    from datagen.tags import TagIndex, load_evidence_file
    from datagen.tags.report import build_tag_report, render_markdown, source_confidences
    from datagen.taxonomy import load_taxonomy

    try:
        frames = [load_evidence_file(p) for p in [*evidence, *human]]
        policy = TagIndex.load(tags).policy if tags is not None else None
        report = build_tag_report(frames, load_taxonomy(taxonomy), policy)
    except DatagenError as exc:
        raise fail(exc) from None
    if out is not None:
        atomic_write_bytes(report.model_dump_json(indent=2).encode(), out)
        atomic_write_bytes(render_markdown(report).encode(), out.with_suffix(".md"))
    if confidences_out is not None:
        cal = source_confidences(report, min_verdicts=min_verdicts,
                                 origin=str(out or "tags report"))
        atomic_write_bytes(cal.model_dump_json(indent=2).encode(), confidences_out)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json")))
        return
    _print(report, per_trait)


def _print(report: object, per_trait: bool) -> None:
    from rich.table import Table

    from datagen.tags.report import HEADER, TagReport, table_rows

    assert isinstance(report, TagReport)
    table = Table(title=f"tag sources vs {report.verified_pairs:,} human verdicts "
                  f"({report.human_present:,} present, {report.human_absent:,} absent)")
    for col in HEADER:
        table.add_column(col, justify="left" if col in ("source", "trait") else "right")
    for row in table_rows(report, per_trait=per_trait):
        table.add_row(*row)
    console.print(table)
    console.print("[dim]value [95% Wilson interval] (hits/n); each source fused on its own "
                  "under the tags policy[/]")
