"""Write a Hugging Face dataset repository folder (no network; the upload is separate).

Layout: ``README.md`` (card) and ``data/<config>/<split>-00000-of-00001.parquet`` for every
format and split. Shards are streamed chunk by chunk (so a 100k-sample release stays within
a bounded memory) into a temporary file with the format's explicit schema and renamed into
place when complete, the same atomic guarantee as :func:`datagen.parquet_io.write_parquet`;
on failure the temporary files are removed. Folders of the configs being written are emptied
first so no stale shard is picked up by a glob.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from datagen.parquet_io import atomic_write_bytes, new_temp_file
from datagen.taxonomy.models import Taxonomy
from exports.build import ExportChunk, ExportResult, format_schema
from exports.hf_card import provenance, render_card

__all__ = ["shard_path", "write_dataset_folder"]


def shard_path(out_dir: str | Path, config: str, split: str) -> Path:
    return Path(out_dir) / "data" / config / f"{split}-00000-of-00001.parquet"


def _chunks(exports: ExportResult | Iterable[ExportChunk]) -> Iterable[ExportChunk]:
    if not isinstance(exports, ExportResult):
        return exports
    return (ExportChunk(fmt, split, table, exports.skipped.get(fmt, {}).get(split, 0), True)
            for fmt, by in exports.tables.items() for split, table in by.items())


class _ShardWriters:
    """One open temporary Parquet writer per (config, split) until its last chunk."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.open: dict[tuple[str, str], tuple[pq.ParquetWriter, str]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.cleared: set[str] = set()

    def write(self, c: ExportChunk) -> None:
        key, schema = (c.format, c.split), format_schema(c.format, c.table)
        if key not in self.open:
            folder = self.out / "data" / c.format
            if c.format not in self.cleared and folder.exists():
                shutil.rmtree(folder)
            self.cleared.add(c.format)
            folder.mkdir(parents=True, exist_ok=True)
            tmp = new_temp_file(folder, c.split)
            self.open[key] = (pq.ParquetWriter(tmp, schema, compression="zstd",
                                                compression_level=1), tmp)
        writer, tmp = self.open[key]
        writer.write_table(c.table.select(schema.names).cast(schema))
        by = self.counts.setdefault(c.format, {})
        by[c.split] = by.get(c.split, 0) + c.table.num_rows
        if c.last:
            writer.close()
            os.replace(tmp, shard_path(self.out, c.format, c.split))
            del self.open[key]

    def abort(self) -> None:
        for writer, tmp in self.open.values():
            writer.close()
            Path(tmp).unlink(missing_ok=True)


def write_dataset_folder(
    out_dir: str | Path,
    exports: ExportResult | Iterable[ExportChunk],
    splits: Mapping[str, pa.Table],
    *,
    taxonomy: Taxonomy | None = None,
    pretty_name: str = "SafeRec",
    license_id: str = "cc-by-4.0",
    tags: Any = None,
    run_stats: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, int]]:
    """Write shards and README.md; returns the rows per config and split.

    ``exports`` is an :class:`ExportResult` or the chunks of :func:`exports.iter_exports`;
    ``splits`` are the sample tables they came from (for the card's provenance); ``tags``
    (a TagIndex), when given, adds what the ground truth rests on; ``run_stats`` the run's
    ``stats.json`` (the card's validity section, when given).
    """
    out = Path(out_dir)
    writers = _ShardWriters(out)
    try:
        for chunk in _chunks(exports):
            writers.write(chunk)
    except BaseException:
        writers.abort()
        raise
    if writers.open:
        writers.abort()
        raise RuntimeError("export chunks ended without a last chunk for some split")
    card = render_card(writers.counts, provenance(splits, taxonomy, tags, run_stats),
                       pretty_name=pretty_name, license_id=license_id)
    atomic_write_bytes(card.encode(), out / "README.md")
    return writers.counts
