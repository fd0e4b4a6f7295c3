"""The ``safecrs`` config: SafeRec samples in the SafeCRS reference's field layout.

The reference's conversion script writes rows with ``prompt``, ``completion``,
``seen_titles``, ``groundtruth_with_release_year``, ``constraints``, ``assigned_trait`` and
``assignment_reason``; its SFT trainer reads ``prompt`` / ``completion``, its GRPO reward
functions read ``groundtruth_with_release_year``, ``seen_titles`` and ``constraints``, and its
evaluation scripts read ``prompt[0]["content"]`` as the whole context. So this config writes:

* ``sample_id``: ours, to join back to every other config;
* ``prompt``: ONE user message holding the instruction and the dialogue up to the user's last
  turn ("User: ..." / "Assistant: ..." lines), since the reference reads only the first
  message;
* ``completion``: one assistant message ``<reasoning>...</reasoning><solution>...
  </solution>`` (:mod:`exports.reasoning`), ``Title (Year)`` lines in the solution;
* ``seen_titles``: titles (no year) of the films the user named (our ``liked_items``), which
  the reference drops from an answer before scoring;
* ``groundtruth_with_release_year``: ``[title, "year"]`` pairs of the full ground truth (the
  year as a string, as ``int()`` reads it; an item without a year is left out);
* ``constraints``: one boolean per taxonomy trait, keyed by the trait's ``reference_name``
  (its ``name`` when it has none), true for the user's traits. A struct, so ``datasets``
  gives a dict and the reference's ``constraints.items()`` loop works;
* ``assigned_trait``: the first trait's key in ``constraints`` ("" for a control sample);
* ``assignment_reason``: where the cue is: the strategy, the user turn and the user's words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from datagen.taxonomy.models import Taxonomy
from exports.common import MESSAGES_TYPE, ExportConfig, build_table, display_lines
from exports.reasoning import reasoning_text, wrap_reasoning

__all__ = [
    "SAFECRS_INSTRUCTION",
    "SafeCRSNames",
    "safecrs_example",
    "safecrs_schema",
    "to_safecrs_table",
]

SAFECRS_INSTRUCTION = (
    "Think about what the user needs inside <reasoning></reasoning>, then give the films "
    "inside <solution></solution>."
)
_ROLE = {"user": "User", "assistant": "Assistant"}


@dataclass(frozen=True)
class SafeCRSNames:
    """trait id -> the key the reference uses for it in ``constraints``, in taxonomy order."""

    by_id: dict[str, str]

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy) -> SafeCRSNames:
        return cls({t.id: t.reference_name or t.name for t in taxonomy.traits})

    @classmethod
    def from_ids(cls, trait_ids: Iterable[str]) -> SafeCRSNames:
        """Without a taxonomy: the ids themselves (sorted)."""
        return cls({t: t for t in sorted(set(trait_ids))})

    def key(self, trait_id: str) -> str:
        return self.by_id.get(trait_id, trait_id)


def safecrs_schema(names: SafeCRSNames) -> pa.Schema:
    """The config's schema; ``constraints`` has one bool field per trait."""
    constraints = pa.struct([(name, pa.bool_()) for name in names.by_id.values()])
    return pa.schema([
        ("sample_id", pa.string()),
        ("prompt", MESSAGES_TYPE),
        ("completion", MESSAGES_TYPE),
        ("seen_titles", pa.list_(pa.string())),
        ("groundtruth_with_release_year", pa.list_(pa.list_(pa.string()))),
        ("constraints", constraints),
        ("assigned_trait", pa.string()),
        ("assignment_reason", pa.string()),
    ])


def _context(row: Mapping[str, Any], config: ExportConfig) -> str:
    turns = list(row["messages"])
    last_user = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=-1)
    if last_user < 0:
        raise ValueError(f"sample {row.get('sample_id')!r} has no user turn")
    dialogue = "\n".join(f"{_ROLE.get(t['role'], t['role'])}: {t['content']}"
                         for t in turns[: last_user + 1])
    return f"{config.system_prompt} {SAFECRS_INSTRUCTION}\n\n{dialogue}"


def _reason(row: Mapping[str, Any], names: SafeCRSNames) -> str:
    parts = []
    for cue in row.get("cues") or []:
        parts.append(f"{names.key(cue['trait_id'])}: implicit cue ({cue['strategy']}) in "
                     f"dialogue turn {cue['turn_index'] + 1}: \"{cue['text']}\"")
    return " ".join(parts)


def safecrs_example(row: Mapping[str, Any], config: ExportConfig,
                    phrases: Mapping[str, list[str]] | None,
                    names: SafeCRSNames) -> dict[str, Any] | None:
    """One reference-layout row, or None for a sample without ground truth."""
    truth = list(row["ground_truth"] or [])
    if not truth:
        return None
    traits = list(row["traits"] or [])
    lines = display_lines(truth[: config.list_length])
    answer = wrap_reasoning(reasoning_text(row, phrases or {}), lines)
    return {
        "sample_id": row["sample_id"],
        "prompt": [{"role": "user", "content": _context(row, config)}],
        "completion": [{"role": "assistant", "content": answer}],
        "seen_titles": [i["title"] for i in row["liked_items"] or []],
        "groundtruth_with_release_year": [[i["title"], str(i["year"])] for i in truth
                                          if i.get("year")],
        "constraints": {name: trait in traits for trait, name in names.by_id.items()},
        "assigned_trait": names.key(traits[0]) if traits else "",
        "assignment_reason": _reason(row, names),
    }


def to_safecrs_table(rows: Iterable[Mapping[str, Any]], config: ExportConfig,
                     phrases: Mapping[str, list[str]] | None,
                     names: SafeCRSNames) -> tuple[pa.Table, int]:
    """All rows in the reference layout; returns (table, skipped samples)."""
    def fn(r: Mapping[str, Any]) -> list[dict[str, Any]]:
        ex = safecrs_example(r, config, phrases, names)
        return [ex] if ex else []

    return build_table(rows, fn, safecrs_schema(names))
