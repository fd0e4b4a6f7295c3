"""Evaluation reads the catalogue / tags / graph the run itself used (manifest.json)."""

from __future__ import annotations

import json

import pytest

from datagen.errors import InputError
from datagen.evaluate import evaluate_predictions, load_predictions, split_from_table
from datagen.evaluate.predictions import PredictionRecord, write_predictions
from datagen.evaluate.resources import catalogue_warning, load_catalogue, load_tag_index
from datagen.records.sample import samples_to_table


def _manifest(run, config=None, sources=None, fingerprint=None):
    run.mkdir(parents=True, exist_ok=True)
    data = {"config": config or {}, "sources": sources or {},
            "catalogue": {"fingerprint": fingerprint} if fingerprint else {}}
    (run / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def test_tags_and_catalogue_follow_the_run_manifest(tmp_path, catalogue, tag_file):
    tags_file = tag_file
    cat_file = catalogue.save(tmp_path / "cat.parquet")
    run = tmp_path / "run"
    _manifest(run, config={"tags_path": str(tags_file), "catalogue_path": str(cat_file)},
              fingerprint=catalogue.fingerprint)
    cat = load_catalogue(None, run)
    assert len(cat) == len(catalogue)
    assert catalogue_warning(cat, run) is None
    index, label = load_tag_index(None, cat, run)
    assert label == str(tags_file) and index.status("tt0000003", "spiders_snakes") == "yes"


def test_in_memory_run_tags_ignore_a_newer_artifact(tmp_path, catalogue, monkeypatch,
                                                    tag_file):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "artifacts").mkdir()
    tag_file.rename(tmp_path / "artifacts" / "item_tags.parquet")
    run = tmp_path / "run"
    _manifest(run, sources={"tags": "built-in-memory:rule_evidence"}, fingerprint="0" * 64)
    _, label = load_tag_index(None, catalogue, run)
    assert label.startswith("built-in-memory")
    assert "not the one the run used" in catalogue_warning(catalogue, run)
    _, label = load_tag_index(None, catalogue, tmp_path / "no-manifest")
    assert label == "artifacts/item_tags.parquet"


def test_split_trait_missing_from_tag_table_is_a_clear_error(tmp_path, make_sample, resolver,
                                                             tags):
    samples = [make_sample("s1", traits=["claustrophobia"], ground_truth=["tt0000001"])]
    split = split_from_table(samples_to_table(samples), "test")
    path = write_predictions([PredictionRecord(sample_id="s1", titles=("Heat (1995)",))],
                             tmp_path / "p.jsonl")
    with pytest.raises(InputError, match=r"claustrophobia.*another taxonomy"):
        evaluate_predictions(split, [load_predictions(path)], resolver, tags, resamples=0)
