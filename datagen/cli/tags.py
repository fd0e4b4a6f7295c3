"""`datagen tags` commands: build item trigger tags from evidence, explain one film's tags.

``datagen tags llm`` (LLM tagging into an evidence file) lives in :mod:`datagen.cli.tags_llm`
and ``datagen tags audit`` (no tags that other evidence contradicts) in
:mod:`datagen.cli.tags_audit`; both are registered here. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer

from datagen.cli.common import console, fail
from datagen.cli.tags_audit import tags_audit
from datagen.cli.tags_llm import tags_llm
from datagen.cli.tags_report import tags_report
from datagen.errors import ConfigError, DatagenError, InputError

__all__ = ["app", "build", "explain"]

DEFAULT_TAGS = Path("artifacts/item_tags.parquet")

app = typer.Typer(
    help=(
        "Item-level trigger tags: one yes / no / unknown status per (film, trait) with score, "
        "sources and evidence lines. No evidence means unknown, never no.\n\n"
        "Evidence: DoesTheDogDie votes (--ddd), IMDb Parents Guide (--parents-guide), "
        "MovieLens user tags (--movielens), the taxonomy's genre / MPAA rules, the shipped "
        "curated film evidence (--no-curated to leave it out) and evidence "
        "files (--evidence, e.g. from `datagen tags llm`). Formats: docs/tags.md.\n\n"
        "Example: datagen tags build --movielens ../shared/data/ml-latest-small && "
        'datagen tags explain "The Dark Knight (2008)"'
    ),
    no_args_is_help=True,
)
_STATUS_STYLE = {"yes": "bold red", "no": "green", "unknown": "yellow"}


@app.command()
def build(
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help="Taxonomy YAML. Default: the "
                                         "embedded saferec-v1.", show_default=False),
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help="Catalogue Parquet. "
                                          "Default: the embedded bokeh-sampledata films.",
                                          show_default=False),
    movielens: Path | None = typer.Option(None, "--movielens", help="MovieLens folder whose "
                                          "tags.csv feeds the taxonomy's tag keywords.",
                                          show_default=False),
    ddd: Path | None = typer.Option(None, "--ddd", help="DoesTheDogDie votes (.csv/.jsonl: "
                                    "imdb_id, topic_id, yes_votes, no_votes).",
                                    show_default=False),
    parents_guide: Path | None = typer.Option(None, "--parents-guide", help="Parents Guide "
                                              "(.csv/.jsonl: imdb_id, category, severity or "
                                              "per-severity votes).", show_default=False),
    evidence: list[Path] = typer.Option([], "--evidence", metavar="FILE",
                                        help="Evidence file (.parquet / .jsonl in the "
                                        "evidence schema); repeatable."),
    threshold: float | None = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                           help="Unsafe threshold on the fused score "
                                           "(default 0.66, the reference policy).",
                                           show_default=False),
    policy_file: Path | None = typer.Option(None, "--policy", help="JSON FusionPolicy (all "
                                            "knobs; --threshold overrides its threshold).",
                                            show_default=False),
    no_rules: bool = typer.Option(False, "--no-rules", help="Leave out the taxonomy's genre / "
                                  "MPAA rules (e.g. to reproduce the DDD + Parents Guide "
                                  "reference policy); also leaves out the curated evidence."),
    no_curated: bool = typer.Option(False, "--no-curated", help="Leave out the shipped "
                                    "curated film evidence (curated:saferec-movies-v2: "
                                    "assistant-written, not human-verified; see "
                                    "taxonomies/evidence/README.md)."),
    out: Path = typer.Option(DEFAULT_TAGS, "--out", "-o", help="Output Parquet, written "
                             "atomically (a failed build leaves no partial file)."),
    evidence_out: Path | None = typer.Option(None, "--evidence-out", help="Also save all "
                                             "evidence used, mapped to item ids (.parquet / "
                                             ".jsonl); `datagen graph build --tags` turns it "
                                             "into topic and Parents Guide nodes.",
                                             show_default=False),
    source_confidences: Path | None = typer.Option(
        None, "--source-confidences", show_default=False, help="Opt-in: per-source "
        "confidences measured against human verdicts (`datagen tags report --confidences-out "
        "FILE`) replace the given ones; recorded in the tags file's metadata."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Fuse all evidence into item_tags.parquet and print per-trait coverage.

    Human verdicts (evidence files with source human:argilla, from `datagen annotate pull
    --kind tags`) outrank every other source.

    Example: datagen tags build --ddd ddd_votes.csv --parents-guide pg.csv --evidence
    artifacts/llm_evidence.parquet --threshold 0.66
    """
    from datagen.tags import fuse, write_evidence_file, write_item_tags

    started = time.perf_counter()
    try:
        policy = _policy(policy_file, threshold)
        tax, cat = _taxonomy(taxonomy), _catalogue(catalogue)
        batches = _evidence(tax, cat, movielens, ddd, parents_guide, evidence, rules=not no_rules,
                            curated=not no_curated)
        calibration = _source_confidences(source_confidences)
        result = fuse(cat, tax, batches, policy, calibration)
        if evidence_out is not None:
            write_evidence_file(batches, evidence_out)
        write_item_tags(result.table, out, policy=policy, taxonomy=tax,
                        source_confidences=calibration)
    except DatagenError as exc:
        raise fail(exc) from None
    summary = _summary(result, batches, out, time.perf_counter() - started)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _print_summary(summary)


