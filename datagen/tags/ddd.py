"""DoesTheDogDie per-film votes -> evidence rows (source ``ddd``).

Input (CSV or JSONL), one row per (film, topic)::

    imdb_id,topic_id,yes_votes,no_votes
    tt0468569,153,2,31

The loader keeps the raw votes; whether a topic is a *clear yes*, a *clear no* or *contested*
is decided at fusion time by :class:`~datagen.tags.models.FusionPolicy` (``ddd_clear_yes``,
``ddd_min_votes``), so changing the policy never needs a reload. Rows with zero votes carry no
information and are skipped (counted as ``no_votes``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from datagen.errors import InputError
from datagen.tags.evidence import EvidenceBatch, evidence_frame
from datagen.tags.ids import CatalogueLike, attach_item_ids
from datagen.tags.records import LINE, int_column, normalize_imdb, read_records, require_present

__all__ = ["DDD_COLUMNS", "load_ddd_votes"]

DDD_COLUMNS = ("imdb_id", "topic_id", "yes_votes", "no_votes")


def load_ddd_votes(path: str | Path, catalogue: CatalogueLike | None = None) -> EvidenceBatch:
    """Read DoesTheDogDie votes; map IMDb ids to catalogue items (misses are counted)."""
    df = read_records(path, DDD_COLUMNS)
    for name in DDD_COLUMNS:
        require_present(df, name, path)
    df = df.with_columns(
        normalize_imdb(df, path),
        int_column(df, "topic_id", path, minimum=1),
        int_column(df, "yes_votes", path),
        int_column(df, "no_votes", path),
    )
    _check_duplicates(df, path)
    rows_read = df.height
    empty = df.filter(pl.col("yes_votes") + pl.col("no_votes") == 0).height
    df = df.filter(pl.col("yes_votes") + pl.col("no_votes") > 0)
    df, unmatched = attach_item_ids(df, catalogue)
    total = pl.col("yes_votes") + pl.col("no_votes")
    share_yes = pl.col("yes_votes") / total
    frame = df.select(
        "item_id",
        pl.lit("ddd").alias("source"),
        pl.col("topic_id"),
        pl.lit(None, dtype=pl.String).alias("pg_category"),
        pl.lit(None, dtype=pl.String).alias("trait_id"),
        pl.when(share_yes >= 0.5).then(pl.lit("present")).otherwise(pl.lit("absent"))
        .alias("polarity"),
        pl.max_horizontal(share_yes, 1 - share_yes).alias("confidence"),
        pl.lit(None, dtype=pl.Int8).alias("severity"),
        "yes_votes",
        "no_votes",
        pl.format("{} yes / {} no", "yes_votes", "no_votes").alias("detail"),
    )
    return EvidenceBatch(
        source="ddd",
        frame=evidence_frame(frame),
        rows_read=rows_read,
        file=str(path),
        unmatched=unmatched,
        skipped={"no_votes": empty} if empty else {},
    )


def _check_duplicates(df: pl.DataFrame, path: str | Path) -> None:
    dup = df.sort(LINE).filter(~pl.struct("imdb_id", "topic_id").is_first_distinct())
    if dup.height:
        first = dup.row(0, named=True)
        raise InputError(
            f"duplicate row for {first['imdb_id']} topic {first['topic_id']}",
            file=path, record=first[LINE], field="topic_id",
        )
