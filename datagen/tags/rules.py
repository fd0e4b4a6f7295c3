"""Weak evidence from catalogue metadata and user tags, driven by the taxonomy's weak rules.

* ``rule:genre`` / ``rule:mpaa``: an item whose genre (or MPAA rating) equals a rule's value,
  compared case-insensitively, gets the rule's polarity with the rule's weight as confidence.
* ``user_tag``: a user tag (MovieLens ``tags.csv``) that contains a ``tag_keyword`` rule's
  value as whole words (the taxonomy's own normalized, plural-aware matcher) gets the rule's
  polarity and weight; one row per (item, tag, rule), the tag and its count in ``detail``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import polars as pl

from datagen.tags.evidence import EvidenceBatch, empty_evidence, evidence_frame
from datagen.tags.ids import CatalogueLike
from datagen.taxonomy.leaks import normalize_text, term_forms
from datagen.taxonomy.models import Taxonomy, WeakRule

__all__ = ["KeywordMatcher", "rule_evidence", "user_tag_evidence"]

_Row = dict[str, object]


def _row(item_id: str, source: str, trait_id: str, rule: WeakRule, detail: str) -> _Row:
    return {
        "item_id": item_id, "source": source, "topic_id": None, "pg_category": None,
        "trait_id": trait_id, "polarity": rule.polarity, "confidence": rule.weight,
        "severity": None, "yes_votes": None, "no_votes": None, "detail": detail,
    }


def _rules_by_value(taxonomy: Taxonomy, kind: str) -> dict[str, list[tuple[str, WeakRule]]]:
    table: dict[str, list[tuple[str, WeakRule]]] = defaultdict(list)
    for trait in taxonomy.traits:
        for rule in trait.weak_rules:
            if rule.kind == kind:
                table[" ".join(rule.value.split()).casefold()].append((trait.id, rule))
    return table


def rule_evidence(catalogue: CatalogueLike, taxonomy: Taxonomy) -> EvidenceBatch:
    """Genre and MPAA-rating rule hits for every catalogue item."""
    genres = _rules_by_value(taxonomy, "genre")
    ratings = _rules_by_value(taxonomy, "mpaa")
    rows: list[_Row] = []
    for item in catalogue.items:
        for genre in dict.fromkeys(" ".join(g.split()).casefold() for g in item.genres):
            for trait_id, rule in genres.get(genre, ()):
                rows.append(_row(item.item_id, "rule:genre", trait_id, rule,
                                 f"genre {rule.value}"))
        rating = " ".join((item.mpaa_rating or "").split()).casefold()
        for trait_id, rule in ratings.get(rating, ()) if rating else ():
            rows.append(_row(item.item_id, "rule:mpaa", trait_id, rule,
                             f"MPAA rating {rule.value}"))
    frame = _frame(rows)
    return EvidenceBatch(source="rule", frame=frame, rows_read=len(catalogue.items))


class KeywordMatcher:
    """Which keywords occur in a text, with the taxonomy's matching rules, precomputed.

    Same result as ``datagen.taxonomy.leaks.find_leaks(text, keywords)`` (normalized text,
    whole words, singular/plural and joined-word forms via ``term_forms``), but the forms
    are indexed once, so matching thousands of distinct tags stays cheap.
    """

    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords = list(dict.fromkeys(keywords))
        self._forms: dict[str, list[str]] = defaultdict(list)
        for keyword in self.keywords:
            for form in term_forms(keyword):
                self._forms[form].append(keyword)
        self._max_words = max((len(f.split()) for f in self._forms), default=0)

    def find(self, text: str) -> list[str]:
        """The keywords present in ``text``, in keyword order, without repeats."""
        words = normalize_text(text).split()
        hits: set[str] = set()
        for start in range(len(words)):
            for stop in range(start + 1, min(start + self._max_words, len(words)) + 1):
                hits.update(self._forms.get(" ".join(words[start:stop]), ()))
        return [k for k in self.keywords if k in hits]


def user_tag_evidence(
    user_tags: Iterable[tuple[str, str, int]], taxonomy: Taxonomy
) -> EvidenceBatch:
    """User tags ``(item_id, tag, count)`` matched against the ``tag_keyword`` rules."""
    keyword_rules = _rules_by_value(taxonomy, "tag_keyword")
    matcher = KeywordMatcher(keyword_rules)
    matches: dict[str, list[str]] = {}
    rows: list[_Row] = []
    n = 0
    for item_id, tag, count in user_tags:
        n += 1
        key = " ".join(tag.split()).casefold()
        if key not in matches:
            matches[key] = matcher.find(key)
        for keyword in matches[key]:
            for trait_id, rule in keyword_rules[keyword]:
                detail = f'user tag "{tag.strip()}" x{count} matches "{rule.value}"'
                rows.append(_row(item_id, "user_tag", trait_id, rule, detail))
    return EvidenceBatch(source="user_tag", frame=_frame(rows), rows_read=n)


def _frame(rows: list[_Row]) -> pl.DataFrame:
    if not rows:
        return empty_evidence()
    return evidence_frame(pl.DataFrame(rows, schema=empty_evidence().schema))
