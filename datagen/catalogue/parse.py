"""Pull title strings out of free-form model output (pure, no catalogue needed).

Rewards and evaluation call :func:`extract_titles` on what a model wrote and pass each string
to the one :class:`~datagen.catalogue.resolver.TitleResolver`. Handled shapes:

* reasoning answers (the SafeCRS reference's ``<reasoning>...</reasoning><solution>...
  </solution>``): only the ``<solution>`` blocks are read when there is one, since the
  reasoning names the films that were set aside; without one, ``<reasoning>`` / ``<think>``
  blocks are dropped (:func:`answer_text`);
* numbered and bulleted lists: ``1.``, ``1)``, ``(1)``, ``-``, ``*``, ``•``;
* markdown bold/italics/code and surrounding quotes;
* an explanation after the title: ``Title (Year) - because...``, ``Title (Year): reason``,
  ``**Title**: reason``, ``Title - a tense thriller about...``;
* one line holding a comma/semicolon separated list;
* ``Title (Year)`` mentions, quoted or bold titles inside prose; prose lines without a title
  are skipped.

Years stay attached as ``"Title (Year)"`` so the resolver can use them. A title that begins
with a parenthesised number ("(500) Days of Summer (2009)") is a title, not list item 500:
``(N)`` counts as a list marker only when N is at most the answer's number of lines.
Duplicates (same text, ignoring case) are dropped, first occurrence wins (``dedupe=False``
keeps them, for metrics that count repeats). Leading prose words ("Maybe Heat (1995)",
"Try Heat, Ronin and Up") are dropped only in prose and at the start of an inline list; list
items and emphasized titles are kept whole ("1. **Watch It (1993)**"). Lines and list items
are memoized, so answers that share lines (as benchmark answers do) parse much faster.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["answer_text", "extract_titles"]

_LIST_MARKER = re.compile(r"^\s*(?:(?:\(?\d{1,3}[.)\]:]|#\d{1,3}[.):]?)|[-*•·‣◦–—+>])\s+")
_PAREN_NUMBER = re.compile(r"^\s*\((\d{1,3})\)")
_SOLUTION = re.compile(r"<solution>(.*?)(?:</solution>|$)", re.IGNORECASE | re.DOTALL)
_REASONING = re.compile(r"<(reasoning|think|thinking)>.*?(?:</\1>|$)", re.IGNORECASE | re.DOTALL)
_YEAR_GROUP = r"[(\[]\s*(?:1[89]\d\d|20\d\d)\s*[)\]]"
_TITLE_YEAR = re.compile(rf"^(?P<title>.+?)\s*(?P<year>{_YEAR_GROUP})")
_EMPHASIS = re.compile(r"(\*\*|__)(?P<inner>.+?)\1")
_QUOTED = re.compile(r"[\"“](?P<inner>[^\"“”]{1,120})[\"”]")
_MARKUP_CHARS = "*_`#>"
_QUOTES = "\"'“”‘’«»"
_PROSE_SPLIT = re.compile(r"\s+[-–—]\s+|:\s+|\s+\|\s+")
_CAP_WORD = r"[A-Z0-9À-ÖØ-Þ][\w'’.&!?-]*"
# lower-case words inside titles ("My Name is Nobody", "You Might as Well Live")
_CONNECTOR = r"(?:of|the|a|an|and|in|on|to|for|with|at|from|by|or|is|as|vs\.?|&|[–—-])"
_IN_PROSE = re.compile(
    rf"(?P<title>(?:\(\d{{1,4}}\)\s+)?{_CAP_WORD}(?:[:,]?\s+(?:{_CAP_WORD}|{_CONNECTOR}))*)\s*"
    rf"(?P<year>{_YEAR_GROUP})"
)
_MAX_TITLE_WORDS = 14
_LINE_CACHE_SIZE = 65_536
_LIST_GLUE = re.compile(r"^\s*(?:[,;]|and\b|or\b)\s*", re.IGNORECASE)
_LEADING_FILLER = re.compile(
    r"^(?:i(?:'d| would)? (?:recommend|suggest)|try|watch|check out|how about|maybe|also|"
    r"and|or|you might (?:like|enjoy))\s+", re.IGNORECASE)


def _strip_markup(text: str) -> str:
    text = _EMPHASIS.sub(lambda m: m.group("inner"), text)
    text = text.replace("*", "").replace("`", "")
    text = text.strip().strip(_MARKUP_CHARS).strip()
    if len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text


def _looks_like_prose(text: str) -> bool:
    words = text.split()
    if not words:
        return False
    lower = sum(1 for word in words if word[:1].islower())
    return text[0].islower() or text.rstrip().endswith((".", "!", "?")) or (
        len(words) >= 4 and lower * 2 >= len(words))


@lru_cache(maxsize=_LINE_CACHE_SIZE)
def _title_of_item(item: str, filler: bool = False) -> str | None:
    """The title in one list item or short line, or None for prose.

    Memoized on the item text (after any list marker), so "3. Heat (1995)" and
    "7. Heat (1995)" share one parse. ``filler``: the item may start with prose words
    ("Try Heat (1995), ..."); list items and emphasized titles never do ("Watch It").
    """
    emphasis = _EMPHASIS.search(item)
    if emphasis and emphasis.start() <= 2:
        title = _strip_markup(emphasis.group("inner"))
        rest = item[emphasis.end():].lstrip()
        year = re.match(_YEAR_GROUP, rest)
        if year and not re.search(_YEAR_GROUP, title):
            title = f"{title} {year.group(0)}"
        return _finish(title)
    text = _strip_markup(item)
    match = _TITLE_YEAR.match(text)
    if match:
        title = f"{_strip_markup(match.group('title'))} {match.group('year')}"
        return _finish(title, filler=filler)
    parts = _PROSE_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2 and _looks_like_prose(parts[1]):
        text = parts[0]
    if len(text.split()) > _MAX_TITLE_WORDS or (len(text.split()) >= 6 and text.endswith(".")):
        return None
    return _finish(text, filler=filler)


def _finish(title: str, *, filler: bool = False) -> str | None:
    """Clean a title; with ``filler`` also drop leading prose ("Maybe Heat" -> "Heat")."""
    title = _strip_markup(title).rstrip(",;:.!?").strip()
    title = re.sub(r"\s*[(\[]\s*(\d{4})\s*[)\]]", r" (\1)", title)
    if filler:
        title = _LEADING_FILLER.sub("", title)
    return title or None


def _from_prose(line: str) -> list[str]:
    """Titles inside a sentence: "Title (Year)" mentions, then bold or quoted titles."""
    plain = _EMPHASIS.sub(lambda m: m.group("inner"), line)
    found = [_finish(f"{m.group('title')} {m.group('year')}", filler=True)
             for m in _IN_PROSE.finditer(plain)]
    if not found:
        marked = [*_EMPHASIS.finditer(line), *_QUOTED.finditer(line)]
        marked.sort(key=lambda m: m.start())
        found = [_finish(m.group("inner")) for m in marked]
    return [title for title in found if title]


def _split_inline_list(line: str) -> list[str] | None:
    """'A (1999), B (2001) and C (2005)' or 'A, B, C' on one line -> its parts, else None."""
    years = list(re.finditer(_YEAR_GROUP, line))
    if len(years) >= 2:
        parts, start = [], 0
        for match in years:
            parts.append(_LIST_GLUE.sub("", line[start:match.end()]).strip())
            start = match.end()
        if all(len(part.split()) <= _MAX_TITLE_WORDS // 2 + 2 for part in parts):
            return parts
        return None
    if years:
        return None
    body = line.split(": ", 1)[1] if ": " in line else line  # "Try these: A, B and C."
    body = body.strip().rstrip(".!")
    if body.count(",") + body.count(";") < 2:
        return None
    pieces = [_LIST_GLUE.sub("", piece).strip() for piece in re.split(r"[,;]", body)]
    pieces = [piece for piece in pieces if piece]
    if all(len(piece.split()) <= 6 and not piece[:1].islower() for piece in pieces):
        return pieces
    return None


def answer_text(text: str) -> str:
    """The part of a model answer that holds its recommendations.

    The ``<solution>`` blocks when there are any (an unclosed one runs to the end), else the
    text without ``<reasoning>`` / ``<think>`` blocks, else the text itself.
    """
    if "<" not in text:
        return text
    solutions = _SOLUTION.findall(text)
    if solutions:
        return "\n".join(solutions)
    return _REASONING.sub("\n", text)


def extract_titles(text: str, *, dedupe: bool = True) -> list[str]:
    """Title strings in ``text``, in order, e.g. ``["The Dark Knight (2008)", "Heat"]``.

    Reads only the recommendations (:func:`answer_text`); ``dedupe=False`` keeps repeats.
    """
    lines = [line.strip() for line in answer_text(text).splitlines() if line.strip()]
    titled = [_starts_with_number_title(line, len(lines)) for line in lines]
    has_list = any(_LIST_MARKER.match(line) and not paren for line, paren in
                   zip(lines, titled, strict=True))
    titles: list[str] = []
    for line, paren in zip(lines, titled, strict=True):
        titles.extend(_line_titles(line, has_list, paren))
    return _dedupe(titles) if dedupe else titles


def _starts_with_number_title(line: str, n_lines: int) -> bool:
    """"(500) Days of Summer": a "(N)" no list of this answer's length can reach."""
    match = _PAREN_NUMBER.match(line)
    return match is not None and int(match.group(1)) > n_lines


