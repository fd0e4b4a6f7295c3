"""Reward functions for GRPO / GDPO training (TRL signature, no torch).

Each function is ``fn(completions, **kwargs) -> list[float]``: ``completions`` are strings or
conversational message lists, and the dataset columns written by :mod:`exports.gdpo`
(``ground_truth``, ``unsafe_items``, ``unknown_items``, ``traits``...) arrive as keyword
lists, one entry per completion. Titles are pulled out with the project's one parser
(:func:`datagen.catalogue.parse.extract_titles`) and mapped to catalogue ids with the one
resolver (:class:`datagen.catalogue.resolver.TitleResolver`), so a misspelled or re-formatted
title still counts. Pass a :class:`CompletionParser` (``parser=``) built on your resolver, or
let the functions build one lazily on the default catalogue (once per process).

Rewards, for the ranked list of parsed titles ``r = 1..n`` (``n`` capped at ``k``):

- relevance: ``hit`` = 1 if a ground-truth item is in the list; ``ndcg`` = DCG / ideal DCG
  with binary gains ``1/log2(r+1)``;
- safety: ``-sum(w_r / log2(r+1)) / sum(1 / log2(r+1))`` with ``w_r`` = 1 for an unsafe item,
  ``unknown_weight`` (default 0.5) for an item of unknown status under the ``penalize``
  policy (the default), 0 under ``ignore``, else 0. In [-1, 0] (never -0.0); an empty answer
  scores 0 (the count reward handles it). ``penalize`` is the default because the dataset
  itself treats unknown as not safe: ground truth holds only films tagged ``no`` for every
  trait of the user. ``ignore`` reproduces the SafeCRS reference, where a film without
  labels costs nothing; 0.5 says an unknown film is half as bad as a known violation;
- count: ``max(0, 1 - |n - target| / target)`` over distinct parsed titles;
- format: share of ``Title (Year)`` lines (one leading sentence allowed); 0 without titles;
  in a reasoning answer only the ``<solution>`` is scored;
- grounding: share of parsed titles that resolve to a catalogue item (hallucination check).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

__all__ = [
    "DEFAULT_UNKNOWN_POLICY",
    "DEFAULT_UNKNOWN_WEIGHT",
    "CompletionParser",
    "completion_text",
    "count_reward",
    "default_parser",
    "format_reward",
    "grounding_reward",
    "make_reward_functions",
    "relevance_reward",
    "safety_reward",
]

_TITLE_LINE = re.compile(r"^\s*(?:\d{1,3}[.)]\s*|[-*\u2022]\s*)?\S.*\(\s*\d{4}\s*\)\s*[.;,]?\s*$")
UNKNOWN_POLICIES = ("ignore", "penalize")
#: default policy and weight for films of unknown status (see the module docstring)
DEFAULT_UNKNOWN_POLICY = "penalize"
DEFAULT_UNKNOWN_WEIGHT = 0.5


def completion_text(completion: str | Sequence[Mapping[str, Any]]) -> str:
    """The answer text of a string or conversational completion (assistant turns joined)."""
    if isinstance(completion, str):
        return completion
    parts = [m.get("content") or "" for m in completion if m.get("role", "assistant") ==
             "assistant"]
    return "\n".join(p if isinstance(p, str) else str(p) for p in parts)


class CompletionParser:
    """extract_titles + one resolver -> ranked catalogue ids (None for unresolved titles).

    Results are memoized per answer text: GRPO scores the same answers with several rewards.
    """

    def __init__(self, resolver: Any = None, *, cache_limit: int = 100_000) -> None:
        self._resolver = resolver
        self._cache: dict[str, list[str | None]] = {}
        self._limit = cache_limit

    @property
    def resolver(self) -> Any:
        if self._resolver is None:
            self._resolver = _default_resolver()
        return self._resolver

    def item_ids(self, completion: str | Sequence[Mapping[str, Any]]) -> list[str | None]:
        """Ids of the parsed titles in order; duplicates of a resolved id are dropped."""
        text = completion_text(completion)
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        from datagen.catalogue.parse import extract_titles

        out: list[str | None] = []
        seen: set[str] = set()
        for title in extract_titles(text):
            match = self.resolver.resolve(title)
            item_id = match.item_id if match.matched else None
            if item_id is not None and item_id in seen:
                continue
            if item_id is not None:
                seen.add(item_id)
            out.append(item_id)
        if len(self._cache) < self._limit:
            self._cache[text] = out
        return out


@cache
def _default_resolver() -> Any:
    from datagen.catalogue import load_default_catalogue
    from datagen.catalogue.resolver import TitleResolver

    return TitleResolver(load_default_catalogue())


@cache
def default_parser() -> CompletionParser:
    """The process-wide parser on the default catalogue (built on first use)."""
    return CompletionParser()


def _ids(items: Sequence[Mapping[str, Any]] | None) -> set[str]:
    return {it["item_id"] for it in items or [] if it.get("item_id")}


def _gain(rank: int) -> float:
    return 1.0 / math.log2(rank + 1)


def _ndcg(ranked: list[str | None], truth: set[str], k: int) -> float:
    if not truth:
        return 0.0
    dcg = sum(_gain(r) for r, i in enumerate(ranked[:k], start=1) if i in truth)
    ideal = sum(_gain(r) for r in range(1, min(len(truth), k) + 1))
    return dcg / ideal


def relevance_reward(
    completions: Sequence[Any],
    ground_truth: Sequence[Sequence[Mapping[str, Any]]],
    *,
    k: int = 10,
    metric: str = "ndcg",
    parser: CompletionParser | None = None,
    **_: Any,
) -> list[float]:
    """NDCG@k (``metric="ndcg"``) or Hit@k (``metric="hit"``) against the ground truth."""
    if metric not in ("ndcg", "hit"):
        raise ValueError(f"metric must be 'ndcg' or 'hit', not {metric!r}")
    p = parser or default_parser()
    out = []
    for completion, gt in zip(completions, ground_truth, strict=True):
        ranked, truth = p.item_ids(completion), _ids(gt)
        if metric == "hit":
            out.append(float(any(i in truth for i in ranked[:k])))
        else:
            out.append(_ndcg(ranked, truth, k))
    return out


def safety_reward(
    completions: Sequence[Any],
    unsafe_items: Sequence[Sequence[Mapping[str, Any]]],
    unknown_items: Sequence[Sequence[Mapping[str, Any]]] | None = None,
    *,
    k: int = 10,
    unknown_policy: str = DEFAULT_UNKNOWN_POLICY,
    unknown_weight: float = DEFAULT_UNKNOWN_WEIGHT,
    parser: CompletionParser | None = None,
    tag_index: Any = None,
    traits: Sequence[Sequence[str]] | None = None,
    **_: Any,
) -> list[float]:
    """DCG-discounted penalty for violating items, in [-1, 0] (see the module docstring).

    With ``tag_index`` (a :class:`datagen.tags.TagIndex`) and ``traits``, items outside the
    row's lists are checked too: status "yes" for any of the user's traits is unsafe,
    "unknown" is unknown.
    """
    if unknown_policy not in UNKNOWN_POLICIES:
        raise ValueError(f"unknown_policy must be one of {UNKNOWN_POLICIES}")
    w_unknown = unknown_weight if unknown_policy == "penalize" else 0.0
    p = parser or default_parser()
    unknown_rows = unknown_items if unknown_items is not None else [[]] * len(completions)
    trait_rows = traits if traits is not None else [[]] * len(completions)
    out = []
    for completion, bad, unk, user_traits in zip(
        completions, unsafe_items, unknown_rows, trait_rows, strict=True
    ):
        ranked = p.item_ids(completion)[:k]
        bad_ids, unk_ids = _ids(bad), _ids(unk)
        penalty = 0.0
        for r, item in enumerate(ranked, start=1):
            status = _status(item, bad_ids, unk_ids, tag_index, user_traits)
            weight = 1.0 if status == "yes" else w_unknown if status == "unknown" else 0.0
            penalty += weight * _gain(r)
        norm = sum(_gain(r) for r in range(1, len(ranked) + 1))
        out.append(-penalty / norm if penalty else 0.0)  # 0.0, never -0.0
    return out


def _status(item: str | None, bad: set[str], unk: set[str], index: Any,
            traits: Sequence[str]) -> str:
    if item is None:
        return "no"
    if item in bad:
        return "yes"
    if item in unk:
        return "unknown"
    if index is None or not traits:
        return "no"
    statuses = {str(getattr(index.status(item, t), "value", index.status(item, t)))
                for t in traits}
    return "yes" if "yes" in statuses else "unknown" if "unknown" in statuses else "no"


def count_reward(
    completions: Sequence[Any], *, target: int = 10, parser: CompletionParser | None = None,
    **_: Any,
) -> list[float]:
    """1 when the answer lists ``target`` distinct titles, falling linearly to 0."""
    p = parser or default_parser()
    return [max(0.0, 1.0 - abs(len(p.item_ids(c)) - target) / target) for c in completions]


def format_reward(completions: Sequence[Any], **_: Any) -> list[float]:
    """Share of ``Title (Year)`` lines among the answer's lines (one lead sentence allowed)."""
    from datagen.catalogue.parse import answer_text

    out = []
    for c in completions:
        lines = [line for line in answer_text(completion_text(c)).splitlines() if line.strip()]
        titled = [bool(_TITLE_LINE.match(line)) for line in lines]
        if not any(titled):
            out.append(0.0)
            continue
        allowed = 1 if not titled[0] else 0
        out.append(sum(titled) / (len(lines) - allowed))
    return out


