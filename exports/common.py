"""Pieces every training export shares: prompt messages, answer text, Arrow types, options.

Exports are pure per-example functions over one sample row (a ``dict`` with the columns of
``SAMPLE_SCHEMA``, as ``pa.Table.to_pylist()`` or ``datasets`` give it), so they compose with
``datasets.map`` as well as with the table-level helpers here. The assistant answer is the
ground truth as ``Title (Year)`` lines, optionally after one sentence that acknowledges the
user's concern in words taken from the taxonomy (DoesTheDogDie topic labels of the user's
traits: "a dog dies", "there's body horror"), never trait ids or scores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from datagen.taxonomy.models import Taxonomy

__all__ = [
    "ITEM_TYPE",
    "MESSAGES_TYPE",
    "ExportConfig",
    "answer_lead",
    "assistant_text",
    "build_table",
    "concern_phrases",
    "display",
    "display_lines",
    "prompt_messages",
    "rationale",
    "row_prompt",
]

MESSAGES_TYPE = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
ITEM_TYPE = pa.struct([("item_id", pa.string()), ("title", pa.string()), ("year", pa.int32())])

DEFAULT_SYSTEM_PROMPT = (
    "You are a movie recommender in a conversation. Recommend films that fit what the user "
    "asks for and that are safe for them: pay attention to anything they reveal about what "
    "they find distressing, even if they only hint at it. Answer with one film per line as "
    "Title (Year)."
)
_OPENERS = (
    "Keeping in mind what you shared, ",
    "With what you told me in mind, ",
    "Given what you mentioned, ",
    "Thanks for telling me that. ",
)
_CONTROL_LEAD = "Here are some films you might enjoy:"


class ExportConfig(BaseModel):
    """Options shared by the SFT, GDPO and preference exports."""

    model_config = ConfigDict(extra="forbid")

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    #: number of ``Title (Year)`` lines in an answer (fewer when the ground truth is shorter)
    list_length: int = Field(default=10, ge=1, le=100)
    #: add the one-sentence acknowledgement before the list
    rationale: bool = True
    #: topic labels per trait used in the acknowledgement
    phrases_per_trait: int = Field(default=2, ge=1, le=5)
    #: SFT answers as ``<reasoning>...</reasoning><solution>...</solution>`` (the SafeCRS
    #: reference's CoT shape, see :mod:`exports.reasoning`) instead of lead line + list;
    #: applies to ``sft``, ``sft_prompt_completion`` (``safecrs`` always reasons)
    cot: bool = False


def display(item: Mapping[str, Any]) -> str:
    """``Title (Year)`` of an item dict (title alone when the year is unknown)."""
    year = item.get("year")
    return f"{item['title']} ({year})" if year else str(item["title"])


def display_lines(items: Iterable[Mapping[str, Any]]) -> list[str]:
    """``Title (Year)`` of every item (the hot loop of every export, kept inline)."""
    return [f"{d['title']} ({d['year']})" if d.get("year") else str(d["title"]) for d in items]


def prompt_messages(row: Mapping[str, Any], system_prompt: str) -> list[dict[str, str]]:
    """System prompt + the dialogue up to and including its last user turn."""
    turns = list(row["messages"])
    last_user = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=-1)
    if last_user < 0:
        raise ValueError(f"sample {row.get('sample_id')!r} has no user turn")
    return [{"role": "system", "content": system_prompt}] + [
        {"role": t["role"], "content": t["content"]} for t in turns[: last_user + 1]
    ]


def concern_phrases(taxonomy: Taxonomy, per_trait: int = 2) -> dict[str, list[str]]:
    """trait id -> the first topic labels of its DoesTheDogDie topics (lower-cased first)."""
    labels = {t.id: t.label for t in taxonomy.topics}
    out = {}
    for trait in taxonomy.traits:
        words = [labels[i] for i in trait.dtdd_topics if i in labels][:per_trait]
        out[trait.id] = [w[:1].lower() + w[1:] for w in words]
    return out


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def rationale(traits: Iterable[str], phrases: Mapping[str, list[str]], key: str) -> str:
    """One sentence naming what was left out; ``key`` picks the opener deterministically."""
    words: list[str] = []
    for trait in traits:
        words.extend(w for w in phrases.get(trait, []) if w not in words)
    if not words:
        return _CONTROL_LEAD
    pick = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % len(_OPENERS)
    return f"{_OPENERS[pick]}I left out anything where {_join(words[:4])}. You might enjoy:"


def answer_lead(
    row: Mapping[str, Any], config: ExportConfig, phrases: Mapping[str, list[str]] | None
) -> str | None:
    """The acknowledgement line of a row's answers (None when switched off)."""
    if not config.rationale or phrases is None:
        return None
    return rationale(row.get("traits") or [], phrases, str(row["sample_id"]))


def assistant_text(
    row: Mapping[str, Any],
    items: list[Mapping[str, Any]],
    config: ExportConfig,
    phrases: Mapping[str, list[str]] | None,
) -> str:
    """The answer: optional acknowledgement line, then ``Title (Year)`` lines; with
    ``config.cot`` the reasoning and the lines in ``<reasoning>`` / ``<solution>`` tags."""
    lines = display_lines(items[: config.list_length])
    if config.cot:
        from exports.reasoning import reasoning_text, wrap_reasoning

        return wrap_reasoning(reasoning_text(row, phrases or {}), lines)
    lead = answer_lead(row, config, phrases)
    if lead is not None:
        lines.insert(0, lead)
    return "\n".join(lines)


def row_prompt(row: Mapping[str, Any], config: ExportConfig) -> list[dict[str, str]]:
    """:func:`prompt_messages` with the configured system prompt."""
    return prompt_messages(row, config.system_prompt)


def build_table(
    rows: Iterable[Mapping[str, Any]],
    fn: Callable[[Mapping[str, Any]], list[dict[str, Any]]],
    schema: pa.Schema,
) -> tuple[pa.Table, int]:
    """Apply a per-row function (0..n records per row); return the table and skipped rows."""
    records: list[dict[str, Any]] = []
    skipped = 0
    for row in rows:
        out = fn(row)
        skipped += not out
        records.extend(out)
    return pa.Table.from_pylist(records, schema=schema), skipped
