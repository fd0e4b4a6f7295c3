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

__all__ = ["atomic_write_bytes", "new_temp_file", "read_parquet", "write_parquet"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_temp_file(folder: Path, name: str) -> str:
    """A temporary file beside its final ``name`` in ``folder``, to be renamed into place.

    ``mkstemp`` creates files readable only by their owner; the mode is widened to what
    ``open()`` would give under the current umask, so a published file is readable as usual.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return tmp


def write_parquet(table: pa.Table, path: str | Path, schema: pa.Schema) -> Path:
    """Cast ``table`` to ``schema`` and write it atomically (tmp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.select(schema.names).cast(schema)
    tmp = new_temp_file(path.parent, path.name)
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
    tmp = new_temp_file(path.parent, path.name)
    try:
        with open(tmp, "wb") as fh:
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
    try:  # one file: ParquetFile skips read_table's dataset layer (0.3 s of imports)
        table = pq.read_table(path) if path.is_dir() else pq.ParquetFile(path).read()
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
