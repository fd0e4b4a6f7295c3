"""Title normalization: the one definition of "these two strings name the same title".

Every stage that compares titles goes through :func:`title_key` (via the resolver), so the
oracle, the rewards and the evaluation can never disagree again. The rules, in order:

* superscript digits become separate digits ("Alien³" -> "alien 3");
* NFKD + dropping combining marks strips diacritics ("Amélie" -> "amelie"), casefold;
* apostrophes of every kind are removed, so "Schindler's", "Schindler’s" and "Schindlers"
  agree; "&" reads "and";
* hyphens and dashes inside a word join it ("Spider-Man" -> "spiderman"); a dash between
  words is a separator; :func:`title_key` also drops spaces so "Spider Man" agrees too;
* a trailing article moves to the front ("Dark Knight, The" -> "the dark knight"), also for
  foreign articles ("Boot, Das", "Samouraï, Le");
* "No. 9", "#9" and "Number 9" all read "9";
* roman sequel numbers become arabic ("Rocky II" -> "rocky 2"); a lone "I" only in a sequel
  position (last word, or after "part"/"episode"/"chapter"/"volume"), so "I, Robot" stays.

:func:`split_title_year` takes the year off "Title (2008)", "Title [2008]", "Title, 2008"
and "Title (2008 film)", never off "Blade Runner 2049" or "2001: A Space Odyssey".
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = [
    "ENGLISH_ARTICLES",
    "FOREIGN_ARTICLES",
    "TitleForms",
    "article_free_key",
    "display_title",
    "ingest_title",
    "normalize_title",
    "split_alternative_titles",
    "split_bare_year",
    "split_title_year",
    "strip_disambiguator",
    "title_forms",
    "title_key",
]

ENGLISH_ARTICLES = ("the", "a", "an")
#: articles that catalogues move to the end ("Boot, Das"); only English ones (and the elided
#: "L'") are ever dropped, since "Die Hard" must not become "Hard"
FOREIGN_ARTICLES = (
    "le", "la", "les", "l'", "un", "une", "der", "die", "das", "den", "ein", "eine",
    "el", "los", "las", "il", "lo", "gli", "i", "o", "os", "as", "het", "en", "det",
)

_SUPERSCRIPTS = str.maketrans({
    "⁰": " 0", "¹": " 1", "²": " 2", "³": " 3", "⁴": " 4",
    "⁵": " 5", "⁶": " 6", "⁷": " 7", "⁸": " 8", "⁹": " 9",
})
_APOSTROPHES = re.compile(r"[’‘'`´ʼ′]")
_DASHES = "-‐‑‒–—―−﹘﹣－"
_INWORD_DASH = re.compile(rf"(?<=\w)[{_DASHES}](?=\w)")
_ANY_DASH = re.compile(rf"[{_DASHES}]")
_NON_WORD = re.compile(r"[^\w]+")
_ARTICLE_ALTERNATIVES = "|".join(
    re.escape(article).replace("'", "['’]")
    for article in sorted(ENGLISH_ARTICLES + FOREIGN_ARTICLES, key=len, reverse=True)
)
_TRAILING_ARTICLE = re.compile(
    rf"^(?P<body>.+?),\s*(?P<art>{_ARTICLE_ALTERNATIVES})(?P<rest>\s*(?:[:(\[].*)?)$",
    re.IGNORECASE,
)
_ELIDED = re.compile(r"^l[’'`´ʼ](?=\w)")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
_SEQUEL_CONTEXT = frozenset({"part", "episode", "chapter", "volume", "vol", "book"})
_YEAR_RE = r"(?P<year>1[89]\d\d|20\d\d)"
_YEAR_SUFFIXES = (
    re.compile(rf"^(?P<title>.*?)\s*\(\s*{_YEAR_RE}(?:\s+(?:film|movie|tv movie))?\s*\)$", re.I),
    re.compile(rf"^(?P<title>.*?)\s*\[\s*{_YEAR_RE}\s*\]$"),
    re.compile(rf"^(?P<title>.*\S)\s*,\s*{_YEAR_RE}$"),
)
_ALTERNATIVE = re.compile(r"^(?P<title>.+?)\s*\((?:a\.k\.a\.\s*)?(?P<alias>[^()]+)\)$")
_NUMBER_SIGN = re.compile(r"(?:\bno\.?|\bnumber|#)\s*(?=\d)")
_TRAILING_BARE_YEAR = re.compile(rf"^(?P<title>.*\S)\s+{_YEAR_RE}$")
#: a Wikipedia-style disambiguator: "(film)", "(2011 film)", "(1999 American film)", "(TV film)"
_DISAMBIGUATOR = re.compile(
    rf"^(?P<title>.*\S)\s*\((?:{_YEAR_RE}\s+)?(?:[A-Z][a-z]+\s+)?(?:tv\s+|television\s+)?"
    r"(?:film|movie)\)$", re.IGNORECASE)


def _roman_value(token: str) -> int:
    total = 0
    for index, char in enumerate(token):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[token[index + 1]] if index + 1 < len(token) else 0
        total += -value if value < following else value
    return total


#: every i/v/x roman numeral 1..39 -> its value (a dict lookup per word at normalize time)
_ROMAN_TABLE = {
    f"{tens}{units}": _roman_value(f"{tens}{units}")
    for tens in ("", "x", "xx", "xxx")
    for units in ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")
    if tens or units
}


def _arabic_sequels(tokens: list[str]) -> list[str]:
    """Turn roman numerals into digits; single-letter ones only in a sequel position."""
    if not any(token in _ROMAN_TABLE for token in tokens):
        return tokens
    out: list[str] = []
    last = len(tokens) - 1
    for index, token in enumerate(tokens):
        value = _ROMAN_TABLE.get(token)
        if value is not None and len(token) == 1:
            previous = tokens[index - 1] if index > 0 else ""
            in_sequel_slot = index > 0 and (index == last or previous in _SEQUEL_CONTEXT)
            if not in_sequel_slot:
                value = None
        out.append(str(value) if value is not None else token)
    return out


def _fold(text: str) -> str:
    """Unicode folding shared by every key: superscripts, diacritics, case."""
    if text.isascii():
        return text.casefold()
    text = text.translate(_SUPERSCRIPTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def display_title(text: str) -> str:
    """Readable form of a catalogue-style title: 'Dark Knight, The' -> 'The Dark Knight'."""
    return _move_trailing_article(" ".join(text.split()))


def _move_trailing_article(text: str) -> str:
    """'Dark Knight, The (2008)' -> 'The Dark Knight (2008)'."""
    match = _TRAILING_ARTICLE.match(text)
    if not match:
        return text
    article = match.group("art")
    glue = "" if article.endswith(("'", "’")) else " "
    return f"{article}{glue}{match.group('body')}{match.group('rest')}"


class TitleForms(NamedTuple):
    """All comparison forms of one title, computed in one pass (the resolver indexes these)."""

    normalized: str  #: "the dark knight"
    key: str  #: "thedarkknight"
    free_text: str  #: "dark knight" (no leading English article / elided "L'")
    free_key: str  #: "darkknight"


def title_forms(text: str) -> TitleForms:
    """Compute :func:`normalize_title`, :func:`title_key` and the article-free forms at once.

    Only English articles (and the elided "L'") are dropped for the article-free forms:
    stripping "Die" would turn "Die Hard" into "Hard".
    """
    folded = _fold(_move_trailing_article(text.strip()))
    elided = bool(_ELIDED.match(folded))
    folded = _APOSTROPHES.sub("", folded).replace("&", " and ")
    folded = _NUMBER_SIGN.sub(" ", folded)  # "Love Potion #9" == "Love Potion No. 9"
    folded = _ANY_DASH.sub(" ", _INWORD_DASH.sub("", folded))
    words = _arabic_sequels(_NON_WORD.sub(" ", folded).replace("_", " ").split())
    free = list(words)
    if elided and len(free[0]) > 1:
        free[0] = free[0][1:]
    elif len(free) > 1 and free[0] in ENGLISH_ARTICLES:
        free = free[1:]
    normalized, free_text = " ".join(words), " ".join(free)
    return TitleForms(normalized, "".join(words), free_text, "".join(free))


def normalize_title(text: str) -> str:
    """Canonical, readable form of a title: lower-case ASCII words separated by one space.

    >>> normalize_title("Dark Knight, The")
    'the dark knight'
    >>> normalize_title("Schindler’s List") == normalize_title("Schindlers List")
    True
    """
    return title_forms(text).normalized


def title_key(text: str) -> str:
    """Equality key: :func:`normalize_title` without spaces ("Spider Man" == "Spider-Man")."""
    return title_forms(text).key


def article_free_key(text: str) -> str:
    """:func:`title_key` without a leading article ("The Dark Knight" -> "darkknight")."""
    return title_forms(text).free_key


def split_title_year(text: str) -> tuple[str, int | None]:
    """Split a trailing year off a title: ("The Dark Knight", 2008) for "The Dark Knight (2008)".

    A bare trailing number ("Blade Runner 2049", "Godzilla 1985") is kept as part of the title:
    the resolver tries that reading itself when the whole string does not match.
    """
    text = " ".join(text.split())
    for pattern in _YEAR_SUFFIXES:
        match = pattern.match(text)
        if match and match.group("title").strip():
            return match.group("title").strip(), int(match.group("year"))
    return text, None


def split_alternative_titles(title: str) -> tuple[str, list[str]]:
    """'Seven (a.k.a. Se7en)' -> ('Seven', ['Se7en']); repeated for several parentheses.

    MovieLens and many lists write the original or alternative title in parentheses:
    "Infernal Affairs (Mou gaan dou)". A trailing year must be split off first.
    """
    alternatives: list[str] = []
    while True:
        match = _ALTERNATIVE.match(title)
        if not match:
            return title, alternatives
        title = match.group("title")
        alternatives.insert(0, match.group("alias").strip())


def split_bare_year(text: str) -> tuple[str, int | None]:
    """("Title", 2008) for "Title 2008"; used only as a fallback reading by the resolver."""
    match = _TRAILING_BARE_YEAR.match(" ".join(text.split()))
    if match:
        return match.group("title"), int(match.group("year"))
    return text, None


def strip_disambiguator(title: str) -> tuple[str, int | None] | None:
    """("Faust", 2011) for "Faust (2011 film)", ("Godspell", None) for "Godspell (film)".

    Wikipedia-derived catalogues keep the article's disambiguator in the title, so nobody's
    "Faust (2011)" would match. Loaders call this at ingest, keep the year (the catalogue's
    own year column wins when it has one) and keep the old form as an alias. None when the
    title has no disambiguator.
    """
    match = _DISAMBIGUATOR.match(" ".join(title.split()))
    if not match:
        return None
    year = match.group("year")
    return match.group("title"), int(year) if year else None


def ingest_title(title: str, year: int | None) -> tuple[str, int | None, list[str]]:
    """A loader's (title, year, extra aliases): the disambiguator stripped, the old form kept.

    ``("Faust (2011 film)", 2011)`` -> ``("Faust", 2011, ["Faust (2011 film)"])``; a title
    without a disambiguator comes back unchanged with no alias.
    """
    stripped = strip_disambiguator(title)
    if stripped is None:
        return title, year, []
    clean, hint = stripped
    return clean, year if year is not None else hint, [title]
