"""Reading samples for push/pull: which file, and row-level errors that name the record."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from datagen.errors import ConfigError, InputError
from datagen.records.sample import SAMPLE_SCHEMA, Sample

__all__ = ["load_samples", "resolve_input"]


def resolve_input(run_dir: Path, input_path: Path | None, split: str | None) -> Path:
    """``--input`` wins, then ``--split`` (``<run_dir>/splits/<split>.parquet``), else samples."""
    if input_path is not None and split is not None:
        raise ConfigError("give --input or --split, not both")
    if input_path is not None:
        return input_path
    if split is not None:
        return run_dir / "splits" / f"{split}.parquet"
    return run_dir / "samples.parquet"


def load_samples(path: Path) -> list[Sample]:
    """Samples from a SAMPLE_SCHEMA Parquet; a bad row raises InputError naming its id."""
    from datagen.parquet_io import read_parquet

    table = read_parquet(path, SAMPLE_SCHEMA)
    out = []
    for i, row in enumerate(table.to_pylist()):
        try:
            out.append(Sample.model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err.get("loc", ())) or None
            raise InputError(err.get("msg", "invalid value"), file=path,
                             record=str(row.get("sample_id") or f"row {i}"),
                             field=field) from exc
    return out
