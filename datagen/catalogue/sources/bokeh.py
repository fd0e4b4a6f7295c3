"""The embedded default catalogue: the CC0 movies SQLite shipped by ``bokeh-sampledata``.

Table ``omdb`` holds one row per film (imdbID, Title, Year, Rating = MPAA, Genre/Director/
Writer/Cast as comma-separated text); table ``tomatoes`` (joined on ``ID``) holds the critic
review count we use as ``popularity``. Two IMDb ids occur twice (a film and its re-edit):
the row with the lower ``ID`` wins and the other title becomes an alias. Six titles carry a
Wikipedia disambiguator ("Faust (2011 film)", "Godspell (film)"): it is stripped at ingest
and the old form kept as an alias (:func:`~datagen.catalogue.titles.ingest_title`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from datagen.catalogue.models import Item
from datagen.catalogue.store import Catalogue
from datagen.catalogue.titles import ingest_title
from datagen.errors import InputError
from datagen.gcpause import gc_paused

__all__ = ["bokeh_movies_path", "load_bokeh"]

_QUERY = """
SELECT o.ID, o.imdbID, o.Title, o.Year, o.Rating, o.Genre, o.Director, o.Writer, o.Cast,
       t.Reviews
FROM omdb o LEFT JOIN tomatoes t ON o.ID = t.ID
ORDER BY o.ID
"""


def bokeh_movies_path() -> Path:
    """Path of the movies SQLite inside the installed ``bokeh-sampledata`` package."""
    try:
        from bokeh_sampledata.movies_data import movie_path
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise InputError("bokeh-sampledata>=2026.1 is not installed",
                         file="bokeh_sampledata") from exc
    return Path(movie_path)


def _split(text: str | None) -> list[str]:
    if not text:
        return []
    parts = text.split(", ")
    if "," in text.replace(", ", "") or any(not part or part != part.strip() for part in parts):
        parts = [part.strip() for part in text.split(",") if part.strip()]
    return parts


def _merge_duplicate(kept: Item, row: tuple) -> None:
    """Fold a second row with the same IMDb id into ``kept`` (in place, before freezing)."""
    title, _, old_forms = ingest_title(row[2], None) if row[2] else (row[2], None, [])
    for alias in (title, *old_forms):
        if alias and alias != kept.title and alias not in kept.aliases:
            kept.aliases.append(alias)
    for genre in _split(row[5]):
        if genre not in kept.genres:
            kept.genres.append(genre)
    kept.popularity = max(kept.popularity, float(row[9] or 0))


def load_bokeh(path: str | Path | None = None) -> Catalogue:
    """Load the bokeh-sampledata movies SQLite (17,470 distinct films) as a catalogue."""
    path = Path(path) if path is not None else bokeh_movies_path()
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            rows = conn.execute(_QUERY).fetchall()
    except sqlite3.Error as exc:
        raise InputError(f"cannot read the omdb/tomatoes tables ({exc})", file=path) from exc
    with gc_paused():
        items = _build_items(rows, path)
    return Catalogue(items.values(), name="bokeh")


def _build_items(rows: list[tuple], path: Path) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for row in rows:
        row_id, imdb_id, title, year = row[0], row[1], row[2], row[3]
        if not imdb_id or not title:
            raise InputError("row without imdbID or Title", file=path, record=f"ID {row_id}",
                             field="imdbID" if not imdb_id else "Title")
        if imdb_id in items:
            _merge_duplicate(items[imdb_id], row)
            continue
        title, film_year, aliases = ingest_title(title, int(year) if year else None)
        items[imdb_id] = Item.model_construct(
            item_id=imdb_id, title=title, year=film_year, imdb_id=imdb_id,
            genres=_split(row[5]), mpaa_rating=row[4] or None, directors=_split(row[6]),
            writers=_split(row[7]), cast=_split(row[8]), popularity=float(row[9] or 0),
            sources=["bokeh"], external_ids={"bokeh": str(row_id)}, aliases=aliases,
        )
    return items
