"""Read user-supplied CSV / JSON Lines evidence files into string columns with line numbers.

Every loader validates its own fields, but they share this reader so that a bad file always
fails the same way: one :class:`InputError` naming the file, the line and the field.
Values are read as text and typed by :func:`int_column`, which reports the first value that is
not an integer (with its line) instead of turning it into a null.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from datagen.errors import InputError
from datagen.jsonl import iter_jsonl_objects

__all__ = ["LINE", "int_column", "normalize_imdb", "read_records", "require_present"]

#: column holding the source line number of each record (header = line 1 for CSV)
LINE = "_line"


def read_records(
    path: str | Path, required: Sequence[str], optional: Sequence[str] = ()
) -> pl.DataFrame:
    """Read ``.csv`` / ``.tsv`` / ``.jsonl`` into text columns ``required + optional + _line``.

    Missing required columns are an error; missing optional columns are filled with nulls;
    empty strings become nulls.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        df = _read_csv(path, "\t" if suffix == ".tsv" else ",")
    elif suffix in (".jsonl", ".ndjson"):
        df = _read_jsonl(path)
    else:
        raise InputError("expected a .csv, .tsv or .jsonl file", file=path)
    for name in required:
        if name not in df.columns:
            raise InputError("required column is missing", file=path, field=name)
    cols = [*required, *optional]
    df = df.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in optional if c not in df.columns
    )
    text = [
        pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c) for c in cols
    ]
    return df.select(*text, pl.col(LINE))


def _read_csv(path: Path, sep: str) -> pl.DataFrame:
    try:
        df = pl.read_csv(path, separator=sep, infer_schema=False, raise_if_empty=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        line = _first_bad_csv_line(path, sep)
        raise InputError(
            f"malformed CSV ({str(exc).splitlines()[0]})", file=path, record=line
        ) from exc
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})  # BOM from Excel
    return df.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def _first_bad_csv_line(path: Path, sep: str) -> int | None:
    """Find the first record whose field count differs from the header's (for the message)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, delimiter=sep)
            header = next(reader, [])
            for row in reader:
                if len(row) != len(header):
                    return reader.line_num
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def _read_jsonl(path: Path) -> pl.DataFrame:
    rows: list[dict[str, str | None]] = []
    for line_no, obj in iter_jsonl_objects(path):
        row = {str(k): (None if v is None else str(v)) for k, v in obj.items()}
        row[LINE] = line_no  # type: ignore[assignment]
        rows.append(row)
    if not rows:
        return pl.DataFrame({LINE: []}, schema={LINE: pl.Int64})
    keys = list(dict.fromkeys(k for r in rows for k in r))
    schema = {k: (pl.Int64 if k == LINE else pl.String) for k in keys}
    return pl.DataFrame(rows, schema=schema)


def int_column(df: pl.DataFrame, name: str, file: Path | str, *, minimum: int = 0) -> pl.Expr:
    """Check that ``name`` holds integers >= ``minimum`` (nulls allowed); return the cast."""
    cast = pl.col(name).cast(pl.Float64, strict=False)
    bad = df.filter(
        pl.col(name).is_not_null()
        & (cast.is_null() | (cast != cast.round(0)) | (cast < minimum))
    )
    if bad.height:
        value, line = bad.row(0, named=True)[name], bad.row(0, named=True)[LINE]
        raise InputError(f"{value!r} is not an integer >= {minimum}", file=file, record=line,
                         field=name)
    return cast.cast(pl.Int64).alias(name)


def require_present(df: pl.DataFrame, name: str, file: Path | str) -> None:
    """Fail on the first record where ``name`` is empty."""
    bad = df.filter(pl.col(name).is_null())
    if bad.height:
        raise InputError("value is empty", file=file, record=bad[LINE][0], field=name)


def normalize_imdb(df: pl.DataFrame, file: Path | str, name: str = "imdb_id") -> pl.Expr:
    """IMDb ids as ``tt`` + at least 7 digits; bare digits are accepted and padded."""
    col = pl.col(name).str.to_lowercase()
    digits = col.str.strip_prefix("tt")
    ok = digits.str.contains(r"^\d+$")
    bad = df.filter(pl.col(name).is_not_null() & ~ok)
    if bad.height:
        raise InputError(f"{bad[name][0]!r} is not an IMDb id (tt0468569)", file=file,
                         record=bad[LINE][0], field=name)
    return pl.concat_str(pl.lit("tt"), digits.str.zfill(7)).alias(name)
