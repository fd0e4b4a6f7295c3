"""Every kind of bad taxonomy input is one InputError line naming file, record and field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from datagen.errors import InputError
from datagen.taxonomy import content_hash, load_taxonomy

Writer = Callable[..., Path]


def _error(path: Path, **kwargs: Any) -> str:
    with pytest.raises(InputError) as info:
        load_taxonomy(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def test_minimal_fixture_is_valid(minimal: dict, write_yaml: Writer) -> None:
    tax = load_taxonomy(write_yaml(minimal))
    assert tax.trait_ids == ["animal_harm", "claustrophobia"]


def test_unknown_topic_id(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][1]["dtdd_topics"] = [202, 999]
    msg = _error(write_yaml(minimal))
    assert "record trait 'claustrophobia'" in msg
    assert "field 'dtdd_topics[1]'" in msg
    assert "unknown topic id 999" in msg


def test_duplicate_trait_id(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][1]["id"] = "animal_harm"
    path = write_yaml(minimal)
    msg = _error(path)
    assert "record trait 'animal_harm': field 'id': duplicate trait id" in msg
    second = [i for i, text in enumerate(path.read_text().splitlines(), 1)
              if text.strip() == "- id: animal_harm"][1]
    assert msg.endswith(f"(line {second})"), "the line of the second, offending record"


def test_duplicate_topic_id(minimal: dict, write_yaml: Writer) -> None:
    minimal["topics"].append({"id": 153, "label": "again", "category": "Animal"})
    msg = _error(write_yaml(minimal))
    assert "record topic #2: field 'id': duplicate topic id 153" in msg


@pytest.mark.parametrize(("where", "field"), [
    ("rule", "weak_rules[0].weight"),
    ("pg", "pg_weights.frightening_intense"),
])
def test_weight_out_of_range(minimal: dict, write_yaml: Writer, where: str, field: str) -> None:
    trait = minimal["traits"][1]
    if where == "rule":
        trait["weak_rules"][0]["weight"] = 1.5
    else:
        trait["pg_weights"]["frightening_intense"] = -0.1
    msg = _error(write_yaml(minimal))
    assert "record trait 'claustrophobia'" in msg and f"field '{field}'" in msg
    assert "greater than or equal" in msg or "less than or equal" in msg


def test_unknown_pg_category(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][0]["pg_weights"] = {"nudity": 0.5}
    msg = _error(write_yaml(minimal))
    assert "record trait 'animal_harm': field 'pg_weights.nudity'" in msg
    assert "unknown Parents Guide category 'nudity'" in msg


def test_cue_with_own_leak_term_names_the_line(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][1]["cues"][3]["text"] = "I get so CLAUSTROPHOBIC at parties"
    path = write_yaml(minimal)
    msg = _error(path)
    assert "record trait 'claustrophobia': field 'cues[3].text'" in msg
    assert "contains leak term 'claustrophobic'" in msg
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if "CLAUSTROPHOBIC" in text)
    assert f"(line {line})" in msg


def test_cue_with_another_traits_leak_term(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][1]["cues"][0]["text"] = "I can't watch it if the dog dies, period"
    msg = _error(write_yaml(minimal))
    assert "record trait 'claustrophobia': field 'cues[0].text'" in msg
    assert "contains leak term 'the dog dies' of trait 'animal_harm'" in msg


def test_cue_naming_the_trait_itself_is_a_leak(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][0]["cues"][5]["text"] = "animal harm on screen ruins my week"
    msg = _error(write_yaml(minimal))
    assert "field 'cues[5].text'" in msg and "contains leak term 'animal harm'" in msg


def test_too_few_cues(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][0]["cues"] = minimal["traits"][0]["cues"][:7]
    msg = _error(write_yaml(minimal))
    assert "record trait 'animal_harm': field 'cues'" in msg and "at least 8" in msg


def test_too_few_strategies(minimal: dict, write_yaml: Writer) -> None:
    for cue in minimal["traits"][1]["cues"]:
        if cue["strategy"] in ("indirect_reference", "preference_pattern"):
            cue["strategy"] = "behaviour"
    msg = _error(write_yaml(minimal))
    assert "record trait 'claustrophobia': field 'cues'" in msg
    assert "2 strategies, at least 3 required" in msg


def test_unknown_family_and_unknown_key(minimal: dict, write_yaml: Writer) -> None:
    minimal["traits"][0]["family"] = "fear"
    msg = _error(write_yaml(minimal))
    assert "record trait 'animal_harm': field 'family'" in msg
    del minimal["traits"][0]["family"]
    minimal["traits"][0]["family"] = "trauma"
    minimal["traits"][0]["leak_term"] = ["typo"]
    msg = _error(write_yaml(minimal, "typo.yaml"))
    assert "field 'leak_term'" in msg and "Extra inputs are not permitted" in msg


def test_bad_version_is_a_taxonomy_level_error(minimal: dict, write_yaml: Writer) -> None:
    minimal["version"] = "v1"
    msg = _error(write_yaml(minimal))
    assert "record taxonomy: field 'version'" in msg


def test_malformed_yaml_names_the_line(write_yaml: Writer) -> None:
    path = write_yaml("name: x\nversion: 1.0.0\ntopics: [\n  {id: 1,\ntraits: oops: no\n")
    msg = _error(path)
    assert "malformed YAML" in msg and "line " in msg


def test_duplicate_yaml_key_is_rejected(write_yaml: Writer) -> None:
    path = write_yaml("name: a\nversion: 1.0.0\nname: b\ntopics: []\ntraits: []\n")
    msg = _error(path)
    assert "line 3" in msg and "duplicate key 'name'" in msg


def test_not_a_mapping_and_missing_file(tmp_path: Path, write_yaml: Writer) -> None:
    msg = _error(write_yaml("- just\n- a list\n"))
    assert "must hold a YAML mapping" in msg
    missing = tmp_path / "nope.yaml"
    assert _error(missing) == f"{missing}: file not found"


def test_loader_fields_must_not_be_in_the_file(minimal: dict, write_yaml: Writer) -> None:
    minimal["content_hash"] = "abc"
    assert "field 'content_hash'" in _error(write_yaml(minimal))


def test_topics_checked_against_a_dtdd_file(minimal: dict, write_yaml: Writer,
                                            tmp_path: Path) -> None:
    topics = tmp_path / "topics.json"
    topics.write_text(json.dumps({
        "categories": [{"id": 2, "name": "Animal"}, {"id": 7, "name": "Mental Health"}],
        "topics": [{"id": 153, "category_id": 2, "label": "a dog dies"},
                   {"id": 202, "category_id": 7, "label": "there's a claustrophobic scene"}],
    }))
    path = write_yaml(minimal)
    assert load_taxonomy(path, topics_path=topics).name == "mini"
    minimal["topics"][0]["label"] = "the dog dies"
    msg = _error(write_yaml(minimal, "bad.yaml"), topics_path=topics)
    assert "record topic 153: field 'topics[0].label'" in msg
    topics.write_text("{not json")
    with pytest.raises(InputError, match="not a DoesTheDogDie topics file"):
        load_taxonomy(path, topics_path=topics)


def test_hash_ignores_formatting_but_follows_content(minimal: dict, write_yaml: Writer) -> None:
    first = load_taxonomy(write_yaml(minimal, "a.yaml"))
    assert load_taxonomy(write_yaml(minimal, "a.yaml")).content_hash == first.content_hash
    reformatted = "# a comment\n" + yaml.safe_dump(minimal, sort_keys=True, indent=4)
    assert load_taxonomy(write_yaml(reformatted, "b.yaml")).content_hash == first.content_hash
    assert first.content_hash == content_hash(minimal)
    minimal["traits"][0]["weak_rules"][0]["weight"] = 0.7
    assert load_taxonomy(write_yaml(minimal, "c.yaml")).content_hash != first.content_hash
