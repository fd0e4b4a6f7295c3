"""Map external film ids (IMDb) in evidence files to catalogue item ids, counting misses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import polars as pl

from datagen.catalogue.models import Item

__all__ = ["CatalogueLike", "attach_item_ids"]


class CatalogueLike(Protocol):
    @property
    def items(self) -> Sequence[Item]: ...


def attach_item_ids(
    df: pl.DataFrame, catalogue: CatalogueLike | None, imdb_col: str = "imdb_id"
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Add ``item_id`` for each row; drop rows of films not in the catalogue and count them.

    Without a catalogue the IMDb id is the item id (the catalogue's own convention for films
    with an IMDb id); fusion later counts evidence for items it does not know.
    """
    if catalogue is None:
        return df.with_columns(pl.col(imdb_col).alias("item_id")), {}
    pairs = [(i.imdb_id, i.item_id) for i in catalogue.items if i.imdb_id]
    lookup = pl.DataFrame(
        {imdb_col: [p[0] for p in pairs], "item_id": [p[1] for p in pairs]},
        schema={imdb_col: pl.String, "item_id": pl.String},
    ).unique(imdb_col, keep="first", maintain_order=True)
    joined = df.join(lookup, on=imdb_col, how="left", maintain_order="left")
    missing = joined.filter(pl.col("item_id").is_null())
    counts = missing.group_by(imdb_col).len().sort(imdb_col)
    unmatched = dict(zip(counts[imdb_col].to_list(), counts["len"].to_list(), strict=True))
    return joined.filter(pl.col("item_id").is_not_null()), unmatched
