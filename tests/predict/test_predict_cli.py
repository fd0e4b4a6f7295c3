"""`datagen predict` and `datagen benchmark` from the command line, against the fake server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from predict_helpers import paired_samples, save_catalogue, write_split
from typer.testing import CliRunner

from datagen.cli.main import app
from datagen.llm.fake_server_proc import FakeServerProcess

RUNNER = CliRunner()


def test_help_teaches_the_commands() -> None:
    for command in ("predict", "benchmark"):
        result = RUNNER.invoke(app, [command, "--help"], terminal_width=120)
        assert result.exit_code == 0 and "Example" in result.output


def test_bad_option_is_one_red_line(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["predict", "--backend", "baseline", "--model", "gpt",
                                 "--run-dir", str(tmp_path)])
    assert result.exit_code == 2 and "baseline model must be one of" in result.output


@pytest.mark.integration
def test_benchmark_goes_from_a_model_name_to_the_table(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(4, controls=1))
    catalogue = save_catalogue(tmp_path / "cat.parquet")
    with FakeServerProcess(responder="datagen.predict.fake_responder:acquisition") as srv:
        args = ["benchmark", "--run-dir", str(run), "--model", "fake-model", "--base-url",
                srv.openai_base_url, "--prompt", "plain", "--acquisition", "--budget", "1",
                "--baselines", "popularity", "--catalogue", str(catalogue), "--bootstrap",
                "50", "--no-progress", "--n", "5"]
        result = RUNNER.invoke(app, args, terminal_width=200)
        assert result.exit_code == 0, result.output
        calls = srv.stats()["by_path"]["/v1/chat/completions"]
        again = RUNNER.invoke(app, args, terminal_width=200)  # resumes: nothing to redo
        assert again.exit_code == 0, again.output
        assert srv.stats()["by_path"]["/v1/chat/completions"] == calls
    out = result.output
    assert "fake-model.plain-v1" in out and "fake-model.acquisition-v1" in out
    assert "popularity" in out and "per context variant" in out
    assert "questions_per_dialogue" in out
    metrics = json.loads((run / "eval" / "test" / "metrics.json").read_text())
    names = [m["name"] for m in metrics["models"]]
    assert names == ["fake-model.plain-v1", "fake-model.acquisition-v1", "popularity"]
    acq = metrics["models"][1]["overall"]["metrics"]["questions_per_dialogue"]
    assert acq["value"] == 1.0
    stats = json.loads((run / "predictions" / "fake-model.plain-v1.run" / "stats.json")
                       .read_text())
    assert stats["answers"] == 13 and stats["parse_failures"] == 0


def test_evaluate_without_files_scores_every_prediction_of_the_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_split(run, paired_samples(3))
    catalogue = save_catalogue(tmp_path / "cat.parquet")
    empty = RUNNER.invoke(app, ["evaluate", "--run-dir", str(run)])
    assert empty.exit_code == 2 and "datagen predict" in empty.output
    for name in ("popularity", "graph"):
        made = RUNNER.invoke(app, ["predict", "--backend", "baseline", "--model", name,
                                   "--run-dir", str(run), "--catalogue", str(catalogue),
                                   "--no-progress", "--n", "5"])
        assert made.exit_code == 0, made.output
    result = RUNNER.invoke(app, ["evaluate", "--run-dir", str(run), "--catalogue",
                                 str(catalogue), "--bootstrap", "20", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [m["name"] for m in report["models"]] == ["graph", "popularity"]
    assert set(report["models"][0]["by_variant"]) == {"explicit", "implicit", "absent"}
