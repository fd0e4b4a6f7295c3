"""Fast lookups in fused item tags, for every later stage (synthesis, rewards, evaluation).

:class:`TagIndex` holds the status of each (item, trait) pair in a small numpy matrix, so
``status()`` and the bulk :meth:`TagIndex.safe_for` cost microseconds; ``tag()`` rebuilds the
full :class:`ItemTraitTag` (sources, evidence lines) from the table on demand. An item or pair
the table does not contain is ``unknown`` (no evidence), never safe by omission.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from datagen.errors import InputError
from datagen.parquet_io import read_parquet, write_parquet
from datagen.tags.fusion import ITEM_TAGS_SCHEMA
from datagen.tags.models import FusionPolicy, ItemTraitTag, TagStatus, UnknownPolicy
from datagen.tags.priority import SourceConfidences
from datagen.taxonomy.models import Taxonomy

__all__ = ["ItemSafety", "TagIndex", "read_item_tags_table", "write_item_tags"]

_NO, _UNKNOWN, _YES = 0, 1, 2  # ordered so that the worst status of a set is the max
_CODES = {"no": _NO, "unknown": _UNKNOWN, "yes": _YES}
_STATUS = (TagStatus.no, TagStatus.unknown, TagStatus.yes)


class ItemSafety(BaseModel):
    """The safety of one item for a set of traits (what :meth:`TagIndex.safe_for` returns)."""

    model_config = ConfigDict(extra="forbid")

    item_id: str
    #: worst status over the traits: yes if any yes, else unknown if any unknown, else no
    status: TagStatus
    #: whether a consumer may treat the item as safe under the chosen unknown policy
    safe: bool
    unsafe_traits: list[str] = Field(default_factory=list)
    unknown_traits: list[str] = Field(default_factory=list)


def write_item_tags(
    table: pa.Table,
    path: str | Path,
    *,
    policy: FusionPolicy | None = None,
    taxonomy: Taxonomy | None = None,
    source_confidences: SourceConfidences | None = None,
) -> Path:
    """Write ``item_tags.parquet`` atomically, recording the policy and taxonomy version
    (and the per-source confidences fusion used, when it was given some)."""
    meta = {"saferec.policy": (policy or FusionPolicy()).model_dump_json()}
    if taxonomy is not None:
        meta["saferec.taxonomy"] = taxonomy.version_tag
    if source_confidences is not None:
        meta["saferec.source_confidences"] = source_confidences.model_dump_json()
    return write_parquet(table, path, ITEM_TAGS_SCHEMA.with_metadata(meta))


def read_item_tags_table(path: str | Path) -> pa.Table:
    """Read ``item_tags.parquet`` as a table in :data:`ITEM_TAGS_SCHEMA` (columns checked)."""
    return read_parquet(path, ITEM_TAGS_SCHEMA)


class TagIndex:
    """Status matrix over (item, trait) plus the table for full tags."""

    def __init__(self, table: pa.Table, metadata: dict[str, str] | None = None) -> None:
        self.table = table.select(ITEM_TAGS_SCHEMA.names).cast(ITEM_TAGS_SCHEMA)
        self.metadata = dict(metadata or {})
        df = pl.from_arrow(self.table.select(["item_id", "trait_id", "status"]))
        assert isinstance(df, pl.DataFrame)
        self.item_ids: list[str] = df["item_id"].unique(maintain_order=True).to_list()
        self.trait_ids: list[str] = df["trait_id"].unique(maintain_order=True).to_list()
        self._item_pos = {item_id: i for i, item_id in enumerate(self.item_ids)}
        self._trait_pos = {trait_id: i for i, trait_id in enumerate(self.trait_ids)}
        bad = df.with_row_index("_row").filter(~pl.col("status").is_in(list(_CODES)))
        if bad.height:
            raise InputError(f"status {bad['status'][0]!r} is not yes/no/unknown",
                             record=f"row {bad['_row'][0] + 1}", field="status")
        items = pl.Series(self.item_ids, dtype=pl.String)
        traits = pl.Series(self.trait_ids, dtype=pl.String)
        i = _positions(df["item_id"], items)
        j = _positions(df["trait_id"], traits)
        codes = df["status"].replace_strict(_CODES, return_dtype=pl.Int8).to_numpy()
        self._status = np.full((len(self.item_ids), len(self.trait_ids)), _UNKNOWN, np.int8)
        self._row = np.full(self._status.shape, -1, dtype=np.int64)
        self._status[i, j] = codes
        self._row[i, j] = np.arange(df.height)

    @classmethod
    def from_table(cls, table: pa.Table) -> TagIndex:
        return cls(table)

    @classmethod
    def load(cls, path: str | Path) -> TagIndex:
        """Read ``item_tags.parquet`` (as written by `datagen tags build`)."""
        table = read_item_tags_table(path)
        raw = pq.read_schema(path).metadata or {}
        meta = {k.decode(): v.decode() for k, v in raw.items() if k.startswith(b"saferec.")}
        return cls(table, meta)

    @property
    def source_confidences(self) -> SourceConfidences | None:
        """The per-source confidences fusion used (``tags build --source-confidences``)."""
        text = self.metadata.get("saferec.source_confidences")
        return SourceConfidences.model_validate_json(text) if text else None

    @property
    def policy(self) -> FusionPolicy | None:
        """The fusion policy recorded in the file, if any."""
        text = self.metadata.get("saferec.policy")
        return FusionPolicy(**json.loads(text)) if text else None

    def __len__(self) -> int:
        return len(self.item_ids)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._item_pos

    def _trait(self, trait_id: str) -> int:
        try:
            return self._trait_pos[trait_id]
        except KeyError:
            raise KeyError(f"trait {trait_id!r} is not in the tag table") from None

    def status(self, item_id: str, trait_id: str) -> TagStatus:
        j = self._trait(trait_id)
        i = self._item_pos.get(item_id)
        return TagStatus.unknown if i is None else _STATUS[self._status[i, j]]

    def tag(self, item_id: str, trait_id: str) -> ItemTraitTag:
        """The full fused tag (status, score, sources, evidence lines)."""
        j = self._trait(trait_id)
        i = self._item_pos.get(item_id)
        row = -1 if i is None else int(self._row[i, j])
        if row < 0:
            return ItemTraitTag(item_id=item_id, trait_id=trait_id,
                                status=TagStatus.unknown, score=0.0)
        return ItemTraitTag(**self.table.slice(row, 1).to_pylist()[0])

    def tags(self, item_id: str) -> list[ItemTraitTag]:
        return [self.tag(item_id, t) for t in self.trait_ids]

    def unsafe_traits(self, item_id: str, trait_ids: Iterable[str]) -> list[str]:
        """The traits (in the given order) for which the item is tagged ``yes``."""
        return [t for t in trait_ids if self.status(item_id, t) is TagStatus.yes]

    def unknown_traits(self, item_id: str, trait_ids: Iterable[str]) -> list[str]:
        return [t for t in trait_ids if self.status(item_id, t) is TagStatus.unknown]

    def safe_for(
        self,
        item_ids: Sequence[str],
        trait_ids: Sequence[str],
        unknown_policy: UnknownPolicy = UnknownPolicy.exclude,
    ) -> list[ItemSafety]:
        """Per item: worst status over ``trait_ids`` and whether it counts as safe.

        ``safe`` is true for ``no``; for ``unknown`` only under ``UnknownPolicy.allow``
        (``exclude`` and ``penalize`` both refuse to call it safe; they differ in what the
        consumer does next). With no traits every item is safe (nothing to avoid).
        """
        cols = [self._trait(t) for t in trait_ids]
        pos = np.array([self._item_pos.get(i, -1) for i in item_ids], dtype=np.int64)
        codes = self._status[np.maximum(pos, 0)][:, cols]
        codes[pos < 0] = _UNKNOWN  # items outside the table: no evidence
        worst = codes.max(axis=1) if cols else np.full(len(pos), _NO, dtype=np.int8)
        out: list[ItemSafety] = []
        for item_id, row, w in zip(item_ids, codes.tolist(), worst.tolist(), strict=True):
            safe = w == _NO or (w == _UNKNOWN and unknown_policy is UnknownPolicy.allow)
            out.append(ItemSafety.model_construct(  # values built here, no re-validation
                item_id=item_id,
                status=_STATUS[w],
                safe=safe,
                unsafe_traits=[t for t, c in zip(trait_ids, row, strict=True) if c == _YES],
                unknown_traits=[t for t, c in zip(trait_ids, row, strict=True) if c == _UNKNOWN],
            ))
        return out

    def counts(self) -> dict[str, dict[str, int]]:
        """Per trait: how many items are yes / no / unknown (for summaries and metrics)."""
        out: dict[str, dict[str, int]] = {}
        for j, trait_id in enumerate(self.trait_ids):
            col = self._status[:, j]
            out[trait_id] = {s.value: int((col == code).sum()) for code, s in enumerate(_STATUS)}
        return out


def _positions(values: pl.Series, order: pl.Series) -> np.ndarray:
    lookup = pl.DataFrame({"v": order, "pos": np.arange(len(order))})
    joined = pl.DataFrame({"v": values}).join(lookup, on="v", how="left", maintain_order="left")
    return joined["pos"].to_numpy()
