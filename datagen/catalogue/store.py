"""The :class:`Catalogue` container and its Parquet form (explicit :data:`CATALOGUE_SCHEMA`).

A catalogue is an ordered list of :class:`Item` with an id index. It is immutable by
convention: loaders and :func:`merge_catalogues` build new catalogues instead of editing one,
so a :class:`TitleResolver` built on it never goes stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from datagen.catalogue.models import Item
from datagen.errors import InputError
from datagen.parquet_io import read_parquet, write_parquet

__all__ = ["CATALOGUE_SCHEMA", "Catalogue"]

_STR_LIST = pa.list_(pa.string())
_LIST_FIELDS = ("genres", "directors", "writers", "cast", "sources", "aliases")
CATALOGUE_SCHEMA = pa.schema([
    pa.field("item_id", pa.string(), nullable=False),
    pa.field("title", pa.string(), nullable=False),
    pa.field("year", pa.int32()),
    pa.field("imdb_id", pa.string()),
    pa.field("genres", _STR_LIST),
    pa.field("mpaa_rating", pa.string()),
    pa.field("directors", _STR_LIST),
    pa.field("writers", _STR_LIST),
    pa.field("cast", _STR_LIST),
    pa.field("popularity", pa.float64()),
    pa.field("sources", _STR_LIST),
    pa.field("external_ids", pa.map_(pa.string(), pa.string())),
    pa.field("aliases", _STR_LIST),
])


class Catalogue:
    """Items in a stable order, looked up by item id or IMDb id.

    Duplicate item ids are an error: merge sources with :func:`merge_catalogues` first.
    """

    def __init__(self, items: Iterable[Item], *, name: str = "catalogue") -> None:
        self.name = name
        self.items: list[Item] = list(items)
        self._by_id: dict[str, Item] = {}
        self._by_imdb: dict[str, Item] = {}
        for item in self.items:
            if item.item_id in self._by_id:
                raise InputError("duplicate item id", record=item.item_id, field="item_id")
            self._by_id[item.item_id] = item
            if item.imdb_id:
                self._by_imdb.setdefault(item.imdb_id, item)
        self._fingerprint: str | None = None
        self._by_external: dict[tuple[str, str], Item] | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    def __repr__(self) -> str:
        return f"Catalogue(name={self.name!r}, items={len(self.items)})"

    def get(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        return self._by_id.get(item_id)

    def by_imdb(self, imdb_id: str) -> Item | None:
        """The item with this IMDb id ("tt0468569"), or None."""
        return self._by_imdb.get(imdb_id)

    def by_external(self, source: str, external_id: str) -> Item | None:
        """The item whose ``external_ids[source]`` is ``external_id`` ("redial", "75796")."""
        if self._by_external is None:
            self._by_external = {}
            for item in self.items:
                for key, value in item.external_ids.items():
                    self._by_external.setdefault((key, value), item)
        return self._by_external.get((source, str(external_id)))

    @property
    def fingerprint(self) -> str:
        """sha256 over sorted (item id, title, year): names the catalogue in run manifests."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for item_id in sorted(self._by_id):
                item = self._by_id[item_id]
                digest.update(f"{item_id}\t{item.title}\t{item.year or ''}\n".encode())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def to_table(self) -> pa.Table:
        """Arrow table with :data:`CATALOGUE_SCHEMA`."""
        items = self.items
        columns: dict[str, list[Any]] = {
            name: [getattr(item, name) for item in items] for name in CATALOGUE_SCHEMA.names
        }
        columns["external_ids"] = [list(ids.items()) for ids in columns["external_ids"]]
        return pa.Table.from_pydict(columns, schema=CATALOGUE_SCHEMA)

    @classmethod
    def from_table(cls, table: pa.Table, *, name: str = "catalogue",
                   file: str | Path | None = None) -> Catalogue:
        """Build from an Arrow table with :data:`CATALOGUE_SCHEMA` columns.

        The table is cast to the schema first, so the column types are already checked;
        the remaining rules (non-empty ids and titles) are checked here per row.
        """
        try:
            table = table.select(CATALOGUE_SCHEMA.names).cast(CATALOGUE_SCHEMA)
        except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InputError(f"columns do not match the catalogue schema ({exc})",
                             file=file) from exc
        columns = table.to_pydict()
        items = []
        for index in range(table.num_rows):
            row = {name: columns[name][index] for name in CATALOGUE_SCHEMA.names}
            for field in ("item_id", "title"):
                if not row[field]:
                    raise InputError("empty value", file=file, record=f"row {index}",
                                     field=field)
            row["external_ids"] = dict(row["external_ids"] or [])
            for list_field in _LIST_FIELDS:
                row[list_field] = row[list_field] or []
            row["popularity"] = row["popularity"] or 0.0
            items.append(Item.model_construct(**row))
        return cls(items, name=name)

    def save(self, path: str | Path) -> Path:
        """Write atomically as Parquet with the explicit schema."""
        return write_parquet(self.to_table(), path, CATALOGUE_SCHEMA)

    @classmethod
    def load(cls, path: str | Path) -> Catalogue:
        """Read a catalogue written by :meth:`save` (or any file with the schema's columns)."""
        table = read_parquet(path, CATALOGUE_SCHEMA)
        return cls.from_table(table, name=Path(path).stem, file=path)
