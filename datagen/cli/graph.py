"""`datagen graph` commands: build the movie-attribute graph and show its statistics.

A thin layer over :mod:`datagen.graph`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer

from datagen.cli.common import console, fail
from datagen.errors import DatagenError, InputError

__all__ = ["app", "build", "related", "stats"]

DEFAULT_GRAPH = Path("artifacts/graph.json")

app = typer.Typer(
    help=(
        "The movie-attribute graph: films linked to genres, people (director / writer / "
        "cast), MPAA ratings, user tags and trigger tags. Used for related-film candidates "
        "and graph-sampled preference profiles.\n\n"
        "Example: datagen graph build --movielens ../shared/data/ml-latest-small && "
        "datagen graph stats"
    ),
    no_args_is_help=True,
)


def load_tags_table(path: Path) -> Any:
    """``item_tags.parquet`` (fused tags) or an evidence file, as a table for build_graph."""
    import pyarrow.parquet as pq

    from datagen.tags import ITEM_TAGS_SCHEMA, load_evidence_file, read_item_tags_table

    if path.suffix == ".parquet" and path.is_file():
        names = set(pq.read_schema(path).names)
        if set(ITEM_TAGS_SCHEMA.names) <= names:
            return read_item_tags_table(path)
    return load_evidence_file(path)


@app.command()
def build(
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help="Catalogue Parquet "
                                          "(`datagen catalog build`). Default: the embedded "
                                          "bokeh-sampledata films.", show_default=False),
    movielens: Path | None = typer.Option(None, "--movielens", help="MovieLens folder "
                                          "(tags.csv + links.csv): adds user-tag nodes.",
                                          show_default=False),
    tags: Path | None = typer.Option(None, "--tags", help="item_tags.parquet (adds trait "
                                     "nodes for yes tags) or an evidence file (.parquet / "
                                     ".jsonl: adds DoesTheDogDie topic and Parents Guide "
                                     "nodes).", show_default=False),
    out: Path = typer.Option(DEFAULT_GRAPH, "--out", "-o", help="Graph JSON to write "
                             "(gzip when it ends in .gz); written atomically."),
    max_cast: int = typer.Option(30, "--max-cast", min=0, help="Cast members kept per film "
                                 "(source order; trims giant casts)."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Build the attribute graph from the catalogue (plus user tags and trigger tags).

    Example: datagen graph build --movielens ../shared/data/ml-latest-small --out
    artifacts/graph.json
    """
    from datagen.graph import build_graph, graph_stats, save_graph

    started = time.perf_counter()
    try:
        cat = _catalogue(catalogue)
        user_tags = None
        if movielens is not None:
            from datagen.catalogue.sources import load_movielens_tags

            user_tags = load_movielens_tags(movielens, cat)
        tag_table = load_tags_table(tags) if tags is not None else None
        g = build_graph(cat, user_tags=user_tags, item_tags=tag_table, max_cast=max_cast)
        save_graph(g, out)
    except DatagenError as exc:
        raise fail(exc) from None
    summary = graph_stats(g)
    if as_json:
        typer.echo(json.dumps({"path": str(out), **summary.model_dump()}))
        return
    _print_stats(summary, title=f"graph written to {out}")
    console.print(f"built in {time.perf_counter() - started:.1f} s")


@app.command()
def stats(
    path: Path = typer.Argument(DEFAULT_GRAPH, help="Graph JSON from `datagen graph build`."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Show node counts per type and edge counts per kind of a saved graph.

    Example: datagen graph stats artifacts/graph.json --json
    """
    from datagen.graph import graph_stats, load_graph

    try:
        summary = graph_stats(load_graph(path))
    except DatagenError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps({"path": str(path), **summary.model_dump()}))
        return
    _print_stats(summary, title=str(path))


@app.command()
def related(
    titles: list[str] = typer.Argument(..., help='Liked films as people write them: '
                                       '"Title (Year)".', show_default=False),
    k: int = typer.Option(10, "--k", min=1, help="How many films to list."),
    graph: Path | None = typer.Option(None, "--graph", help="Graph JSON. Default: "
                                      "artifacts/graph.json if present, else built in memory "
                                      "from the catalogue.", show_default=False),
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help="Catalogue Parquet "
                                          "the graph was built on. Default: embedded.",
                                          show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per film."),
) -> None:
    """List the films closest to the liked ones (shared people, genres, rating, user tags).

    Rare attributes weigh more than common ones (a shared director beats a shared "Drama").
    Example: datagen graph related "Batman Begins (2005)" "Heat (1995)" --k 5
    """
    from datagen.catalogue.resolver import TitleResolver
    from datagen.graph import build_graph, load_graph, related_items

    try:
        cat = _catalogue(catalogue)
        resolver = TitleResolver(cat)
        liked = []
        for text in titles:
            match = resolver.resolve(text)
            if not match.matched or match.item_id is None:
                raise InputError(f"no catalogue film matches ({match.reason or 'no match'})",
                                 record=text)
            liked.append(match.item_id)
        if graph is None and DEFAULT_GRAPH.is_file():
            graph = DEFAULT_GRAPH
        g = load_graph(graph) if graph is not None else build_graph(cat)
    except DatagenError as exc:
        raise fail(exc) from None
    ranked = related_items(g, liked, k=k)
    if as_json:
        for item_id, score in ranked:
            item = cat.get(item_id)
            typer.echo(json.dumps({"item_id": item_id, "title": item.display if item else None,
                                   "score": round(score, 6)}))
        return
    from rich.table import Table

    table = Table(title="related to " + ", ".join(titles))
    table.add_column("#", justify="right")
    table.add_column("film")
    table.add_column("score", justify="right")
    for rank, (item_id, score) in enumerate(ranked, start=1):
        item = cat.get(item_id)
        table.add_row(str(rank), item.display if item else item_id, f"{score:.3f}")
    console.print(table)


def _catalogue(path: Path | None) -> Any:
    from datagen.catalogue import Catalogue, load_default_catalogue

    if path is not None and not path.exists():
        raise InputError("catalogue file not found", file=path)
    return Catalogue.load(path) if path is not None else load_default_catalogue()


def _print_stats(summary: Any, title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column("what")
    table.add_column("name")
    table.add_column("count", justify="right")
    for name, count in summary.nodes_by_type.items():
        table.add_row("nodes", name, f"{count:,}")
    for name, count in summary.edges_by_kind.items():
        table.add_row("edges", name, f"{count:,}")
    table.add_row("total", "nodes", f"{summary.nodes:,}", style="bold")
    table.add_row("total", "edges", f"{summary.edges:,}", style="bold")
    table.add_row("items", "isolated (no attribute)", f"{summary.isolated_items:,}")
    console.print(table)
