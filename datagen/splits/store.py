"""Where splits live in a run folder, and writing them (leak report first, atomically).

Layout: ``<run>/splits/{train,validation,test}.parquet`` (``SAMPLE_SCHEMA``),
``<run>/splits/split_report.json`` and ``<run>/splits/leak_report.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from datagen.parquet_io import atomic_write_bytes, read_parquet, write_parquet
from datagen.records.sample import SAMPLE_SCHEMA
from datagen.splits.leaks import SplitLeakError
from datagen.splits.split import SPLIT_NAMES, SplitResult

__all__ = ["read_split", "split_paths", "write_split_result"]


def split_paths(run_dir: str | Path) -> dict[str, Path]:
    """``{"train": <run>/splits/train.parquet, ...}``."""
    base = Path(run_dir) / "splits"
    return {name: base / f"{name}.parquet" for name in SPLIT_NAMES}


def read_split(run_dir: str | Path, name: str) -> pa.Table:
    """One split as an Arrow table with ``SAMPLE_SCHEMA`` (InputError when absent)."""
    return read_parquet(split_paths(run_dir)[name], SAMPLE_SCHEMA)


def _dump(obj: object, path: Path) -> None:
    atomic_write_bytes((json.dumps(obj, indent=2, sort_keys=True) + "\n").encode(), path)


def write_split_result(result: SplitResult, run_dir: str | Path) -> dict[str, Path]:
    """Write the leak report; refuse (SplitLeakError) if it shows leaks; else write splits.

    Old split files are removed before a refusal so that stale splits never sit beside a
    failing leak report.
    """
    paths = split_paths(run_dir)
    base = next(iter(paths.values())).parent
    leak_path = base / "leak_report.json"
    _dump(result.leaks.model_dump(mode="json"), leak_path)
    if not result.leaks.ok:
        for p in [*paths.values(), base / "split_report.json"]:
            p.unlink(missing_ok=True)
        raise SplitLeakError(
            f"splits leak ({'; '.join(result.leaks.problems())}); see {leak_path}"
        )
    for name, path in paths.items():
        write_parquet(result.tables[name], path, SAMPLE_SCHEMA)
    _dump(result.report, base / "split_report.json")
    return {**paths, "leak_report": leak_path, "split_report": base / "split_report.json"}
