"""Safe-SFT exports in TRL's two conversational shapes.

``messages``: system prompt, the dialogue up to the user's last turn, and the assistant
answer (safe ground truth as ``Title (Year)`` lines). ``prompt``/``completion``: the same
split at the answer (``completion`` is a one-message list), which TRL's SFTTrainer trains
on the completion only. Samples without ground truth are skipped (nothing safe to teach).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from exports.common import (
    MESSAGES_TYPE,
    ExportConfig,
    assistant_text,
    build_table,
    row_prompt,
)

__all__ = [
    "SFT_PROMPT_COMPLETION_SCHEMA",
    "SFT_SCHEMA",
    "sft_example",
    "sft_prompt_completion_example",
    "to_sft_prompt_completion_table",
    "to_sft_table",
]

SFT_SCHEMA = pa.schema(
    [("sample_id", pa.string()), ("traits", pa.list_(pa.string())), ("messages", MESSAGES_TYPE)]
)
SFT_PROMPT_COMPLETION_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("traits", pa.list_(pa.string())),
        ("prompt", MESSAGES_TYPE),
        ("completion", MESSAGES_TYPE),
    ]
)


def sft_prompt_completion_example(
    row: Mapping[str, Any], config: ExportConfig, phrases: Mapping[str, list[str]] | None
) -> dict[str, Any] | None:
    """``{"prompt": [...], "completion": [assistant]}`` for one sample, or None."""
    if not row["ground_truth"]:
        return None
    answer = assistant_text(row, row["ground_truth"], config, phrases)
    return {
        "sample_id": row["sample_id"],
        "traits": list(row["traits"] or []),
        "prompt": row_prompt(row, config),
        "completion": [{"role": "assistant", "content": answer}],
    }


def sft_example(
    row: Mapping[str, Any], config: ExportConfig, phrases: Mapping[str, list[str]] | None
) -> dict[str, Any] | None:
    """``{"messages": [system, dialogue..., assistant]}`` for one sample, or None."""
    pc = sft_prompt_completion_example(row, config, phrases)
    if pc is None:
        return None
    return {
        "sample_id": pc["sample_id"],
        "traits": pc["traits"],
        "messages": pc["prompt"] + pc["completion"],
    }


def to_sft_table(
    rows: Iterable[Mapping[str, Any]],
    config: ExportConfig,
    phrases: Mapping[str, list[str]] | None,
) -> tuple[pa.Table, int]:
    """All rows as the ``messages`` format; returns (table, skipped samples)."""
    def fn(r: Mapping[str, Any]) -> list[dict[str, Any]]:
        ex = sft_example(r, config, phrases)
        return [ex] if ex else []

    return build_table(rows, fn, SFT_SCHEMA)


def to_sft_prompt_completion_table(
    rows: Iterable[Mapping[str, Any]],
    config: ExportConfig,
    phrases: Mapping[str, list[str]] | None,
) -> tuple[pa.Table, int]:
    """All rows as the ``prompt``/``completion`` format; returns (table, skipped samples)."""
    def fn(r: Mapping[str, Any]) -> list[dict[str, Any]]:
        ex = sft_prompt_completion_example(r, config, phrases)
        return [ex] if ex else []

    return build_table(rows, fn, SFT_PROMPT_COMPLETION_SCHEMA)
