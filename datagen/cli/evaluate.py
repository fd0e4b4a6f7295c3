"""`datagen evaluate`: score prediction files on a split and compare them side by side."""

from __future__ import annotations

from pathlib import Path

import typer

from datagen.cli.common import console, err_console, fail
from datagen.errors import DatagenError, InputError

__all__ = ["evaluate", "evaluate_files", "parse_ks", "print_report"]

_SHOWN = ("recall", "ndcg", "hit", "svr", "sdcg", "unknown")


def parse_ks(text: str) -> list[int]:
    """``"5,10,20"`` -> ``[5, 10, 20]``; anything else is a clear error."""
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise InputError(f"--k must be comma-separated integers, got {text!r}",
                         field="k") from exc
    if not ks or ks[0] < 1:
        raise InputError(f"--k needs positive integers, got {text!r}", field="k")
    return ks


def _names(paths: list[Path]) -> list[str]:
    """Model labels: file stems, made unique with the parent folder when stems collide."""
    stems = [p.stem for p in paths]
    return [f"{p.parent.name}/{p.stem}" if stems.count(p.stem) > 1 else p.stem for p in paths]


def _print_columns(title: str, labels: list[str], columns: list[tuple[str, list[str]]],
                   caption: str | None = None, section_after: int | None = None) -> None:
    """Print ``labels`` beside ``columns`` (header, cells), in as many tables as the console
    needs: a model's column is never squeezed to an ellipsis or cropped off the right edge,
    which a side-by-side comparison of long model names would otherwise suffer at 80 columns."""
    from rich.table import Table

    first = max(len(x) for x in [*labels, "metric"]) + 4  # cell, padding, both edges
    widths = [max(max((len(w) for w in h.split()), default=1), *(len(c) for c in cells)) + 3
              for h, cells in columns]
    groups: list[list[int]] = [[]]
    used = first
    for i, w in enumerate(widths):
        if groups[-1] and used + w > console.width:
            groups.append([])
            used = first
        groups[-1].append(i)
        used += w
    for n, group in enumerate(groups):
        part = f" [{n + 1}/{len(groups)}]" if len(groups) > 1 else ""
        table = Table(title=title + part, caption=caption, caption_justify="left")
        table.add_column("metric", style="bold", no_wrap=True)
        for i in group:
            table.add_column(columns[i][0], justify="right", overflow="fold",
                             min_width=widths[i] - 3)
        for r, label in enumerate(labels):
            if section_after is not None and r == section_after:
                table.add_section()
            table.add_row(label, *[columns[i][1][r] for i in group])
        console.print(table)


def _print_table(report) -> None:  # type: ignore[no-untyped-def]
    from datagen.evaluate.report import format_value, headline_metrics

    pct = int(report.confidence * 100)
    ci = report.resamples > 0 and console.width >= 22 + 22 * len(report.models)
    note = (f"{pct}% bootstrap CI, {report.resamples} resamples" if ci
            else "intervals: see metrics.md or --json")
    keys = headline_metrics(report)
    counts = ("missing", "errors", "empty", "parse_failures", "titles_parsed", "titles_resolved")
    columns = [(m.name, [format_value(m.overall.metrics.get(k), ci=ci, ci_digits=2) for k in keys]
                + [str(getattr(m.counts, k)) for k in counts]) for m in report.models]
    _print_columns(f"SafeRec {report.split}: {report.n_samples} samples ({note})",
                   [*keys, *counts], columns, section_after=len(keys))
    _print_compat(report, ci)


def _print_compat(report, ci: bool) -> None:  # type: ignore[no-untyped-def]
    """The ``--compat`` block as its own table, titled with what it is."""
    from datagen.evaluate.report import compat_metrics, format_value

    keys = compat_metrics(report)
    if not keys:
        return
    label = next((m.compat.label for m in report.models if m.compat), "")
    columns = [(m.name, [format_value(m.compat.overall.metrics.get(k), ci=ci, ci_digits=2)
                         if m.compat else "n/a" for k in keys]) for m in report.models]
    _print_columns(f"{report.compat} compatibility metrics (NOT SafeRec's)", keys, columns,
                   caption=label)


def _print_variants(report) -> None:  # type: ignore[no-untyped-def]
    from datagen.evaluate.report import format_value, variant_columns, variant_metrics

    keys = variant_metrics(report)
    for m in report.models:
        if not m.by_variant:
            continue
        cols = variant_columns(m)
        ci = report.resamples > 0 and console.width >= 22 + 24 * len(cols)
        columns = [(header, [format_value(metrics.get(k), ci=ci, ci_digits=2) for k in keys])
                   for header, metrics in cols]
        _print_columns(f"{m.name}: per context variant; differences paired by pair_id"
                       + ("" if ci else " (intervals: see metrics.md)"), keys, columns)


def print_report(report) -> None:  # type: ignore[no-untyped-def]
    """The comparison table, then each model's per-variant table (if the split has any)."""
    _print_table(report)
    _print_variants(report)


