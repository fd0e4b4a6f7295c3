"""Small taxonomy fixtures written by the tests themselves (never the embedded file)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

_CUES_A = [
    ("life_event", "we moved into a farmhouse with a barn full of rescued hens"),
    ("life_event", "our old tabby went to sleep for the last time in June"),
    ("behaviour", "I check every plot summary before the family movie night"),
    ("behaviour", "I always keep the remote within reach on Sunday afternoons"),
    ("third_party", "my niece still talks about the pony she lost last winter"),
    ("third_party", "my neighbour runs a sanctuary for retired donkeys"),
    ("preference_pattern", "I like stories where the loyal companion is there at the end"),
    ("preference_pattern", "give me road trips where everyone arrives home together"),
]
_CUES_B = [
    ("life_event", "I got stuck in a lift for an hour during the summer"),
    ("life_event", "my scan last month was a real ordeal, they had to stop twice"),
    ("behaviour", "I always take the stairs, even to the tenth floor"),
    ("behaviour", "I sit by the door at every meeting and every party"),
    ("indirect_reference", "I never finished that film about the trapped miners"),
    ("indirect_reference", "the cave diving documentary had me pacing the room"),
    ("preference_pattern", "I love films with big skies and open plains"),
    ("preference_pattern", "westerns are my comfort food, all that space"),
]


def _cues(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"strategy": s, "text": t} for s, t in pairs]


MINIMAL: dict[str, Any] = {
    "name": "mini",
    "version": "0.1.0",
    "domain": "movies",
    "description": "two traits for tests",
    "topics": [
        {"id": 153, "label": "a dog dies", "category": "Animal"},
        {"id": 202, "label": "there's a claustrophobic scene", "category": "Mental Health"},
    ],
    "traits": [
        {
            "id": "animal_harm", "name": "Animal harm sensitive", "family": "trauma",
            "description": "upset by animals dying", "dtdd_topics": [153],
            "pg_weights": {"violence_gore": 0.2},
            "weak_rules": [{"kind": "tag_keyword", "value": "animal death",
                            "polarity": "present", "weight": 0.8}],
            "leak_terms": ["the dog dies", "animal cruelty"],
            "cues": _cues(_CUES_A),
        },
        {
            "id": "claustrophobia", "name": "Claustrophobia", "family": "phobia",
            "description": "panics in confined spaces", "dtdd_topics": [202],
            "pg_weights": {"frightening_intense": 0.6},
            "weak_rules": [{"kind": "genre", "value": "Western", "polarity": "absent",
                            "weight": 0.3, "decides_no": True,
                            "why": "wide open landscapes, nowhere to be shut in"}],
            "leak_terms": ["claustrophobic", "tight spaces"],
            "cues": _cues(_CUES_B),
        },
    ],
}


@pytest.fixture
def minimal() -> dict[str, Any]:
    """A fresh, valid two-trait taxonomy as a dict, to mutate per test."""
    return copy.deepcopy(MINIMAL)


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write a dict (or raw text) as a YAML file in tmp_path and return its path."""

    def write(data: dict[str, Any] | str, name: str = "tax.yaml") -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write
