"""The one explicit-leak check of the project.

A *leak* is a phrase that states a user's sensitivity outright ("arachnophobia", "no gore
please", "I'm in recovery"). The taxonomy validator uses this module to keep leak terms out of
the cue bank, and synthesis verification uses the very same matcher on generated dialogues, so
both stages agree on what counts as explicit.

Matching rules (applied identically to terms and to text):

* normalization: Unicode NFKD with accents stripped, lower case, curly quotes made straight,
  apostrophes dropped ("I’m" == "im"), every other run of punctuation or whitespace collapsed
  to one space ("self-harm" == "self harm");
* word boundaries: a term only matches whole words, so "gore" matches "Gore!" but not "gorge",
  "Gorey" or "gorey"; likewise "spider" does not match "spidery" (an adjective about legs or
  handwriting, not a statement of fear);
* simple inflections on every word of four letters or more: singular/plural with -s, -es and
  -y/-ies ("scared of spiders" matches "scared of spider"), and words of a multi-word term may
  be written together ("self harm" matches "selfharm").

Speed: every term is expanded once into the finite set of its written forms ("scared of
spider", "scared of spiders", "scaredof spider"...), and one lookup table maps each form to
its terms. A text is normalized, cut into word n-grams (n up to the longest term) and each
n-gram looked up: this is exactly word-boundary matching (normalized text has only words and
single spaces) and, unlike one big regex alternation, costs the same however many terms the
taxonomy has. ``term_pattern`` gives the equivalent regex for tools that want one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import product
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datagen.taxonomy.models import Taxonomy, Trait

__all__ = [
    "LeakMatcher",
    "find_leaks",
    "normalize_text",
    "term_forms",
    "term_pattern",
    "trait_name_terms",
]

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‛": "'", "`": "'", "´": "'",
                         "“": '"', "”": '"', "„": '"', "‟": '"'})
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_NON_WORD = re.compile(r"[\W_]+")
#: Words shorter than this are matched as written (no plural forms): "of", "no", "im".
_MIN_INFLECT = 4


def normalize_text(text: str) -> str:
    """Lower-case, accent-free, one space between words, no punctuation."""
    text = text.translate(_QUOTES)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    no_apostrophes = _APOSTROPHE.sub("", text.lower())
    return " ".join(_NON_WORD.sub(" ", no_apostrophes).split())


_SIBILANT = ("s", "x", "z", "ch", "sh")


def _word_forms(word: str) -> list[str]:
    """One normalized word with its regular singular and plural, longest first.

    "spider" <-> "spiders", "box" <-> "boxes", "injury" <-> "injuries", "house" <-> "houses".
    Short words and words with digits are kept as written.
    """
    if len(word) < _MIN_INFLECT or not word.isalpha():
        return [word]
    singulars: set[str] = set()
    if word.endswith("ies"):
        singulars.add(word[:-3] + "y")
    elif word.endswith("es") and word[:-2].endswith(_SIBILANT):
        singulars.update({word[:-2], word[:-1]})  # "buses" -> "bus", "houses" -> "house"
    elif word.endswith("s") and not word.endswith("ss"):
        singulars.add(word[:-1])
    forms = {word} | singulars
    for stem in singulars or {word}:
        forms.add(_plural(stem))
    return sorted(forms, key=lambda f: (-len(f), f))


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(_SIBILANT):
        return word + "es"
    return word + "s"


def _term_words(term: str) -> list[str]:
    words = normalize_text(term).split()
    if not words:
        raise ValueError(f"leak term {term!r} is empty after normalization")
    return words


@lru_cache(maxsize=4096)
def term_forms(term: str) -> frozenset[str]:
    """Every normalized written form of ``term`` that counts as a match.

    Raises ValueError when the term is empty after normalization.
    """
    words = _term_words(term)
    forms: set[str] = set()
    for choice in product(*(_word_forms(w) for w in words)):
        for seps in product((" ", ""), repeat=len(words) - 1):
            forms.add(choice[0] + "".join(s + w for s, w in zip(seps, choice[1:], strict=True)))
    return frozenset(forms)


def term_pattern(term: str) -> str:
    """Regex source (no groups) matching ``term`` in normalized text, on word boundaries."""
    words = _term_words(term)
    parts = ["(?:" + "|".join(re.escape(f) for f in _word_forms(w)) + ")" for w in words]
    return r"\b" + " ?".join(parts) + r"\b"


def _ngrams(normalized: str, max_words: int, starts: frozenset[str] | set[str]) -> set[str]:
    """Word n-grams (n <= max_words) of normalized text that begin with a word in ``starts``."""
    words = normalized.split()
    grams: set[str] = set()
    for start, word in enumerate(words):
        if word not in starts:
            continue
        for stop in range(start + 1, min(start + max_words, len(words)) + 1):
            grams.add(" ".join(words[start:stop]))
    return grams


def find_leaks(text: str, terms: Iterable[str]) -> list[str]:
    """Return the terms (as given, in order, without repeats) that occur in ``text``."""
    wanted = list(dict.fromkeys(terms))
    if not wanted:
        return []
    longest = max(len(_term_words(t)) for t in wanted)
    starts = {form.split(" ", 1)[0] for t in wanted for form in term_forms(t)}
    grams = _ngrams(normalize_text(text), longest, starts)
    return [t for t in wanted if not term_forms(t).isdisjoint(grams)]


def trait_name_terms(trait: Trait) -> list[str]:
    """Phrases from a trait's own id and name that also count as leaks.

    The id with underscores as spaces ("needle_phobia" -> "needle phobia") and each part of the
    name split on "/", "&", "," and ";" with parenthesized text dropped ("Gore-averse /
    squeamish" -> "gore averse", "squeamish"). A user who says the trait's own name has
    stated it outright.
    """
    phrases = [trait.id.replace("_", " ")]
    name = re.sub(r"\([^)]*\)", " ", trait.name)
    phrases.extend(re.split(r"[/&,;]", name))
    return list(dict.fromkeys(n for n in (normalize_text(p) for p in phrases) if n))


class LeakMatcher:
    """All leak terms of a taxonomy, expanded once into one form -> terms lookup table.

    ``find(text)`` returns every ``(trait_id, term)`` pair whose term occurs in the text.
    ``include_names`` (default True) adds each trait's id and name phrases to its terms.
    """

    def __init__(self, taxonomy: Taxonomy, *, include_names: bool = True) -> None:
        self._terms: dict[str, list[str]] = {}
        for trait in taxonomy.traits:
            terms = list(trait.leak_terms)
            if include_names:
                terms.extend(trait_name_terms(trait))
            self._terms[trait.id] = list(dict.fromkeys(terms))
        self._owners: dict[str, list[str]] = {}
        for trait_id, terms in self._terms.items():
            for term in terms:
                self._owners.setdefault(term, []).append(trait_id)
        self._lookup: dict[str, set[str]] = {}
        self._max_words = 1
        for term in self._owners:
            self._max_words = max(self._max_words, len(_term_words(term)))
            for form in term_forms(term):
                self._lookup.setdefault(form, set()).add(term)
        self._starts = frozenset(form.split(" ", 1)[0] for form in self._lookup)

    def terms(self, trait_id: str) -> list[str]:
        """The leak terms checked for one trait (its own terms plus its name phrases)."""
        return list(self._terms[trait_id])

    def find(self, text: str, trait_ids: Sequence[str] | None = None) -> list[tuple[str, str]]:
        """Sorted ``(trait_id, term)`` for every leak term in ``text`` (optionally some traits)."""
        wanted = None if trait_ids is None else set(trait_ids)
        hits: set[tuple[str, str]] = set()
        for gram in _ngrams(normalize_text(text), self._max_words, self._starts):
            for term in self._lookup.get(gram, ()):
                hits.update((tid, term) for tid in self._owners[term]
                            if wanted is None or tid in wanted)
        return sorted(hits)

    def has_leak(self, text: str, trait_ids: Sequence[str] | None = None) -> bool:
        """True when ``find`` would return anything."""
        return bool(self.find(text, trait_ids))
