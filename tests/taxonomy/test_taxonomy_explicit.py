"""Explicit cues: plain statements the one leak matcher reads as their own trait, and only it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from datagen.errors import InputError
from datagen.taxonomy import load_taxonomy
from datagen.taxonomy.leaks import LeakMatcher

Writer = Callable[..., Path]


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_taxonomy(path)
    return str(info.value)


def test_explicit_cues_are_optional_and_loaded(minimal: dict, write_yaml: Writer) -> None:
    assert load_taxonomy(write_yaml(minimal)).traits[0].explicit_cues == []
    minimal["traits"][0]["explicit_cues"] = ["Please nothing where the dog dies."]
    assert load_taxonomy(write_yaml(minimal)).traits[0].explicit_cues == [
        "Please nothing where the dog dies."]


def test_explicit_cue_must_state_its_trait(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][0]["explicit_cues"] = ["I just like calm films about farms."]
    msg = _error(write_yaml(minimal))
    assert "record trait 'animal_harm': field 'explicit_cues[0]'" in msg
    assert "states nothing explicit" in msg


def test_explicit_cue_must_not_state_another_trait(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][0]["explicit_cues"] = [
        "Please nothing where the dog dies.", "The dog dies and I'm claustrophobic too."]
    msg = _error(write_yaml(minimal))
    assert "field 'explicit_cues[1]'" in msg and "also states trait 'claustrophobia'" in msg


def test_explicit_cue_listed_twice(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][1]["explicit_cues"] = ["I'm claustrophobic.", "I'm  CLAUSTROPHOBIC!"]
    msg = _error(write_yaml(minimal))
    assert "field 'explicit_cues[1]'" in msg and "listed twice" in msg


def test_embedded_taxonomy_has_explicit_cues_for_every_trait() -> None:
    tax = load_taxonomy()
    matcher = LeakMatcher(tax)
    for trait in tax.traits:
        assert len(trait.explicit_cues) >= 4, trait.id
        for text in trait.explicit_cues:
            assert {owner for owner, _ in matcher.find(text)} == {trait.id}, text
