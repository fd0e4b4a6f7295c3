"""SafeCRS rows in: as seeds (the reddit loader) and as benchmark samples (`datagen import`)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from safecrs_fixtures import REF_ROWS, write_jsonl
from typer.testing import CliRunner

from datagen.cli.importer import guess_split
from datagen.cli.main import app
from datagen.compat.safecrs import IMPORT_FLAG, import_safecrs, trait_lookup, write_import
from datagen.compat.safecrs_rows import iter_safecrs_rows, parse_row
from datagen.errors import InputError
from datagen.evaluate import load_split
from datagen.synth.seeds import load_reddit_seeds
from datagen.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def test_reference_rows_seed_through_the_reddit_loader(ref_file, resolver):
    seeds = load_reddit_seeds(ref_file, resolver)
    assert [s.source for s in seeds] == ["safecrs", "safecrs", "safecrs"]
    first = seeds[0]
    assert first.seed_id == "safecrs:1"
    assert [r.title for r in first.liked] == ["Toy Story", "Finding Nemo"]  # seen_titles
    assert [r.title for r in first.recommended] == ["Up", "Paddington", "Ratatouille"]
    assert first.unresolved == ["Not A Real Film (2031)"]
    assert first.user_turns[0].startswith("I loved Toy Story")  # system message dropped
    third = seeds[2]
    assert [(r.title, r.year) for r in third.recommended] == [
        ("(500) Days of Summer", 2009), ("Faust", 2011), ("Godspell", 1973)]


def test_plain_reddit_rows_are_unchanged(tmp_path, resolver):
    path = write_jsonl(tmp_path / "reddit.jsonl", [
        {"id": "a1", "prompt": "Heist films?", "groundtruth_with_release_year": ["Heat (1995)"],
         "liked_with_release_year": ["Ocean's Eleven (2001)"]}])
    (seed,) = load_reddit_seeds(path, resolver)
    assert (seed.source, seed.seed_id) == ("reddit", "reddit:a1")
    assert [r.title for r in seed.liked] == ["Ocean's Eleven"]


def _columnar(row):
    """A row as a `datasets` release stores it: one type per column (messages, string pairs)."""
    out = dict(row)
    if isinstance(out["prompt"], str):
        out["prompt"] = [{"role": "user", "content": out["prompt"]}]
    out["groundtruth_with_release_year"] = [
        list(e) if not isinstance(e, str) else [e.rsplit(" (", 1)[0], e[-5:-1]]
        for e in out["groundtruth_with_release_year"]]
    out["groundtruth_with_release_year"] = [[t, str(y)] for t, y in
                                            out["groundtruth_with_release_year"]]
    return out


def test_every_release_file_shape_reads_the_same(tmp_path, resolver):
    import datasets

    rows = [_columnar(r) for r in REF_ROWS]
    ref_file = write_jsonl(tmp_path / "rows.jsonl", rows)
    as_json = tmp_path / "rows.json"
    as_json.write_text(json.dumps({"samples": rows}))
    as_list = tmp_path / "list.json"
    as_list.write_text(json.dumps(rows))
    folder = tmp_path / "saferec_sft_dataset" / "test"
    datasets.Dataset.from_list(rows).save_to_disk(str(folder))
    as_parquet = tmp_path / "rows.parquet"
    pq.write_table(datasets.Dataset.from_list(rows).data.table, as_parquet)
    expected = [s.recommended for s in load_reddit_seeds(ref_file, resolver)]
    assert [len(e) for e in expected] == [3, 3, 3]
    for path in (as_json, as_list, folder, as_parquet):
        got = [s.recommended for s in load_reddit_seeds(path, resolver)]
        assert got == expected, path
    datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)}).save_to_disk(
        str(tmp_path / "dd"))
    with pytest.raises(InputError, match="a folder of splits"):
        list(iter_safecrs_rows(tmp_path / "dd"))


@pytest.mark.parametrize(("row", "field", "message"), [
    ({"prompt": [{"role": "system", "content": "x"}], "groundtruth_with_release_year": []},
     "prompt", "no user turn"),
    ({"prompt": "hi", "groundtruth_with_release_year": [["Up", "soon"]]},
     "groundtruth_with_release_year.0", "bad year"),
    ({"prompt": "hi", "groundtruth_with_release_year": "Up (2009)"},
     "groundtruth_with_release_year", ""),
    ({"prompt": "  ", "groundtruth_with_release_year": []}, "prompt", "non-empty"),
])
def test_bad_rows_name_file_row_and_field(tmp_path, resolver, row, field, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [REF_ROWS[1], row])
    with pytest.raises(InputError, match=rf"bad.jsonl: line 2: field '{field}'.*{message}"):
        load_reddit_seeds(path, resolver)


def test_import_maps_traits_and_counts_what_it_could_not(ref_file, resolver, taxonomy):
    result = import_safecrs(ref_file, resolver, taxonomy, split="test")
    a, b, c = result.samples
    assert a.traits == ["gore"] and b.traits == [] and c.traits == ["horror_avoider",
                                                                   "animal_harm"]
    assert [t.role for t in a.messages] == ["user"]
    assert [g.title for g in a.ground_truth] == ["Up", "Paddington", "Ratatouille"]
    assert [g.item_id for g in c.ground_truth] == ["tt1022603", "tt1437357", "tt0070121"]
    assert [g.title for g in b.liked_items] == ["Ocean's Eleven"]
    assert a.generation.backend == "import" and "<solution>" in a.generation.raw_output
    assert not a.verification.passed and a.verification.flags == [IMPORT_FLAG]
    assert a.sample_id == "safecrs-test-000000" and a.seed_source == "safecrs"
    assert a.taxonomy_version == taxonomy.version_tag
    r = result.report
    assert (r.rows, r.samples, r.control_samples) == (3, 3, 1)
    assert (r.ground_truth.total, r.ground_truth.resolved, r.ground_truth.unresolved) == (
        10, 9, 1)
    assert r.unresolved_titles == {"Not A Real Film (2031)": 1}
    assert r.unmapped_traits == {"Hates musicals": 1}
    assert r.traits == {"animal_harm": 1, "gore": 1, "horror_avoider": 1}
    assert r.ignored_fields == ["has_cot"]


def test_trait_lookup_accepts_reference_names_names_and_ids(taxonomy):
    lookup = trait_lookup(taxonomy)
    assert lookup["anti-gore / squeamish"] == "gore"
    assert lookup["gore"] == "gore"
    assert lookup["gore-averse / squeamish"] == "gore"
    assert len({v for v in lookup.values()}) == len(taxonomy.traits)


def test_duplicate_sample_ids_are_refused(tmp_path, resolver, taxonomy):
    rows = [dict(REF_ROWS[1], sample_id="x"), dict(REF_ROWS[1], sample_id="x")]
    with pytest.raises(InputError, match=r"line 2: field 'sample_id': duplicate sample id"):
        import_safecrs(write_jsonl(tmp_path / "d.jsonl", rows), resolver, taxonomy)


def test_parse_row_keeps_unknown_columns():
    row = parse_row(dict(REF_ROWS[0]), "f.jsonl", 1)
    assert row.model_extra == {"has_cot": True}
    assert row.trait_names() == ["Anti-gore / squeamish"]


def test_import_writes_a_run_that_evaluate_reads(tmp_path, ref_file, resolver, taxonomy,
                                                 catalogue):
    cat_path = catalogue.save(tmp_path / "catalogue.parquet")
    paths = write_import(import_safecrs(ref_file, resolver, taxonomy), tmp_path / "run",
                         catalogue_path=cat_path)
    split = load_split(tmp_path / "run", "test")
    assert split.sample_ids == ["safecrs-test-000000", "safecrs-test-000001",
                                "safecrs-test-000002"]
    assert split.ground_truth[0] == ["tt1049413", "tt1109624", "tt0382932"]
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["config"]["catalogue_path"] == str(cat_path)
    assert pq.read_schema(paths["split"]).equals(
        pa.schema(pq.read_schema(paths["split"])))  # a real SAMPLE_SCHEMA file


def test_cli_import_then_evaluate(tmp_path, ref_file, catalogue):
    cat_path = catalogue.save(tmp_path / "catalogue.parquet")
    runner = CliRunner()
    run = tmp_path / "imported"
    res = runner.invoke(app, ["import", "safecrs", str(ref_file), "--out", str(run),
                              "--catalogue", str(cat_path)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    shown = " ".join(res.output.split())
    assert "3 samples (1 control, 0 without ground truth)" in shown
    assert "ground truth: 9/10 titles resolved" in shown and "'Hates musicals' (1)" in shown
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"sample_id": "safecrs-test-000000",
                                 "text": REF_ROWS[0]["completion"][0]["content"]}) + "\n")
    res = runner.invoke(app, ["evaluate", "--run-dir", str(run), "--split", "test", "-p",
                              str(preds), "--bootstrap", "0", "--k", "5", "--compat",
                              "safecrs"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    metrics = json.loads((run / "eval" / "test" / "metrics.json").read_text())
    model = metrics["models"][0]
    # the <solution> (Up, Paddington) is read, not the filtered-out Saw of the reasoning
    assert model["counts"]["titles_parsed"] == 2 and model["counts"]["titles_resolved"] == 2
    assert model["overall"]["metrics"]["recall@5"]["value"] == pytest.approx((2 / 3) / 3)
    assert "safecrs:ndcg@5" in model["compat"]["overall"]["metrics"]
    report = json.loads((run / "import_report.json").read_text())
    assert report["unmapped_traits"] == {"Hates musicals": 1}


@pytest.mark.parametrize(("name", "split"), [
    ("sft_test_1k_final.json", "test"), ("saferec_sft_dataset/validation", "validation"),
    ("val.jsonl", "validation"), ("train", "train"), ("rows.jsonl", "test")])
def test_guess_split(name, split):
    from pathlib import Path

    assert guess_split(Path(name)) == split


@pytest.mark.parametrize("source", ["reddit", "safecrs"])
def test_reference_rows_seed_a_synthesize_run(tmp_path, ref_file, catalogue, source):
    cat_path = catalogue.save(tmp_path / "catalogue.parquet")
    run = tmp_path / "run"
    res = CliRunner().invoke(app, [
        "synthesize", "--seed-source", source, "--seed-file", str(ref_file), "--n", "3",
        "--run-dir", str(run), "--catalogue", str(cat_path), "--json"])
    assert res.exit_code == 0, res.output
    stats = json.loads(res.stdout[res.stdout.index("{"):])
    assert stats["planned"] == 3
    seeds = {r["seed_source"] for r in pq.read_table(run / "samples.parquet").to_pylist()}
    rejected = pq.read_table(run / "rejects.parquet").num_rows
    assert stats["samples"] + rejected == 3
    assert stats["samples"] >= 1 and seeds == {"safecrs"}
