"""Turn prediction records into ranked item ids with the project's one parser and resolver.

Model text goes through :func:`datagen.catalogue.parse.extract_titles`; every title string
goes through :class:`datagen.catalogue.resolver.TitleResolver`. Each distinct string is parsed
and resolved once (a benchmark of 100,000 answers repeats the same titles a lot), and the
ranked lists become an integer matrix so that metrics are numpy operations over all samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from datagen.evaluate.predictions import PredictionSet
from datagen.evaluate.truth import BenchmarkSplit

__all__ = [
    "DUPLICATE",
    "PAD",
    "UNRESOLVED",
    "CachedResolver",
    "ItemVocab",
    "ParsedPredictions",
    "parse_predictions",
]

PAD = -1  # no title at this rank
UNRESOLVED = -2  # a title that matches no catalogue item (hallucination)
DUPLICATE = -3  # an item already recommended higher in the same list


class _Resolver(Protocol):
    def resolve_many(self, texts: list[str]) -> list: ...


class CachedResolver:
    """Wraps the one TitleResolver: each distinct string is resolved once, in batches."""

    def __init__(self, resolver: _Resolver) -> None:
        self._resolver = resolver
        self._cache: dict[str, str | None] = {}

    def __len__(self) -> int:
        return len(self._cache)

    def item_ids(self, texts: Sequence[str]) -> list[str | None]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for text, match in zip(todo, self._resolver.resolve_many(todo), strict=True):
                self._cache[text] = match.item_id if match.matched else None
        return [self._cache[t] for t in texts]


class ItemVocab:
    """item id <-> dense integer code, shared by the split and every model being compared."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.ids: list[str] = []

    def __len__(self) -> int:
        return len(self.ids)

    def code(self, item_id: str) -> int:
        code = self.index.get(item_id)
        if code is None:
            code = self.index[item_id] = len(self.ids)
            self.ids.append(item_id)
        return code


@dataclass
class ParsedPredictions:
    """One model's answers as an ``(n_samples, k_max)`` code matrix plus per-sample counts."""

    name: str
    codes: np.ndarray  # int32 item codes, or PAD / UNRESOLVED / DUPLICATE
    n_parsed: np.ndarray  # titles parsed from the whole answer
    n_resolved: np.ndarray  # of which resolved to a catalogue item
    has_prediction: np.ndarray  # bool: the file has a record for the sample
    parse_failed: np.ndarray  # bool: non-empty text but no title could be parsed


def _default_parser() -> Callable[[str], list[str]]:
    from datagen.catalogue.parse import extract_titles

    return extract_titles


def _title_lists(
    pset: PredictionSet, split: BenchmarkSplit, parser: Callable[[str], list[str]]
) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    parsed_text: dict[str, list[str]] = {}
    lists: list[list[str]] = []
    has = np.zeros(len(split), dtype=bool)
    failed = np.zeros(len(split), dtype=bool)
    for i, sid in enumerate(split.sample_ids):
        rec = pset.records.get(sid)
        if rec is None:
            lists.append([])
            continue
        has[i] = True
        if rec.titles is not None:
            titles = [t for t in rec.titles if t.strip()]
        else:
            text = rec.text or ""
            titles = parsed_text.get(text)
            if titles is None:
                titles = parsed_text[text] = list(parser(text)) if text.strip() else []
            failed[i] = bool(text.strip()) and not titles
        lists.append(titles)
    return lists, has, failed


def parse_predictions(
    pset: PredictionSet,
    split: BenchmarkSplit,
    resolver: CachedResolver,
    vocab: ItemVocab,
    k_max: int,
    parser: Callable[[str], list[str]] | None = None,
) -> ParsedPredictions:
    """Parse and resolve a model's answers in the order of ``split.sample_ids``."""
    lists, has, failed = _title_lists(pset, split, parser or _default_parser())
    flat = [t for titles in lists for t in titles]
    resolved = resolver.item_ids(flat)
    n = len(split)
    codes = np.full((n, k_max), PAD, dtype=np.int32)
    n_parsed = np.zeros(n, dtype=np.int32)
    n_resolved = np.zeros(n, dtype=np.int32)
    pos = 0
    for i, titles in enumerate(lists):
        ids = resolved[pos : pos + len(titles)]
        pos += len(titles)
        n_parsed[i] = len(ids)
        n_resolved[i] = sum(1 for x in ids if x is not None)
        seen: set[str] = set()
        row = codes[i]
        for rank, item_id in enumerate(ids[:k_max]):
            if item_id is None:
                row[rank] = UNRESOLVED
            elif item_id in seen:
                row[rank] = DUPLICATE
            else:
                seen.add(item_id)
                row[rank] = vocab.code(item_id)
    return ParsedPredictions(pset.name, codes, n_parsed, n_resolved, has, failed)
