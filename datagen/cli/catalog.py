"""`datagen catalog` commands: resolve titles, build a merged catalogue, show statistics.

A thin layer over :mod:`datagen.catalogue`: the resolver, loaders and merge do the work; these
functions only pick inputs and format results. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from datagen.cli.common import console, fail
from datagen.errors import ConfigError, DatagenError

if TYPE_CHECKING:
    from datagen.catalogue import Catalogue, TitleMatch

__all__ = ["app", "build", "parse", "resolve", "stats"]

app = typer.Typer(
    help=(
        "The movie catalogue and the one title resolver.\n\n"
        "Without --catalogue every command uses the embedded bokeh-sampledata films "
        "(17,470 films, CC0, item id = IMDb id)."
    ),
    no_args_is_help=True,
)

_CATALOGUE_HELP = ("Catalogue Parquet written by `datagen catalog build`. "
                   "Default: the embedded bokeh-sampledata films.")
DEFAULT_OUT = Path("artifacts/catalogue.parquet")


def _load(path: Path | None) -> Catalogue:
    from datagen.catalogue import Catalogue, load_default_catalogue

    try:
        return Catalogue.load(path) if path is not None else load_default_catalogue()
    except DatagenError as exc:
        raise fail(exc) from None


def _queries(texts: list[str]) -> list[str]:
    """The TEXT arguments; a single "-" reads one title per line from standard input."""
    if texts == ["-"]:
        return [line.rstrip("\n") for line in sys.stdin if line.strip()]
    return texts


def _as_dict(match: TitleMatch) -> dict[str, object]:
    return match.model_dump(include={"query", "item_id", "imdb_id", "title", "year", "match",
                                      "score", "year_distance", "reason"})


@app.command()
def resolve(
    texts: list[str] = typer.Argument(..., help='Titles as people or models write them; "-" '
                                      "reads one per line from stdin.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per input line "
                                 "(query, item_id, imdb_id, title, year, match, score, "
                                 "year_distance, reason; imdb_id null when no match)."),
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help=_CATALOGUE_HELP,
                                          show_default=False),
    year: int | None = typer.Option(None, "--year", help="Year to use for every TEXT "
                                    "(overrides a year written in the text).",
                                    show_default=False),
) -> None:
    """Resolve titles to catalogue films and show how each matched.

    Match kinds: exact, normalized (case, articles, punctuation, diacritics, "&"/"and",
    roman numerals...), fuzzy (typos; with score) or none (with the reason). A year off by
    one is accepted and reported as year_distance=1.

    Example: datagen catalog resolve "Dark Knight, The (2008)" "Schindlers List" --json
    """
    from datagen.catalogue import TitleResolver

    resolver = TitleResolver(_load(catalogue))
    matches = [resolver.resolve(text, year=year) for text in _queries(texts)]
    if as_json:
        import json

        for match in matches:
            typer.echo(json.dumps(_as_dict(match), ensure_ascii=False))
        return
    console.print(_match_table(matches))


@app.command()
def parse(
    path: Path = typer.Argument(..., help='Text file with a model answer; "-" reads stdin.',
                                show_default=False),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per extracted title."),
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help=_CATALOGUE_HELP,
                                          show_default=False),
) -> None:
    """Extract the titles from a model answer and resolve each one (what rewards and
    evaluation see).

    Handles numbered/bulleted lists, markdown, quotes, "Title (Year) - reason" lines, one-line
    comma lists and "Title (Year)" mentions in prose; in a reasoning answer
    (<reasoning>...</reasoning><solution>...</solution>) only the <solution> is read.

    Example: datagen catalog parse answer.txt --json
    """
    from datagen.catalogue import TitleResolver

    if str(path) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            from datagen.errors import InputError

            raise fail(InputError(f"cannot read text ({exc.__class__.__name__})",
                                  file=path)) from None
    matches = TitleResolver(_load(catalogue)).resolve_text(text)
    if as_json:
        import json

        for match in matches:
            typer.echo(json.dumps(_as_dict(match), ensure_ascii=False))
        return
    console.print(_match_table(matches))


def _match_table(matches: list[TitleMatch]):  # -> rich.table.Table
    from rich.table import Table

    table = Table(title="Title resolution", show_lines=False)
    table.add_column("query", overflow="fold", ratio=3)
    for column in ("imdb id", "year", "match", "score", "Δyear"):
        table.add_column(column, no_wrap=True)
    table.add_column("title", overflow="fold", ratio=3)
    table.add_column("reason", overflow="fold", ratio=2)
    colours = {"exact": "green", "normalized": "green", "fuzzy": "yellow", "none": "red"}
    for m in matches:
        table.add_row(
            m.query, m.imdb_id or "-", str(m.year or "-"),
            f"[{colours.get(m.match, 'white')}]{m.match}[/]", f"{m.score:.0f}",
            "-" if m.year_distance is None else str(m.year_distance), m.title or "-",
            m.reason or "",
        )
    return table


def _parse_mapping(text: str) -> dict[str, str]:
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if not pairs or any(len(pair) != 2 for pair in pairs):
        raise ConfigError(f"--map must look like 'title=name,year=yr', got {text!r}")
    return {key.strip(): value.strip() for key, value in pairs}


@app.command()
def build(
    movielens: Path | None = typer.Option(None, "--movielens", help="MovieLens folder "
                                          "(movies.csv, links.csv; ratings.csv optional).",
                                          show_default=False),
    redial: Path | None = typer.Option(None, "--redial", help="ReDial movies_with_mentions.csv.",
                                       show_default=False),
    imdb: Path | None = typer.Option(None, "--imdb", help="IMDb title.basics.tsv(.gz).",
                                     show_default=False),
    table: list[Path] = typer.Option([], "--table", help="Generic CSV/TSV/Parquet source "
                                     "(repeatable; needs --map).", show_default=False),
    mapping: list[str] = typer.Option([], "--map", help="Column mapping for each --table, e.g. "
                                      "'title=name,year=yr,imdb_id=imdb'.", show_default=False),
    no_bokeh: bool = typer.Option(False, "--no-bokeh", help="Leave out the embedded films."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", "-o", help="Output Parquet file."),
) -> None:
    """Merge catalogue sources into one Parquet file (written atomically).

    Sources merge in this order (the first one with a film gives its title and year):
    bokeh, IMDb, MovieLens, tables, ReDial. Films merge by IMDb id, else by normalized
    title and year.

    Example: datagen catalog build --movielens data/ml-latest-small --redial
    data/redial/movies_with_mentions.csv --out artifacts/catalogue.parquet
    """
    from datagen.catalogue import sources

    try:
        if len(mapping) != len(table):
            raise ConfigError("give one --map per --table")
        parts = [] if no_bokeh else [sources.load_bokeh()]
        parts += [sources.load_imdb_basics(imdb)] if imdb else []
        parts += [sources.load_movielens(movielens)] if movielens else []
        parts += [sources.load_table(path, _parse_mapping(spec))
                  for path, spec in zip(table, mapping, strict=True)]
        parts += [sources.load_redial_movies(redial)] if redial else []
        if not parts:
            raise ConfigError("no sources: drop --no-bokeh or give --movielens/--redial/...")
        merged = sources.merge_catalogues(*parts)
        merged.save(out)
    except DatagenError as exc:
        raise fail(exc) from None
    counts = ", ".join(f"{part.name} {len(part):,}" for part in parts)
    console.print(f"[green]wrote[/] {out}: {len(merged):,} items ({counts})\n"
                  f"  fingerprint {merged.fingerprint}", highlight=False)


@app.command()
def stats(
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help=_CATALOGUE_HELP,
                                          show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
) -> None:
    """Count items, years, IMDb coverage, sources, genres and MPAA ratings.

    Example: datagen catalog stats --catalogue artifacts/catalogue.parquet --json
    """
    from datagen.catalogue.summary import catalogue_stats

    figures = catalogue_stats(_load(catalogue))
    if as_json:
        import json

        typer.echo(json.dumps(figures, sort_keys=True))
        return
    from rich.table import Table

    table = Table(title=f"Catalogue {figures['name']}")
    table.add_column("figure")
    table.add_column("value", overflow="fold")
    for key, value in figures.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k} {v:,}" for k, v in value.items())
        elif isinstance(value, int) and not key.startswith("year_"):
            shown = f"{value:,}"
        else:
            shown = str(value)
        table.add_row(key, shown)
    console.print(table)
