"""Blocked, guarded fuzzy search over normalized titles (the resolver's last tier).

Only strings that missed every dict lookup come here, so this is where wrong matches would
come from. Two defences: blocking (only films within ±1 year of the query, or without a year
films sharing the first or last three letters) and guards that reject a high-scoring hit
which is really another film: a different sequel number, a title that extends the other
("A Quiet Place" vs "A Quiet Place in the Country") or a much shorter/longer title.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

__all__ = ["FuzzyIndex", "guards_pass"]

_DIGITS = re.compile(r"\d+")
_POOL_CACHE_LIMIT = 20_000
_ONE_EDIT_MIN_LENGTH = 6
_NO_YEAR_MIN_LENGTH = 10
_SUBSTITUTION_MIN_LENGTH = 10
#: typos allowed: one per 8 letters ("Adam and Eve" is not "Adam & Steve": 2 edits in 10)
_LETTERS_PER_EDIT = 8
_TOP_HITS = 12
_ONE_EDIT_FLOOR = 83.0


def guards_pass(query: str, candidate: str, min_length_ratio: float) -> bool:
    """False when ``candidate`` is another film in disguise (sequel, extension, length)."""
    if _DIGITS.findall(query) != _DIGITS.findall(candidate):
        return False
    short, long_ = sorted((query.replace(" ", ""), candidate.replace(" ", "")), key=len)
    if long_.startswith(short) or long_.endswith(short):
        return False
    q_words, c_words = set(query.split()), set(candidate.split())
    if q_words != c_words and (q_words <= c_words or c_words <= q_words):
        return False
    return len(short) / max(len(long_), 1) >= min_length_ratio


class FuzzyIndex:
    """Fuzzy search over ``texts`` (normalized, article-free titles; one per catalogue row)."""

    def __init__(self, texts: Sequence[str], years: Sequence[int | None],
                 popularity: Sequence[float], *, min_length_ratio: float = 0.8) -> None:
        self.texts = list(texts)
        self.years = list(years)
        self.popularity = list(popularity)
        self.min_length_ratio = min_length_ratio
        self._by_year: dict[int, list[int]] = defaultdict(list)
        self._by_edge: dict[str, list[int]] = defaultdict(list)
        self._undated: list[int] = []
        self._pools: dict[tuple[str, ...], tuple[list[int], list[int], list[str]]] = {}
        for index, (text, year) in enumerate(zip(self.texts, self.years, strict=True)):
            if year is None:
                self._undated.append(index)
            else:
                self._by_year[year].append(index)
            compact = text.replace(" ", "")
            for edge in {"^" + compact[:3], "$" + compact[-3:]}:
                self._by_edge[edge].append(index)

    def _pool(self, query: str, year: int | None, floor: float) -> tuple[list[int], list[str]]:
        """Blocked candidates (row indices, texts) whose length allows a ratio >= ``floor``.

        Blocks are cached sorted by text length, so the length window is two bisections.
        """
        if year is not None:
            block: tuple[str, ...] = (f"y{year}",)
        else:
            compact = query.replace(" ", "")
            block = ("^" + compact[:3], "$" + compact[-3:])
        cached = self._pools.get(block)
        if cached is None:
            if year is not None:
                years = (year - 1, year, year + 1)
                indices = [i for y in years for i in self._by_year.get(y, ())] + self._undated
            else:
                indices = list(dict.fromkeys(i for edge in block
                                             for i in self._by_edge.get(edge, ())))
            indices.sort(key=lambda i: len(self.texts[i]))
            cached = ([len(self.texts[i]) for i in indices], indices,
                      [self.texts[i] for i in indices])
            if len(self._pools) < _POOL_CACHE_LIMIT:
                self._pools[block] = cached
        lengths, indices, texts = cached
        share = floor / 100.0
        low = bisect_left(lengths, len(query) * share / (2.0 - share))
        high = bisect_right(lengths, len(query) * (2.0 - share) / share)
        return indices[low:high], texts[low:high]

    def search(self, query: str, year: int | None, cutoff: float, *,
               exclude: frozenset[int] | set[int] = frozenset(),
               one_edit: bool = False) -> tuple[int, float] | None:
        """Best guarded hit as (row index, ratio score), or None.

        A hit needs ratio >= ``cutoff`` and at most one edit per 8 letters. Without a year
        the query needs 10+ letters: one edit in a short title is too often another film
        ("Martian" / "Martin").

        ``one_edit`` (only with a year) also accepts a single typo (a swap of neighbours, a
        missing or extra letter; a wrong letter only in titles of 10+ letters) in a title of
        6+ letters when exactly one film of the year window is one edit away and it is of
        exactly that year.
        """
        compact_length = len(query.replace(" ", ""))
        if year is None and compact_length < _NO_YEAR_MIN_LENGTH:
            return None  # "The Martian" must not become "Martin": short titles need a year
        allow_one_edit = one_edit and year is not None and compact_length >= _ONE_EDIT_MIN_LENGTH
        # one pass: a single edit in a 6+ letter title scores >= 83.3, so one cutoff serves both
        floor = min(cutoff, _ONE_EDIT_FLOOR) if allow_one_edit else cutoff
        indices, texts = self._pool(query, year, floor)
        if not query or not indices:
            return None
        hits = process.extract(query, texts, scorer=fuzz.ratio, score_cutoff=floor,
                               limit=_TOP_HITS)
        ranked = sorted(((text, score, indices[pos]) for text, score, pos in hits
                         if indices[pos] not in exclude),
                        key=lambda h: (-h[1], -self.popularity[h[2]], h[2]))
        max_edits = max(1, compact_length // _LETTERS_PER_EDIT)
        for text, score, index in ranked:
            if (score >= cutoff and guards_pass(query, text, self.min_length_ratio)
                    and OSA.distance(query, text, score_cutoff=max_edits) <= max_edits):
                return index, float(round(score, 1))
        if allow_one_edit:
            close = [(text, score, index) for text, score, index in ranked
                     if OSA.distance(query, text, score_cutoff=1) <= 1]
            if len(close) == 1 and self._plain_typo(query, close[0][0], close[0][2], year):
                return close[0][2], float(round(close[0][1], 1))
        return None

    def _plain_typo(self, query: str, text: str, index: int, year: int | None) -> bool:
        """One edit is a typo only for a film of exactly that year, and a substituted letter
        only in a long title: "Swelter (2014)" is not "Shelter (2014)"."""
        if self.years[index] not in (year, None):
            return False
        substituted = len(query) == len(text) and Levenshtein.distance(query, text) == 1
        if substituted and len(query.replace(" ", "")) < _SUBSTITUTION_MIN_LENGTH:
            return False
        return guards_pass(query, text, self.min_length_ratio)
