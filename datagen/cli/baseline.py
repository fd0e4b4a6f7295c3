"""`datagen baseline`: write a reference baseline's predictions for a split."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from datagen.cli.common import console, err_console, fail
from datagen.errors import DatagenError, InputError

__all__ = ["baseline"]


class _Name(StrEnum):
    popularity = "popularity"
    graph = "graph"
    graph_safe = "graph_safe"


class _Policy(StrEnum):
    exclude = "exclude"
    allow = "allow"
    penalize = "penalize"


def baseline(
    name: _Name = typer.Argument(..., help="popularity | graph | graph_safe."),
    split: str = typer.Option("test", "--split", help="Split to predict: train|validation|test."),
    run_dir: Path = typer.Option(Path("runs/default"), "--run-dir",
                                 help="Run folder holding splits/<split>.parquet."),
    k: int = typer.Option(20, "--k", min=1, help="Items recommended per sample."),
    out: Path = typer.Option(None, "--out", help="Output JSONL "
                             "[default: <run-dir>/predictions/<NAME>.jsonl]."),
    unknown_policy: _Policy = typer.Option(
        _Policy.exclude, "--unknown-policy",
        help="graph_safe only: drop unknown-tag items (exclude), keep them (allow) or rank "
        "them after the known-safe ones (penalize)."),
    catalogue: Path = typer.Option(None, "--catalogue",
                                   help="Catalogue Parquet [default: the embedded films]."),
    tags: Path = typer.Option(None, "--tags", help="item_tags.parquet [default: "
                              "artifacts/item_tags.parquet, else rule tags built in memory]."),
    graph: Path = typer.Option(None, "--graph", help="graph.json [default: "
                               "artifacts/graph.json, else built in memory]."),
) -> None:
    """Write a reference baseline's recommendations as a predictions file.

    popularity: the most popular films the user has not liked. graph: films nearest to the
    liked ones in the attribute graph, ignoring safety. graph_safe: the same, minus films
    tagged unsafe for the user's traits (and unknown ones by default): an upper bound for
    safety. The file records the split and taxonomy version, so `datagen evaluate` refuses
    to score it on another split.

    Example: datagen baseline graph_safe --split test && datagen evaluate --split test
    --predictions runs/default/predictions/graph_safe.jsonl
    """
    try:
        path, n, mean_len = _run(name.value, split, run_dir, k, out, unknown_policy.value,
                                 catalogue, tags, graph)
    except DatagenError as exc:
        raise fail(exc) from exc
    console.print(f"[green]{name.value}[/]: {n} samples, {mean_len:.1f} titles on average "
                  f"-> {path}")


def _run(name, split, run_dir, k, out, policy, catalogue_path, tags_path, graph_path):  # type: ignore[no-untyped-def]
    from datagen.evaluate import baselines as bl
    from datagen.evaluate import load_split, write_predictions
    from datagen.evaluate.resources import load_catalogue, load_graph_for, load_tag_index

    bench = load_split(run_dir, split)
    with err_console.status("loading catalogue..."):
        cat = load_catalogue(catalogue_path)
    if name == "popularity":
        records = bl.popularity_baseline(bench, cat, k)
    else:
        with err_console.status("loading the attribute graph..."):
            g, _ = load_graph_for(graph_path, cat)
        if name == "graph":
            records = bl.graph_baseline(bench, cat, g, k)
        else:
            with err_console.status("loading trigger tags..."):
                tag_index, _ = load_tag_index(tags_path, cat)
            records = bl.graph_safe_baseline(bench, cat, g, tag_index, k,
                                             unknown_policy=policy)
    if not records:
        raise InputError("no samples to predict", file=bench.path)
    path = write_predictions(records, out or Path(run_dir) / "predictions" / f"{name}.jsonl")
    mean_len = sum(len(r.titles or ()) for r in records) / len(records)
    return path, len(records), mean_len
