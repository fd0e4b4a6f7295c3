"""What the ground truth rests on: ground-truth slots counted by the evidence behind them.

A *slot* is one (sample, ground-truth film, trait of the sample's user): the sample is only
safe if that film's tag for that trait is right. Each slot is classed by the strongest kind of
evidence behind the film's tag, in this order: ``human`` (a ``human:argilla`` verdict),
``ddd_pg`` (DoesTheDogDie votes or a Parents Guide record), ``llm``, ``curated``, ``rule``
(genre / MPAA rules and user tags), ``none`` (no evidence: the tag is unknown). The card and
``stats.json`` print these counts, and how many slots have *any* evidence of each kind.

:func:`tag_index_for` finds the tags a stage should use, with the same precedence as
synthesis: an explicit file, ``artifacts/item_tags.parquet``, or the embedded defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from datagen.errors import InputError
from datagen.tags.priority import source_kind

__all__ = ["KIND_ORDER", "ground_truth_provenance", "tag_index_for"]

#: the kinds of evidence, strongest first (what a slot "rests on")
KIND_ORDER = ("human", "ddd_pg", "llm", "curated", "rule", "none")
_KIND_OF = {"human": "human", "ddd": "ddd_pg", "pg": "ddd_pg", "llm": "llm",
            "curated": "curated", "rule": "rule", "user_tag": "rule"}
DEFAULT_TAGS = Path("artifacts/item_tags.parquet")


def tag_index_for(path: Path | None, catalogue: Any, taxonomy: Any) -> tuple[Any, str]:
    """``(TagIndex, label)``: ``path``, else the default tags file, else the defaults."""
    from datagen.tags.defaults import default_tag_index
    from datagen.tags.index import TagIndex

    if path is not None:
        if not path.is_file():
            raise InputError("tag file not found (run `datagen tags build` first)", file=path)
        return TagIndex.load(path), str(path)
    if DEFAULT_TAGS.is_file():
        return TagIndex.load(DEFAULT_TAGS), str(DEFAULT_TAGS)
    return default_tag_index(catalogue, taxonomy)


def _slots(tables: Iterable[pa.Table]) -> pl.DataFrame:
    frames = []
    for table in tables:
        df = pl.from_arrow(table.select(["traits", "ground_truth"]))
        assert isinstance(df, pl.DataFrame)
        frames.append(df.explode("traits").drop_nulls("traits").explode("ground_truth")
                      .drop_nulls("ground_truth")
                      .select(pl.col("ground_truth").struct.field("item_id").alias("item_id"),
                              pl.col("traits").alias("trait_id")))
    schema = {"item_id": pl.String, "trait_id": pl.String}
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def ground_truth_provenance(samples: pa.Table | Iterable[pa.Table], tags: Any) -> dict[str, Any]:
    """Slot counts by the evidence they rest on (``tags``: a TagIndex or item-tags table)."""
    tables = [samples] if isinstance(samples, pa.Table) else list(samples)
    slots = _slots(tables)
    table = tags.table if hasattr(tags, "table") else tags
    tag_df = pl.from_arrow(table.select(["item_id", "trait_id", "status", "sources"]))
    assert isinstance(tag_df, pl.DataFrame)
    kinds = {s: _KIND_OF.get(source_kind(s), "rule") for s in
             tag_df["sources"].explode().drop_nulls().unique().to_list()}
    joined = slots.join(tag_df, on=["item_id", "trait_id"], how="left").with_columns(
        pl.col("status").fill_null("unknown"),
        pl.col("sources").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        .list.eval(pl.element().replace_strict(kinds, default="rule")).alias("kinds"))
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    rests = joined["kinds"].map_elements(
        lambda ks: min(ks, key=rank.__getitem__) if len(ks) else "none",
        return_dtype=pl.String)
    rests_on = {k: int((rests == k).sum()) for k in KIND_ORDER}
    any_of = {k: int(joined["kinds"].list.contains(k).sum()) for k in KIND_ORDER[:-1]}
    status = {s: int((joined["status"] == s).sum()) for s in ("no", "unknown", "yes")}
    return {"slots": joined.height, "rests_on": rests_on, "with_evidence_from": any_of,
            "status": status}
