"""`datagen graph build|stats` through typer's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from datagen.cli.main import app
from datagen.graph import load_graph

runner = CliRunner()


def _movielens(folder: Path) -> Path:
    folder.mkdir()
    (folder / "links.csv").write_text("movieId,imdbId,tmdbId\n1,0000001,11\n2,0000002,12\n")
    (folder / "tags.csv").write_text("userId,movieId,tag,timestamp\n1,1,aliens,1\n2,1,aliens,2\n"
                                     "3,2,sequel,3\n")
    return folder


def test_build_and_stats(tmp_path, catalogue):
    cat_path = catalogue.save(tmp_path / "catalogue.parquet")
    out = tmp_path / "g" / "graph.json.gz"
    result = runner.invoke(app, ["graph", "build", "--catalogue", str(cat_path), "--movielens",
                                 str(_movielens(tmp_path / "ml")), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["nodes_by_type"]["item"] == 7 and summary["edges_by_kind"]["tag"] == 2
    g = load_graph(out)
    assert g.edges["item:tt0000001", "tag:aliens", 0]["weight"] == 2.0
    table = runner.invoke(app, ["graph", "stats", str(out)])
    assert table.exit_code == 0 and "person" in table.output and "isolated" in table.output


def test_build_with_tags_file_adds_trait_nodes(tmp_path, catalogue):
    cat_path = catalogue.save(tmp_path / "catalogue.parquet")
    ddd = tmp_path / "ddd.csv"
    ddd.write_text("imdb_id,topic_id,yes_votes,no_votes\ntt0000001,153,5,0\n")
    tags = tmp_path / "item_tags.parquet"
    assert runner.invoke(app, ["tags", "build", "--catalogue", str(cat_path), "--ddd", str(ddd),
                               "--out", str(tags)]).exit_code == 0
    out = tmp_path / "graph.json"
    result = runner.invoke(app, ["graph", "build", "--catalogue", str(cat_path), "--tags",
                                 str(tags), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["nodes_by_type"]["trait"] >= 1
    assert "trait:animal_harm" in load_graph(out)


def test_build_with_evidence_jsonl_adds_topic_nodes(tmp_path, catalogue):
    from datagen.tags import Evidence, write_evidence_file

    cat_path = catalogue.save(tmp_path / "catalogue.parquet")
    ev = write_evidence_file([Evidence(item_id="tt0000002", source="llm:m", topic_id=153,
                                       polarity="present", confidence=0.7)],
                             tmp_path / "ev.jsonl")
    out = tmp_path / "graph.json"
    result = runner.invoke(app, ["graph", "build", "--catalogue", str(cat_path), "--tags",
                                 str(ev), "--out", str(out)])
    assert result.exit_code == 0, result.output
    edge = load_graph(out).edges["item:tt0000002", "topic:153", 0]
    assert edge == {"kind": "topic", "source": "llm:m", "weight": 0.7}


def test_related_lists_the_sequel_first(tmp_path, catalogue):
    cat_path = catalogue.save(tmp_path / "catalogue.parquet")
    graph = tmp_path / "graph.json"
    assert runner.invoke(app, ["graph", "build", "--catalogue", str(cat_path), "--out",
                               str(graph)]).exit_code == 0
    args = ["graph", "related", "Space Horror (1979)", "--graph", str(graph), "--catalogue",
            str(cat_path), "--k", "2"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout.splitlines()[0])
    assert first["item_id"] == "tt0000002" and first["title"] == "Space Horror 2 (1986)"
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "Space Horror 2 (1986)" in table.output
    missing = runner.invoke(app, [*args[:2], "Nothing Like It (2099)", *args[3:]])
    assert missing.exit_code == 2 and "no catalogue film matches" in missing.output


def test_errors_are_one_line(tmp_path):
    missing = runner.invoke(app, ["graph", "stats", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "graph file not found" in missing.output
    bad = runner.invoke(app, ["graph", "build", "--catalogue", str(tmp_path / "nope.parquet"),
                              "--out", str(tmp_path / "g.json")])
    assert bad.exit_code == 2 and "catalogue file not found" in bad.output
    assert not (tmp_path / "g.json").exists()


def test_subprocess_stats(tmp_path, catalogue):
    exe = str(Path(sys.executable).with_name("datagen"))
    cat_path = catalogue.save(tmp_path / "catalogue.parquet")
    out = tmp_path / "graph.json"
    done = subprocess.run([exe, "graph", "build", "--catalogue", str(cat_path), "--out",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    stats = subprocess.run([exe, "graph", "stats", str(out), "--json"], capture_output=True,
                           text=True, timeout=120)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["edges_by_kind"]["rating"] == 4
