"""Reference baselines that write ordinary prediction files, to sanity-check the benchmark.

* ``popularity``: the most popular catalogue items the user has not already liked — no
  personalization, no safety; the floor for relevance.
* ``graph``: items closest to the liked films in the attribute graph
  (:func:`datagen.graph.related_items`), ignoring safety.
* ``graph_safe``: the same ranking filtered by the trigger tags: an item tagged ``yes`` for
  any of the user's traits is dropped; ``unknown`` items are dropped too under the default
  policy (``exclude``), kept (``allow``) or moved behind every known-safe item
  (``penalize``). With ``exclude`` its SVR and unknown-rate are 0 by construction: an upper
  bound for safety at the relevance the graph can reach.
* ``graph_stated``: the ``graph_safe`` filter for the traits the user *states* in their own
  turns, as the project's one leak matcher reads them, instead of the hidden ones: a keyword
  reader. It is as safe as ``graph_safe`` where the sensitivity is said plainly (the
  ``explicit`` variant) and no safer than ``graph`` where it only shows through an implicit
  cue, which is the gap the benchmark exists to measure; LLMs should beat it on ``implicit``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Protocol

from datagen.evaluate.predictions import PredictionRecord
from datagen.evaluate.truth import BenchmarkSplit

__all__ = [
    "BASELINES",
    "BaselineName",
    "Ranker",
    "display_titles",
    "graph_baseline",
    "graph_ranker",
    "graph_safe_baseline",
    "graph_safe_ranker",
    "graph_stated_baseline",
    "popularity_baseline",
    "popularity_ranker",
    "stated_traits",
]


class BaselineName(StrEnum):
    popularity = "popularity"
    graph = "graph"
    graph_safe = "graph_safe"
    graph_stated = "graph_stated"


BASELINES = tuple(b.value for b in BaselineName)


class _Catalogue(Protocol):
    items: list

    def get(self, item_id: str) -> object | None: ...


class _Tags(Protocol):
    def status(self, item_id: str, trait_id: str) -> object: ...


#: one user's ranking: (liked item ids, trait ids) -> recommended item ids, best first
Ranker = Callable[[Sequence[str], Sequence[str]], list[str]]


def display_titles(catalogue: _Catalogue, item_ids: Sequence[str]) -> tuple[str, ...]:
    """``"Title (Year)"`` of each known item, in order (unknown ids are skipped)."""
    out = []
    for item_id in item_ids:
        item = catalogue.get(item_id)
        if item is not None:
            out.append(item.display)  # type: ignore[attr-defined]
    return tuple(out)


class _Matcher(Protocol):
    def find(self, text: str, trait_ids: Sequence[str] | None = None) -> list[tuple[str, str]]: ...


def stated_traits(user_text: str, matcher: _Matcher) -> list[str]:
    """The traits whose leak terms (or names) the user's own words contain, sorted."""
    return sorted({owner for owner, _ in matcher.find(user_text)})


def _records(split: BenchmarkSplit, catalogue: _Catalogue, rank: Ranker,
             traits: Sequence[Sequence[str]] | None = None) -> list[PredictionRecord]:
    seen = split.traits if traits is None else traits
    return [
        PredictionRecord(
            sample_id=sid,
            titles=display_titles(catalogue, rank(split.liked[i], seen[i])),
            split=split.split,
            taxonomy_version=split.taxonomy_version,
        )
        for i, sid in enumerate(split.sample_ids)
    ]


def popularity_ranker(catalogue: _Catalogue, k: int = 20) -> Ranker:
    """The ``k`` most popular catalogue items not already liked (ties broken by item id)."""
    ranked = [it.item_id for it in sorted(catalogue.items, key=lambda it: (-it.popularity,
                                                                          it.item_id))]

    def rank(liked_ids: Sequence[str], traits: Sequence[str]) -> list[str]:
        liked = set(liked_ids)
        out: list[str] = []
        for item_id in ranked:
            if item_id not in liked:
                out.append(item_id)
                if len(out) == k:
                    break
        return out

    return rank


def graph_ranker(graph: object, k: int = 20) -> Ranker:
    """The ``k`` items most related to the liked films in the graph, safety ignored."""
    from datagen.graph import related_items

    def rank(liked_ids: Sequence[str], traits: Sequence[str]) -> list[str]:
        return [item_id for item_id, _ in related_items(graph, list(liked_ids), k=k)]

    return rank


def _status(tags: _Tags, item_id: str, trait: str) -> str:
    status = tags.status(item_id, trait)
    return str(getattr(status, "value", status))


def graph_safe_ranker(graph: object, tags: _Tags, k: int = 20, *,
                      unknown_policy: str = "exclude", pool: int = 200) -> Ranker:
    """:func:`graph_ranker` with items unsafe for the user's traits filtered out.

    The candidate pool grows (doubling from ``pool``) until ``k`` items survive the filter or
    the graph has no more related items.
    """
    from datagen.graph import related_items

    if unknown_policy not in ("exclude", "allow", "penalize"):
        raise ValueError(f"unknown policy {unknown_policy!r}")

    def rank(liked_ids: Sequence[str], traits: Sequence[str]) -> list[str]:
        size = max(pool, k)
        while True:
            ranked = [x for x, _ in related_items(graph, list(liked_ids), k=size)]
            safe: list[str] = []
            unknown: list[str] = []
            for item_id in ranked:
                statuses = {_status(tags, item_id, t) for t in traits}
                if "yes" in statuses:
                    continue
                if "unknown" in statuses and unknown_policy != "allow":
                    unknown.append(item_id)
                else:
                    safe.append(item_id)
            if unknown_policy == "penalize":
                safe += unknown
            if len(safe) >= k or len(ranked) < size:
                return safe[:k]
            size *= 2

    return rank


def popularity_baseline(
    split: BenchmarkSplit, catalogue: _Catalogue, k: int = 20
) -> list[PredictionRecord]:
    """The ``k`` most popular catalogue items not already liked (ties broken by item id)."""
    return _records(split, catalogue, popularity_ranker(catalogue, k))


def graph_baseline(
    split: BenchmarkSplit, catalogue: _Catalogue, graph: object, k: int = 20
) -> list[PredictionRecord]:
    """The ``k`` items most related to the liked films in the graph, safety ignored."""
    return _records(split, catalogue, graph_ranker(graph, k))


def graph_safe_baseline(
    split: BenchmarkSplit,
    catalogue: _Catalogue,
    graph: object,
    tags: _Tags,
    k: int = 20,
    *,
    unknown_policy: str = "exclude",
    pool: int = 200,
) -> list[PredictionRecord]:
    """Like :func:`graph_baseline`, with items unsafe for the user's traits filtered out."""
    return _records(split, catalogue, graph_safe_ranker(graph, tags, k,
                                                        unknown_policy=unknown_policy, pool=pool))


def graph_stated_baseline(
    split: BenchmarkSplit,
    catalogue: _Catalogue,
    graph: object,
    tags: _Tags,
    matcher: _Matcher,
    user_texts: Sequence[str],
    k: int = 20,
    *,
    unknown_policy: str = "exclude",
    pool: int = 200,
) -> list[PredictionRecord]:
    """:func:`graph_safe_baseline` for the traits stated in ``user_texts`` (one per sample)."""
    if len(user_texts) != len(split):
        raise ValueError(f"{len(user_texts)} dialogues for {len(split)} samples")
    traits = [stated_traits(text, matcher) for text in user_texts]
    return _records(split, catalogue, graph_safe_ranker(graph, tags, k,
                                                        unknown_policy=unknown_policy, pool=pool),
                    traits)
