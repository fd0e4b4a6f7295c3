"""Preference pairs for DPO, RosePO-style: one safe answer against typed bad answers.

``chosen`` is the safe, relevant ground truth as ``Title (Year)`` lines. ``rejected`` is the
same answer with its top ``k`` lines (``k = min(#negatives, max(1, L // 2))`` for a list of
``L``) replaced by negatives of one ``rejection_type``:

- ``unsafe``: relevant candidates dropped from the ground truth because they trigger one of
  the user's own traits (status "yes");
- ``popularity``: popular films (the catalogue's ``popularity``) outside the ground truth,
  the user's liked films and the dropped candidates: popular but not what was asked for;
- ``hallucination``: near-miss titles that are not in the catalogue, made by perturbing the
  ground-truth titles (sequel suffix, prefix, last word swapped) and kept only when the
  project's resolver does NOT resolve them as written, ``Title (Year)``;
- ``self_hard``: wrong items (resolved, not in the ground truth) from a model's own
  predictions file for this sample.

A sample yields one pair per type it has negatives for. Choices are seeded by the sample id.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from exports.common import (
    MESSAGES_TYPE,
    ExportConfig,
    answer_lead,
    build_table,
    display_lines,
    row_prompt,
)

__all__ = [
    "PREFERENCE_SCHEMA",
    "REJECTION_TYPES",
    "PreferenceSources",
    "answer",
    "hallucinated_titles",
    "load_self_hard",
    "preference_examples",
    "preference_items",
    "to_preference_table",
]

REJECTION_TYPES = ("unsafe", "popularity", "hallucination", "self_hard")
PREFERENCE_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("rejection_type", pa.string()),
        ("prompt", MESSAGES_TYPE),
        ("chosen", MESSAGES_TYPE),
        ("rejected", MESSAGES_TYPE),
    ]
)
_SEQUEL = ("2", "II", "Part II", "Returns", "Reloaded", "Rising", "Forever")
_PREFIX = ("The Last", "Return of", "Beyond", "Little", "Secret of")
_SWAP = ("Legacy", "Chronicles", "Protocol", "Awakening", "Horizon")
_POPULAR_POOL = 200


@dataclass
class PreferenceSources:
    """What the negatives are drawn from; a missing source disables its rejection type."""

    resolver: Any = None  #: the project's TitleResolver (needed for ``hallucination``)
    popular: list[dict[str, Any]] = field(default_factory=list)  #: most popular first
    predictions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    types: tuple[str, ...] = REJECTION_TYPES
    fake_memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def popular_ids(self) -> frozenset[str]:
        if len(self._popular_ids) != len(self.popular):
            self._popular_ids = frozenset(d["item_id"] for d in self.popular)
        return self._popular_ids

    _popular_ids: frozenset[str] = field(default=frozenset(), repr=False)

    @classmethod
    def from_catalogue(cls, catalogue: Any, resolver: Any = None, **kw: Any) -> PreferenceSources:
        """Take the ``_POPULAR_POOL`` most popular items (popularity > 0) of a catalogue."""
        ranked = sorted((it for it in catalogue.items if it.popularity > 0),
                        key=lambda it: (-it.popularity, it.item_id))[:_POPULAR_POOL]
        popular = [{"item_id": it.item_id, "title": it.title, "year": it.year} for it in ranked]
        return cls(resolver=resolver, popular=popular, **kw)


def _rng(sample_id: str, kind: str) -> random.Random:
    digest = hashlib.sha256(f"{kind}:{sample_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _excluded(row: Mapping[str, Any]) -> set[str]:
    keys = ("ground_truth", "liked_items", "dropped_candidates")
    return {d["item_id"] for k in keys for d in row.get(k) or []}


def _perturbations(title: str, rng: random.Random) -> list[str]:
    out = [f"{title} {x}" for x in rng.sample(_SEQUEL, 3)]
    out += [f"{x} {title}" for x in rng.sample(_PREFIX, 2)]
    words = title.split()
    if len(words) > 1:
        out.append(" ".join([*words[:-1], rng.choice(_SWAP)]))
    return out


def _fake_of(item: Mapping[str, Any], resolver: Any) -> dict[str, Any] | None:
    """A near-miss of one film that the resolver does not resolve (seeded by its id)."""
    rng = _rng(str(item["item_id"]), "hallucination")
    for cand in _perturbations(item["title"], rng):
        text = f"{cand} ({item['year']})" if item.get("year") else cand
        if not resolver.resolve(text).matched:
            return {"item_id": None, "title": cand, "year": item.get("year")}
    return None


def hallucinated_titles(
    row: Mapping[str, Any], resolver: Any, n: int, memo: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Up to ``n`` near-miss ``{title, year}`` of the ground truth, none resolvable.

    A film always gets the same near-miss (seeded by its id), so ``memo`` (item id -> fake)
    lets a large export resolve each film's candidates once.
    """
    memo = {} if memo is None else memo
    out: list[dict[str, Any]] = []
    for item in row["ground_truth"]:
        key = str(item["item_id"])
        if key not in memo:
            memo[key] = _fake_of(item, resolver)
        if memo[key] is not None:
            out.append(memo[key])
        if len(out) >= n:
            break
    return out


