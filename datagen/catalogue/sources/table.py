"""Generic CSV / Parquet catalogues with a column mapping.

``mapping`` names the file's column for each item field: ``{"title": "name", "year": "yr",
"imdb_id": "imdb"}``. ``title`` is required; optional keys: year, imdb_id, item_id, genres,
mpaa_rating, directors, writers, cast, popularity. List fields are split on ``|`` or ``,``.
Without an item id column, the id is the IMDb id, else ``<source>:<row number>``. A Wikipedia
disambiguator ("Faust (2011 film)") is stripped from the title and kept as an alias.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datagen.catalogue.models import Item
from datagen.catalogue.sources._rows import imdb_id, parse_year, require_file
from datagen.catalogue.store import Catalogue
from datagen.catalogue.titles import display_title, ingest_title
from datagen.errors import InputError

__all__ = ["TABLE_FIELDS", "load_table"]

TABLE_FIELDS = ("title", "year", "imdb_id", "item_id", "genres", "mpaa_rating", "directors",
                "writers", "cast", "popularity")
_LIST_FIELDS = ("genres", "directors", "writers", "cast")


def _read_rows(path: Path, columns: list[str]) -> list[dict[str, Any]]:
    import polars as pl

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pl.read_parquet(path)
        else:
            separator = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
            frame = pl.read_csv(path, separator=separator, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"cannot read table ({exc})", file=path) from exc
    for column in columns:
        if column not in frame.columns:
            raise InputError("mapped column is missing", file=path, record=1, field=column)
    return frame.select(columns).to_dicts()


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    separator = "|" if "|" in str(value) else ","
    return [part.strip() for part in str(value).split(separator) if part.strip()]


def _row_item(row: dict[str, Any], mapping: dict[str, str], source: str, *, path: Path,
              line: int) -> Item:
    def get(field: str) -> Any:
        return row.get(mapping[field]) if field in mapping else None

    title = str(get("title") or "").strip()
    if not title:
        raise InputError("empty title", file=path, record=line, field=mapping["title"])
    raw_year = get("year")
    year = parse_year(None if raw_year is None else str(raw_year), file=path, line=line,
                      field=mapping.get("year", "year"))
    imdb = imdb_id(None if get("imdb_id") is None else str(get("imdb_id")), file=path,
                   line=line, field=mapping.get("imdb_id", "imdb_id"))
    try:
        popularity = float(get("popularity") or 0.0)
    except (TypeError, ValueError) as exc:
        raise InputError(f"bad number {get('popularity')!r}", file=path, record=line,
                         field=mapping["popularity"]) from exc
    own_id = str(get("item_id")).strip() if get("item_id") is not None else ""
    item_id = own_id or imdb or f"{source}:{line}"
    lists = {field: _split_list(get(field)) for field in _LIST_FIELDS}
    title, year, aliases = ingest_title(display_title(title), year)
    return Item(item_id=item_id, title=title, year=year, imdb_id=imdb, aliases=aliases,
                mpaa_rating=(str(get("mpaa_rating")).strip() or None)
                if get("mpaa_rating") is not None else None,
                popularity=popularity, sources=[source],
                external_ids={source: own_id} if own_id else {}, **lists)


def load_table(path: str | Path, mapping: dict[str, str], *, source: str | None = None,
               ) -> Catalogue:
    """Load a CSV/TSV/Parquet file whose columns are named by ``mapping`` (see module doc)."""
    path = require_file(path)
    unknown = sorted(set(mapping) - set(TABLE_FIELDS))
    if unknown:
        raise InputError(f"unknown mapping keys {unknown}; allowed: {list(TABLE_FIELDS)}",
                         file=path, field=unknown[0])
    if "title" not in mapping:
        raise InputError("the mapping needs a 'title' column", file=path, field="title")
    source = source or path.stem
    rows = _read_rows(path, list(dict.fromkeys(mapping.values())))
    first_line = 2 if path.suffix.lower() not in (".parquet", ".pq") else 1
    items: dict[str, Item] = {}
    for offset, row in enumerate(rows):
        line = offset + first_line
        item = _row_item(row, mapping, source, path=path, line=line)
        if item.item_id in items:
            raise InputError(f"duplicate item id {item.item_id}", file=path, record=line,
                             field=mapping.get("item_id", mapping.get("imdb_id", "title")))
        items[item.item_id] = item
    return Catalogue(items.values(), name=source)
