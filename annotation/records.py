"""Sample -> Argilla record: a pure mapping, plus the hash that makes re-pushes cheap.

The record id is the sample id (Argilla stores it as the record's external id and upserts on
it), so pushing a sample twice updates one record. :func:`record_payload` is a plain dict
(fields, metadata, suggestion) whose hash, stored as hidden metadata, tells a re-push which
records are already on the server unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from annotation.settings import (
    FIELD_DIALOGUE,
    FIELD_GROUND_TRUTH,
    MAX_GT_FILMS,
    META_HIDDEN,
    NONE_LABEL,
    Q_TRAITS,
)
from datagen.records.sample import ItemRef, Sample

if TYPE_CHECKING:
    import argilla as rg

__all__ = ["ground_truth_markdown", "payload_hash", "record_payload", "to_record"]


def _film(ref: ItemRef) -> str:
    return f"{ref.title} ({ref.year})" if ref.year else ref.title


def _md(text: str) -> str:
    """Escape the characters that would break a markdown table cell or list item."""
    return text.replace("|", "\\|").replace("\n", " ")


def ground_truth_markdown(sample: Sample) -> str:
    """The ground-truth field: liked films, numbered recommended films, and what was dropped."""
    traits = ", ".join(f"`{t}`" for t in sample.traits) or "none (control sample)"
    lines = [f"**Generator traits:** {traits}", ""]
    if sample.liked_items:
        lines += ["**Liked:** " + _md("; ".join(_film(r) for r in sample.liked_items)), ""]
    lines += ["**Recommended (ground truth)** - each filtered as safe for the traits above", ""]
    if sample.ground_truth:
        lines += ["| # | film | id |", "|---|---|---|"]
        for i, ref in enumerate(sample.ground_truth, start=1):
            lines.append(f"| {i} | {_md(_film(ref))} | `{ref.item_id}` |")
        if len(sample.ground_truth) > MAX_GT_FILMS:
            lines.append(f"\n(only #1-#{MAX_GT_FILMS} can be ticked as offending; use the "
                         "correction box for the rest)")
    else:
        lines.append("(no ground-truth film)")
    if sample.dropped_candidates:
        lines += ["", "**Left out of the ground truth** (tag status and reason)", ""]
        for d in sample.dropped_candidates:
            trait = f"`{d.trait_id}`" if d.trait_id else "-"
            lines.append(f"- {_md(_film(ItemRef(item_id=d.item_id, title=d.title, year=d.year)))}"
                         f" - {trait}: {d.status} - {_md(d.reason)}")
    return "\n".join(lines)


def _metadata(sample: Sample) -> dict[str, Any]:
    strategies = sorted({c.strategy for c in sample.cues}) or [NONE_LABEL]
    meta: dict[str, Any] = {
        "generator_traits": list(sample.traits) or [NONE_LABEL],
        "cue_strategy": strategies,
        "backend": sample.generation.backend,
        "checks_passed": "yes" if sample.verification.passed else "no",
        "taxonomy_version": sample.taxonomy_version,
        "judge_agreement": float(sample.verification.judge_agreement),
    }
    if sample.verification.flags:
        meta["flags"] = sorted(sample.verification.flags)
    return meta


def record_payload(sample: Sample) -> dict[str, Any]:
    """Fields, metadata and the trait suggestion of the record for ``sample`` (plain data)."""
    gen = sample.generation
    return {
        "id": sample.sample_id,
        "fields": {
            FIELD_DIALOGUE: [{"role": t.role, "content": t.content} for t in sample.messages],
            FIELD_GROUND_TRUTH: ground_truth_markdown(sample),
        },
        "metadata": _metadata(sample),
        "suggestion": {
            "question_name": Q_TRAITS,
            "value": list(sample.traits) or [NONE_LABEL],
            "agent": f"{gen.backend}/{gen.model}",
        },
    }


def payload_hash(payload: dict[str, Any]) -> str:
    """16 hex chars of sha256 over the canonical JSON of a payload."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def to_record(payload: dict[str, Any]) -> rg.Record:
    """An SDK record for a payload, with its hash in the hidden metadata property."""
    import argilla as rg

    sug = payload["suggestion"]
    return rg.Record(
        id=payload["id"],
        fields=payload["fields"],
        metadata={**payload["metadata"], META_HIDDEN: payload_hash(payload)},
        suggestions=[rg.Suggestion(question_name=sug["question_name"], value=sug["value"],
                                   agent=sug["agent"], type="model")],
    )
