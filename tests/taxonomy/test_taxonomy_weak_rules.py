"""Weak-rule fields the loader checks: decides_no, why, unless; one line naming the YAML line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datagen.errors import InputError
from datagen.taxonomy import load_taxonomy

Writer = Callable[..., Path]
_WHY = "open landscapes leave nowhere to be shut in"


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def _rule(minimal: dict[str, Any]) -> dict[str, Any]:
    """The claustrophobia trait's absence rule (genre Western) of the fixture."""
    rule: dict[str, Any] = minimal["traits"][1]["weak_rules"][0]
    return rule


def test_fixture_rule_loads_with_its_fields(minimal: dict, write_yaml: Writer) -> None:
    _rule(minimal)["unless"] = {"mpaa": ["R"], "genre": ["Horror"]}
    rule = load_taxonomy(write_yaml(minimal)).trait("claustrophobia").weak_rules[0]
    assert rule.decides_no is True and rule.why and not rule.supports_only
    assert rule.unless is not None and rule.unless.genre == ["Horror"]


def test_absence_rule_without_decides_no(minimal: dict, write_yaml: Writer) -> None:
    del _rule(minimal)["decides_no"]
    path = write_yaml(minimal)
    msg = _error(path)
    assert "record trait 'claustrophobia': field 'weak_rules[0].decides_no'" in msg
    assert "must say whether it can make a film 'no' on its own" in msg
    assert msg.endswith(f"(line {_line_of(path, 'kind: genre')})")  # the rule's line


def test_present_rule_with_decides_no(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][0]["weak_rules"][0]["decides_no"] = False
    path = write_yaml(minimal)
    msg = _error(path)
    assert "record trait 'animal_harm': field 'weak_rules[0].decides_no'" in msg
    assert "only absence rules can decide 'no'" in msg
    assert msg.endswith(f"(line {_line_of(path, 'decides_no: false')})")


def test_absence_rule_without_why(minimal: dict, write_yaml: Writer) -> None:
    del _rule(minimal)["why"]
    msg = _error(write_yaml(minimal))
    assert "field 'weak_rules[0].why'" in msg and "needs a why:" in msg


def test_why_too_short(minimal: dict, write_yaml: Writer) -> None:
    _rule(minimal)["why"] = "because"
    msg = _error(write_yaml(minimal))
    assert "field 'weak_rules[0].why'" in msg and "at least 20 characters" in msg


def test_present_rule_with_unless_needs_why(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][0]["weak_rules"][0]["unless"] = {"genre": ["Documentary"]}
    msg = _error(write_yaml(minimal))
    assert "record trait 'animal_harm': field 'weak_rules[0].why'" in msg
    assert "a rule with unless needs a why:" in msg


def test_unless_listing_nothing(minimal: dict, write_yaml: Writer) -> None:
    _rule(minimal)["unless"] = {"mpaa": [], "genre": []}
    path = write_yaml(minimal)
    msg = _error(path)
    assert "field 'weak_rules[0].unless'" in msg and "lists no rating, genre or years" in msg
    assert msg.endswith(f"(line {_line_of(path, 'mpaa: []')})")  # the unless mapping


def test_unless_years_must_be_ordered(minimal: dict, write_yaml: Writer) -> None:
    _rule(minimal)["unless"] = {"years": [1971, 1968]}
    msg = _error(write_yaml(minimal))
    assert "weak_rules[0].unless.years" in msg and "[first, last]" in msg


def test_unless_unknown_key(minimal: dict, write_yaml: Writer) -> None:
    _rule(minimal)["unless"] = {"genres": ["Horror"]}
    msg = _error(write_yaml(minimal))
    assert "field 'weak_rules[0].unless.genres'" in msg and "Extra inputs" in msg


def test_rating_rule_voided_by_a_rating(minimal: dict, write_yaml: Writer) -> None:
    rule = _rule(minimal)
    rule.update(kind="mpaa", value="G", unless={"mpaa": ["R"]})
    path = write_yaml(minimal)
    msg = _error(path)
    assert "field 'weak_rules[0].unless.mpaa'" in msg and "a film has one rating" in msg
    assert msg.endswith(f"(line {_line_of(path, '- R')})")


def test_rule_voided_by_its_own_value(minimal: dict, write_yaml: Writer) -> None:
    _rule(minimal)["unless"] = {"genre": ["Horror", "western"]}
    path = write_yaml(minimal)
    msg = _error(path)
    assert "field 'weak_rules[0].unless.genre[1]'" in msg
    assert "own value 'Western' would void the rule" in msg
    assert msg.endswith(f"(line {_line_of(path, '- western')})")


def test_unless_value_twice(minimal: dict, write_yaml: Writer) -> None:
    _rule(minimal)["unless"] = {"genre": ["Horror", "horror"]}
    msg = _error(write_yaml(minimal))
    assert "field 'weak_rules[0].unless.genre'" in msg and "listed twice" in msg


def test_same_rule_twice(minimal: dict, write_yaml: Writer) -> None:
    rules = minimal["traits"][1]["weak_rules"]
    rules.append({**rules[0], "value": " western ", "decides_no": False})
    msg = _error(write_yaml(minimal))
    assert "record trait 'claustrophobia': field 'weak_rules[1].value'" in msg
    assert "same rule as weak_rules[0]" in msg


def test_supports_only_follows_decides_no(minimal: dict, write_yaml: Writer) -> None:
    _rule(minimal)["decides_no"] = False
    tax = load_taxonomy(write_yaml(minimal))
    assert tax.trait("claustrophobia").weak_rules[0].supports_only
    assert not tax.trait("animal_harm").weak_rules[0].supports_only  # a present rule


def test_weak_rules_why_is_optional_but_checked(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][1]["weak_rules_why"] = _WHY
    assert load_taxonomy(write_yaml(minimal)).trait("claustrophobia").weak_rules_why == _WHY
    minimal["traits"][1]["weak_rules_why"] = "short"
    assert "field 'weak_rules_why'" in _error(write_yaml(minimal, "b.yaml"))