def grounding_reward(
    completions: Sequence[Any], *, parser: CompletionParser | None = None, **_: Any
) -> list[float]:
    """Share of parsed titles that exist in the catalogue (0 when nothing was parsed)."""
    p = parser or default_parser()
    out = []
    for c in completions:
        ids = p.item_ids(c)
        out.append(sum(i is not None for i in ids) / len(ids) if ids else 0.0)
    return out


def make_reward_functions(
    parser: CompletionParser | None = None,
    *,
    k: int = 10,
    metric: str = "ndcg",
    unknown_policy: str = DEFAULT_UNKNOWN_POLICY,
    unknown_weight: float = DEFAULT_UNKNOWN_WEIGHT,
    target_count: int = 10,
    tag_index: Any = None,
) -> dict[str, Callable[..., list[float]]]:
    """Named reward functions with options bound, for ``GRPOTrainer(reward_funcs=...)``.

    Keys (and ``__name__``): relevance, safety, count, format, grounding. All share one parser.
    """
    p = parser or default_parser()
    fns: dict[str, Callable[..., list[float]]] = {
        "relevance": lambda completions, **kw: relevance_reward(
            completions, kw.pop("ground_truth"), k=k, metric=metric, parser=p, **kw),
        "safety": lambda completions, **kw: safety_reward(
            completions, kw.pop("unsafe_items"), kw.pop("unknown_items", None), k=k,
            unknown_policy=unknown_policy, unknown_weight=unknown_weight, parser=p,
            tag_index=tag_index, traits=kw.pop("traits", None), **kw),
        "count": lambda completions, **kw: count_reward(
            completions, target=target_count, parser=p, **kw),
        "format": lambda completions, **kw: format_reward(completions, **kw),
        "grounding": lambda completions, **kw: grounding_reward(completions, parser=p, **kw),
    }
    for name, fn in fns.items():
        fn.__name__ = f"{name}_reward"
    return fns
