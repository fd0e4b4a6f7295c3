"""Write a Hugging Face dataset repository folder (no network; the upload is separate).

Layout: ``README.md`` (card) and ``data/<config>/<split>-00000-of-00001.parquet`` for every
format and split, each written atomically with the format's explicit schema. Folders of the
configs being written are emptied first so no stale shard is picked up by a glob.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from datagen.parquet_io import atomic_write_bytes, write_parquet
from datagen.taxonomy.models import Taxonomy
from exports.build import FORMAT_SCHEMAS, ExportResult
from exports.hf_card import provenance, render_card

__all__ = ["shard_path", "write_dataset_folder"]


def shard_path(out_dir: str | Path, config: str, split: str) -> Path:
    return Path(out_dir) / "data" / config / f"{split}-00000-of-00001.parquet"


def write_dataset_folder(
    out_dir: str | Path,
    result: ExportResult,
    splits: Mapping[str, pa.Table],
    *,
    taxonomy: Taxonomy | None = None,
    pretty_name: str = "SafeRec",
    license_id: str = "cc-by-4.0",
) -> dict[str, Path]:
    """Write shards and README.md; returns {"readme": path, "<config>/<split>": path, ...}.

    ``splits`` are the sample tables the exports came from (for the card's provenance).
    """
    out = Path(out_dir)
    written: dict[str, Path] = {}
    for config, by_split in result.tables.items():
        folder = out / "data" / config
        if folder.exists():
            shutil.rmtree(folder)
        for split, table in by_split.items():
            written[f"{config}/{split}"] = write_parquet(
                table, shard_path(out, config, split), FORMAT_SCHEMAS[config]
            )
    card = render_card(result.counts(), provenance(splits, taxonomy),
                       pretty_name=pretty_name, license_id=license_id)
    written["readme"] = atomic_write_bytes(card.encode(), out / "README.md")
    return written
