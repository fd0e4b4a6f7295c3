"""Prediction files: formats, messy model text through the one parser + resolver, bad input."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datagen.errors import InputError
from datagen.evaluate import (
    check_predictions,
    evaluate_predictions,
    load_predictions,
    split_from_table,
)
from datagen.records.sample import samples_to_table

MESSY = """Sure! Given what you said, here are a few picks:

1. **Heat (1995)** - a tense, grounded crime thriller.
2) "Dark Knight, The" (2008): dark but not gory
- *Toy Story* (1995)
* Spider-Man (2002)
3. The Silent Glimmer of Nowhere (2011) – an obscure gem
Hope you enjoy them!
"""


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_messy_text_is_parsed_and_resolved(tmp_path, make_sample, resolver, tags):
    samples = [make_sample("s1", traits=["spiders_snakes"],
                           ground_truth=["tt0000001", "tt0000002", "tt0000004"])]
    path = _jsonl(tmp_path / "llm.jsonl", [{"sample_id": "s1", "text": MESSY}])
    split = split_from_table(samples_to_table(samples), "test")
    report = evaluate_predictions(split, [load_predictions(path)], resolver, tags, ks=[5],
                                  resamples=20)
    m = report.models[0]
    assert m.counts.titles_parsed == 5
    assert m.counts.titles_resolved == 4  # the invented film does not resolve
    assert m.overall.metrics["recall@5"].value == pytest.approx(2 / 3)
    # Spider-Man is a known "yes" for spiders_snakes: 1 of 4 resolved items
    assert m.overall.metrics["svr@5"].value == pytest.approx(1 / 4)
    assert m.overall.metrics["hallucination_rate"].value == pytest.approx(1 / 5)


def test_parse_failure_and_empty_answers_are_counted(tmp_path, make_sample, resolver, tags):
    samples = [make_sample(f"s{i}", traits=["gore"], ground_truth=["tt0000001"])
               for i in range(4)]
    path = _jsonl(tmp_path / "p.jsonl", [
        {"sample_id": "s0", "text": "I'm sorry, I cannot help with that request."},
        {"sample_id": "s1", "text": ""},
        {"sample_id": "s2", "titles": []},
    ])
    split = split_from_table(samples_to_table(samples), "test")
    report = evaluate_predictions(split, [load_predictions(path)], resolver, tags, resamples=0)
    c = report.models[0].counts
    assert (c.parse_failures, c.empty, c.missing, c.with_prediction) == (1, 2, 1, 3)
    assert report.models[0].overall.metrics["recall@5"].value == 0.0
    assert report.models[0].overall.metrics["svr@5"].value is None


def test_parquet_predictions(tmp_path):
    path = tmp_path / "m.parquet"
    pq.write_table(pa.table({"sample_id": ["a", "b"], "titles": [["Heat (1995)"], []],
                             "split": ["test", "test"]}), path)
    pset = load_predictions(path)
    assert pset.name == "m" and pset.records["a"].titles == ("Heat (1995)",)
    assert pset.splits == {"test"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"sample_id": "a", "text": "x", "titles": ["y"]}], "exactly one of"),
        ([{"sample_id": "a"}], "exactly one of"),
        ([{"text": "x"}], "sample_id"),
        ([{"sample_id": "a", "titles": "Heat"}], "list of strings"),
        ([{"sample_id": "a", "text": "x"}, {"sample_id": "a", "text": "y"}], "duplicate"),
        ([{"sample_id": "a", "text": "x", "score": 1}], "unknown field"),
    ],
)
def test_bad_records_name_file_line_and_field(tmp_path, rows, message):
    path = _jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(InputError, match=message) as info:
        load_predictions(path)
    assert "bad.jsonl" in str(info.value) and "line" in str(info.value)
    assert "\n" not in str(info.value)


def test_empty_missing_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        load_predictions(empty)
    with pytest.raises(InputError, match="not found"):
        load_predictions(tmp_path / "nope.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"sample_id": "a", "text": "x"}\n{"sample_id": \n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        load_predictions(broken)
    csv = tmp_path / "x.csv"
    csv.write_text("sample_id,text\n", encoding="utf-8")
    with pytest.raises(InputError, match="format"):
        load_predictions(csv)


def test_wrong_split_taxonomy_and_unknown_ids(tmp_path):
    rows = [{"sample_id": f"z{i}", "titles": [], "split": "test", "taxonomy_version": "1.0.0"}
            for i in range(8)]
    pset = load_predictions(_jsonl(tmp_path / "p.jsonl", rows))
    with pytest.raises(InputError, match="split test, not 'validation'"):
        check_predictions(pset, {"z0"}, split="validation", taxonomy_version="1.0.0")
    with pytest.raises(InputError, match=re.escape("taxonomy version 1.0.0, the split uses 2.0.0")):
        check_predictions(pset, {"z0"}, split="test", taxonomy_version="2.0.0")
    with pytest.raises(InputError, match=r"7 sample id\(s\) are not in split 'test'.*and 2 more"):
        check_predictions(pset, {"z0"}, split="test", taxonomy_version="1.0.0")
