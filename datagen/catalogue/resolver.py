"""The one title resolver: free text ("Dark Knight, The (2008)") -> catalogue item + how.

Built once per catalogue. Lookups go through three dict tiers before any fuzzy work:

1. ``title_key`` of the title and its aliases; then the article-free key ("dark knight"),
   so "Heat" prefers the films called Heat over "The Heat";
2. the main title before a subtitle ("Terminator 2" -> "Terminator 2: Judgment Day"),
   accepted only with a year within ±1 or a single candidate; and the query's own main
   title ("Borat: Cultural Learnings..." -> "Borat"), only for a film of exactly that year;
3. fuzzy (rapidfuzz ratio on normalized titles) only on a miss, blocked by year window or by
   the first/last three letters, with a strict cutoff and guards: the numbers in both titles
   must agree (sequels), neither title may extend the other ("A Quiet Place" is not
   "A Quiet Place in the Country"), and their lengths must be close. With a year given, a
   single typo in a title of 6+ letters is also accepted when exactly one film of that
   year window is one edit away ("Netowrk (1976)" -> "Network").

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

from datagen.catalogue.fuzzy import FuzzyIndex
from datagen.catalogue.models import Item, TitleMatch
from datagen.catalogue.parse import extract_titles
from datagen.catalogue.store import Catalogue
from datagen.catalogue.titles import (
    TitleForms,
    split_alternative_titles,
    split_bare_year,
    split_title_year,
    title_forms,
)
from datagen.gcpause import gc_paused

__all__ = ["TitleResolver"]

_SUBTITLE = re.compile(r"\s*(?::|\s[–—-]\s)\s*")
_MARKUP = "*_` "
_LIST_MARKER = re.compile(r"^(?:\d{1,3}[.)]|[-•*])\s+(?=\S)")
_QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“"}
_TRAILING_PUNCT = ".,;:!?"
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
    """Strip a list marker ("1.", "-"), markdown emphasis, one pair of surrounding quotes and
    trailing punctuation."""
    text = _LIST_MARKER.sub("", " ".join(text.split())).strip(_MARKUP)
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
        self._full: dict[str, list[int]] = defaultdict(list)
        self._free: dict[str, list[int]] = defaultdict(list)
        self._main: dict[str, list[int]] = defaultdict(list)
        fuzzy_texts: list[str] = []
        self._cache: dict[tuple[str, int | None], TitleMatch] = {}
        with gc_paused():  # tens of thousands of small lists
            for index, item in enumerate(self._items):
                fuzzy_texts.append(self._index_item(index, item))
            self._fuzzy_index = FuzzyIndex(
                fuzzy_texts, [item.year for item in self._items],
                [item.popularity for item in self._items], min_length_ratio=min_length_ratio)
        self._full, self._free = dict(self._full), dict(self._free)
        self._main = dict(self._main)

    def _index_item(self, index: int, item: Item) -> str:
        """Add the item's title keys to the dict tiers; return its fuzzy comparison text."""
        forms = title_forms(item.title)
        for title in (item.title, *item.aliases):
            title_form = forms if title is item.title else title_forms(title)
            for index_dict, key in ((self._full, title_form.key),
                                    (self._free, title_form.free_key)):
                bucket = index_dict[key]
                if key and index not in bucket:
                    bucket.append(index)
            main = _main_title(title) if ":" in title or " " in title else None
            if main:
                self._main[title_forms(main).free_key].append(index)
        return forms.free_text

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

    def resolve_many(self, texts: Iterable[str],
                     years: Iterable[int | None] | None = None) -> list[TitleMatch]:
        """Resolve many strings (optionally with one year each); identical inputs resolve once."""
        if years is None:
            return [self.resolve(text) for text in texts]
        return [self.resolve(text, year) for text, year in zip(texts, years, strict=True)]

    def resolve_text(self, model_text: str) -> list[TitleMatch]:
        """Every title in free model output (via :func:`extract_titles`), resolved in order."""
        return self.resolve_many(extract_titles(model_text))

    # ------------------------------------------------------------------ internals
    def _resolve(self, text: str, year: int | None) -> TitleMatch:
        cleaned = _clean(text)
        title, written_year = split_title_year(cleaned)
        title = _clean(title)
        year = year if year is not None else written_year
        outcome = self._lookup(title, year)
        if outcome.index is None and title.endswith(")"):
            title, outcome = self._alternative_lookup(title, year, outcome)
        if outcome.index is None and year is None:
            bare_title, bare_year = split_bare_year(title)
            if bare_year is not None:
                second = self._lookup(bare_title, bare_year)
                if second.index is not None:
                    title, year, outcome = bare_title, bare_year, second
        return self._to_match(text, title, year, outcome)

    def _alternative_lookup(self, title: str, year: int | None,
                            failed: _Outcome) -> tuple[str, _Outcome]:
        """'Infernal Affairs (Mou gaan dou)': try the title, then each parenthesized one."""
        main, alternatives = split_alternative_titles(title)
        found = [(candidate, self._lookup(candidate, year))
                 for candidate in (main, *alternatives) if candidate != title]
        found = [(candidate, outcome) for candidate, outcome in found if outcome.index is not None]
        if not found:
            return title, failed
        # the reading whose film has the given year beats one a year off ("Butterfly (La
        # lengua de las mariposas) (1999)"); otherwise the first reading wins
        return min(found, key=lambda pair: pair[1].year_distance or 0)

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
        forms = title_forms(title)
        tiers = self._candidate_tiers(forms)
        if tiers:
            for tier in tiers:
                outcome = self._pick_by_year(tier, year, prefer=title)
                if outcome.index is not None or year is None:
                    return outcome
            every = [i for tier in tiers for i in tier]
            fuzzy = self._fuzzy(forms, year, self.strong_cutoff, exclude=set(every))
            return fuzzy if fuzzy.index is not None else self._pick_by_year(every, year)
        main = self._main_title_lookup(title, forms, year)
        if main is not None:
            return main
        fuzzy = self._fuzzy(forms, year, self.fuzzy_cutoff, exclude=set())
        if fuzzy.index is not None:
            return fuzzy
        sharing = len(self._main.get(forms.free_key, ()))
        if year is None and sharing > 1:  # "Star Wars": several films, none is plainly meant
            return _Outcome(None, "none", 0.0,
                            reason=f"ambiguous: {sharing} films start with this title; "
                            "give a year")
        return _Outcome(None, "none", 0.0, reason="not in catalogue")

    def _candidate_tiers(self, forms: TitleForms) -> list[list[int]]:
        """Rows with the query's full key, then rows equal only without articles.

        "Heat" finds the three films called Heat before "The Heat"; "Dark Knight" finds
        "The Dark Knight" through the second tier.
        """
        full = self._full.get(forms.key, [])
        free = [i for i in self._free.get(forms.free_key, ()) if i not in full]
        return [tier for tier in (full, free) if tier]

    def _popularity_order(self, indices: Iterable[int], prefer: str | None = None) -> list[int]:
        """Most popular first; with ``prefer``, films written exactly so come first ("X/Y"
        before "X+Y", which share every normalized key)."""
        wanted = prefer.casefold() if prefer else None

        def exact(i: int) -> bool:
            item = self._items[i]
            return wanted is not None and any(wanted == t.casefold()
                                              for t in (item.title, *item.aliases))

        return sorted(indices, key=lambda i: (not exact(i), -self._items[i].popularity,
                                              self._items[i].item_id))

    def _pick_by_year(self, candidates: list[int], year: int | None,
                      prefer: str | None = None) -> _Outcome:
        if year is None:
            ranked = self._popularity_order(candidates, prefer)
            reason = f"ambiguous: {len(ranked)} candidates" if len(ranked) > 1 else None
            return _Outcome(ranked[0], "normalized", reason=reason)
        for distance in (0, 1):
            same = [i for i in candidates if self._year_gap(i, year) == distance]
            if same:
                ranked = self._popularity_order(same, prefer)
                reason = f"ambiguous: {len(ranked)} candidates" if len(ranked) > 1 else None
                return _Outcome(ranked[0], "normalized", year_distance=distance, reason=reason)
        undated = [i for i in candidates if self._items[i].year is None]
        if undated:
            return _Outcome(self._popularity_order(undated)[0], "normalized",
                            reason="catalogue item has no year")
        years = sorted({y for i in candidates if (y := self._items[i].year) is not None})
        listed = ", ".join(str(y) for y in years)
        return _Outcome(None, "none", 0.0, reason=f"year mismatch: catalogue has {listed}")

    def _year_gap(self, index: int, year: int) -> int | None:
        item_year = self._items[index].year
        return None if item_year is None else abs(item_year - year)

    def _main_title_lookup(self, title: str, forms: TitleForms,
                           year: int | None) -> _Outcome | None:
        """Tier 2: subtitle dropped on the catalogue side, or on the query side (year needed)."""
        near = (lambda i: self._year_gap(i, year) in (0, 1)) if year is not None else None
        same_year = (lambda i: self._year_gap(i, year) == 0) if year is not None else None
        found = self._main.get(forms.free_key, [])
        if near is not None:
            found = [i for i in found if near(i)]
        if len(found) == 1 or (found and near is not None):
            outcome = self._pick_by_year(found, year)
            return _Outcome(outcome.index, "normalized", year_distance=outcome.year_distance,
                            reason="matched the title without its subtitle")
        query_main = _main_title(title)
        if query_main and same_year is not None:  # "Borat: Cultural Learnings..." -> "Borat"
            tiers = self._candidate_tiers(title_forms(query_main))
            found = [i for tier in tiers for i in tier if same_year(i)]
            if found:
                outcome = self._pick_by_year(found, year)
                return _Outcome(outcome.index, "normalized", year_distance=outcome.year_distance,
                                reason="matched the query's title without its subtitle")
        return None

    def _fuzzy(self, forms: TitleForms, year: int | None, cutoff: float,
               exclude: set[int]) -> _Outcome:
        strict = cutoff > self.fuzzy_cutoff  # after a year mismatch: strong hits only
        hit = self._fuzzy_index.search(forms.free_text, year, cutoff,
                                       exclude=exclude, one_edit=not strict)
        if hit is None:
            return _Outcome(None, "none", 0.0, reason="not in catalogue")
        index, score = hit
        distance = self._year_gap(index, year) if year is not None else None
        return _Outcome(index, "fuzzy", score, year_distance=distance)
