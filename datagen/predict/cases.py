"""The dialogues of a split as the recommender sees them, with the hidden profile kept apart.

A :class:`Case` is read from ``<run-dir>/splits/<split>.parquet`` (``SAMPLE_SCHEMA``): the
turns go to the recommender; traits, liked films and cues stay hidden and serve only the
simulated user of acquisition runs. Only the needed columns are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from datagen.errors import InputError
from datagen.evaluate.truth import existing_split_path
from datagen.evaluate.variants import canonical_variant
from datagen.records.sample import Cue, ItemRef, Turn

__all__ = ["Case", "CaseSet", "load_cases"]

_COLUMNS = ("sample_id", "pair_id", "variant", "taxonomy_version", "traits", "cues",
            "messages", "liked_items")


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sample_id: str
    pair_id: str | None = None
    variant: str = "implicit"
    messages: list[Turn] = Field(min_length=1)
    #: hidden from the recommender: the simulated user's profile
    traits: list[str] = Field(default_factory=list)
    cues: list[Cue] = Field(default_factory=list)
    liked: list[ItemRef] = Field(default_factory=list)


class CaseSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    split: str
    path: Path
    taxonomy_version: str | None
    cases: list[Case]


def _table(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        present = set(pq.read_schema(path).names)
        missing = [c for c in ("sample_id", "messages") if c not in present]
        if missing:
            raise InputError("required column is missing", file=path, field=missing[0])
        return pq.read_table(path, columns=[c for c in _COLUMNS if c in present])
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable split file ({exc})", file=path) from exc


def _case(row: dict, path: Path, index: int) -> Case:
    messages = row.get("messages") or []
    if not messages or messages[-1].get("role") != "user":
        raise InputError("the dialogue must end with a user turn (the recommender answers it)",
                         file=path, record=f"row {index}", field="messages")
    try:
        return Case(sample_id=row["sample_id"], pair_id=row.get("pair_id"),
                    variant=canonical_variant(row.get("variant")), messages=messages,
                    traits=row.get("traits") or [], cues=row.get("cues") or [],
                    liked=row.get("liked_items") or [])
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise InputError(err["msg"], file=path, record=f"row {index}", field=field) from None


def load_cases(run_dir: str | Path, split: str, *, variants: Sequence[str] | None = None,
               limit: int | None = None) -> CaseSet:
    """The split's cases in file order, optionally only some variants and the first ``limit``."""
    path = existing_split_path(run_dir, split)
    table = _table(path)
    versions = {v for v in table.column("taxonomy_version").to_pylist() if v} \
        if "taxonomy_version" in table.column_names else set()
    wanted = None if not variants else {canonical_variant(v) for v in variants}
    cases: list[Case] = []
    for index, row in enumerate(table.to_pylist()):
        case = _case(row, path, index)
        if wanted is not None and case.variant not in wanted:
            continue
        cases.append(case)
        if limit is not None and len(cases) >= limit:
            break
    if not cases:
        raise InputError(f"split {split!r} has no samples to predict"
                         + (f" of variant(s) {', '.join(sorted(wanted))}" if wanted else ""),
                         file=path)
    return CaseSet(split=split, path=path, taxonomy_version=next(iter(versions), None),
                   cases=cases)
