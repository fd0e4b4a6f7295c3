"""Prediction files: what a model recommended for each benchmark sample.

A predictions file is JSONL (``.jsonl``/``.ndjson``/``.json``) or Parquet with one record per
sample::

    {"sample_id": "s-001", "text": "1. **Heat (1995)** - a tense...", "split": "test"}
    {"sample_id": "s-002", "titles": ["Heat (1995)", "Up (2009)"]}

``text`` is the raw model output (titles are pulled out of it with the project's one parser,
:func:`datagen.catalogue.parse.extract_titles`); ``titles`` is an already parsed, ranked list.
``split`` and ``taxonomy_version`` are optional; when present they must match the split being
evaluated, so a file made for another split or taxonomy cannot be scored by mistake.
Records written by ``datagen predict`` also carry their provenance and, for interactive runs,
the acquisition trace (:mod:`datagen.evaluate.prediction_meta`).
Every problem is an :class:`~datagen.errors.InputError` naming the file, line and field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from datagen.errors import InputError
from datagen.evaluate.prediction_meta import META_FIELDS, PredictionMeta
from datagen.jsonl import iter_jsonl_objects
from datagen.parquet_io import atomic_write_bytes

__all__ = [
    "PredictionRecord",
    "PredictionSet",
    "check_predictions",
    "load_predictions",
    "write_predictions",
]

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_KNOWN_FIELDS = {"sample_id", "text", "titles", "split", "taxonomy_version", *META_FIELDS}
_SHOW_IDS = 5


@dataclass(frozen=True)
class PredictionRecord:
    """One model answer: raw ``text`` or parsed ``titles`` (exactly one is set)."""

    sample_id: str
    text: str | None = None
    titles: tuple[str, ...] | None = None
    split: str | None = None
    taxonomy_version: str | None = None
    #: how the answer was made (``datagen predict``); None for hand-written records
    meta: PredictionMeta | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"sample_id": self.sample_id}
        if self.text is not None:
            out["text"] = self.text
        if self.titles is not None:
            out["titles"] = list(self.titles)
        if self.split is not None:
            out["split"] = self.split
        if self.taxonomy_version is not None:
            out["taxonomy_version"] = self.taxonomy_version
        if self.meta is not None:
            out.update(self.meta.model_dump(mode="json", exclude_none=True))
        return out


@dataclass
class PredictionSet:
    """All records of one file, keyed by sample id, plus the file's declared split/taxonomy."""

    name: str
    path: Path
    records: dict[str, PredictionRecord] = field(default_factory=dict)
    splits: set[str] = field(default_factory=set)
    taxonomy_versions: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.records)


def _opt_str(row: dict, key: str, path: Path, where: int | str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("must be a string", file=path, record=where, field=key)
    return value


def _record(row: object, path: Path, where: int | str) -> PredictionRecord:
    if not isinstance(row, dict):
        raise InputError("a record must be a JSON object", file=path, record=where)
    extra = sorted(set(row) - _KNOWN_FIELDS)
    if extra:
        raise InputError(
            f"unknown field(s) {', '.join(extra)}; expected sample_id, text or titles, "
            "optional split, taxonomy_version and the provenance fields of `datagen predict`",
            file=path, record=where, field=extra[0],
        )
    sample_id = row.get("sample_id")
    if not isinstance(sample_id, str) or not sample_id.strip():
        raise InputError("missing or empty sample id", file=path, record=where, field="sample_id")
    text, titles = row.get("text"), row.get("titles")
    if (text is None) == (titles is None):
        raise InputError(
            "give exactly one of 'text' (raw model output) or 'titles' (list of strings)",
            file=path, record=where, field="text",
        )
    if text is not None and not isinstance(text, str):
        raise InputError("must be a string", file=path, record=where, field="text")
    if titles is not None:
        if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
            raise InputError("must be a list of strings", file=path, record=where,
                             field="titles")
        titles = tuple(t for t in titles if t.strip())  # blank entries are not titles
    return PredictionRecord(
        sample_id=sample_id,
        text=text,
        titles=titles,
        split=_opt_str(row, "split", path, where),
        taxonomy_version=_opt_str(row, "taxonomy_version", path, where),
        meta=_meta(row, path, where),
    )


def _meta(row: dict, path: Path, where: int | str) -> PredictionMeta | None:
    fields = {k: v for k, v in row.items() if k in META_FIELDS}
    if not fields:
        return None
    try:
        return PredictionMeta.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise InputError(err["msg"], file=path, record=where, field=field) from None


def _parquet_rows(path: Path) -> Iterable[tuple[str, object]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", file=path) from exc
    for i, row in enumerate(table.to_pylist()):
        clean = {k: v for k, v in row.items() if v is not None}
        yield f"row {i}", clean


def load_predictions(path: str | Path, name: str | None = None) -> PredictionSet:
    """Read and validate one predictions file (JSONL or Parquet).

    ``name`` labels the model in reports; it defaults to the file name without suffix.
    Raises :class:`InputError` for a missing or empty file, a malformed record or a duplicate
    sample id.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("predictions file not found", file=path)
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        rows: Iterable[tuple[int | str, object]] = iter_jsonl_objects(path)
    elif suffix == ".parquet":
        rows = _parquet_rows(path)
    else:
        raise InputError("unknown predictions format; use .jsonl or .parquet", file=path)
    pset = PredictionSet(name=name or path.stem, path=path)
    for where, row in rows:
        rec = _record(row, path, where)
        if rec.sample_id in pset.records:
            raise InputError(
                f"duplicate sample id {rec.sample_id!r}", file=path, record=where,
                field="sample_id",
            )
        pset.records[rec.sample_id] = rec
        if rec.split is not None:
            pset.splits.add(rec.split)
        if rec.taxonomy_version is not None:
            pset.taxonomy_versions.add(rec.taxonomy_version)
    if not pset.records:
        raise InputError("no predictions in file (it is empty)", file=path)
    return pset


def check_predictions(
    pset: PredictionSet,
    sample_ids: Sequence[str] | set[str],
    *,
    split: str,
    taxonomy_version: str | None,
) -> None:
    """Refuse a file made for another split or taxonomy, or naming samples not in the split."""
    other = sorted(pset.splits - {split})
    if other:
        raise InputError(
            f"predictions were made for split {', '.join(other)!s}, not {split!r}",
            file=pset.path, field="split",
        )
    if taxonomy_version is not None:
        wrong = sorted(pset.taxonomy_versions - {taxonomy_version})
        if wrong:
            raise InputError(
                f"predictions use taxonomy version {', '.join(wrong)}, the split uses "
                f"{taxonomy_version}",
                file=pset.path, field="taxonomy_version",
            )
    known = sample_ids if isinstance(sample_ids, set) else set(sample_ids)
    unknown = [sid for sid in pset.records if sid not in known]
    if unknown:
        shown = ", ".join(repr(s) for s in unknown[:_SHOW_IDS])
        more = f" and {len(unknown) - _SHOW_IDS} more" if len(unknown) > _SHOW_IDS else ""
        raise InputError(
            f"{len(unknown)} sample id(s) are not in split {split!r}: {shown}{more}",
            file=pset.path, field="sample_id",
        )


def write_predictions(records: Iterable[PredictionRecord], path: str | Path) -> Path:
    """Write records as JSONL atomically (a crash never leaves a half file)."""
    lines = [json.dumps(r.to_json(), ensure_ascii=False) for r in records]
    data = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    return atomic_write_bytes(data, path)