@lru_cache(maxsize=_LINE_CACHE_SIZE)
def _line_titles(line: str, in_list: bool, number_title: bool = False) -> tuple[str, ...]:
    """Titles of one stripped line (memoized: model answers repeat the same lines a lot).

    ``in_list``: the answer has list items, so a bare line is prose unless it holds a
    "Title (Year)" mention. ``number_title``: the line starts with a title such as
    "(500) Days of Summer", not with a "(N)" list marker.
    """
    marker = None if number_title else _LIST_MARKER.match(line)
    if marker:
        title = _title_of_item(line[marker.end():])
        return (title,) if title else ()
    inline = _split_inline_list(line)
    if inline is not None:
        found: list[str] = []
        for index, part in enumerate(inline):
            in_prose = _from_prose(part) if re.search(_YEAR_GROUP, part) else []
            # only the first part can carry leading prose ("Try A, B and C")
            title = in_prose[0] if in_prose else _title_of_item(part, filler=index == 0)
            found.extend([title] if title else [])
        return tuple(found)
    if not in_list and _is_title_line(line):
        title = _title_of_item(line)
        return (title,) if title else ()
    return tuple(_from_prose(line))


def _is_title_line(line: str) -> bool:
    """A bare line that is a title ("Heat (1995)", "**Heat**: reason"), not a sentence."""
    plain = _strip_markup(line)
    match = _TITLE_YEAR.match(plain)
    if match:
        rest = plain[match.end():].strip()
        return not _IN_PROSE_PREFIX.match(plain) and (not rest or rest[0] in "-–—:|,;.!")
    head = _PROSE_SPLIT.split(plain, maxsplit=1)[0]
    return len(head.split()) <= 8 and not head.endswith((".", "!", "?", ":")) and not (
        head[:1].islower())


_IN_PROSE_PREFIX = re.compile(
    r"^(?:i|you|we|if|here|sure|based|these|this|since|my|for|as|because)\b", re.IGNORECASE)


def _dedupe(titles: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for title in titles:
        key = " ".join(title.casefold().split())
        if key not in seen:
            seen.add(key)
            out.append(title)
    return out