def evaluate(
    predictions: list[Path] = typer.Option(
        None, "--predictions", "-p", metavar="FILE...",
        help="Prediction files (JSONL or Parquet): one record per sample with `sample_id` and "
        "`text` (raw model output) or `titles` (a list). Several files are compared "
        "\\[default: every <run-dir>/predictions/*.jsonl].",
    ),
    more: list[Path] = typer.Argument(
        None, metavar="[FILE]...", show_default=False,
        help="More prediction files (so `--predictions A.jsonl B.jsonl` works).",
    ),
    split: str = typer.Option("test", "--split", help="Split to score: train|validation|test."),
    run_dir: Path = typer.Option(Path("runs/default"), "--run-dir",
                                 help="Run folder holding splits/<split>.parquet."),
    k: str = typer.Option("5,10,20", "--k", help="Cut-offs, comma-separated."),
    out: Path = typer.Option(None, "--out",
                             help="Output folder \\[default: <run-dir>/eval/<split>]."),
    resamples: int = typer.Option(1000, "--bootstrap", min=0,
                                  help="Bootstrap resamples for the 95% intervals (0 = none)."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed (same for every model)."),
    catalogue: Path = typer.Option(None, "--catalogue", help="Catalogue Parquet \\[default: "
                                   "the run's (manifest.json), else the embedded films]."),
    tags: Path = typer.Option(None, "--tags", help="item_tags.parquet \\[default: the run's "
                              "tags, else artifacts/item_tags.parquet, else the embedded "
                              "rules + curated tags]."),
    as_json: bool = typer.Option(False, "--json", help="Print metrics.json to stdout instead "
                                 "of the table."),
    compat: str = typer.Option(None, "--compat", metavar="PROFILE", help="Also score with "
                               "another work's definitions, to compare with its published "
                               "numbers: `safecrs` (the SafeCRS reference: ideal DCG sized by "
                               "the answer, SVR over all parsed titles, controls as 0). "
                               "Reported apart, keys prefixed `safecrs:`."),
) -> None:
    """Score model recommendations on a SafeRec split: relevance, safety and hallucination.

    Titles are pulled out of each answer with the project's one parser and matched with the
    one title resolver; every item's trigger tag for the user's traits is yes / no / unknown.
    Metrics at each K: Recall, NDCG (ideal over the full ground truth), hit rate, SVR
    (violating / resolved items), S-DCG (position-weighted violations), unknown-rate; plus
    catalogue-match and hallucination rates, per trait and for control samples, with seeded
    bootstrap 95% intervals. On a split with context variants (implicit / explicit / absent),
    every metric per variant and the differences between variants, with intervals from
    resampled pairs (pair_id). Files from `datagen predict --mode acquisition` add asked_rate,
    questions_per_dialogue and revealed_rate. Writes metrics.json, metrics.md and
    metrics.png. With --compat safecrs the same answers are also scored with the SafeCRS
    reference's definitions, labelled as such.

    Example: datagen evaluate --split test --predictions runs/default/predictions/graph.jsonl
    runs/default/predictions/popularity.jsonl
    """
    files = [*(predictions or []), *(more or [])]
    try:
        files = files or sorted((Path(run_dir) / "predictions").glob("*.jsonl"))
        if not files:
            raise InputError("no predictions: give files with --predictions, or write some "
                             f"into {Path(run_dir) / 'predictions'} with `datagen predict` or "
                             "`datagen baseline`", field="predictions")
        from datagen.evaluate.compat import COMPAT_PROFILES

        if compat is not None and compat not in COMPAT_PROFILES:
            raise InputError(f"--compat must be one of {', '.join(COMPAT_PROFILES)}, not "
                             f"{compat!r}", field="compat")
        report, paths = evaluate_files(files, split, run_dir, parse_ks(k), out, resamples,
                                       seed, catalogue, tags, compat)
    except DatagenError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    print_report(report)
    for m in report.models:
        if m.counts.missing:
            err_console.print(f"[yellow]note:[/] {m.name}: {m.counts.missing} of "
                              f"{m.counts.samples} samples have no prediction (scored as empty "
                              "lists)")
    for kind, path in paths.items():
        console.print(f"[dim]{kind}:[/] {path}")


def evaluate_files(files, split, run_dir, ks, out, resamples, seed, catalogue_path, tags_path,  # type: ignore[no-untyped-def]
                   compat=None):
    """Load, score and write the report of prediction files (``datagen evaluate``'s work)."""
    from datagen.catalogue.resolver import TitleResolver
    from datagen.evaluate import evaluate_predictions, load_predictions, load_split, write_report
    from datagen.evaluate.resources import catalogue_warning, load_catalogue, load_tag_index

    bench = load_split(run_dir, split)
    psets = [load_predictions(p, name) for p, name in zip(files, _names(files), strict=True)]
    with err_console.status("loading catalogue, resolver and tags..."):
        cat = load_catalogue(catalogue_path, run_dir)
        resolver = TitleResolver(cat)
        tag_index, tag_source = load_tag_index(tags_path, cat, run_dir)
    warning = catalogue_warning(cat, run_dir)
    if warning:
        err_console.print(f"[yellow]warning:[/] {warning}")
    sources = {"catalogue": str(catalogue_path or getattr(cat, "name", "catalogue")),
               "catalogue_fingerprint": cat.fingerprint, "tags": tag_source}
    with err_console.status(f"scoring {len(psets)} model(s) on {len(bench)} samples..."):
        report = evaluate_predictions(bench, psets, resolver, tag_index, ks=ks,
                                      resamples=resamples, seed=seed, sources=sources,
                                      compat=compat)
    paths = write_report(report, out or Path(run_dir) / "eval" / split)
    return report, paths
