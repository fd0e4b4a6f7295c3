"""`datagen tags build|explain` through typer's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datagen.catalogue import Catalogue
from datagen.catalogue.models import Item
from datagen.cli.main import app
from datagen.tags import TagIndex, TagStatus

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    cat = Catalogue([
        Item(item_id="tt0000001", title="Dog Movie", year=2001, imdb_id="tt0000001",
             genres=["Drama"]),
        Item(item_id="tt0000002", title="Slasher", year=2002, imdb_id="tt0000002",
             genres=["Horror"], mpaa_rating="R"),
        Item(item_id="tt0000003", title="Kids Film", year=2003, imdb_id="tt0000003",
             genres=["Family"], mpaa_rating="G"),
    ])
    paths = {"catalogue": cat.save(tmp_path / "catalogue.parquet")}
    paths["ddd"] = tmp_path / "ddd.csv"
    paths["ddd"].write_text("imdb_id,topic_id,yes_votes,no_votes\n"
                            "tt0000001,153,12,1\ntt0000003,153,0,9\ntt0999999,153,1,1\n")
    paths["pg"] = tmp_path / "pg.jsonl"
    paths["pg"].write_text(json.dumps({"imdb_id": "tt0000002", "category": "Violence & Gore",
                                       "severity": "severe"}) + "\n")
    paths["out"] = tmp_path / "out" / "item_tags.parquet"
    return paths


def _build_args(files: dict[str, Path], *extra: str) -> list[str]:
    return ["tags", "build", "--catalogue", str(files["catalogue"]), "--ddd", str(files["ddd"]),
            "--parents-guide", str(files["pg"]), "--out", str(files["out"]), *extra]


def test_build_writes_tags_and_reports_inputs(files):
    result = runner.invoke(app, _build_args(files, "--json"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["items"] == 3
    ddd = next(i for i in summary["inputs"] if i["source"] == "ddd")
    assert ddd["rows_read"] == 3 and ddd["unmatched_films"] == 1
    assert summary["traits"]["animal_harm"]["yes"] == 1
    assert summary["traits"]["animal_harm"]["no"] == 1
    index = TagIndex.load(files["out"])
    assert index.status("tt0000001", "animal_harm") is TagStatus.yes
    assert index.status("tt0000003", "animal_harm") is TagStatus.no
    assert index.status("tt0000002", "animal_harm") is TagStatus.unknown


def test_build_prints_a_table_per_trait(files):
    result = runner.invoke(app, _build_args(files))
    assert result.exit_code == 0, result.output
    for word in ("animal_harm", "young_children", "coverage", "ddd.csv"):
        assert word in result.output


def test_evidence_out_feeds_the_graph(files, tmp_path):
    from datagen.graph import load_graph
    from datagen.tags import load_evidence_file

    ev_path = tmp_path / "evidence.parquet"
    assert runner.invoke(app, _build_args(files, "--evidence-out", str(ev_path))).exit_code == 0
    sources = set(load_evidence_file(ev_path)["source"].to_list())
    assert {"ddd", "parents_guide", "rule:genre"} <= sources
    graph = tmp_path / "graph.json"
    result = runner.invoke(app, ["graph", "build", "--catalogue", str(files["catalogue"]),
                                 "--tags", str(ev_path), "--out", str(graph)])
    assert result.exit_code == 0, result.output
    g = load_graph(graph)
    assert "topic:153" in g and "pg:violence_gore:severe" in g


def test_threshold_and_policy_file(files, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"unsafe_threshold": 0.99, "ddd_clear_yes": 0.95}))
    result = runner.invoke(app, _build_args(files, "--policy", str(policy)))
    assert result.exit_code == 0, result.output
    index = TagIndex.load(files["out"])
    assert index.policy is not None and index.policy.ddd_clear_yes == 0.95
    assert index.status("tt0000001", "animal_harm") is TagStatus.unknown  # 12/13 < 0.95
    result = runner.invoke(app, _build_args(files, "--policy", str(policy), "--threshold", "0.5"))
    assert TagIndex.load(files["out"]).policy.unsafe_threshold == 0.5
    policy.write_text(json.dumps({"unsafe_threshold": 3}))
    result = runner.invoke(app, _build_args(files, "--policy", str(policy)))
    assert result.exit_code == 2
    assert "policy.json: field 'unsafe_threshold'" in result.output


def test_bad_input_fails_in_one_line_and_leaves_no_output(files):
    files["ddd"].write_text("imdb_id,topic_id,yes_votes,no_votes\ntt0000001,153,lots,1\n")
    result = runner.invoke(app, _build_args(files))
    assert result.exit_code == 2
    assert "ddd.csv: line 2: field 'yes_votes'" in result.output
    assert not files["out"].exists()


def test_explain_shows_status_sources_and_evidence(files):
    assert runner.invoke(app, _build_args(files)).exit_code == 0
    args = ["tags", "explain", "Dog Movie (2001)", "--tags", str(files["out"]),
            "--catalogue", str(files["catalogue"])]
    result = runner.invoke(app, [*args, "--trait", "animal_harm"])
    assert result.exit_code == 0, result.output
    assert "animal_harm: yes" in result.output
    assert "12 yes / 1 no -> clear yes" in result.output
    full = runner.invoke(app, [*args, "--json"])
    data = json.loads(full.stdout)
    assert data["match"]["item_id"] == "tt0000001"
    assert len(data["tags"]) == 21
    assert {t["status"] for t in data["tags"]} >= {"yes", "unknown"}


def test_explain_errors(files):
    assert runner.invoke(app, _build_args(files)).exit_code == 0
    base = ["tags", "explain", "--tags", str(files["out"]), "--catalogue",
            str(files["catalogue"])]
    bad_trait = runner.invoke(app, [*base, "Dog Movie (2001)", "--trait", "nope"])
    assert bad_trait.exit_code == 2 and "unknown trait 'nope'" in bad_trait.output
    no_film = runner.invoke(app, [*base, "A Quiet Place (2018)"])
    assert no_film.exit_code == 2 and "no catalogue film matches" in no_film.output
    missing = runner.invoke(app, ["tags", "explain", "Dog Movie", "--tags",
                                  str(files["out"].parent / "none.parquet")])
    assert missing.exit_code == 2 and "run `datagen tags build` first" in missing.output


def test_tags_help_lists_commands():
    result = runner.invoke(app, ["tags", "--help"])
    assert result.exit_code == 0
    for name in ("build", "explain", "llm"):
        assert name in result.output


def test_subprocess_build_then_explain(files):
    exe = [str(Path(sys.executable).with_name("datagen"))]
    done = subprocess.run([*exe, *_build_args(files, "--json")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items"] == 3
    explained = subprocess.run(
        [*exe, "tags", "explain", "Slasher (2002)", "--trait", "gore", "--json",
         "--tags", str(files["out"]), "--catalogue", str(files["catalogue"])],
        capture_output=True, text=True, timeout=120)
    assert explained.returncode == 0, explained.stderr
    (tag,) = json.loads(explained.stdout)["tags"]
    assert tag["status"] == "yes" and tag["sources"] == ["parents_guide", "rule:genre"]
    failed = subprocess.run([*exe, "tags", "build", "--ddd", "/nonexistent/ddd.csv",
                             "--catalogue", str(files["catalogue"]), "--out",
                             str(files["out"])], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2
    assert failed.stderr.strip().count("\n") == 0 and "file not found" in failed.stderr


@pytest.mark.slow
def test_build_on_embedded_defaults(tmp_path, shared_data):
    out = tmp_path / "item_tags.parquet"
    result = runner.invoke(app, ["tags", "build", "--movielens",
                                 str(shared_data / "ml-latest-small"), "--out", str(out),
                                 "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["items"] > 17000 and len(summary["traits"]) == 21
    assert [i["source"] for i in summary["inputs"]] == [
        "rule", "curated:saferec-movies-v2", "user_tag"]
    index = TagIndex.load(out)
    assert index.policy is not None and index.policy.unsafe_threshold == 0.66
    counts = index.counts()
    assert all(sum(c.values()) == len(index) for c in counts.values())
    assert sum(c["unknown"] for c in counts.values()) > sum(c["no"] for c in counts.values())


def test_explain_without_tag_file_builds_the_defaults(tmp_path, monkeypatch):
    """No artifacts/item_tags.parquet: explain uses the embedded rules + curated evidence."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["tags", "explain", "Marley & Me (2008)", "--trait",
                                 "animal_harm", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["match"]["imdb_id"] == "tt0822832"
    (tag,) = data["tags"]
    assert tag["status"] == "yes" and "curated:saferec-movies-v2" in tag["sources"]
