"""Weak evidence from catalogue metadata and user tags, driven by the taxonomy's weak rules.

* ``rule:genre`` / ``rule:mpaa``: an item whose genre (or MPAA rating) equals a rule's value,
  compared case-insensitively, gets the rule's polarity with the rule's weight as confidence.
* ``user_tag``: a user tag (MovieLens ``tags.csv``) that contains a ``tag_keyword`` rule's
  value as whole words (the taxonomy's own normalized, plural-aware matcher) gets the rule's
  polarity and weight; one row per (item, tag, rule), the tag and its count in ``detail``.

An absence rule with ``decides_no: false`` yields rows with ``supports_only`` set: fusion keeps
them as evidence but never lets them make ``no`` alone. A rule whose ``unless`` matches the
film's rating or genres yields nothing for that film; such misses are counted in the batch's
``skipped["rule_contradicted"]``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import polars as pl

from datagen.catalogue.models import Item
from datagen.errors import ConfigError
from datagen.tags.evidence import EvidenceBatch, empty_evidence, evidence_frame
from datagen.tags.ids import CatalogueLike
from datagen.taxonomy.leaks import normalize_text, term_forms
from datagen.taxonomy.models import Taxonomy, WeakRule

__all__ = [
    "CONTRADICTED",
    "KeywordMatcher",
    "contradicts",
    "rule_evidence",
    "rule_matches",
    "user_tag_evidence",
]

_Row = dict[str, object]
#: ``EvidenceBatch.skipped`` key: rule hits voided by the rule's ``unless``
CONTRADICTED = "rule_contradicted"


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _row(item_id: str, source: str, trait_id: str, rule: WeakRule, detail: str) -> _Row:
    return {
        "item_id": item_id, "source": source, "topic_id": None, "pg_category": None,
        "trait_id": trait_id, "polarity": rule.polarity, "confidence": rule.weight,
        "severity": None, "yes_votes": None, "no_votes": None, "detail": detail,
        "supports_only": rule.supports_only,
    }


def contradicts(rule: WeakRule, item: Item) -> str | None:
    """What in ``item``'s metadata voids ``rule`` (its ``unless``), e.g. "MPAA rating R"."""
    if rule.unless is None:
        return None
    rating = _key(item.mpaa_rating or "")
    if rating and rating in {_key(v) for v in rule.unless.mpaa}:
        return f"MPAA rating {item.mpaa_rating}"
    voiding = {_key(v) for v in rule.unless.genre}
    for genre in item.genres:
        if _key(genre) in voiding:
            return f"genre {genre}"
    years = rule.unless.years
    if years is not None and item.year is not None and years[0] <= item.year <= years[1]:
        return f"released {item.year} ({years[0]}-{years[1]})"
    return None


def rule_matches(rule: WeakRule, item: Item) -> bool:
    """Whether a genre / MPAA rule's value is on ``item`` (``unless`` not considered)."""
    if rule.kind == "mpaa":
        return _key(item.mpaa_rating or "") == _key(rule.value)
    if rule.kind == "genre":
        return _key(rule.value) in {_key(g) for g in item.genres}
    return False


def _rules_by_value(taxonomy: Taxonomy, kind: str) -> dict[str, list[tuple[str, WeakRule]]]:
    table: dict[str, list[tuple[str, WeakRule]]] = defaultdict(list)
    for trait in taxonomy.traits:
        for rule in trait.weak_rules:
            if rule.kind == kind:
                table[_key(rule.value)].append((trait.id, rule))
    return table


def rule_evidence(catalogue: CatalogueLike, taxonomy: Taxonomy) -> EvidenceBatch:
    """Genre and MPAA-rating rule hits for every catalogue item (``unless`` applied)."""
    genres = _rules_by_value(taxonomy, "genre")
    ratings = _rules_by_value(taxonomy, "mpaa")
    rows: list[_Row] = []
    voided = 0
    for item in catalogue.items:
        hits = [(trait_id, rule, "rule:genre", f"genre {rule.value}")
                for genre in dict.fromkeys(_key(g) for g in item.genres)
                for trait_id, rule in genres.get(genre, ())]
        rating = _key(item.mpaa_rating or "")
        hits += [(trait_id, rule, "rule:mpaa", f"MPAA rating {rule.value}")
                 for trait_id, rule in (ratings.get(rating, ()) if rating else ())]
        for trait_id, rule, source, detail in hits:
            if contradicts(rule, item) is None:
                rows.append(_row(item.item_id, source, trait_id, rule, detail))
            else:
                voided += 1
    return EvidenceBatch(source="rule", frame=_frame(rows), rows_read=len(catalogue.items),
                         skipped={CONTRADICTED: voided} if voided else {})


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
    user_tags: Iterable[tuple[str, str, int]],
    taxonomy: Taxonomy,
    catalogue: CatalogueLike | None = None,
) -> EvidenceBatch:
    """User tags ``(item_id, tag, count)`` matched against the ``tag_keyword`` rules.

    ``catalogue`` gives the films' ratings and genres for rules with ``unless``; it is
    required when the taxonomy has such a keyword rule.
    """
    keyword_rules = _rules_by_value(taxonomy, "tag_keyword")
    items = _items_for_unless(keyword_rules, catalogue)
    matcher = KeywordMatcher(keyword_rules)
    matches: dict[str, list[str]] = {}
    rows: list[_Row] = []
    n = voided = 0
    for item_id, tag, count in user_tags:
        n += 1
        key = _key(tag)
        if key not in matches:
            matches[key] = matcher.find(key)
        for keyword in matches[key]:
            for trait_id, rule in keyword_rules[keyword]:
                item = items.get(item_id)
                if item is not None and contradicts(rule, item) is not None:
                    voided += 1
                    continue
                detail = f'user tag "{tag.strip()}" x{count} matches "{rule.value}"'
                rows.append(_row(item_id, "user_tag", trait_id, rule, detail))
    return EvidenceBatch(source="user_tag", frame=_frame(rows), rows_read=n,
                         skipped={CONTRADICTED: voided} if voided else {})


def _items_for_unless(
    keyword_rules: dict[str, list[tuple[str, WeakRule]]], catalogue: CatalogueLike | None
) -> dict[str, Item]:
    if not any(rule.unless for pairs in keyword_rules.values() for _, rule in pairs):
        return {}
    if catalogue is None:
        raise ConfigError("the taxonomy has tag_keyword rules with unless: pass the catalogue "
                          "to user_tag_evidence so film ratings and genres can be checked")
    return {item.item_id: item for item in catalogue.items}


def _frame(rows: list[_Row]) -> pl.DataFrame:
    if not rows:
        return empty_evidence()
    return evidence_frame(pl.DataFrame(rows, schema=empty_evidence().schema))
