"""Seeds: ReDial and Reddit-Movie-style files load, resolve and fail with clear errors."""

from __future__ import annotations

import json

import pytest

from datagen.catalogue.resolver import TitleResolver
from datagen.errors import InputError
from datagen.synth.seeds import load_reddit_seeds, load_redial_seeds


@pytest.fixture(scope="module")
def resolver():
    from datagen.catalogue import load_default_catalogue

    return TitleResolver(load_default_catalogue())


def test_redial_seeds_resolve_mentions(shared_data, resolver, tmp_path):
    src = shared_data / "redial" / "test_data.jsonl"
    lines = src.read_text(encoding="utf-8").splitlines()[:40]
    path = tmp_path / "redial.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seeds = load_redial_seeds(path, resolver, shared_data / "redial" / "movies_with_mentions.csv")
    assert len(seeds) == 40
    first = seeds[0]
    assert first.seed_id == "redial:20001" and first.source == "redial"
    assert "Super Troopers" in {r.title for r in first.liked}
    assert {"Beverly Hills Cop", "Police Academy"} <= {r.title for r in first.recommended}
    assert first.user_turns[0].startswith("Hi I am looking for a movie like Super Troopers")
    assert "@" not in " ".join(first.user_turns)
    resolved = sum(len(s.liked) + len(s.recommended) for s in seeds)
    assert resolved > sum(len(s.unresolved) for s in seeds)  # 2017+ films are not in bokeh


def test_reddit_seeds_and_errors(resolver, tmp_path):
    path = tmp_path / "reddit.jsonl"
    rows = [{"id": "a1", "prompt": "Looking for something like Alien, loved the tension.",
             "groundtruth_with_release_year": ["The Thing (1982)", "Not A Real Film (2099)"]},
            {"prompt": "Comedy for a rainy day?",
             "groundtruth_with_release_year": ["Groundhog Day (1993)"],
             "liked_with_release_year": ["Airplane! (1980)"]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    seeds = load_reddit_seeds(path, resolver)
    assert [s.seed_id for s in seeds] == ["reddit:a1", "reddit:2"]
    assert [r.title for r in seeds[0].recommended] == ["The Thing"]
    assert seeds[0].unresolved == ["Not A Real Film (2099)"]
    assert seeds[1].liked[0].year == 1980
    assert seeds[0].user_turns == ["Looking for something like Alien, loved the tension."]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x", "groundtruth_with_release_year": "Alien"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl: line 1: field 'groundtruth_with"):
        load_reddit_seeds(bad, resolver)
    bad.write_text('{"groundtruth_with_release_year": []}\n')
    with pytest.raises(InputError, match="field 'prompt'"):
        load_reddit_seeds(bad, resolver)
