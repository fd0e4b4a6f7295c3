"""Sample -> Argilla record: a pure mapping, plus the hash that makes re-pushes cheap.

The record id is the sample id (Argilla stores it as the record's external id and upserts on
it), so pushing a sample twice updates one record. :func:`record_payload` is a plain dict
(fields, metadata, suggestion) whose hash, stored as hidden metadata, tells a re-push which
records are already on the server unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from annotation.settings import (
    FIELD_DIALOGUE,
    FIELD_GROUND_TRUTH,
    MAX_GT_FILMS,
    META_HIDDEN,
    NONE_LABEL,
    Q_TRAITS,
)
from datagen.records.sample import DroppedCandidate, ItemRef, Sample

if TYPE_CHECKING:
    import argilla as rg

__all__ = [
    "MAX_NAMED_DROPS",
    "dropped_summary",
    "ground_truth_markdown",
    "payload_hash",
    "record_payload",
    "to_record",
]

#: ``yes`` (unsafe) candidates named per trait in the summary of what was left out
MAX_NAMED_DROPS = 5
_STATUS = {"yes": "tagged **yes** (unsafe)", "unknown": "tag **unknown**"}


def _film(ref: ItemRef) -> str:
    return f"{ref.title} ({ref.year})" if ref.year else ref.title


def _md(text: str) -> str:
    """Escape the characters that would break a markdown table cell or list item."""
    return text.replace("|", "\\|").replace("\n", " ")


def dropped_summary(dropped: Sequence[DroppedCandidate]) -> list[str]:
    """Markdown lines: candidates left out, counted per (trait, tag status); ``yes`` by name.

    A sample can drop dozens of candidates, nearly all for an ``unknown`` tag; one line per
    film buried the ground truth. The ``yes`` films (the unsafe ones, few) stay named: they
    are what an annotator may want to check.
    """
    if not dropped:
        return []
    groups: dict[tuple[str, str], list[DroppedCandidate]] = defaultdict(list)
    for d in dropped:
        groups[(d.trait_id or "-", d.status)].append(d)
    order = sorted(groups, key=lambda k: (k[1] != "yes", -len(groups[k]), k))
    lines = [f"**Left out of the ground truth:** {len(dropped)} candidate"
             f"{'s' if len(dropped) != 1 else ''}", ""]
    for trait, status in order:
        films = groups[(trait, status)]
        head = f"- `{trait}` {_STATUS.get(status, status)}: {len(films)}"
        if status == "yes":
            named = "; ".join(_md(_film(_ref(d))) for d in films[:MAX_NAMED_DROPS])
            more = len(films) - MAX_NAMED_DROPS
            head += f" - {named}" + (f"; and {more} more" if more > 0 else "")
        lines.append(head)
    return lines


def _ref(d: DroppedCandidate) -> ItemRef:
    return ItemRef(item_id=d.item_id, title=d.title, year=d.year)


def _films_list(sample: Sample) -> list[str]:
    """One line per film, numbered like the ``offending_films`` options (#1 = film1)."""
    if not sample.ground_truth:
        return ["(no ground-truth film)"]
    lines = [f"- **#{i}** {_md(_film(ref))} `{ref.item_id}`"
             for i, ref in enumerate(sample.ground_truth, start=1)]
    if len(sample.ground_truth) > MAX_GT_FILMS:
        lines.append(f"\n(only #1-#{MAX_GT_FILMS} can be ticked as offending; use the "
                     "correction box for the rest)")
    return lines


def ground_truth_markdown(sample: Sample, *, suggest_traits: bool = False) -> str:
    """The ground-truth field: numbered films first, then the generator's plan.

    The plan (planned traits, the candidates left out and why) names the traits, so for a
    blind dataset it sits in a collapsed block the annotator opens after answering
    ``traits``; with ``suggest_traits`` it is shown openly, as the suggestion is anyway.
    """
    lines = _films_list(sample)
    if sample.liked_items:
        lines += ["", "**Liked:** " + _md("; ".join(_film(r) for r in sample.liked_items))]
    traits = ", ".join(f"`{t}`" for t in sample.traits) or "none (control sample)"
    plan = [f"**Planned traits:** {traits}"]
    if sample.dropped_candidates:
        plan += ["", *dropped_summary(sample.dropped_candidates)]
    if suggest_traits:
        return "\n".join([*lines, "", *plan])
    return "\n".join([*lines, "", "<details><summary>Generator's plan: open after answering "
                       "<b>traits</b></summary>", "", *plan, "", "</details>"])


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


def record_payload(sample: Sample, *, suggest_traits: bool = False) -> dict[str, Any]:
    """Fields, metadata and (with ``suggest_traits``) the trait suggestion, as plain data."""
    gen = sample.generation
    payload: dict[str, Any] = {
        "id": sample.sample_id,
        "fields": {
            FIELD_GROUND_TRUTH: ground_truth_markdown(sample, suggest_traits=suggest_traits),
            FIELD_DIALOGUE: [{"role": t.role, "content": t.content} for t in sample.messages],
        },
        "metadata": _metadata(sample),
    }
    if suggest_traits:
        payload["suggestion"] = {
            "question_name": Q_TRAITS,
            "value": list(sample.traits) or [NONE_LABEL],
            "agent": f"{gen.backend}/{gen.model}",
        }
    return payload


def payload_hash(payload: dict[str, Any]) -> str:
    """16 hex chars of sha256 over the canonical JSON of a payload."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def to_record(payload: dict[str, Any]) -> rg.Record:
    """An SDK record for a payload, with its hash in the hidden metadata property."""
    import argilla as rg

    sug = payload.get("suggestion")
    return rg.Record(
        id=payload["id"],
        fields=payload["fields"],
        metadata={**payload["metadata"], META_HIDDEN: payload_hash(payload)},
        suggestions=[rg.Suggestion(question_name=sug["question_name"], value=sug["value"],
                                   agent=sug["agent"], type="model")] if sug else [],
    )
