"""`datagen taxonomy` through typer's CliRunner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from datagen.cli.taxonomy import app
from datagen.taxonomy import load_taxonomy

runner = CliRunner()


def _datagen() -> str:
    return str(Path(sys.executable).parent / "datagen")


def test_validate_embedded() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    tax = load_taxonomy()
    assert "saferec 1.2.0" in result.output
    assert tax.content_hash in result.output
    assert "traits 21" in result.output


def test_validate_json_with_topics(shared_data: Path) -> None:
    topics = shared_data / "dtdd" / "topics.json"
    result = runner.invoke(app, ["validate", "--json", "--topics", str(topics)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["traits"] == 21 and summary["version"] == "1.2.0"
    assert summary["cues"] >= 21 * 8


def test_validate_bad_file_exits_2_with_one_line(minimal: dict,
                                                 write_yaml: Callable[..., Path]) -> None:
    minimal["traits"][0]["dtdd_topics"] = [4242]
    path = write_yaml(minimal)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "record trait 'animal_harm'" in lines[0] and "dtdd_topics[0]" in lines[0]


def test_show_table_lists_every_trait() -> None:
    result = runner.invoke(app, ["show"])
    assert result.exit_code == 0, result.output
    for trait_id in load_taxonomy().trait_ids:
        assert trait_id in result.output


def test_show_one_trait_in_detail() -> None:
    result = runner.invoke(app, ["show", "--trait", "spiders_snakes"])
    assert result.exit_code == 0, result.output
    assert "there are spiders" in result.output
    assert "arachnophobia" in result.output
    assert "life_event" in result.output and "weak rules" in result.output


def test_show_unknown_trait_is_an_error() -> None:
    result = runner.invoke(app, ["show", "--trait", "nope"])
    assert result.exit_code == 2
    assert "unknown trait 'nope'" in result.output


def test_export_json_to_file_and_stdout(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "taxonomy.json"
    result = runner.invoke(app, ["export", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    tax = load_taxonomy()
    assert data["version"] == "1.2.0" and data["content_hash"] == tax.content_hash
    assert data["version_tag"] == tax.version_tag
    assert [t["id"] for t in data["traits"]] == tax.trait_ids
    printed = runner.invoke(app, ["export"])
    assert json.loads(printed.output) == data


def test_subprocess_validate_ok_and_failing(tmp_path: Path) -> None:
    ok = subprocess.run([_datagen(), "taxonomy", "validate"], capture_output=True, text=True,
                        timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "saferec 1.2.0" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: [1\n", encoding="utf-8")
    failed = subprocess.run([_datagen(), "taxonomy", "validate", str(bad)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and "malformed YAML" in failed.stderr
    assert str(bad) in failed.stderr
