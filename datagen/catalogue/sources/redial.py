"""The ReDial movie list ``movies_with_mentions.csv``: movieId, movieName, nbMentions.

Names look like "Headhunter  (2009)" (note the double space) or "The Mummy " without a year.
ReDial has no IMDb ids, so items get ``redial:<movieId>`` ids; :func:`merge_catalogues` joins
them to IMDb-identified films by normalized title and year. Dialogues mention movies as
``@<movieId>``: look them up with ``Catalogue.by_external("redial", movie_id)``.
"""

from __future__ import annotations

from pathlib import Path

from datagen.catalogue.models import Item
from datagen.catalogue.sources._rows import read_csv_rows
from datagen.catalogue.store import Catalogue
from datagen.catalogue.titles import display_title, split_title_year
from datagen.errors import InputError

__all__ = ["load_redial_movies"]


def load_redial_movies(path: str | Path) -> Catalogue:
    """Load ReDial's movie list; popularity = number of mentions in the dialogues."""
    path = Path(path)
    items: list[Item] = []
    seen: set[str] = set()
    for line, row in read_csv_rows(path, ("movieId", "movieName", "nbMentions")):
        movie = row["movieId"].strip()
        if not movie.isdigit():
            raise InputError(f"bad movieId {movie!r}", file=path, record=line, field="movieId")
        if movie in seen:
            raise InputError(f"duplicate movieId {movie}", file=path, record=line,
                             field="movieId")
        seen.add(movie)
        mentions = row["nbMentions"].strip() or "0"
        if not mentions.isdigit():
            raise InputError(f"bad count {mentions!r}", file=path, record=line,
                             field="nbMentions")
        title, year = split_title_year(row["movieName"])
        if not title.strip():
            raise InputError("empty movie name", file=path, record=line, field="movieName")
        items.append(Item(
            item_id=f"redial:{movie}", title=display_title(title), year=year,
            popularity=float(mentions), sources=["redial"], external_ids={"redial": movie},
        ))
    return Catalogue(items, name="redial")
