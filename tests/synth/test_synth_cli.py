"""`datagen synthesize` through typer's CliRunner and as a real subprocess (SIGKILL + resume)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from synth_helpers import write_small_inputs
from typer.testing import CliRunner

from datagen.cli.main import app
from datagen.parquet_io import read_parquet
from datagen.synth.rundir import REJECTS_SCHEMA


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, taxonomy):
    return write_small_inputs(tmp_path_factory.mktemp("inputs"), taxonomy)


def _args(inputs: dict[str, str]) -> list[str]:
    return [x for pair in inputs.items() for x in pair]


def test_help_teaches_defaults_and_examples():
    result = CliRunner().invoke(app, ["synthesize", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("--backend", "--base-url", "--resume", "--unknown-policy", "Examples",
                 "offline", "runs/default", "1000"):
        assert text in result.output


def test_cli_run_json_and_refusals(tmp_path, inputs):
    run_dir = str(tmp_path / "run")
    runner = CliRunner()
    args = ["synthesize", "--n", "40", "--run-dir", run_dir, "--json", *_args(inputs)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout[result.stdout.index("{"):])
    assert stats["planned"] == 40 and stats["is_llm"] is False
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--resume" in again.output
    bad = runner.invoke(app, ["synthesize", "--backend", "openai", "--run-dir",
                              str(tmp_path / "x"), *_args(inputs)])
    assert bad.exit_code == 2 and "--model is required" in bad.output
    wrong = runner.invoke(app, ["synthesize", "--traits-per-user", "one:1"])
    assert wrong.exit_code == 2 and "traits-per-user" in wrong.output


def test_variants_option_pairs_alias_and_validity_summary(tmp_path, inputs):
    runner = CliRunner()
    result = runner.invoke(app, ["synthesize", "--n", "30", "--run-dir", str(tmp_path / "a"),
                                 "--variants", "implicit,explicit,absent", "--no-progress",
                                 *_args(inputs)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("traits per user: planned -> out", "control share", "starved traits",
                 "ground truth relatedness", "liked films x own traits", "users per trait",
                 "safe films", "draws/user"):
        assert text in result.output, text
    stats = json.loads((tmp_path / "a" / "stats.json").read_text())
    assert set(stats["variants"]) == {"implicit", "explicit", "absent"}
    alias = runner.invoke(app, ["synthesize", "--n", "10", "--run-dir", str(tmp_path / "b"),
                                "--pairs", "--json", *_args(inputs)])
    assert alias.exit_code == 0, alias.output
    variants = json.loads(alias.stdout[alias.stdout.index("{"):])["variants"]
    assert set(variants) <= {"implicit", "absent"} and "absent" in variants
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["config"]["variants"] == ["implicit", "absent"]
    bad = runner.invoke(app, ["synthesize", "--variants", "context_free", "--run-dir",
                              str(tmp_path / "c"), *_args(inputs)])
    assert bad.exit_code == 2 and "variants" in bad.output
    hidden = runner.invoke(app, ["synthesize", "--help"], env={"COLUMNS": "200"})
    assert "--variants" in hidden.output and "--pairs" not in hidden.output
    assert "--relevance-floor" in hidden.output and "--max-attempts" in hidden.output


@pytest.mark.integration
def test_subprocess_sigkill_then_resume_gives_exact_plan(tmp_path, inputs):
    from datagen.llm.fake_server_proc import FakeServerProcess

    run_dir = tmp_path / "runs" / "killed"
    with FakeServerProcess(latency=0.15, responder="datagen.synth.fake_responder:respond") as srv:
        cmd = [str(Path(sys.executable).with_name("datagen")), "synthesize", "--n", "60",
               "--run-dir", str(run_dir), "--backend", "openai", "--model", "fake",
               "--base-url", srv.openai_base_url, "--concurrency", "2", "--shard-size", "4",
               "--no-progress", *_args(inputs)]
        env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not list((run_dir / "shards").glob("00001.done.json")):
            assert proc.poll() is None, "run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (run_dir / "samples.parquet").exists()
        done = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    stats = json.loads((run_dir / "stats.json").read_text())
    samples = read_parquet(run_dir / "samples.parquet").column("sample_id").to_pylist()
    rejects = read_parquet(run_dir / "rejects.parquet", REJECTS_SCHEMA)
    ids = samples + rejects.column("sample_id").to_pylist()
    assert len(ids) == len(set(ids)) == manifest["plan"]["entries"] == 60
    assert stats["planned"] == 60
    from datagen.synth.plan import sample_id_for

    assert set(ids) == {sample_id_for(13, i, "implicit") for i in range(60)}
    text = (run_dir / "manifest.json").read_text() + (run_dir / "stats.json").read_text()
    assert "sk-test-not-a-real-key" not in text
