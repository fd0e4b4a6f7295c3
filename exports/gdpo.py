"""GDPO / GRPO prompts with the columns the reward functions read.

TRL's GRPOTrainer passes every dataset column other than ``prompt`` to the reward functions
as keyword lists, so each row carries what :mod:`exports.rewards` needs: ``ground_truth``
(item id, title, year), ``traits``, ``unsafe_items`` and ``unknown_items`` (the relevant
candidates dropped from the ground truth, with the trait that dropped them), ``seen_items``
(the films the user already named) and ``sample_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from exports.common import ITEM_TYPE, MESSAGES_TYPE, ExportConfig, build_table, row_prompt

__all__ = ["FLAGGED_ITEM_TYPE", "GDPO_SCHEMA", "gdpo_example", "to_gdpo_table"]

FLAGGED_ITEM_TYPE = pa.struct(
    [("item_id", pa.string()), ("title", pa.string()), ("year", pa.int32()),
     ("trait_id", pa.string())]
)
GDPO_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("prompt", MESSAGES_TYPE),
        ("ground_truth", pa.list_(ITEM_TYPE)),
        ("traits", pa.list_(pa.string())),
        ("unsafe_items", pa.list_(FLAGGED_ITEM_TYPE)),
        ("unknown_items", pa.list_(FLAGGED_ITEM_TYPE)),
        ("seen_items", pa.list_(ITEM_TYPE)),
    ]
)


def _flagged(row: Mapping[str, Any], status: str) -> list[dict[str, Any]]:
    return [
        {"item_id": d["item_id"], "title": d["title"], "year": d.get("year"),
         "trait_id": d.get("trait_id")}
        for d in row["dropped_candidates"] or []
        if d["status"] == status
    ]


def gdpo_example(row: Mapping[str, Any], config: ExportConfig) -> dict[str, Any] | None:
    """One GRPO prompt row, or None for a sample without ground truth."""
    if not row["ground_truth"]:
        return None
    return {
        "sample_id": row["sample_id"],
        "prompt": row_prompt(row, config),
        "ground_truth": list(row["ground_truth"]),
        "traits": list(row["traits"] or []),
        "unsafe_items": _flagged(row, "yes"),
        "unknown_items": _flagged(row, "unknown"),
        "seen_items": list(row["liked_items"] or []),
    }


def to_gdpo_table(
    rows: Iterable[Mapping[str, Any]], config: ExportConfig
) -> tuple[pa.Table, int]:
    """All rows as GRPO prompts; returns (table, skipped samples)."""
    def fn(r: Mapping[str, Any]) -> list[dict[str, Any]]:
        ex = gdpo_example(r, config)
        return [ex] if ex else []

    return build_table(rows, fn, GDPO_SCHEMA)
