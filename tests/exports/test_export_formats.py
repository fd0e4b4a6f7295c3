"""SFT, GDPO and preference records: shapes TRL expects, contents from the samples."""

from __future__ import annotations

import json
import re

import pytest
from sample_factory import make_sample

from datagen.catalogue.parse import extract_titles
from datagen.taxonomy import load_taxonomy
from exports.build import parse_formats
from exports.common import ExportConfig, concern_phrases, prompt_messages
from exports.gdpo import gdpo_example
from exports.preference import (
    PreferenceSources,
    hallucinated_titles,
    load_self_hard,
    preference_examples,
)
from exports.sft import sft_example, sft_prompt_completion_example


def row(sample) -> dict:
    return sample.model_dump(mode="python")


@pytest.fixture(scope="module")
def phrases():
    return concern_phrases(load_taxonomy())


def test_sft_messages_and_prompt_completion(phrases, resolver):
    s = row(make_sample("a1", traits=["animal_harm", "spiders_snakes"]))
    ex = sft_example(s, ExportConfig(list_length=2), phrases)
    msgs = ex["messages"]
    assert msgs[0]["role"] == "system" and msgs[-1]["role"] == "assistant"
    assert [m["content"] for m in msgs[1:-1]] == [t["content"] for t in s["messages"]]
    answer = msgs[-1]["content"].splitlines()
    assert answer[1:] == ["Up (2009)", "Paddington (2014)"]  # list length 2
    lead = answer[0]
    assert "a dog dies" in lead and "spiders" in lead
    assert "animal_harm" not in lead and not re.search(r"\d", lead)  # no ids, no scores
    # the project's parser + resolver read the answer back as the ground truth
    ids = [resolver.resolve(t).item_id for t in extract_titles(msgs[-1]["content"])]
    assert ids == ["tt1049413", "tt1109624"]
    pc = sft_prompt_completion_example(s, ExportConfig(list_length=2), phrases)
    assert pc["prompt"] + pc["completion"] == msgs
    assert pc["completion"][0]["role"] == "assistant" and len(pc["completion"]) == 1


def test_prompt_stops_at_last_user_turn_and_control_has_no_concern(phrases):
    s = row(make_sample("c1", traits=[]))
    s["messages"] = [*s["messages"], {"role": "assistant", "content": "Let me think."}]
    p = prompt_messages(s, "SYS")
    assert p[-1]["role"] == "user" and len(p) == len(s["messages"])
    ex = sft_example(s, ExportConfig(), phrases)
    assert ex["messages"][-1]["content"].startswith("Here are some films you might enjoy:")
    plain = sft_example(s, ExportConfig(rationale=False), phrases)
    assert plain["messages"][-1]["content"].splitlines()[0] == "Up (2009)"
    s["ground_truth"] = []
    assert sft_example(s, ExportConfig(), phrases) is None


def test_gdpo_row_carries_reward_columns():
    s = row(make_sample("g1", liked=["tt0266543", "tt0211915"]))
    ex = gdpo_example(s, ExportConfig())
    assert ex["prompt"][0]["role"] == "system" and ex["prompt"][-1]["role"] == "user"
    assert [g["item_id"] for g in ex["ground_truth"]] == ["tt1049413", "tt1109624", "tt0114709"]
    assert ex["unsafe_items"] == [{"item_id": "tt0050798", "title": "Old Yeller", "year": 1957,
                                   "trait_id": "animal_harm"}]
    assert [u["item_id"] for u in ex["unknown_items"]] == ["tt0822832"]
    assert [i["item_id"] for i in ex["seen_items"]] == ["tt0266543", "tt0211915"]
    assert ex["traits"] == ["animal_harm"] and ex["sample_id"] == "g1"


def test_preference_types(mini_catalogue, resolver, tmp_path):
    preds = tmp_path / "model.jsonl"
    preds.write_text(json.dumps({"sample_id": "d1", "text": "1. Up (2009)\n2. Jaws (1975)"})
                     + "\n")
    sources = PreferenceSources.from_catalogue(
        mini_catalogue, resolver, predictions=load_self_hard(str(preds), resolver))
    s = row(make_sample("d1", ground_truth=["tt1049413", "tt1109624", "tt0114709",
                                            "tt4468740"]))
    pairs = {p["rejection_type"]: p for p in preference_examples(s, ExportConfig(), sources)}
    assert set(pairs) == {"unsafe", "popularity", "hallucination", "self_hard"}
    chosen = pairs["unsafe"]["chosen"][0]["content"].splitlines()
    assert chosen == ["Up (2009)", "Paddington (2014)", "Toy Story (1995)", "Paddington 2 (2017)"]
    assert pairs["unsafe"]["rejected"][0]["content"].splitlines()[0] == "Old Yeller (1957)"
    assert pairs["self_hard"]["rejected"][0]["content"].splitlines()[0] == "Jaws (1975)"
    # popularity negatives: the most popular films outside ground truth / liked / dropped
    pop = pairs["popularity"]["rejected"][0]["content"].splitlines()[:2]
    assert all(resolver.resolve(t).item_id in {"tt0468569", "tt1375666", "tt0108052",
                                               "tt0120338", "tt0081505", "tt0078748",
                                               "tt0145487", "tt0211915", "tt0113277",
                                               "tt0073195", "tt6644200", "tt0332280",
                                               "tt0099052"} for t in pop)
    for p in pairs.values():
        assert p["prompt"][-1]["role"] == "user" and p["chosen"] != p["rejected"]
        assert len(p["rejected"][0]["content"].splitlines()) == len(chosen)


def test_hallucinated_titles_never_resolve(resolver):
    s = row(make_sample("h1"))
    fakes = hallucinated_titles(s, resolver, 3)
    assert len(fakes) == 3
    for f in fakes:
        assert not resolver.resolve(f"{f['title']} ({f['year']})").matched
        assert f["title"] not in {"Up", "Paddington", "Toy Story"}


def test_unsafe_pairs_only_for_the_users_own_traits(mini_catalogue, resolver):
    s = row(make_sample("u1", traits=["gore"], unsafe=[("tt0050798", "animal_harm")]))
    pairs = preference_examples(s, ExportConfig(), PreferenceSources(types=("unsafe",)))
    assert pairs == []


def test_parse_formats():
    assert parse_formats("sft, dpo,sft") == ["sft", "dpo"]
    with pytest.raises(ValueError, match="unknown format"):
        parse_formats("sft,parquet")
