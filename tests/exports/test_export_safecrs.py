"""CoT SFT answers and the `safecrs` config: the reference's field layout, read back unchanged."""

from __future__ import annotations

import json
import os
import re

import pytest
from sample_factory import make_corpus, make_sample, mini_catalogue
from typer.testing import CliRunner

from datagen.catalogue import TitleResolver
from datagen.catalogue.parse import extract_titles
from datagen.cli.main import app
from datagen.parquet_io import write_parquet
from datagen.records.sample import SAMPLE_SCHEMA, samples_to_table
from datagen.taxonomy import load_taxonomy
from exports.build import export_formats
from exports.common import ExportConfig, concern_phrases
from exports.reasoning import reasoning_text
from exports.safecrs import SafeCRSNames, safecrs_example
from exports.sft import sft_prompt_completion_example


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="module")
def phrases(taxonomy):
    return concern_phrases(taxonomy)


def row(sample) -> dict:
    return sample.model_dump(mode="python")


def test_cot_answer_reasons_from_the_recorded_drops(phrases, resolver):
    s = row(make_sample("a1", traits=["animal_harm"]))
    ex = sft_prompt_completion_example(s, ExportConfig(cot=True, list_length=2), phrases)
    answer = ex["completion"][0]["content"]
    reasoning = re.search(r"<reasoning>\n(.*)\n</reasoning>", answer, re.S).group(1)
    assert "a dog dies" in reasoning  # the taxonomy's plain words
    assert "We had to put our old dog down" in reasoning  # the user's own cue
    assert "Set aside because" in reasoning and "Old Yeller (1957)" in reasoning  # unsafe
    assert "not known whether" in reasoning and "Marley & Me (2008)" in reasoning  # unknown
    assert "animal_harm" not in reasoning and not re.search(r"0\.\d", reasoning)
    assert answer.endswith("<solution>\nUp (2009)\nPaddington (2014)\n</solution>")
    # the one parser reads only the solution: the set-aside films are not recommendations
    assert [resolver.resolve(t).item_id for t in extract_titles(answer)] == [
        "tt1049413", "tt1109624"]


def test_cot_control_and_no_drops(phrases):
    control = reasoning_text(row(make_sample("c1", traits=[])), phrases)
    assert control.startswith("Nothing in the conversation points to")
    assert "Finding Nemo (2003)" in control
    quiet = reasoning_text(row(make_sample("q1", traits=["gore"], unsafe=[], unknown=[])),
                           phrases)
    assert "None of the closest matches had to be set aside." in quiet
    many = row(make_sample("m1", traits=["gore"], unknown=[
        (i, "gore") for i in ("tt0822832", "tt0050798", "tt0081505", "tt0078748",
                              "tt0073195", "tt6644200")]))
    assert "and 2 more" in reasoning_text(many, phrases)


def test_safecrs_row_has_the_reference_fields(taxonomy, phrases):
    names = SafeCRSNames.from_taxonomy(taxonomy)
    s = row(make_sample("r1", traits=["animal_harm", "gore"]))
    ex = safecrs_example(s, ExportConfig(list_length=2), phrases, names)
    assert list(ex) == ["sample_id", "prompt", "completion", "seen_titles",
                        "groundtruth_with_release_year", "constraints", "assigned_trait",
                        "assignment_reason"]
    (prompt,) = ex["prompt"]
    assert prompt["role"] == "user" and "User: " in prompt["content"]
    assert s["messages"][-1]["content"] in prompt["content"]
    assert ex["completion"][0]["content"].startswith("<reasoning>\n")
    assert ex["seen_titles"] == ["Finding Nemo"]
    assert ex["groundtruth_with_release_year"] == [["Up", "2009"], ["Paddington", "2014"],
                                                   ["Toy Story", "1995"]]
    on = {k for k, v in ex["constraints"].items() if v}
    assert on == {"Animal lover (avoid animal harm/death)", "Anti-gore / squeamish"}
    assert len(ex["constraints"]) == len(taxonomy.traits)
    assert ex["assigned_trait"] == "Animal lover (avoid animal harm/death)"
    assert "implicit cue (life_event) in dialogue turn 3" in ex["assignment_reason"]
    control = safecrs_example(row(make_sample("c", traits=[])), ExportConfig(), phrases, names)
    assert control["assigned_trait"] == "" and not any(control["constraints"].values())


