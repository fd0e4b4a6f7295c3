"""`datagen baseline` and `datagen evaluate` through typer's runner and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datagen.cli.main import app

MANN = ["tt0000009", "tt0000010", "tt0000011", "tt0000012"]


@pytest.fixture()
def env(tmp_path, catalogue, make_sample, write_split, tag_file):
    """A run folder with a test split, plus catalogue, tags and graph files."""
    from datagen.graph import build_graph, save_graph

    run = tmp_path / "run"
    samples = [
        make_sample("g1", traits=["gore"], liked=["tt0000001"], ground_truth=MANN[:3]),
        make_sample("g2", traits=["spiders_snakes"], liked=["tt0000001"], ground_truth=MANN),
        make_sample("c1", liked=["tt0000002"], ground_truth=["tt0000006", "tt0000008"]),
    ]
    write_split(run, samples, "test")
    write_split(run, [make_sample("v1", ground_truth=["tt0000001"])], "validation")
    files = {
        "catalogue": catalogue.save(tmp_path / "catalogue.parquet"),
        "tags": tag_file,
        "graph": save_graph(build_graph(catalogue), tmp_path / "graph.json"),
    }
    opts = ["--run-dir", str(run), "--catalogue", str(files["catalogue"]),
            "--tags", str(files["tags"])]
    return run, opts, files


def _invoke(args):
    return CliRunner().invoke(app, args, catch_exceptions=False)


def test_baselines_then_evaluate_side_by_side(env):
    run, opts, files = env
    for name in ("popularity", "graph", "graph_safe"):
        res = _invoke(["baseline", name, "--split", "test", "--k", "4", *opts,
                       "--graph", str(files["graph"])])
        assert res.exit_code == 0, res.output
        assert (run / "predictions" / f"{name}.jsonl").is_file()
    first = json.loads((run / "predictions" / "graph.jsonl").read_text().splitlines()[0])
    assert first["split"] == "test" and first["taxonomy_version"] == "1.0.0"
    preds = [str(run / "predictions" / f"{n}.jsonl") for n in ("popularity", "graph",
                                                                 "graph_safe")]
    res = _invoke(["evaluate", "--split", "test", "--predictions", *preds, *opts,
                   "--bootstrap", "100", "--k", "5,10"])
    assert res.exit_code == 0, res.output
    for name in ("popularity", "graph", "graph_safe", "ndcg@10", "svr@5", "missing"):
        assert name in res.output
    out = run / "eval" / "test"
    report = json.loads((out / "metrics.json").read_text())
    assert [m["name"] for m in report["models"]] == ["popularity", "graph", "graph_safe"]
    by = {m["name"]: m["overall"]["metrics"] for m in report["models"]}
    assert by["graph_safe"]["svr@10"]["value"] == 0.0
    assert by["graph"]["recall@10"]["value"] > by["popularity"]["recall@10"]["value"]
    assert "| svr@10 |" in (out / "metrics.md").read_text()
    assert (out / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_refuses_a_file_for_another_split(env, tmp_path):
    _, opts, _ = env
    res = _invoke(["baseline", "popularity", "--split", "validation", *opts,
                   "--out", str(tmp_path / "val.jsonl")])
    assert res.exit_code == 0, res.output
    res = _invoke(["evaluate", "--split", "test", "-p", str(tmp_path / "val.jsonl"), *opts,
                   "--bootstrap", "0"])
    assert res.exit_code == 2
    assert "val.jsonl" in res.output and "validation" in res.output
    assert "Traceback" not in res.output


def test_evaluate_bad_inputs_exit_2_with_one_line(env, tmp_path):
    _, opts, _ = env
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"sample_id": "nope", "titles": []}\n', encoding="utf-8")
    res = _invoke(["evaluate", "-p", str(unknown), *opts])
    assert res.exit_code == 2 and "'nope'" in res.output
    res = _invoke(["evaluate", *opts])
    assert res.exit_code == 2 and "--predictions" in res.output
    res = _invoke(["evaluate", "-p", str(unknown), "--k", "5,x", *opts])
    assert res.exit_code == 2 and "--k" in res.output
    res = _invoke(["evaluate", "-p", str(unknown), "--split", "test", "--run-dir",
                   str(tmp_path / "missing")])
    assert res.exit_code == 2 and "datagen split" in res.output


def test_evaluate_subprocess_json(env):
    run, opts, files = env
    res = _invoke(["baseline", "graph_safe", *opts, "--graph", str(files["graph"])])
    assert res.exit_code == 0, res.output
    pred = run / "predictions" / "graph_safe.jsonl"
    script = Path(sys.executable).with_name("datagen")  # the installed console script
    cmd = [str(script)] if script.is_file() else [
        sys.executable, "-c", "from datagen.cli.main import main; main()"]
    proc = subprocess.run(
        [*cmd, "evaluate", "--predictions", str(pred), *opts, "--bootstrap", "50", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["split"] == "test" and report["n_samples"] == 3
    assert report["models"][0]["overall"]["metrics"]["unknown@20"]["value"] == 0.0