def _negatives(
    row: Mapping[str, Any], kind: str, src: PreferenceSources, n: int
) -> list[Any]:
    if kind == "unsafe":
        traits = set(row.get("traits") or [])
        return [d for d in row.get("dropped_candidates") or []
                if d["status"] == "yes" and d.get("trait_id") in traits][:n]
    if kind == "popularity":
        skip = _excluded(row) & src.popular_ids
        draw = _rng(str(row["sample_id"]), kind).sample(
            src.popular, min(len(src.popular), n + len(skip)))
        return [d for d in draw if d["item_id"] not in skip][:n]
    if kind == "hallucination":
        if src.resolver is None:
            return []
        return hallucinated_titles(row, src.resolver, n, src.fake_memo)
    if kind == "self_hard":
        truth = {d["item_id"] for d in row["ground_truth"]}
        preds = src.predictions.get(str(row["sample_id"]), [])
        return [d for d in preds if d["item_id"] not in truth][:n]
    raise ValueError(f"unknown rejection type {kind!r}; choose from {REJECTION_TYPES}")


def preference_items(
    row: Mapping[str, Any], config: ExportConfig, sources: PreferenceSources
) -> list[tuple[str, list[Any]]]:
    """(rejection type, negatives) for every type with negatives.

    With ``chosen`` the first ``list_length`` ground-truth items, the rejected list of a type
    is ``negatives + chosen[: len(chosen) - len(negatives)]``.
    """
    size = min(len(row["ground_truth"]), config.list_length)
    if not size:
        return []
    k = max(1, size // 2)
    out: list[tuple[str, list[Any]]] = []
    for kind in sources.types:
        negs = _negatives(row, kind, sources, k)[:k]
        if negs:
            out.append((kind, negs))
    return out


def answer(lead: str | None, items: list[Mapping[str, Any]]) -> str:
    """An answer text: the lead line (if any) then ``Title (Year)`` lines."""
    lines = display_lines(items)
    return "\n".join([lead, *lines] if lead is not None else lines)


def preference_examples(
    row: Mapping[str, Any],
    config: ExportConfig,
    sources: PreferenceSources,
    phrases: Mapping[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """One ``{prompt, chosen, rejected, rejection_type}`` per type with negatives."""
    lead = answer_lead(row, config, phrases)
    chosen = list(row["ground_truth"])[: config.list_length]
    return [
        {
            "sample_id": row["sample_id"],
            "rejection_type": kind,
            "prompt": row_prompt(row, config),
            "chosen": [{"role": "assistant", "content": answer(lead, chosen)}],
            "rejected": [{"role": "assistant", "content": answer(
                lead, negs + chosen[: len(chosen) - len(negs)])}],
        }
        for kind, negs in preference_items(row, config, sources)
    ]


def to_preference_table(
    rows: Iterable[Mapping[str, Any]],
    config: ExportConfig,
    sources: PreferenceSources,
    phrases: Mapping[str, list[str]] | None = None,
) -> tuple[pa.Table, int]:
    """All rows as preference pairs; returns (table, samples without any pair)."""
    return build_table(rows, lambda r: preference_examples(r, config, sources, phrases),
                       PREFERENCE_SCHEMA)


def load_self_hard(path: str, resolver: Any) -> dict[str, list[dict[str, Any]]]:
    """sample id -> resolved items of a predictions file (H's JSONL/Parquet format)."""
    from datagen.catalogue.parse import extract_titles
    from datagen.evaluate.predictions import load_predictions

    pset = load_predictions(path)
    out: dict[str, list[dict[str, Any]]] = {}
    for sid, rec in pset.records.items():
        titles = list(rec.titles) if rec.titles is not None else extract_titles(rec.text or "")
        items, seen = [], set()
        for m in resolver.resolve_many(titles):
            if m.matched and m.item_id not in seen:
                seen.add(m.item_id)
                items.append({"item_id": m.item_id, "title": m.title, "year": m.year})
        out[sid] = items
    return out
