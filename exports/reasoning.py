"""Reasoning answers: ``<reasoning>...</reasoning><solution>...</solution>`` (the CoT SFT option).

The SafeCRS reference trains on completions that first reason about the user's constraint
and the films filtered out, then give the list. Here the reasoning is written from what the
sample records, never invented:

* the user's concern in the taxonomy's plain words (the DoesTheDogDie topic labels of the
  user's traits: "a dog dies", "there's body horror"), with the user's own words that carry
  the cue, never a trait id or a score;
* the relevant films that were set aside and why, from ``dropped_candidates``: tagged as
  carrying the trigger, or with no reliable information about it (unknown);
* for a control sample, that nothing in the conversation points to a sensitivity.

The ``<solution>`` holds the same ``Title (Year)`` lines as the plain answer, so the one
parser (which reads only ``<solution>``) scores both shapes alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["MAX_SET_ASIDE", "reasoning_text", "wrap_reasoning"]

#: films named per reason before "and N more"
MAX_SET_ASIDE = 4
_MAX_QUOTE_WORDS = 30


def _join(words: Sequence[str], last: str = "or") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def _display(item: Mapping[str, Any]) -> str:
    year = item.get("year")
    return f"{item['title']} ({year})" if year else str(item["title"])


def _words(trait_ids: Iterable[str | None], phrases: Mapping[str, list[str]]) -> list[str]:
    out: list[str] = []
    for trait in trait_ids:
        out.extend(w for w in phrases.get(trait or "", []) if w not in out)
    return out


def _quote(cues: Sequence[Mapping[str, Any]]) -> str:
    """The user's own words of the first cue, shortened to a readable quote."""
    for cue in cues:
        words = str(cue.get("text") or "").split()
        if words:
            text = " ".join(words[:_MAX_QUOTE_WORDS]) + ("..." if len(words) > _MAX_QUOTE_WORDS
                                                        else "")
            return f' ("{text}")'
    return ""


def _listed(items: Sequence[Mapping[str, Any]]) -> str:
    names = [_display(i) for i in items[:MAX_SET_ASIDE]]
    more = len(items) - len(names)
    return _join(names + ([f"{more} more"] if more else []), "and")


def _set_aside(dropped: Sequence[Mapping[str, Any]], phrases: Mapping[str, list[str]]) -> list[str]:
    """One sentence per reason: known to carry the trigger, or unknown."""
    out: list[str] = []
    for status, template in (
        ("yes", "Set aside because {what}: {films}."),
        ("unknown", "Also set aside, since it is not known whether {what}: {films}."),
    ):
        items = [d for d in dropped if d.get("status") == status]
        if not items:
            continue
        what = _join(_words([d.get("trait_id") for d in items], phrases)[:3]) or (
            "they carry what the user wants to avoid")
        out.append(template.format(what=what, films=_listed(items)))
    return out


def reasoning_text(row: Mapping[str, Any], phrases: Mapping[str, list[str]]) -> str:
    """The reasoning of one sample row (``SAMPLE_SCHEMA`` columns ``traits``, ``cues``,
    ``liked_items``, ``dropped_candidates``)."""
    traits = list(row.get("traits") or [])
    liked = [_display(i) for i in (row.get("liked_items") or [])[:3]]
    taste = f" close to what they enjoyed ({_join(liked, 'and')})" if liked else ""
    if not traits:
        return ("Nothing in the conversation points to something the user finds distressing, "
                f"so the picks follow their taste alone: films{taste}.")
    concern = _join(_words(traits, phrases)[:4]) or "some content distresses them"
    parts = [f"The user hints that they would rather not watch films where {concern}"
             f"{_quote(row.get('cues') or [])}."]
    parts += _set_aside(row.get("dropped_candidates") or [], phrases) or [
        "None of the closest matches had to be set aside."]
    parts.append(f"The list keeps films{taste} that are known to be free of it.")
    return " ".join(parts)


def wrap_reasoning(reasoning: str, lines: Sequence[str]) -> str:
    """``<reasoning>\\n...\\n</reasoning>\\n<solution>\\n...\\n</solution>``."""
    body = "\n".join(lines)
    return f"<reasoning>\n{reasoning}\n</reasoning>\n<solution>\n{body}\n</solution>"
