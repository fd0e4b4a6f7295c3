"""Shared row-level helpers for the catalogue loaders: CSV rows with line numbers, years, ids.

Every helper raises a one-line :class:`InputError` naming the file, the line and the column,
so each loader reports bad input the same way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from datagen.errors import InputError

__all__ = ["imdb_id", "parse_year", "read_csv_rows", "require_file"]

_IMDB_RE = re.compile(r"^(?:tt)?(\d{1,10})$")
MIN_YEAR, MAX_YEAR = 1870, 2100


def require_file(path: str | Path) -> Path:
    """The path, or an InputError when it is not an existing file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    return path


def read_csv_rows(path: str | Path, required: tuple[str, ...], *,
                  delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for a headered CSV; check the required columns first."""
    path = require_file(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        header = reader.fieldnames or []
        for column in required:
            if column not in header:
                raise InputError(f"required column is missing (header: {', '.join(header)})",
                                 file=path, record=1, field=column)
        try:
            for row in reader:
                if None in row or any(row.get(col) is None for col in required):
                    raise InputError("wrong number of columns", file=path,
                                     record=reader.line_num)
                yield reader.line_num, row
        except csv.Error as exc:
            raise InputError(f"malformed CSV ({exc})", file=path, record=reader.line_num) from exc
        except UnicodeDecodeError as exc:
            raise InputError("not UTF-8 text", file=path, record=reader.line_num) from exc


def parse_year(value: str | None, *, file: Path, line: int, field: str) -> int | None:
    """An int year in [1870, 2100], None for an empty value; anything else is an error."""
    text = (value or "").strip()
    if not text or text == "\\N":
        return None
    if not text.isdigit() or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise InputError(f"bad year {text!r}", file=file, record=line, field=field)
    return int(text)


def imdb_id(value: str | None, *, file: Path, line: int, field: str) -> str | None:
    """'tt0114709' from '114709', '0114709' or 'tt0114709'; None for an empty value."""
    text = (value or "").strip()
    if not text or text == "\\N":
        return None
    match = _IMDB_RE.match(text)
    if not match:
        raise InputError(f"bad IMDb id {text!r}", file=file, record=line, field=field)
    return f"tt{int(match.group(1)):07d}"


