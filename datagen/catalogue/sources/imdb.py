"""IMDb's ``title.basics.tsv`` / ``.tsv.gz`` (the public IMDb dataset dump).

Columns used: tconst, titleType, primaryTitle, originalTitle, startYear, genres
(comma-separated); ``\\N`` means null. Only ``movie`` and ``tvMovie`` rows are kept; an
original title that differs from the primary one becomes an alias. The full file has ~12M
rows, so it is read with polars and checked column-wise; a bad row is reported by line.
"""

from __future__ import annotations

from pathlib import Path

from datagen.catalogue.models import Item
from datagen.catalogue.sources._rows import require_file
from datagen.catalogue.store import Catalogue
from datagen.errors import InputError
from datagen.gcpause import gc_paused

__all__ = ["IMDB_TITLE_TYPES", "load_imdb_basics"]

IMDB_TITLE_TYPES = ("movie", "tvMovie")
_COLUMNS = ("tconst", "titleType", "primaryTitle", "originalTitle", "startYear", "genres")


def _read(path: Path):  # -> pl.DataFrame (polars imported lazily)
    import polars as pl

    try:
        header = pl.read_csv(path, separator="\t", quote_char=None, n_rows=0).columns
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable TSV ({exc})", file=path) from exc
    for column in _COLUMNS:
        if column not in header:
            raise InputError("required column is missing", file=path, record=1, field=column)
    try:
        frame = pl.read_csv(
            path, separator="\t", quote_char=None, null_values="\\N", columns=list(_COLUMNS),
            schema_overrides={name: pl.Utf8 for name in _COLUMNS},
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"malformed TSV ({exc})", file=path) from exc
    return frame.with_row_index("line", offset=2)


def load_imdb_basics(path: str | Path) -> Catalogue:
    """Load movies and TV movies from ``title.basics.tsv(.gz)``; item id = tconst."""
    import polars as pl

    path = require_file(path)
    frame = _read(path).filter(pl.col("titleType").is_in(IMDB_TITLE_TYPES))
    year = pl.col("startYear").cast(pl.Int32, strict=False)
    bad = frame.filter(
        (pl.col("startYear").is_not_null() & (year.is_null() | (year < 1870) | (year > 2100)))
        | pl.col("primaryTitle").is_null()
        | ~pl.col("tconst").str.contains(r"^tt\d+$")
    )
    if bad.height:
        row = bad.row(0, named=True)
        field = ("tconst" if not str(row["tconst"] or "").startswith("tt")
                 else "primaryTitle" if row["primaryTitle"] is None else "startYear")
        raise InputError(f"bad value {row[field]!r}", file=path, record=int(row["line"]),
                         field=field)
    columns = frame.select("tconst", "primaryTitle", "originalTitle", year.alias("year"),
                           "genres").to_dict(as_series=False)
    with gc_paused():
        items = _items(columns)
    return Catalogue(items, name="imdb")


def _items(columns: dict[str, list]) -> list[Item]:
    return [
        # every column was type-checked above, so skip per-row validation (700k films)
        Item.model_construct(
            item_id=tconst, title=title, year=film_year, imdb_id=tconst,
            genres=genres.split(",") if genres else [], mpaa_rating=None, directors=[],
            writers=[], cast=[], popularity=0.0, sources=["imdb"], external_ids={},
            aliases=[original] if original and original != title else [],
        )
        for tconst, title, original, film_year, genres in zip(
            columns["tconst"], columns["primaryTitle"], columns["originalTitle"],
            columns["year"], columns["genres"], strict=True)
    ]