def _policy(path: Path | None, threshold: float | None) -> Any:
    from pydantic import ValidationError

    from datagen.tags import FusionPolicy

    data: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise InputError("policy file not found", file=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            policy = FusionPolicy(**data)
        except ValueError as exc:  # JSON and validation errors
            field = None
            if isinstance(exc, ValidationError):
                field = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise InputError(str(exc).splitlines()[-1].strip(), file=path, field=field) from exc
        data = policy.model_dump()
    if threshold is not None:
        data["unsafe_threshold"] = threshold
    return FusionPolicy(**data)


def _source_confidences(path: Path | None) -> Any:
    if path is None:
        return None
    from datagen.tags.report import load_source_confidences

    return load_source_confidences(path)


def _taxonomy(path: Path | None) -> Any:
    from datagen.taxonomy import load_taxonomy

    return load_taxonomy(path)


def _catalogue(path: Path | None) -> Any:
    from datagen.catalogue import Catalogue, load_default_catalogue

    if path is not None and not path.exists():
        raise InputError("catalogue file not found", file=path)
    return Catalogue.load(path) if path is not None else load_default_catalogue()


def _evidence(
    tax: Any, cat: Any, movielens: Path | None, ddd: Path | None, pg: Path | None,
    files: list[Path], *, rules: bool, curated: bool = True,
) -> list[Any]:
    from datagen.tags import (
        EvidenceBatch,
        load_ddd_votes,
        load_evidence_file,
        load_parents_guide,
        user_tag_evidence,
    )
    from datagen.tags.defaults import default_evidence

    # the embedded defaults: taxonomy rules + shipped curated evidence (one source of truth)
    batches: list[EvidenceBatch] = (
        default_evidence(cat, tax, curated=curated) if rules else [])
    if movielens is not None:
        from datagen.catalogue.sources import load_movielens_tags

        batches.append(user_tag_evidence(load_movielens_tags(movielens, cat), tax, cat))
    if ddd is not None:
        batches.append(load_ddd_votes(ddd, cat))
    if pg is not None:
        batches.append(load_parents_guide(pg, cat))
    for path in files:
        frame = load_evidence_file(path)
        batches.append(EvidenceBatch(source="file", frame=frame, rows_read=frame.height,
                                     file=str(path)))
    return batches


def _summary(result: Any, batches: list[Any], out: Path, seconds: float) -> dict[str, Any]:
    import polars as pl

    df = pl.from_arrow(result.table.select(["trait_id", "status"]))
    assert isinstance(df, pl.DataFrame)
    counts = df.group_by("trait_id", "status", maintain_order=True).len()
    traits: dict[str, dict[str, Any]] = {}
    for trait_id in df["trait_id"].unique(maintain_order=True).to_list():
        sub = counts.filter(pl.col("trait_id") == trait_id)
        c = {s: int(sub.filter(pl.col("status") == s)["len"].sum()) for s in _STATUS_STYLE}
        total = sum(c.values())
        traits[trait_id] = {**c, "coverage": (c["yes"] + c["no"]) / total if total else 0.0}
    report = result.report
    return {
        "path": str(out),
        "seconds": round(seconds, 2),
        "items": result.table.num_rows // max(len(traits), 1),
        "traits": traits,
        "inputs": [
            {"source": b.source, "file": b.file, "rows_read": b.rows_read,
             "evidence_rows": b.frame.height, "unmatched_films": len(b.unmatched),
             "unmatched_rows": b.unmatched_rows, "skipped": b.skipped}
            for b in batches
        ],
        "evidence_rows": report.evidence_rows,
        "used_rows": report.used_rows,
        "unknown_items": sum(report.unknown_items.values()),
        "unknown_traits": report.unknown_traits,
        "unmapped_rows": report.unmapped_rows,
    }


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    inputs = Table(title="evidence inputs")
    for col in ("source", "file", "rows read", "evidence rows", "films not in catalogue",
                "skipped"):
        inputs.add_column(col)
    for b in summary["inputs"]:
        skipped = ", ".join(f"{k}: {v}" for k, v in b["skipped"].items()) or "-"
        name = Path(b["file"]).name if b["file"] else "-"
        inputs.add_row(b["source"], name, f"{b['rows_read']:,}",
                       f"{b['evidence_rows']:,}",
                       f"{b['unmatched_films']:,} ({b['unmatched_rows']:,} rows)", skipped)
    console.print(inputs)
    table = Table(title=f"item tags: {summary['items']:,} films -> {summary['path']}")
    for col in ("trait", "yes", "no", "unknown", "coverage"):
        table.add_column(col, justify="left" if col == "trait" else "right")
    for trait_id, c in summary["traits"].items():
        table.add_row(trait_id, f"{c['yes']:,}", f"{c['no']:,}", f"{c['unknown']:,}",
                      f"{c['coverage']:.1%}")
    console.print(table)
    notes = [f"{summary['evidence_rows']:,} evidence rows, {summary['used_rows']:,} used"]
    if summary["unknown_items"]:
        notes.append(f"{summary['unknown_items']:,} rows about items not in the catalogue")
    if summary["unknown_traits"]:
        notes.append(f"rows with unknown trait ids: {summary['unknown_traits']}")
    if summary["unmapped_rows"]:
        notes.append(f"{summary['unmapped_rows']:,} rows about topics/categories no trait uses")
    console.print("; ".join(notes) + f"; built in {summary['seconds']} s")


@app.command()
def explain(
    title: str = typer.Argument(..., help='The film as people write it: "Title (Year)".'),
    trait: str | None = typer.Option(None, "--trait", help="Only this trait id.",
                                     show_default=False),
    tags: Path | None = typer.Option(None, "--tags", help="item_tags.parquet from "
                                     f"`datagen tags build`. Default: {DEFAULT_TAGS} if it "
                                     "exists, else the embedded defaults built in memory.",
                                     show_default=False),
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help="Catalogue Parquet "
                                          "the tags were built on. Default: embedded.",
                                          show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the film and its tags as JSON."),
) -> None:
    """Show why a film is tagged: status, score, sources and every evidence line per trait.

    Example: datagen tags explain "Dark Knight, The (2008)" --trait extreme_violence
    """
    from datagen.catalogue.resolver import TitleResolver

    try:
        cat = _catalogue(catalogue)
        index = _explain_index(tags, cat, quiet=as_json)
        if trait is not None and trait not in index.trait_ids:
            raise ConfigError(f"unknown trait {trait!r}; known: {', '.join(index.trait_ids)}")
        match = TitleResolver(cat).resolve(title)
        if not match.matched or match.item_id is None:
            raise InputError(f"no catalogue film matches ({match.reason or 'no match'})",
                             record=title)
    except DatagenError as exc:
        raise fail(exc) from None
    found = [index.tag(match.item_id, t) for t in ([trait] if trait else index.trait_ids)]
    if as_json:
        typer.echo(json.dumps({"match": match.model_dump(), "tags": [
            t.model_dump(mode="json") for t in found]}))
        return
    _print_explain(match, found, in_table=match.item_id in index)


def _explain_index(tags: Path | None, cat: Any, *, quiet: bool) -> Any:
    """The tag table to explain from: an explicit file, the default file, or the defaults."""
    from datagen.tags import TagIndex

    if tags is not None:
        if not tags.is_file():
            raise InputError("tag file not found (run `datagen tags build` first)", file=tags)
        return TagIndex.load(tags)
    if DEFAULT_TAGS.is_file():
        return TagIndex.load(DEFAULT_TAGS)
    from datagen.tags.defaults import default_tag_index
    from datagen.taxonomy import load_taxonomy

    index, label = default_tag_index(cat, load_taxonomy())
    if not quiet:
        console.print(f"[dim]no {DEFAULT_TAGS}: tags built in memory ({label})[/]")
    return index


def _print_explain(match: Any, found: list[Any], *, in_table: bool) -> None:
    from rich.markup import escape

    how = match.match + (f" ({match.score:.0f})" if match.match == "fuzzy" else "")
    console.print(f"[bold]{escape(match.title)} ({match.year})[/] {match.item_id}  "
                  f"[dim]match: {how}[/]")
    if not in_table:
        console.print("[yellow]this film is not in the tag table: every trait is unknown[/]")
    for t in found:
        style = _STATUS_STYLE[t.status.value]
        ddd = "-" if t.ddd_hit is None else f"{t.ddd_hit:.2f}"
        pg = "-" if t.pg_risk is None else f"{t.pg_risk:.2f}"
        console.print(
            f"[bold]{t.trait_id}[/]: [{style}]{t.status.value}[/]  score {t.score:.2f}  "
            f"ddd_hit {ddd}  pg_risk {pg}  sources: {', '.join(t.sources) or '-'}"
        )
        for line in t.evidence or ["[dim]no evidence[/]"]:
            console.print(f"    - {escape(line) if t.evidence else line}", highlight=False)


# registered last so that `datagen tags --help` lists build, explain, llm, audit, report
app.command("llm")(tags_llm)
app.command("audit")(tags_audit)
app.command("report")(tags_report)
