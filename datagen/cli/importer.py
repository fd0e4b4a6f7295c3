"""`datagen import`: other projects' data into SafeRec's sample schema."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from datagen.cli.common import console, err_console, fail
from datagen.errors import DatagenError

__all__ = ["app", "guess_split"]

app = typer.Typer(help="Import other projects' data as SafeRec samples (then `datagen "
                  "evaluate` runs on them).", no_args_is_help=True)

_SPLIT_WORDS = (("validation", "validation"), ("val", "validation"), ("dev", "validation"),
                ("train", "train"), ("test", "test"))


def guess_split(path: Path) -> str:
    """The split a file or folder name says ("sft_test_1k.json" -> test), else "test"."""
    words = set(re.split(r"[^a-z]+", str(path).casefold()))
    return next((split for word, split in _SPLIT_WORDS if word in words), "test")


@app.command("safecrs")
def safecrs(
    path: Path = typer.Argument(..., metavar="FILE", show_default=False,
                                help="A released SafeCRS split: .jsonl, .json, .parquet or a "
                                "`datasets` save_to_disk folder of one split."),
    split: str = typer.Option(None, "--split", help="Split name to write \\[default: from "
                              "the file name (train/validation/test), else test]."),
    out: Path = typer.Option(None, "--out", help="Run folder to write \\[default: "
                             "runs/safecrs-<split>]."),
    catalogue: Path = typer.Option(None, "--catalogue", help="Catalogue Parquet to resolve "
                                   "titles with \\[default: the embedded films]."),
    taxonomy: Path = typer.Option(None, "--taxonomy", help="Taxonomy YAML whose reference "
                                  "names map the row's traits \\[default: embedded]."),
    as_json: bool = typer.Option(False, "--json", help="Print import_report.json to stdout."),
) -> None:
    """Turn the SafeCRS reference's released rows into SafeRec samples for evaluation.

    Reads `prompt` (text or chat messages), `seen_titles`, `groundtruth_with_release_year`
    ("Title (Year)" strings or \\[title, year] pairs), `constraints` ({trait name: true}) and
    `assigned_trait`. Titles go through the one title resolver, trait names through the
    taxonomy's reference names; unresolved titles and unmapped traits are counted in
    import_report.json. Writes <out>/splits/<split>.parquet and a manifest, so evaluation
    runs on it directly.

    Example: datagen import safecrs saferec_sft_dataset/test --out runs/safecrs-test &&
    datagen evaluate --run-dir runs/safecrs-test --split test -p preds.jsonl --compat safecrs
    """
    from datagen.catalogue import Catalogue, TitleResolver, load_default_catalogue
    from datagen.compat.safecrs import import_safecrs, write_import
    from datagen.taxonomy import load_taxonomy

    split = split or guess_split(path)
    target = out or Path("runs") / f"safecrs-{split}"
    try:
        tax = load_taxonomy(taxonomy)
        with err_console.status("loading the catalogue and resolving titles..."):
            cat = Catalogue.load(catalogue) if catalogue else load_default_catalogue()
            result = import_safecrs(path, TitleResolver(cat), tax, split=split)
        paths = write_import(result, target, catalogue_path=catalogue, taxonomy_path=taxonomy)
    except DatagenError as exc:
        raise fail(exc) from exc
    report = result.report
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    gt, seen = report.ground_truth, report.seen
    console.print(f"[bold]{report.samples}[/] samples ({report.control_samples} control, "
                  f"{report.samples_without_ground_truth} without ground truth) -> "
                  f"{paths['split']}")
    console.print(f"ground truth: {gt.resolved}/{gt.total} titles resolved; seen: "
                  f"{seen.resolved}/{seen.total}")
    unmapped = sum(report.unmapped_traits.values())
    console.print(f"traits: {sum(report.traits.values())} mapped over {len(report.traits)} "
                  f"traits, {unmapped} unmapped")
    if unmapped:
        names = ", ".join(f"{k!r} ({v})" for k, v in list(report.unmapped_traits.items())[:5])
        err_console.print(f"[yellow]note:[/] trait names the taxonomy does not know: {names}")
    console.print(f"[dim]report:[/] {paths['report']}")