def test_safecrs_config_reads_like_the_reference_release(tmp_path, taxonomy):
    """Load the config with datasets and read it the way the reference's scripts do."""
    import datasets

    from exports.hf_repo import write_dataset_folder

    splits = {"train": samples_to_table(make_corpus(12)), "test": samples_to_table(
        make_corpus(6, seed=1))}
    result = export_formats(splits, ["safecrs"], taxonomy=taxonomy)
    out = tmp_path / "hf"
    write_dataset_folder(out, result, splits, taxonomy=taxonomy)
    ds = datasets.load_dataset(str(out), name="safecrs", cache_dir=str(tmp_path / "cache"))
    assert set(ds) == {"train", "test"} and ds["train"].num_rows == 12
    item = ds["train"][0]
    context = item["prompt"][0]["content"]  # the reference's eval reads only this
    assert "User:" in context
    gt = [(title, int(year)) for title, year in item["groundtruth_with_release_year"]]
    assert gt and all(isinstance(y, int) for _, y in gt)
    assert isinstance(item["constraints"], dict)
    active = [t for t, avoid in item["constraints"].items() if avoid]
    assert active == [item["assigned_trait"]] or not item["assigned_trait"]
    assert "safecrs" in (out / "README.md").read_text()


def test_export_safecrs_cli_roundtrips_through_import(tmp_path, taxonomy):
    import datasets

    run = tmp_path / "run"
    samples = make_corpus(40)
    write_parquet(samples_to_table(samples), run / "samples.parquet", SAMPLE_SCHEMA)
    runner = CliRunner()
    assert runner.invoke(app, ["split", "--run-dir", str(run)]).exit_code == 0
    out = tmp_path / "saferec_sft_dataset"
    res = runner.invoke(app, ["export", "safecrs", "--run-dir", str(run), "--out", str(out)])
    assert res.exit_code == 0, res.output
    test = datasets.load_from_disk(os.path.join(out, "test"))  # the reference's own call
    assert {"prompt", "completion", "constraints", "sample_id"} <= set(test.column_names)
    # our importer reads our export back: same traits and the same ground-truth films
    cat = mini_catalogue().save(tmp_path / "cat.parquet")
    res = runner.invoke(app, ["import", "safecrs", str(out / "test"), "--out",
                              str(tmp_path / "back"), "--catalogue", str(cat), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["unmapped_traits"] == {} and report["ground_truth"]["unresolved"] == 0
    from datagen.compat.safecrs import import_safecrs

    back = import_safecrs(out / "test", TitleResolver(mini_catalogue()), taxonomy).samples
    by_id = {s.sample_id: s for s in samples}
    for sample in back:
        original = by_id[sample.sample_id]
        assert sorted(sample.traits) == sorted(original.traits)
        assert [g.item_id for g in sample.ground_truth] == [
            g.item_id for g in original.ground_truth]


def test_cot_flag_on_the_cli(tmp_path):
    import pyarrow.parquet as pq

    run = tmp_path / "run"
    write_parquet(samples_to_table(make_corpus(30)), run / "samples.parquet", SAMPLE_SCHEMA)
    runner = CliRunner()
    assert runner.invoke(app, ["split", "--run-dir", str(run)]).exit_code == 0
    res = runner.invoke(app, ["export", "sft", "--run-dir", str(run), "--cot", "--splits",
                              "train"])
    assert res.exit_code == 0, res.output
    rows = pq.read_table(run / "exports" / "sft" / "train.parquet").to_pylist()
    assert all(r["messages"][-1]["content"].startswith("<reasoning>") for r in rows)
