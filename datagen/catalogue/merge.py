"""Merge catalogues from several sources into one, by IMDb id where known.

Order matters and is the only tie-break: the first catalogue that has a film gives its title,
year and popularity; later ones add what is missing (IMDb id, MPAA rating, people), and their
genres, sources, external ids and differing titles (as aliases) are unioned in. A film without
an IMDb id joins one with the same normalized title (``title_key``, same rules as the resolver)
and the same year, from another source; without a year it stays a separate item rather than
guessing.
"""

from __future__ import annotations

from typing import Any

from datagen.catalogue.models import Item
from datagen.catalogue.store import Catalogue
from datagen.catalogue.titles import title_forms

__all__ = ["merge_catalogues"]

_PEOPLE = ("directors", "writers", "cast")


def _title_keys(title: str, year: int | None) -> list[tuple[str, int]]:
    if year is None:
        return []
    forms = title_forms(title)
    return [(forms.key, year), (forms.free_key, year)]


def _joinable(record: Item | dict[str, Any], item: Item) -> bool:
    """A title+year join needs one side without IMDb id, and never joins two films of one
    source (their external ids would collide, and the source says they differ)."""
    if item.imdb_id is not None and _field(record, "imdb_id") is not None:
        return False
    return not set(item.sources) & set(_field(record, "sources"))


def _absorb(base: dict[str, Any], new: Item) -> None:
    """Fold ``new`` into the merged record ``base`` (first source wins on scalars)."""
    for field in ("imdb_id", "year", "mpaa_rating"):
        if base[field] is None and getattr(new, field) is not None:
            base[field] = getattr(new, field)
    for field in _PEOPLE:
        if not base[field] and getattr(new, field):
            base[field] = list(getattr(new, field))
    if not base["popularity"] and new.popularity:
        base["popularity"] = new.popularity
    for field in ("genres", "sources"):
        base[field] += [v for v in getattr(new, field) if v not in base[field]]
    for key, value in new.external_ids.items():
        base["external_ids"].setdefault(key, value)
    known = {title_forms(t).key for t in (base["title"], *base["aliases"])}
    for title in (new.title, *new.aliases):
        key = title_forms(title).key
        if key not in known:
            known.add(key)
            base["aliases"].append(title)


def merge_catalogues(*catalogues: Catalogue, name: str = "merged") -> Catalogue:
    """One catalogue from several; item id = IMDb id when any source knows it.

    Items that nothing merges into are reused as they are (items are never mutated);
    only merged records are rebuilt and validated.
    """
    records: list[Item | dict[str, Any]] = []
    by_imdb: dict[str, int] = {}
    by_title: dict[tuple[str, int], int] = {}
    for catalogue in catalogues:
        for item in catalogue.items:
            target = _find(item, records, by_imdb, by_title)
            if target is None:
                target = len(records)
                records.append(item)
            else:
                record = records[target]
                if isinstance(record, Item):
                    record = records[target] = record.model_dump()
                _absorb(record, item)
            _register(records[target], target, by_imdb, by_title)
    return Catalogue((_freeze(record) for record in records), name=name)


def _field(record: Item | dict[str, Any], field: str) -> Any:
    return record[field] if isinstance(record, dict) else getattr(record, field)


def _find(item: Item, records: list[Item | dict[str, Any]], by_imdb: dict[str, int],
          by_title: dict[tuple[str, int], int]) -> int | None:
    if item.imdb_id and item.imdb_id in by_imdb:
        return by_imdb[item.imdb_id]
    for key in _title_keys(item.title, item.year):
        found = by_title.get(key)
        if found is not None and _joinable(records[found], item):
            return found
    return None


def _register(record: Item | dict[str, Any], index: int, by_imdb: dict[str, int],
              by_title: dict[tuple[str, int], int]) -> None:
    imdb = _field(record, "imdb_id")
    if imdb:
        by_imdb.setdefault(imdb, index)
    for key in _title_keys(_field(record, "title"), _field(record, "year")):
        by_title.setdefault(key, index)


def _freeze(record: Item | dict[str, Any]) -> Item:
    if isinstance(record, Item):
        return record
    if record["imdb_id"]:
        record["item_id"] = record["imdb_id"]
    return Item.model_validate(record)
