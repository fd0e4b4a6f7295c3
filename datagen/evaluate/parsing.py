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
        self.index: dict[str, int] = {}  # insertion order = code order

    def __len__(self) -> int:
        return len(self.index)

    @property
    def ids(self) -> list[str]:
        return list(self.index)

    def code(self, item_id: str) -> int:
        return self.index.setdefault(item_id, len(self.index))

    def codes(self, item_ids: Sequence[str]) -> np.ndarray:
        """Codes of many ids at once (new ids get new codes), as int64."""
        index = self.index
        add = index.setdefault
        return np.fromiter((add(x, len(index)) for x in item_ids), dtype=np.int64,
                           count=len(item_ids))


@dataclass
class ParsedPredictions:
    """One model's answers as an ``(n_samples, k_max)`` code matrix plus per-sample counts."""

    name: str
    codes: np.ndarray  # int32 item codes, or PAD / UNRESOLVED / DUPLICATE
    n_parsed: np.ndarray  # titles parsed from the whole answer
    n_resolved: np.ndarray  # of which resolved to a catalogue item
    has_prediction: np.ndarray  # bool: the file has a record for the sample
    parse_failed: np.ndarray  # bool: non-empty text but no title could be parsed
    #: ``codes`` with repeats keeping their item code (for definitions that count repeats)
    item_codes: np.ndarray | None = None


def _default_parser() -> Callable[[str], list[str]]:
    from datagen.catalogue.parse import extract_titles

    return extract_titles


def _title_lists(
    pset: PredictionSet, split: BenchmarkSplit, parser: Callable[[str], list[str]]
) -> tuple[list[Sequence[str]], np.ndarray, np.ndarray]:
    parsed_text: dict[str, list[str]] = {}
    lists: list[Sequence[str]] = []
    has = np.zeros(len(split), dtype=bool)
    failed = np.zeros(len(split), dtype=bool)
    for i, sid in enumerate(split.sample_ids):
        rec = pset.records.get(sid)
        if rec is None:
            lists.append([])
            continue
        has[i] = True
        if rec.titles is not None:
            lists.append(rec.titles)  # blank entries were dropped when the file was read
            continue
        text = rec.text or ""
        parsed = parsed_text.get(text)
        if parsed is None:
            parsed = parsed_text[text] = list(parser(text)) if text.strip() else []
        failed[i] = bool(text.strip()) and not parsed
        lists.append(parsed)
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
    lengths = np.fromiter((len(t) for t in lists), dtype=np.int64, count=len(lists))
    # each distinct string gets a slot (insertion order) and is parsed/resolved once
    slots: dict[str, int] = {}
    slot = slots.setdefault
    position = np.fromiter((slot(t, len(slots)) for titles in lists for t in titles),
                           dtype=np.int64, count=int(lengths.sum()))
    distinct_codes = np.array(
        [UNRESOLVED if item_id is None else vocab.code(item_id)
         for item_id in resolver.item_ids(list(slots))],
        dtype=np.int64,
    )
    flat_codes = distinct_codes[position] if len(position) else np.zeros(0, dtype=np.int64)
    codes, item_codes = _rank_matrix(flat_codes, lengths, k_max)
    ends = np.cumsum(lengths)
    resolved_before = np.concatenate([[0], np.cumsum(flat_codes >= 0)])
    n_resolved = (resolved_before[ends] - resolved_before[ends - lengths]).astype(np.int32)
    return ParsedPredictions(pset.name, codes, lengths.astype(np.int32), n_resolved, has, failed,
                             item_codes)


def _rank_matrix(flat_codes: np.ndarray, lengths: np.ndarray,
                 k_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat per-answer codes -> ``(n, k_max)`` matrices: one where repeats of an item become
    DUPLICATE, and the same before that marking."""
    n = len(lengths)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ranks = np.arange(len(flat_codes), dtype=np.int64) - np.repeat(starts, lengths)
    keep = ranks < k_max
    rows, ranks, codes = rows[keep], ranks[keep], flat_codes[keep].copy()
    item_codes = np.full((n, k_max), PAD, dtype=np.int32)
    item_codes[rows, ranks] = codes
    resolved = np.flatnonzero(codes >= 0)
    if len(resolved):
        keys = rows[resolved] * (int(codes.max()) + 1) + codes[resolved]
        order = np.lexsort((ranks[resolved], keys))  # by item within row, then by rank
        repeat = np.zeros(len(order), dtype=bool)
        repeat[1:] = keys[order][1:] == keys[order][:-1]
        codes[resolved[order[repeat]]] = DUPLICATE
    matrix = np.full((n, k_max), PAD, dtype=np.int32)
    matrix[rows, ranks] = codes
    return matrix, item_codes
