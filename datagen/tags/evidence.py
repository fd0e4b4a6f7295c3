"""Evidence tables: one Arrow schema for every source, and the file round trip.

All loaders (DoesTheDogDie votes, Parents Guide, user tags, attribute rules, LLM tagging)
produce rows of :data:`EVIDENCE_SCHEMA`, so fusion sees one table and any evidence can be
saved with :func:`write_evidence_file` and read back with :func:`load_evidence_file`
(Parquet, or JSON Lines with one :class:`~datagen.tags.models.Evidence` object per line).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from datagen.errors import InputError
from datagen.jsonl import iter_jsonl_objects, validate_line
from datagen.parquet_io import atomic_write_bytes, read_parquet, write_parquet
from datagen.tags.models import Evidence

__all__ = [
    "EVIDENCE_SCHEMA",
    "EvidenceBatch",
    "EvidenceLike",
    "concat_evidence",
    "evidence_frame",
    "evidence_rows",
    "load_evidence_file",
    "write_evidence_file",
]

EVIDENCE_SCHEMA = pa.schema([
    pa.field("item_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("topic_id", pa.int32()),
    pa.field("pg_category", pa.string()),
    pa.field("trait_id", pa.string()),
    pa.field("polarity", pa.string(), nullable=False),
    pa.field("confidence", pa.float64(), nullable=False),
    pa.field("severity", pa.int8()),
    pa.field("yes_votes", pa.int32()),
    pa.field("no_votes", pa.int32()),
    pa.field("detail", pa.string(), nullable=False),
    # true: absence evidence that supports a "no" but cannot decide it alone (weak rules
    # with decides_no: false); false: the row counts in full. Optional on input (-> false).
    pa.field("supports_only", pa.bool_()),
])
_POLARS_SCHEMA = pl.Schema({
    "item_id": pl.String, "source": pl.String, "topic_id": pl.Int32, "pg_category": pl.String,
    "trait_id": pl.String, "polarity": pl.String, "confidence": pl.Float64,
    "severity": pl.Int8, "yes_votes": pl.Int32, "no_votes": pl.Int32, "detail": pl.String,
    "supports_only": pl.Boolean,
})
#: columns an evidence input may lack (files written before they existed): filled with false
_OPTIONAL = ("supports_only",)


@dataclass(frozen=True)
class EvidenceBatch:
    """Evidence from one input, with what the loader could not use (never silently dropped).

    ``unmatched`` counts rows per external id (IMDb id) of films not in the catalogue;
    ``skipped`` counts rows per reason (e.g. ``no_votes``).
    """

    source: str
    frame: pl.DataFrame
    rows_read: int
    file: str | None = None
    unmatched: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def unmatched_rows(self) -> int:
        return sum(self.unmatched.values())


EvidenceLike: TypeAlias = EvidenceBatch | pl.DataFrame | pa.Table | Iterable[Evidence]


def empty_evidence() -> pl.DataFrame:
    return pl.DataFrame(schema=_POLARS_SCHEMA)


def evidence_frame(rows: EvidenceLike) -> pl.DataFrame:
    """Any evidence input as a polars frame with exactly the evidence columns and types."""
    if isinstance(rows, EvidenceBatch):
        df = rows.frame
    elif isinstance(rows, pl.DataFrame):
        df = rows
    elif isinstance(rows, pa.Table):
        df = pl.from_arrow(rows.select(EVIDENCE_SCHEMA.names))  # type: ignore[assignment]
    else:
        records = [r.model_dump() for r in rows]
        if not records:
            return empty_evidence()
        df = pl.DataFrame(records, schema=_POLARS_SCHEMA)
    missing = [c for c in _POLARS_SCHEMA.names() if c not in df.columns and c not in _OPTIONAL]
    if missing:
        raise InputError("evidence table lacks a column", field=missing[0])
    return df.select(
        (pl.col(c) if c in df.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in _POLARS_SCHEMA.items()
    ).with_columns(pl.col("supports_only").fill_null(False))


def concat_evidence(evidence: EvidenceLike | Sequence[EvidenceLike]) -> pl.DataFrame:
    """One frame from one input, a list of inputs, or a list of Evidence objects (or a mix)."""
    parts = (
        [evidence] if isinstance(evidence, EvidenceBatch | pl.DataFrame | pa.Table)
        else list(evidence)  # may be a generator: read it once
    )
    singles = [x for x in parts if isinstance(x, Evidence)]
    frames = [evidence_frame(x) for x in parts if not isinstance(x, Evidence)]  # type: ignore[arg-type]
    if singles:
        frames.append(evidence_frame(singles))
    return pl.concat(frames, how="vertical") if frames else empty_evidence()


def evidence_rows(rows: EvidenceLike) -> list[Evidence]:
    """Evidence as validated pydantic objects (for inspection and small tests)."""
    return [Evidence(**r) for r in evidence_frame(rows).iter_rows(named=True)]


def check_evidence(df: pl.DataFrame, file: str | Path | None = None) -> None:
    """Vectorized checks of what :class:`Evidence` requires; the first bad row is reported."""
    checks: list[tuple[str, pl.Expr, str]] = [
        ("item_id", pl.col("item_id").is_null() | (pl.col("item_id") == ""), "is empty"),
        ("source", pl.col("source").is_null() | (pl.col("source") == ""), "is empty"),
        ("polarity", ~pl.col("polarity").is_in(["present", "absent"]).fill_null(False),
         "must be 'present' or 'absent'"),
        ("confidence", ~pl.col("confidence").is_between(0.0, 1.0).fill_null(False),
         "must be a number in [0, 1]"),
        ("severity", ~pl.col("severity").is_between(0, 3).fill_null(True),
         "must be 0..3 when given"),
        ("trait_id", pl.all_horizontal(
            pl.col("topic_id").is_null(), pl.col("pg_category").is_null(),
            pl.col("trait_id").is_null()),
         "one of topic_id, pg_category or trait_id is required"),
    ]
    bad = df.with_row_index("_row").select(
        "_row", *[expr.alias(name) for name, expr, _ in checks]
    )
    for name, _, message in checks:
        rows = bad.filter(pl.col(name))["_row"]
        if len(rows):
            raise InputError(message, file=file, record=f"row {rows[0] + 1}", field=name)


def write_evidence_file(rows: EvidenceLike | Sequence[EvidenceLike], path: str | Path) -> Path:
    """Write evidence atomically: ``.parquet`` (EVIDENCE_SCHEMA) or ``.jsonl``.

    ``rows`` is one evidence input or a list of them (batches, frames, Evidence objects).
    """
    path = Path(path)
    df = concat_evidence(rows)
    check_evidence(df)
    if path.suffix == ".jsonl":
        lines = [json.dumps(_drop_nulls(r), ensure_ascii=False) for r in df.iter_rows(named=True)]
        return atomic_write_bytes(("\n".join(lines) + ("\n" if lines else "")).encode(), path)
    if path.suffix != ".parquet":
        raise InputError("evidence files end in .parquet or .jsonl", file=path)
    return write_parquet(df.to_arrow(), path, EVIDENCE_SCHEMA)


def load_evidence_file(path: str | Path) -> pl.DataFrame:
    """Read an evidence file written by :func:`write_evidence_file` (or by hand, as JSONL)."""
    path = Path(path)
    if path.suffix == ".parquet":
        df = evidence_frame(pl.from_arrow(_read_evidence_parquet(path)))  # type: ignore[arg-type]
        check_evidence(df, path)
        return df
    if path.suffix != ".jsonl":
        raise InputError("evidence files end in .parquet or .jsonl", file=path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    rows = [_parse_line(obj, path, line_no) for line_no, obj in iter_jsonl_objects(path)]
    return evidence_frame(rows)


def _read_evidence_parquet(path: Path) -> pa.Table:
    """Read with :data:`EVIDENCE_SCHEMA`, accepting files that lack the optional columns."""
    try:
        names = set(pq.read_schema(path).names)
    except (pa.ArrowInvalid, OSError):
        names = set()  # read_parquet reports the problem with the file
    fields = [f for f in EVIDENCE_SCHEMA if f.name in names or f.name not in _OPTIONAL]
    return read_parquet(path, pa.schema(fields))


def _parse_line(obj: dict[str, object], path: Path, line_no: int) -> Evidence:
    ev = validate_line(Evidence, obj, path, line_no)
    if ev.topic_id is None and ev.pg_category is None and ev.trait_id is None:
        raise InputError("one of topic_id, pg_category or trait_id is required",
                         file=path, record=line_no, field="trait_id")
    return ev


def _drop_nulls(row: dict[str, Any]) -> dict[str, Any]:
    """Leave out nulls, and ``supports_only`` unless it is true (the common case)."""
    return {k: v for k, v in row.items()
            if v is not None and not (k == "supports_only" and v is False)}
