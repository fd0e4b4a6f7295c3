"""Parquet IO with explicit schemas and atomic writes.

A write goes to a temporary file in the same folder and is renamed into place, so a crash
never leaves a partial file that looks complete. A read checks the columns it needs and names
the file and the missing field when they are absent.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from datagen.errors import InputError

__all__ = ["atomic_write_bytes", "read_parquet", "write_parquet"]


def write_parquet(table: pa.Table, path: str | Path, schema: pa.Schema) -> Path:
    """Cast ``table`` to ``schema`` and write it atomically (tmp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.select(schema.names).cast(schema)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(data: bytes, path: str | Path) -> Path:
    """Write bytes atomically (for JSON manifests, stats, graphs)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_parquet(path: str | Path, schema: pa.Schema | None = None) -> pa.Table:
    """Read a Parquet file; with ``schema``, require its columns and cast to it."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", file=path) from exc
    if schema is None:
        return table
    for name in schema.names:
        if name not in table.column_names:
            raise InputError("required column is missing", file=path, field=name)
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"columns do not match the expected schema ({exc})", file=path) from exc
