"""Cross-record checks of a taxonomy that pydantic field types cannot express.

Each check raises :class:`~datagen.errors.InputError` naming the file, the record (trait or
topic) and the field, so a taxonomy author can go straight to the line to fix. The checks run
in the order a reader would fix them: vocabulary first, then traits, then the cue bank.
"""

from __future__ import annotations

import json
from pathlib import Path

from datagen.errors import InputError
from datagen.taxonomy.leaks import LeakMatcher, normalize_text
from datagen.taxonomy.models import PG_CATEGORIES, Taxonomy, Trait, WeakRule

__all__ = ["MIN_CUE_STRATEGIES", "check_against_dtdd", "check_taxonomy"]

#: A trait's cue bank must use at least this many different strategies.
MIN_CUE_STRATEGIES = 3


def check_taxonomy(tax: Taxonomy, file: str) -> None:
    """Run every cross-check on a parsed taxonomy; raise on the first problem."""
    _check_topics(tax, file)
    seen: set[str] = set()
    topic_ids = {t.id for t in tax.topics}
    for trait in tax.traits:
        rec = f"trait '{trait.id}'"
        if trait.id in seen:
            raise InputError("duplicate trait id", file=file, record=rec, field="id")
        seen.add(trait.id)
        _check_trait(trait, topic_ids, file, rec)
    _check_cues(tax, file)
    _check_explicit_cues(tax, file)


def _check_topics(tax: Taxonomy, file: str) -> None:
    seen: set[int] = set()
    for index, topic in enumerate(tax.topics):
        if topic.id in seen:
            raise InputError(f"duplicate topic id {topic.id}", file=file,
                             record=f"topic #{index}", field="id")
        seen.add(topic.id)


def _check_trait(trait: Trait, topic_ids: set[int], file: str, rec: str) -> None:
    for index, topic_id in enumerate(trait.dtdd_topics):
        if topic_id not in topic_ids:
            raise InputError(f"unknown topic id {topic_id} (not in the taxonomy's topics list)",
                             file=file, record=rec, field=f"dtdd_topics[{index}]")
    if len(set(trait.dtdd_topics)) != len(trait.dtdd_topics):
        raise InputError("a topic id is listed twice", file=file, record=rec,
                         field="dtdd_topics")
    for key in trait.pg_weights:
        if key not in PG_CATEGORIES:
            raise InputError(
                f"unknown Parents Guide category {key!r} (expected one of "
                f"{', '.join(PG_CATEGORIES)})", file=file, record=rec, field=f"pg_weights.{key}")
    _check_rules(trait, file, rec)
    for index, term in enumerate(trait.leak_terms):
        if not normalize_text(term):
            raise InputError("leak term is empty after normalization", file=file, record=rec,
                             field=f"leak_terms[{index}]")
    strategies = {cue.strategy for cue in trait.cues}
    if len(strategies) < MIN_CUE_STRATEGIES:
        raise InputError(
            f"cues use {len(strategies)} strategies, at least {MIN_CUE_STRATEGIES} required",
            file=file, record=rec, field="cues")


def _check_rules(trait: Trait, file: str, rec: str) -> None:
    """No rule twice; ``unless`` lists something that can apply (the model checks the rest)."""
    seen: dict[tuple[str, str, str], int] = {}
    for index, rule in enumerate(trait.weak_rules):
        where = f"weak_rules[{index}]"
        key = (rule.kind, " ".join(rule.value.split()).casefold(), rule.polarity)
        if key in seen:
            raise InputError(f"same rule as weak_rules[{seen[key]}] ({rule.kind} "
                             f"{rule.value!r}, {rule.polarity})", file=file, record=rec,
                             field=f"{where}.value")
        seen[key] = index
        if rule.unless is not None:
            _check_unless(rule, file, rec, f"{where}.unless")


def _check_unless(rule: WeakRule, file: str, rec: str, where: str) -> None:
    unless = rule.unless
    assert unless is not None
    if not unless.mpaa and not unless.genre and unless.years is None:
        raise InputError("unless lists no rating, genre or years", file=file, record=rec,
                         field=where)
    if rule.kind == "mpaa" and unless.mpaa:
        raise InputError("a film has one rating: a rating rule cannot be contradicted by "
                         "another rating (list genres only)", file=file, record=rec,
                         field=f"{where}.mpaa")
    for name in ("mpaa", "genre"):
        values = [" ".join(v.split()).casefold() for v in getattr(unless, name)]
        if len(set(values)) != len(values):
            raise InputError("a value is listed twice", file=file, record=rec,
                             field=f"{where}.{name}")
        own = " ".join(rule.value.split()).casefold()
        if rule.kind == name and own in values:
            raise InputError(f"the rule's own value {rule.value!r} would void the rule on "
                             "every film it matches", file=file, record=rec,
                             field=f"{where}.{name}[{values.index(own)}]")


def _check_cues(tax: Taxonomy, file: str) -> None:
    matcher = LeakMatcher(tax)
    for trait in tax.traits:
        for index, cue in enumerate(trait.cues):
            hits = matcher.find(cue.text)
            if hits:
                owner, term = hits[0]
                whose = "" if owner == trait.id else f" of trait '{owner}'"
                raise InputError(f"contains leak term '{term}'{whose}", file=file,
                                 record=f"trait '{trait.id}'", field=f"cues[{index}].text")


def _check_explicit_cues(tax: Taxonomy, file: str) -> None:
    """An explicit cue states its own trait (the leak matcher finds it) and no other trait."""
    matcher = LeakMatcher(tax)
    for trait in tax.traits:
        rec = f"trait '{trait.id}'"
        seen: set[str] = set()
        for index, text in enumerate(trait.explicit_cues):
            where = f"explicit_cues[{index}]"
            key = normalize_text(text)
            if key in seen:
                raise InputError("explicit cue listed twice", file=file, record=rec, field=where)
            seen.add(key)
            owners = {owner for owner, _ in matcher.find(text)}
            if trait.id not in owners:
                raise InputError("states nothing explicit: it must contain one of the trait's "
                                 "leak terms (or its name)", file=file, record=rec, field=where)
            others = sorted(owners - {trait.id})
            if others:
                raise InputError(f"also states trait '{others[0]}' (contains its leak term)",
                                 file=file, record=rec, field=where)


def check_against_dtdd(tax: Taxonomy, topics_path: str | Path, file: str) -> None:
    """Check the taxonomy's topic copy against a DoesTheDogDie ``topics.json``.

    Every topic id must exist there, with the same label and category name.
    """
    path = Path(topics_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        categories = {c["id"]: c["name"] for c in data["categories"]}
        reference = {t["id"]: (t["label"], categories.get(t["category_id"]))
                     for t in data["topics"]}
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"not a DoesTheDogDie topics file ({exc})", file=path) from None
    for index, topic in enumerate(tax.topics):
        rec = f"topic {topic.id}"
        if topic.id not in reference:
            raise InputError(f"topic id {topic.id} is not in {path}", file=file, record=rec,
                             field=f"topics[{index}].id")
        label, category = reference[topic.id]
        if topic.label != label:
            raise InputError(f"label {topic.label!r} differs from {label!r} in {path}",
                             file=file, record=rec, field=f"topics[{index}].label")
        if topic.category != category:
            raise InputError(f"category {topic.category!r} differs from {category!r} in {path}",
                             file=file, record=rec, field=f"topics[{index}].category")
