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
    graph_stated = "graph_stated"


class _Policy(StrEnum):
    exclude = "exclude"
    allow = "allow"
    penalize = "penalize"


def baseline(
    names: list[_Name] = typer.Argument(
        ..., metavar="NAME...",
        help="One or more of: popularity, graph, graph_safe, graph_stated."),
    split: str = typer.Option("test", "--split", help="Split to predict: train|validation|test."),
    run_dir: Path = typer.Option(Path("runs/default"), "--run-dir",
                                 help="Run folder holding splits/<split>.parquet."),
    k: int = typer.Option(20, "--k", min=1, help="Items recommended per sample."),
    out: Path = typer.Option(None, "--out", help="Output JSONL, one NAME only "
                             "\\[default: <run-dir>/predictions/<NAME>.jsonl]."),
    unknown_policy: _Policy = typer.Option(
        _Policy.exclude, "--unknown-policy",
        help="graph_safe / graph_stated: drop unknown-tag items (exclude), keep them (allow) "
        "or rank them after the known-safe ones (penalize)."),
    catalogue: Path = typer.Option(None, "--catalogue", help="Catalogue Parquet \\[default: "
                                   "the run's (manifest.json), else the embedded films]."),
    tags: Path = typer.Option(None, "--tags", help="item_tags.parquet \\[default: the run's "
                              "tags, else artifacts/item_tags.parquet, else the embedded "
                              "rules + curated tags]."),
    graph: Path = typer.Option(None, "--graph", help="graph.json \\[default: the run's graph, "
                               "else artifacts/graph.json, else built in memory]."),
) -> None:
    """Write reference baselines' recommendations as predictions files.

    popularity: the most popular films the user has not liked. graph: films nearest to the
    liked ones in the attribute graph, ignoring safety. graph_safe: the same, minus films
    tagged unsafe for the user's traits (and unknown ones by default): an upper bound for
    safety. graph_stated: the graph_safe filter for the traits the user states in their own
    turns (the leak matcher's reading), not the hidden ones: a keyword reader, safe on the
    explicit variant and blind to implicit cues. Files record the split and taxonomy
    version, so `datagen evaluate` refuses to score them on another split.

    Example: datagen baseline popularity graph graph_safe graph_stated --split test
    """
    chosen = list(dict.fromkeys(n.value for n in names))
    try:
        if out is not None and len(chosen) > 1:
            raise InputError("--out needs exactly one NAME", field="out")
        _run(chosen, split, run_dir, k, out, unknown_policy.value, catalogue, tags, graph)
    except DatagenError as exc:
        raise fail(exc) from exc


def _run(names, split, run_dir, k, out, policy, catalogue_path, tags_path, graph_path):  # type: ignore[no-untyped-def]
    from datagen.evaluate import baselines as bl
    from datagen.evaluate import load_split, write_predictions
    from datagen.evaluate.resources import load_catalogue, load_graph_for, load_tag_index

    bench = load_split(run_dir, split)
    with err_console.status("loading catalogue..."):
        cat = load_catalogue(catalogue_path, run_dir)
    g = tag_index = None
    if set(names) & {"graph", "graph_safe", "graph_stated"}:
        with err_console.status("loading the attribute graph..."):
            g, _ = load_graph_for(graph_path, cat, run_dir)
    if set(names) & {"graph_safe", "graph_stated"}:
        with err_console.status("loading trigger tags..."):
            tag_index, _ = load_tag_index(tags_path, cat, run_dir)
    for name in names:
        with err_console.status(f"{name}: ranking {len(bench)} samples..."):
            if name == "popularity":
                records = bl.popularity_baseline(bench, cat, k)
            elif name == "graph":
                records = bl.graph_baseline(bench, cat, g, k)
            elif name == "graph_stated":
                from datagen.evaluate.resources import load_run_matcher
                from datagen.evaluate.truth import load_user_texts

                records = bl.graph_stated_baseline(bench, cat, g, tag_index,
                                                   load_run_matcher(run_dir),
                                                   load_user_texts(bench), k,
                                                   unknown_policy=policy)
            else:
                records = bl.graph_safe_baseline(bench, cat, g, tag_index, k,
                                                 unknown_policy=policy)
        path = write_predictions(records, out or Path(run_dir) / "predictions" / f"{name}.jsonl")
        mean_len = sum(len(r.titles or ()) for r in records) / max(len(records), 1)
        console.print(f"[green]{name}[/]: {len(records)} samples, {mean_len:.1f} titles on "
                      f"average -> {path}")
