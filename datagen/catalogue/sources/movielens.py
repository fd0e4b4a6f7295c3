"""MovieLens folders (``ml-latest-small`` and friends): movies, links, ratings, user tags.

* ``movies.csv``: movieId, title ("Dark Knight, The (2008)", "Seven (a.k.a. Se7en) (1995)"),
  genres ("Action|Crime", "(no genres listed)");
* ``links.csv``: movieId, imdbId (digits without "tt", zero-padding optional), tmdbId;
* ``ratings.csv`` (optional): userId, movieId, rating, timestamp -> popularity = #ratings;
* ``tags.csv``: userId, movieId, tag, timestamp -> :func:`load_movielens_tags`.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from datagen.catalogue.models import Item
from datagen.catalogue.sources._rows import imdb_id, read_csv_rows, require_file
from datagen.catalogue.store import Catalogue
from datagen.catalogue.titles import display_title, split_alternative_titles, split_title_year
from datagen.errors import InputError

__all__ = ["load_movielens", "load_movielens_tags"]

_NO_GENRES = "(no genres listed)"
#: a trailing "(....)" that looks like a year but is not a valid one: "(19x9)", "(1234)"
_YEARISH = re.compile(r"\((\d[\dx?]{2}\d|\d{2}[\dx?]{2}|\d{4})\)\s*$", re.IGNORECASE)


def _movie_id(value: str, *, file: Path, line: int) -> str:
    text = value.strip()
    if not text.isdigit():
        raise InputError(f"bad movieId {text!r}", file=file, record=line, field="movieId")
    return text


def _links(folder: Path) -> dict[str, tuple[str | None, str | None]]:
    """movieId -> (IMDb id, TMDb id) from links.csv."""
    path = folder / "links.csv"
    links: dict[str, tuple[str | None, str | None]] = {}
    for line, row in read_csv_rows(path, ("movieId", "imdbId")):
        movie = _movie_id(row["movieId"], file=path, line=line)
        tmdb = (row.get("tmdbId") or "").strip() or None
        links[movie] = (imdb_id(row["imdbId"], file=path, line=line, field="imdbId"), tmdb)
    return links


def _rating_counts(folder: Path) -> Counter[str]:
    """Ratings per movieId (popularity); empty when ratings.csv is absent."""
    path = folder / "ratings.csv"
    if not path.is_file():
        return Counter()
    import polars as pl

    try:
        frame = pl.read_csv(path, columns=["movieId"], schema_overrides={"movieId": pl.Utf8})
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"cannot read ratings ({exc})", file=path, field="movieId") from exc
    counts = frame.group_by("movieId").len()
    return Counter(dict(zip(counts["movieId"].to_list(), counts["len"].to_list(), strict=True)))


def _item(movie: str, raw_title: str, genres: str, link: tuple[str | None, str | None],
          popularity: int, *, file: Path, line: int) -> Item:
    title, year = split_title_year(raw_title.strip())
    if not title:
        raise InputError("empty title", file=file, record=line, field="title")
    if year is None and _YEARISH.search(raw_title):
        tail = _YEARISH.search(raw_title).group(1)  # type: ignore[union-attr]
        raise InputError(f"bad year {tail!r}", file=file, record=line, field="title")
    title, aliases = split_alternative_titles(title)
    imdb, tmdb = link
    external = {"movielens": movie} | ({"tmdb": tmdb} if tmdb else {})
    return Item(
        item_id=imdb or f"ml:{movie}", title=display_title(title), year=year, imdb_id=imdb,
        genres=[g for g in genres.split("|") if g and g != _NO_GENRES],
        popularity=float(popularity), sources=["movielens"], external_ids=external,
        aliases=[display_title(alias) for alias in aliases],
    )


def load_movielens(folder: str | Path) -> Catalogue:
    """Load a MovieLens folder (movies.csv + links.csv, ratings.csv optional)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("MovieLens folder not found", file=folder)
    movies_path = require_file(folder / "movies.csv")
    links = _links(folder)
    counts = _rating_counts(folder)
    items: dict[str, Item] = {}
    for line, row in read_csv_rows(movies_path, ("movieId", "title", "genres")):
        movie = _movie_id(row["movieId"], file=movies_path, line=line)
        item = _item(movie, row["title"], row["genres"], links.get(movie, (None, None)),
                     counts.get(movie, 0), file=movies_path, line=line)
        if item.item_id in items:  # two MovieLens ids for one IMDb film: keep the first
            items[item.item_id].aliases.append(item.title)
            continue
        items[item.item_id] = item
    return Catalogue(items.values(), name="movielens")


def load_movielens_tags(folder: str | Path,
                        catalogue: Catalogue) -> list[tuple[str, str, int]]:
    """User tags as (item_id, tag, count), for films of ``catalogue``; tags lower-cased.

    A MovieLens film is found in the catalogue by IMDb id (links.csv), else by its
    ``external_ids["movielens"]``; tags of films not in the catalogue are skipped.
    """
    folder = Path(folder)
    path = folder / "tags.csv"
    links = _links(folder)
    by_ml = {item.external_ids["movielens"]: item.item_id for item in catalogue.items
             if "movielens" in item.external_ids}
    counts: Counter[tuple[str, str]] = Counter()
    for line, row in read_csv_rows(path, ("movieId", "tag")):
        movie = _movie_id(row["movieId"], file=path, line=line)
        tag = " ".join(row["tag"].split()).casefold()
        if not tag:
            continue
        imdb = links.get(movie, (None, None))[0]
        item = catalogue.by_imdb(imdb) if imdb else None
        item_id = item.item_id if item is not None else by_ml.get(movie)
        if item_id is not None:
            counts[(item_id, tag)] += 1
    return sorted(((item_id, tag, n) for (item_id, tag), n in counts.items()),
                  key=lambda row: (row[0], row[1]))
