"""IMDb Parents Guide severities -> evidence rows (source ``parents_guide``).

Input (CSV or JSONL), one row per (film, category), either with a severity::

    imdb_id,category,severity
    tt0468569,Violence & Gore,moderate

or with the votes IMDb users cast for each severity (majority wins; a tie goes to the
higher severity, the cautious reading)::

    imdb_id,category,none_votes,mild_votes,moderate_votes,severe_votes
    tt0468569,violence_gore,3,10,40,40

``category`` accepts the display names ("Sex & Nudity", "Violence & Gore", "Profanity",
"Alcohol, Drugs & Smoking", "Frightening & Intense Scenes") and the keys of
``PG_CATEGORIES``; ``severity`` accepts none / mild / moderate / severe or 0-3. A row may
leave ``severity`` empty and give votes instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from datagen.errors import InputError
from datagen.tags.evidence import EvidenceBatch, evidence_frame
from datagen.tags.ids import CatalogueLike, attach_item_ids
from datagen.tags.records import LINE, int_column, normalize_imdb, read_records, require_present
from datagen.taxonomy.models import PG_CATEGORIES, SEVERITY_LEVELS

__all__ = ["PG_DISPLAY_NAMES", "VOTE_COLUMNS", "category_key", "load_parents_guide"]

#: category key -> IMDb's display name
PG_DISPLAY_NAMES: dict[str, str] = dict(zip(PG_CATEGORIES, (
    "Sex & Nudity",
    "Violence & Gore",
    "Profanity",
    "Alcohol, Drugs & Smoking",
    "Frightening & Intense Scenes",
), strict=True))
VOTE_COLUMNS = tuple(f"{level}_votes" for level in SEVERITY_LEVELS)


def _slug(text: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", text.lower().replace("&", " ")))


_CATEGORY_KEYS: dict[str, str] = {
    **{_slug(key): key for key in PG_CATEGORIES},
    **{_slug(name): key for key, name in PG_DISPLAY_NAMES.items()},
    "frightening_intense_scenes": "frightening_intense",
}


def category_key(text: str) -> str | None:
    """The ``PG_CATEGORIES`` key of a display name or key ("Violence & Gore" -> violence_gore)."""
    return _CATEGORY_KEYS.get(_slug(text))


def load_parents_guide(path: str | Path, catalogue: CatalogueLike | None = None) -> EvidenceBatch:
    """Read Parents Guide severities; map IMDb ids to catalogue items (misses are counted)."""
    df = read_records(path, ("imdb_id", "category"), ("severity", *VOTE_COLUMNS))
    require_present(df, "imdb_id", path)
    require_present(df, "category", path)
    df = df.with_columns(
        normalize_imdb(df, path),
        _category(df, path),
        *(int_column(df, c, path) for c in VOTE_COLUMNS),
    )
    df = df.with_columns(_severity(df, path))
    dup = df.sort(LINE).filter(~pl.struct("imdb_id", "category").is_first_distinct())
    if dup.height:
        row = dup.row(0, named=True)
        raise InputError(f"duplicate row for {row['imdb_id']} {row['category']}",
                         file=path, record=row[LINE], field="category")
    rows_read = df.height
    no_votes = df.filter(pl.col("sev").is_null()).height
    df, unmatched = attach_item_ids(df.filter(pl.col("sev").is_not_null()), catalogue)
    frame = df.select(
        "item_id",
        pl.lit("parents_guide").alias("source"),
        pl.lit(None, dtype=pl.Int32).alias("topic_id"),
        pl.col("category").alias("pg_category"),
        pl.lit(None, dtype=pl.String).alias("trait_id"),
        pl.when(pl.col("sev") > 0).then(pl.lit("present")).otherwise(pl.lit("absent"))
        .alias("polarity"),
        (pl.col("sev") / 3).alias("confidence"),
        pl.col("sev").alias("severity"),
        pl.lit(None, dtype=pl.Int32).alias("yes_votes"),
        pl.lit(None, dtype=pl.Int32).alias("no_votes"),
        _detail(),
    )
    return EvidenceBatch(
        source="parents_guide",
        frame=evidence_frame(frame),
        rows_read=rows_read,
        file=str(path),
        unmatched=unmatched,
        skipped={"no_votes": no_votes} if no_votes else {},
    )


def _category(df: pl.DataFrame, path: str | Path) -> pl.Expr:
    keys = df["category"].map_elements(category_key, return_dtype=pl.String)
    bad = df.filter(keys.is_null())
    if bad.height:
        raise InputError(
            f"unknown category {bad['category'][0]!r} (use one of: "
            f"{', '.join(PG_DISPLAY_NAMES.values())})",
            file=path, record=bad[LINE][0], field="category",
        )
    return pl.lit(keys).alias("category")


def _severity(df: pl.DataFrame, path: str | Path) -> pl.Expr:
    """Severity 0..3 from the ``severity`` text, else from the votes (null: no votes at all)."""
    names = {name: i for i, name in enumerate(SEVERITY_LEVELS)} | {
        str(i): i for i in range(len(SEVERITY_LEVELS))
    }
    text = pl.col("severity").str.to_lowercase()
    bad = df.filter(pl.col("severity").is_not_null() & ~text.is_in(list(names)))
    if bad.height:
        raise InputError(f"{bad['severity'][0]!r} is not one of none/mild/moderate/severe",
                         file=path, record=bad[LINE][0], field="severity")
    no_info = df.filter(
        pl.col("severity").is_null() & pl.any_horizontal(pl.col(VOTE_COLUMNS).is_null())
    )
    if no_info.height:
        raise InputError("give a severity or all four *_votes columns", file=path,
                         record=no_info[LINE][0], field="severity")
    from_text = text.replace_strict(names, default=None, return_dtype=pl.Int8)
    return pl.coalesce(from_text, _vote_winner()).alias("sev")


def _vote_winner() -> pl.Expr:
    """Index of the most-voted severity; ties go to the higher one; all-zero votes -> null."""
    top = pl.max_horizontal(pl.col(VOTE_COLUMNS))
    winner = pl.lit(None, dtype=pl.Int8)
    for i, col in enumerate(VOTE_COLUMNS):  # later (higher) severities overwrite on ties
        winner = pl.when(pl.col(col) == top).then(pl.lit(i, dtype=pl.Int8)).otherwise(winner)
    return pl.when(top > 0).then(winner).otherwise(pl.lit(None, dtype=pl.Int8))


def _detail() -> pl.Expr:
    level = pl.col("sev").replace_strict(
        dict(enumerate(SEVERITY_LEVELS)), return_dtype=pl.String
    )
    display = pl.col("category").replace_strict(PG_DISPLAY_NAMES, return_dtype=pl.String)
    votes = pl.format("{}/{}/{}/{}", *VOTE_COLUMNS)
    return (
        pl.when(pl.col("severity").is_not_null())
        .then(pl.format("{}: {}", display, level))
        .otherwise(pl.format("{}: {} (votes none/mild/moderate/severe {})", display, level,
                             votes))
        .alias("detail")
    )
