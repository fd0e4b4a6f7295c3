"""The benchmark side of an evaluation: a split's samples reduced to what scoring needs.

Only a few columns of :data:`~datagen.records.sample.SAMPLE_SCHEMA` matter for scoring (ids,
taxonomy version, traits, liked items, ground truth, and the context variant with its pair id
for per-variant tables), so a split is read column-wise with pyarrow instead of validating
100,000 full :class:`~datagen.records.sample.Sample` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from datagen.errors import InputError

__all__ = ["SPLITS", "BenchmarkSplit", "existing_split_path", "load_split", "load_user_texts",
           "split_from_table", "split_path"]

SPLITS = ("train", "validation", "test")
_COLUMNS = ("sample_id", "taxonomy_version", "traits", "liked_items", "ground_truth")
#: read when present (splits written before context variants have neither)
_OPTIONAL = ("variant", "pair_id")


@dataclass
class BenchmarkSplit:
    """Ids, traits, liked and ground-truth item ids of one split, in file order."""

    split: str
    sample_ids: list[str]
    traits: list[list[str]]
    liked: list[list[str]]
    ground_truth: list[list[str]]
    taxonomy_version: str | None
    path: Path | None = None
    #: context variant of each sample ("implicit" / "explicit" / "absent" ...), "" if unknown
    variants: list[str] = field(default_factory=list)
    #: pair id of each sample (variants of one user share it), None for unpaired samples
    pair_ids: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sample_ids)

    @property
    def trait_ids(self) -> list[str]:
        """The traits that occur in the split, sorted."""
        return sorted({t for ts in self.traits for t in ts})


def split_path(run_dir: str | Path, split: str) -> Path:
    """``<run_dir>/splits/<split>.parquet``: where ``datagen split`` writes a split."""
    return Path(run_dir) / "splits" / f"{split}.parquet"


def _ids(refs: list[dict] | None) -> list[str]:
    return [r["item_id"] for r in refs or [] if r and r.get("item_id")]


def split_from_table(table: pa.Table, split: str, path: Path | None = None) -> BenchmarkSplit:
    """Reduce a SAMPLE_SCHEMA table (at least the scoring columns) to a :class:`BenchmarkSplit`."""
    for name in _COLUMNS:
        if name not in table.column_names:
            raise InputError("required column is missing", file=path, field=name)
    if table.num_rows == 0:
        raise InputError(f"split {split!r} has no samples", file=path)
    ids = table.column("sample_id").to_pylist()
    seen: set[str] = set()
    for i, sid in enumerate(ids):
        if not sid:
            raise InputError("empty sample id", file=path, record=f"row {i}", field="sample_id")
        if sid in seen:
            raise InputError(f"duplicate sample id {sid!r}", file=path, record=f"row {i}",
                             field="sample_id")
        seen.add(sid)
    n = table.num_rows
    variants = (table.column("variant").to_pylist() if "variant" in table.column_names
                else [None] * n)
    pair_ids = (table.column("pair_id").to_pylist() if "pair_id" in table.column_names
                else [None] * n)
    versions = {v for v in table.column("taxonomy_version").to_pylist() if v}
    if len(versions) > 1:
        raise InputError(f"split mixes taxonomy versions {sorted(versions)}", file=path,
                         field="taxonomy_version")
    return BenchmarkSplit(
        split=split,
        sample_ids=ids,
        traits=[list(t or []) for t in table.column("traits").to_pylist()],
        liked=[_ids(r) for r in table.column("liked_items").to_pylist()],
        ground_truth=[_ids(r) for r in table.column("ground_truth").to_pylist()],
        taxonomy_version=next(iter(versions), None),
        path=path,
        variants=[v or "" for v in variants],
        pair_ids=[p or None for p in pair_ids],
    )


def existing_split_path(run_dir: str | Path, split: str) -> Path:
    """:func:`split_path` of a known split name whose file exists (else InputError)."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}",
                         field="split")
    path = split_path(run_dir, split)
    if not path.is_file():
        raise InputError("split file not found; run `datagen split` first", file=path)
    return path


def load_split(run_dir: str | Path, split: str) -> BenchmarkSplit:
    """Read ``<run_dir>/splits/<split>.parquet`` (written by ``datagen split``)."""
    import pyarrow.parquet as pq

    path = existing_split_path(run_dir, split)
    try:
        present = set(pq.read_schema(path).names)
        columns = [*_COLUMNS, *(c for c in _OPTIONAL if c in present)]
        table = pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, OSError, KeyError) as exc:
        raise InputError(f"not a readable split file ({exc})", file=path) from exc
    return split_from_table(table, split, path)


def load_user_texts(split: BenchmarkSplit) -> list[str]:
    """The user's own turns of each sample, joined, in the split's order: what a recommender
    that reads the dialogue (``graph_stated``) sees. Read only on demand: scoring never needs
    the ``messages`` column."""
    import pyarrow.parquet as pq

    from datagen.records.sample import Turn, user_text

    if split.path is None:
        raise InputError(f"split {split.split!r} was not read from a file: no dialogues")
    try:
        table = pq.read_table(split.path, columns=["sample_id", "messages"])
    except (pa.ArrowInvalid, OSError, KeyError) as exc:
        raise InputError(f"no readable dialogues ({exc})", file=split.path,
                         field="messages") from exc
    texts = {sid: user_text([Turn.model_validate(t) for t in turns or [] if t])
             for sid, turns in zip(table.column("sample_id").to_pylist(),
                                   table.column("messages").to_pylist(), strict=True)}
    return [texts.get(sid, "") for sid in split.sample_ids]
