"""The one title resolver: free text ("Dark Knight, The (2008)") -> catalogue item + how.

Built once per catalogue. Lookups go through three dict tiers before any fuzzy work:

1. ``title_key`` of the title and its aliases, and the article-free key ("dark knight");
2. the main title before a subtitle ("Terminator 2" -> "Terminator 2: Judgment Day"),
   accepted only with a year within ±1 or a single candidate;
3. fuzzy (rapidfuzz ratio on normalized titles) only on a miss, blocked by year window or by
   the first/last three letters, with a strict cutoff and guards: the numbers in both titles
   must agree (sequels), neither title may extend the other ("A Quiet Place" is not
   "A Quiet Place in the Country"), and their lengths must be close.

Year rules: several films with one title -> the one of the given year; a year off by one is
accepted (``year_distance=1``); a larger gap is no match (``reason="year mismatch ..."``)
unless a fuzzy candidate of the right year is very strong; no year and several films -> the
most popular, with ``reason="ambiguous: N candidates"``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from datagen.catalogue.models import Item, TitleMatch
from datagen.catalogue.store import Catalogue
from datagen.catalogue.titles import split_bare_year, split_title_year, title_forms

__all__ = ["TitleResolver"]

_SUBTITLE = re.compile(r"\s*(?::|\s[–—-]\s)\s*")
_MARKUP = "*_` "
_QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“"}
_TRAILING_PUNCT = ".,;:!?"
_DIGITS = re.compile(r"\d+")
_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class _Outcome:
    """Internal: a chosen catalogue row or a failure reason."""

    index: int | None
    kind: str
    score: float = 100.0
    year_distance: int | None = None
    reason: str | None = None


def _clean(text: str) -> str:
    """Strip markdown emphasis, one pair of surrounding quotes and trailing punctuation."""
    text = " ".join(text.split()).strip(_MARKUP)
    while text and text[-1] in _TRAILING_PUNCT and not text.endswith("..."):
        text = text[:-1].rstrip(_MARKUP)
    if len(text) > 1 and _QUOTE_PAIRS.get(text[0]) == text[-1]:
        text = text[1:-1].strip(_MARKUP)
    return text


def _main_title(title: str) -> str | None:
    """'Terminator 2: Judgment Day' -> 'Terminator 2'; None without a subtitle."""
    parts = _SUBTITLE.split(title, maxsplit=1)
    return parts[0] if len(parts) == 2 and parts[0].strip() else None


class TitleResolver:
    """Resolve titles against one catalogue (see the module docstring for the rules)."""

    def __init__(self, catalogue: Catalogue, *, fuzzy_cutoff: float = 90.0,
                 strong_cutoff: float = 95.0, min_length_ratio: float = 0.8) -> None:
        self.catalogue = catalogue
        self.fuzzy_cutoff = fuzzy_cutoff
        self.strong_cutoff = strong_cutoff
        self.min_length_ratio = min_length_ratio
        self._items: list[Item] = list(catalogue.items)
        self._keys: dict[str, list[int]] = defaultdict(list)
        self._main: dict[str, list[int]] = defaultdict(list)
        self._fuzzy_text: list[str] = []
        self._by_year: dict[int, list[int]] = defaultdict(list)
        self._by_edge: dict[str, list[int]] = defaultdict(list)
        self._cache: dict[tuple[str, int | None], TitleMatch] = {}
        for index, item in enumerate(self._items):
            self._index_item(index, item)
        self._keys = dict(self._keys)
        self._main = dict(self._main)

    def _index_item(self, index: int, item: Item) -> None:
        forms = title_forms(item.title)
        for title in (item.title, *item.aliases):
            title_form = forms if title is item.title else title_forms(title)
            for key in (title_form.key, title_form.free_key):
                bucket = self._keys[key]
                if key and index not in bucket:
                    bucket.append(index)
            main = _main_title(title) if ":" in title or " " in title else None
            if main:
                self._main[title_forms(main).free_key].append(index)
        self._fuzzy_text.append(forms.free_text)
        if item.year is not None:
            self._by_year[item.year].append(index)
        for edge in {"^" + forms.free_key[:3], "$" + forms.free_key[-3:]}:
            self._by_edge[edge].append(index)

    # ------------------------------------------------------------------ public API
    def resolve(self, text: str, year: int | None = None) -> TitleMatch:
        """Resolve one string; ``year`` overrides a year written in the text."""
        cache_key = (text, year)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        match = self._resolve(text, year)
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[cache_key] = match
        return match

    def resolve_many(self, texts: Iterable[str]) -> list[TitleMatch]:
        """Resolve many strings; identical strings are resolved once."""
        return [self.resolve(text) for text in texts]

    # ------------------------------------------------------------------ internals
    def _resolve(self, text: str, year: int | None) -> TitleMatch:
        cleaned = _clean(text)
        title, written_year = split_title_year(cleaned)
        title = _clean(title)
        year = year if year is not None else written_year
        outcome = self._lookup(title, year)
        if outcome.index is None and year is None:
            bare_title, bare_year = split_bare_year(title)
            if bare_year is not None:
                second = self._lookup(bare_title, bare_year)
                if second.index is not None:
                    title, year, outcome = bare_title, bare_year, second
        return self._to_match(text, title, year, outcome)

    def _to_match(self, query: str, title: str, year: int | None,
                  outcome: _Outcome) -> TitleMatch:
        if outcome.index is None:
            return TitleMatch(query=query, match="none", score=0.0, reason=outcome.reason)
        item = self._items[outcome.index]
        kind = outcome.kind
        if kind == "normalized" and title.casefold() == item.title.casefold() and (
            year is None or year == item.year
        ):
            kind = "exact"
        return TitleMatch(
            query=query, item_id=item.item_id, imdb_id=item.imdb_id, title=item.title,
            year=item.year, match=kind, score=outcome.score,
            year_distance=outcome.year_distance, reason=outcome.reason,
        )

    def _lookup(self, title: str, year: int | None) -> _Outcome:
        if not title:
            return _Outcome(None, "none", 0.0, reason="empty title")
        candidates = self._candidates(title)
        if candidates:
            outcome = self._pick_by_year(candidates, year)
            if outcome.index is not None or year is None:
                return outcome
            fuzzy = self._fuzzy(title, year, self.strong_cutoff, exclude=set(candidates))
            return fuzzy if fuzzy.index is not None else outcome
        main = self._main_title_lookup(title, year)
        if main is not None:
            return main
        fuzzy = self._fuzzy(title, year, self.fuzzy_cutoff, exclude=set())
        if fuzzy.index is not None:
            return fuzzy
        return _Outcome(None, "none", 0.0, reason="not in catalogue")

    def _candidates(self, title: str) -> list[int]:
        found: list[int] = []
        forms = title_forms(title)
        for key in (forms.key, forms.free_key):
            for index in self._keys.get(key, ()):
                if index not in found:
                    found.append(index)
        return found

    def _popularity_order(self, indices: Iterable[int]) -> list[int]:
        return sorted(indices, key=lambda i: (-self._items[i].popularity, self._items[i].item_id))

    def _pick_by_year(self, candidates: list[int], year: int | None) -> _Outcome:
        if year is None:
            ranked = self._popularity_order(candidates)
            reason = f"ambiguous: {len(ranked)} candidates" if len(ranked) > 1 else None
            return _Outcome(ranked[0], "normalized", reason=reason)
        for distance in (0, 1):
            same = [i for i in candidates if self._year_gap(i, year) == distance]
            if same:
                ranked = self._popularity_order(same)
                reason = f"ambiguous: {len(ranked)} candidates" if len(ranked) > 1 else None
                return _Outcome(ranked[0], "normalized", year_distance=distance, reason=reason)
        undated = [i for i in candidates if self._items[i].year is None]
        if undated:
            return _Outcome(self._popularity_order(undated)[0], "normalized",
                            reason="catalogue item has no year")
        years = sorted({self._items[i].year for i in candidates if self._items[i].year})
        listed = ", ".join(str(y) for y in years)
        return _Outcome(None, "none", 0.0, reason=f"year mismatch: catalogue has {listed}")

    def _year_gap(self, index: int, year: int) -> int | None:
        item_year = self._items[index].year
        return None if item_year is None else abs(item_year - year)

    def _main_title_lookup(self, title: str, year: int | None) -> _Outcome | None:
        """Tier 2: subtitle dropped on the catalogue side, or on the query side (year needed)."""
        near = (lambda i: self._year_gap(i, year) in (0, 1)) if year is not None else None
        found = self._main.get(title_forms(title).free_key, [])
        if near is not None:
            found = [i for i in found if near(i)]
        if len(found) == 1 or (found and near is not None):
            outcome = self._pick_by_year(found, year)
            return _Outcome(outcome.index, "normalized", year_distance=outcome.year_distance,
                            reason="matched the title without its subtitle")
        query_main = _main_title(title)
        if query_main and near is not None:
            found = [i for i in self._candidates(query_main) if near(i)]
            if found:
                outcome = self._pick_by_year(found, year)
                return _Outcome(outcome.index, "normalized", year_distance=outcome.year_distance,
                                reason="matched the query's title without its subtitle")
        return None

    def _fuzzy_pool(self, query: str, year: int | None) -> list[int]:
        if year is not None:
            return [i for y in (year - 1, year, year + 1) for i in self._by_year.get(y, ())]
        compact = query.replace(" ", "")
        pool = dict.fromkeys(self._by_edge.get("^" + compact[:3], ()))
        pool.update(dict.fromkeys(self._by_edge.get("$" + compact[-3:], ())))
        return list(pool)

    def _fuzzy(self, title: str, year: int | None, cutoff: float,
               exclude: set[int]) -> _Outcome:
        query = title_forms(title).free_text
        pool = [i for i in self._fuzzy_pool(query, year) if i not in exclude]
        if not query or not pool:
            return _Outcome(None, "none", 0.0, reason="not in catalogue")
        choices = {i: self._fuzzy_text[i] for i in pool}
        hits = process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8)
        ranked = sorted(hits, key=lambda h: (-h[1], -self._items[h[2]].popularity, h[2]))
        for text, score, index in ranked:
            if _guards_pass(query, text, self.min_length_ratio):
                distance = self._year_gap(index, year) if year is not None else None
                return _Outcome(index, "fuzzy", float(round(score, 1)), year_distance=distance)
        return _Outcome(None, "none", 0.0, reason="not in catalogue")


def _guards_pass(query: str, candidate: str, min_length_ratio: float) -> bool:
    """Reject fuzzy hits that are another film in disguise (sequel, extension, short)."""
    if _DIGITS.findall(query) != _DIGITS.findall(candidate):
        return False
    short, long_ = sorted((query.replace(" ", ""), candidate.replace(" ", "")), key=len)
    if long_.startswith(short) or long_.endswith(short):
        return False
    q_words, c_words = set(query.split()), set(candidate.split())
    if q_words != c_words and (q_words <= c_words or c_words <= q_words):
        return False
    return len(short) / max(len(long_), 1) >= min_length_ratio
