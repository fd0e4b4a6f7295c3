"""`datagen catalog resolve|build|stats` through typer's runner and one real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from datagen.catalogue import Catalogue
from datagen.cli.main import app

runner = CliRunner()


def test_resolve_json_one_object_per_input() -> None:
    result = runner.invoke(app, ["catalog", "resolve", "Dark Knight, The (2008)",
                                 "A Quiet Place (2018)", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["Dark Knight, The (2008)", "A Quiet Place (2018)"]
    assert rows[0]["imdb_id"] == "tt0468569" and rows[0]["title"] == "The Dark Knight"
    assert rows[0]["year"] == 2008 and rows[0]["match"] == "normalized"
    assert rows[1]["imdb_id"] is None and rows[1]["match"] == "none" and rows[1]["reason"]
    assert {"score", "year_distance", "item_id"} <= set(rows[0])


def test_resolve_table_and_year_option() -> None:
    result = runner.invoke(app, ["catalog", "resolve", "Psycho", "--year", "1998"])
    assert result.exit_code == 0, result.output
    assert "tt0155975" in result.stdout and "exact" in result.stdout


def test_resolve_reads_stdin() -> None:
    result = runner.invoke(app, ["catalog", "resolve", "-", "--json"],
                           input="Heat (1995)\n\nSchindlers List\n")
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["imdb_id"] for line in result.stdout.splitlines()]
    assert ids == ["tt0113277", "tt0108052"]


def test_parse_extracts_and_resolves_a_model_answer(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text("Sure! Here you go:\n1. **Dark Knight, The** (2008) - tense.\n"
                      "2. A Quiet Place (2018): quiet.\n3. Schindlers List\nEnjoy!\n")
    result = runner.invoke(app, ["catalog", "parse", str(answer), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["Dark Knight, The (2008)", "A Quiet Place (2018)",
                                          "Schindlers List"]
    assert [r["imdb_id"] for r in rows] == ["tt0468569", None, "tt0108052"]
    missing = runner.invoke(app, ["catalog", "parse", str(tmp_path / "absent.txt")])
    assert missing.exit_code == 2 and "cannot read text" in missing.output


def _fixtures(tmp_path: Path) -> tuple[Path, Path]:
    ml = tmp_path / "ml"
    ml.mkdir()
    (ml / "movies.csv").write_text("movieId,title,genres\n1,\"Obscure Gem, The (1977)\",Drama\n"
                                   "2,\"Dark Knight, The (2008)\",Action\n")
    (ml / "links.csv").write_text("movieId,imdbId,tmdbId\n1,9999991,\n2,0468569,155\n")
    redial = tmp_path / "redial.csv"
    redial.write_text("movieId,movieName,nbMentions\n7,The Obscure Gem (1977),3\n")
    return ml, redial


def test_build_stats_and_resolve_with_built_catalogue(tmp_path: Path) -> None:
    ml, redial = _fixtures(tmp_path)
    table = tmp_path / "extra.csv"
    table.write_text("name,yr\nHome Movie,2001\n")
    out = tmp_path / "cat.parquet"
    result = runner.invoke(app, ["catalog", "build", "--no-bokeh", "--movielens", str(ml),
                                 "--redial", str(redial), "--table", str(table), "--map",
                                 "title=name,year=yr", "--out", str(out)])
    assert result.exit_code == 0, result.output
    catalogue = Catalogue.load(out)
    assert [i.item_id for i in catalogue] == ["tt9999991", "tt0468569", "extra:2"]
    gem = catalogue.get("tt9999991")
    assert gem is not None and gem.external_ids == {"movielens": "1", "redial": "7"}
    stats = runner.invoke(app, ["catalog", "stats", "--catalogue", str(out), "--json"])
    figures = json.loads(stats.stdout)
    assert figures["items"] == 3 and figures["sources"] == {"movielens": 2, "redial": 1,
                                                            "extra": 1}
    resolved = runner.invoke(app, ["catalog", "resolve", "Obscure Gem (1977)", "--json",
                                   "--catalogue", str(out)])
    assert json.loads(resolved.stdout)["imdb_id"] == "tt9999991"


def test_build_default_includes_the_embedded_films(tmp_path: Path) -> None:
    ml, _ = _fixtures(tmp_path)
    out = tmp_path / "cat.parquet"
    result = runner.invoke(app, ["catalog", "build", "--movielens", str(ml), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "17,471 items" in result.stdout
    dark = Catalogue.load(out).get("tt0468569")
    assert dark is not None and dark.sources == ["bokeh", "movielens"]


def test_build_bad_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalog", "build", "--table", str(tmp_path / "t.csv")])
    assert result.exit_code == 2 and "one --map per --table" in result.output


def test_build_error_is_one_line_and_leaves_no_output(tmp_path: Path) -> None:
    out = tmp_path / "cat.parquet"
    bad = tmp_path / "redial.csv"
    bad.write_text("movieId,movieName,nbMentions\nx,Heat (1995),1\n")
    result = runner.invoke(app, ["catalog", "build", "--redial", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "line 2: field 'movieId'" in result.output
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_stats_table() -> None:
    result = runner.invoke(app, ["catalog", "stats"])
    assert result.exit_code == 0 and "17,470" in result.stdout


def test_subprocess_resolve(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("datagen")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "datagen.cli.main"]
    done = subprocess.run([*command, "catalog", "resolve", "--json", "Spiderman 2",
                           "Amelie", "Blade Runner 2049"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["imdb_id"] for line in done.stdout.splitlines()]
    assert ids == ["tt0316654", "tt0211915", None]
    bad = subprocess.run([*command, "catalog", "resolve", "X", "--catalogue",
                          str(tmp_path / "absent.parquet")], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "file not found" in bad.stderr
