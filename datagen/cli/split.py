"""`datagen split`: dedup, group and stratify samples into train/validation/test."""

from __future__ import annotations

from pathlib import Path

import typer

from datagen.errors import ConfigError

__all__ = ["split"]


def _parse_ratios(text: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError as exc:
        raise ConfigError(f"--ratios: not numbers: {text!r} (example: 0.9,0.05,0.05)") from exc
    if len(parts) != 3 or any(p < 0 for p in parts) or abs(sum(parts) - 1.0) > 1e-6:
        raise ConfigError(f"--ratios: need 3 non-negative numbers summing to 1, got {text!r}")
    return parts  # type: ignore[return-value]


def _print_counts(report: dict) -> None:
    from rich.table import Table

    from datagen.cli.common import console

    counts = report["trait_counts"]
    names = list(report["counts"])
    table = Table(title="Samples per split and trait (a sample counts once per trait)")
    table.add_column("trait")
    for n in names:
        table.add_column(n, justify="right")
    for trait in sorted({t for c in counts.values() for t in c}):
        table.add_row(trait, *(str(counts[n].get(trait, 0)) for n in names))
    table.add_row("[bold]samples[/]", *(f"[bold]{report['counts'][n]}[/]" for n in names))
    console.print(table)
    drops = ", ".join(f"{k[8:]}={v}" for k, v in report.items() if k.startswith("dropped_"))
    console.print(f"input {report['input']}, kept {report['kept']} ({drops}); "
                  f"{report['groups']} groups, {report['strata']} strata; leaks: none")


def split(
    run_dir: Path = typer.Option(Path("runs/default"), "--run-dir",
                                 help="Run folder: reads samples.parquet, writes splits/."),
    input_path: Path | None = typer.Option(None, "--input",
                                           help="Samples Parquet to split "
                                                "(default: <run-dir>/samples.parquet)."),
    ratios: str = typer.Option("0.9,0.05,0.05", help="train,validation,test shares (sum 1)."),
    seed: int = typer.Option(13, help="Seed of the group order: same seed, same splits."),
    verified_only: bool = typer.Option(False, "--verified-only",
                                       help="Keep only samples a human accepted "
                                            "(fails if no human verdicts exist, or if a split "
                                            "would be empty or too small to be stratified)."),
    force: bool = typer.Option(False, "--force",
                               help="With --verified-only: write the splits even when one is "
                                    "empty or too small to be stratified (warns)."),
    drop_failed: bool = typer.Option(False, "--drop-failed-verification",
                                     help="Drop samples whose automatic verification failed."),
    near_dup_threshold: float = typer.Option(0.8, "--near-dup-threshold", min=0.01, max=1.0,
                                             help="Estimated Jaccard of word 3-grams at which "
                                                  "two dialogues count as near duplicates."),
    as_json: bool = typer.Option(False, "--json", help="Print the split report as JSON."),
) -> None:
    """Split samples into train/validation/test with no leaks between them.

    Drops exact duplicates (content hash) and near duplicates (MinHash over the dialogue
    text); keeps samples that share a seed or a pair in one split; spreads every trait set
    (and the control samples) over the splits in the given ratios. Writes
    <run-dir>/splits/{train,validation,test}.parquet, split_report.json and leak_report.json,
    and fails if any sample id, dialogue, seed, pair or near duplicate crosses splits.

    Example: datagen split --run-dir runs/default --ratios 0.8,0.1,0.1 --seed 7
    """
    import json

    from datagen.cli.common import console, err_console
    from datagen.parquet_io import read_parquet
    from datagen.records.sample import SAMPLE_SCHEMA
    from datagen.splits import SplitConfig, split_samples, write_split_result

    cfg = SplitConfig(
        ratios=_parse_ratios(ratios), seed=seed, verified_only=verified_only, force=force,
        drop_failed_verification=drop_failed, near_dup_threshold=near_dup_threshold,
    )
    src = input_path or run_dir / "samples.parquet"
    table = read_parquet(src, SAMPLE_SCHEMA)
    with console.status(f"splitting {table.num_rows} samples from {src}"):
        result = split_samples(table, cfg)
        result.report["input_path"] = str(src)
        paths = write_split_result(result, run_dir)
    for problem in result.report["size_problems"]:
        err_console.print(f"[yellow]warning:[/] {problem}", highlight=False)
    if as_json:
        typer.echo(json.dumps(result.report, indent=2, sort_keys=True))
        return
    _print_counts(result.report)
    console.print(f"wrote {paths['train'].parent}/")
