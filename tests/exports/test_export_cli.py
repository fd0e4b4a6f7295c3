"""`datagen split` and `datagen export ...` through typer's CliRunner and a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from sample_factory import make_corpus, make_sample
from typer.testing import CliRunner

from datagen.cli.main import app
from datagen.parquet_io import write_parquet
from datagen.records.sample import SAMPLE_SCHEMA, samples_to_table

runner = CliRunner()


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    write_parquet(samples_to_table(make_corpus(90)), run / "samples.parquet", SAMPLE_SCHEMA)
    return run


def _ok(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return res


def test_split_then_exports(run_dir, tmp_path):
    res = _ok(["split", "--run-dir", str(run_dir), "--ratios", "0.6,0.2,0.2", "--json"])
    report = json.loads(res.output)
    assert report["leaks_ok"] and sum(report["counts"].values()) == report["kept"]
    leak = json.loads((run_dir / "splits" / "leak_report.json").read_text())
    assert leak["ok"] is True
    for name in ("train", "validation", "test"):
        assert pq.read_schema(run_dir / "splits" / f"{name}.parquet").names == SAMPLE_SCHEMA.names

    _ok(["export", "sft", "--run-dir", str(run_dir), "--list-length", "2"])
    sft = pq.read_table(run_dir / "exports" / "sft" / "train.parquet").to_pylist()
    assert len(sft[0]["messages"][-1]["content"].splitlines()) == 3  # lead + 2 titles
    _ok(["export", "sft", "--run-dir", str(run_dir), "--prompt-completion", "--no-rationale",
         "--splits", "test"])
    pc = pq.read_table(run_dir / "exports" / "sft_prompt_completion" / "test.parquet")
    assert pc.column_names[-2:] == ["prompt", "completion"]
    _ok(["export", "gdpo", "--run-dir", str(run_dir), "--out", str(tmp_path / "g")])
    assert pq.read_table(tmp_path / "g" / "train.parquet").num_rows > 0
    cat = tmp_path / "cat.parquet"
    from sample_factory import mini_catalogue

    mini_catalogue().save(cat)
    _ok(["export", "dpo", "--run-dir", str(run_dir), "--catalogue", str(cat),
         "--types", "unsafe,hallucination"])
    dpo = pq.read_table(run_dir / "exports" / "dpo" / "train.parquet")
    assert set(dpo.column("rejection_type").to_pylist()) == {"unsafe", "hallucination"}


def test_cli_errors_are_one_line(run_dir):
    res = runner.invoke(app, ["split", "--run-dir", str(run_dir), "--ratios", "0.5,0.5"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["split", "--run-dir", str(run_dir), "--verified-only"])
    assert res.exit_code != 0 and "no sample has a human verdict" in str(res.exception or
                                                                        res.output)


def test_verified_only_through_cli(tmp_path):
    run = tmp_path / "run"
    samples = [make_sample(f"v{i}", human="accepted" if i % 2 else "rejected")
               for i in range(20)]
    write_parquet(samples_to_table(samples), run / "samples.parquet", SAMPLE_SCHEMA)
    refused = runner.invoke(app, ["split", "--run-dir", str(run), "--verified-only"])
    assert refused.exit_code != 0 and "test would be empty" in str(refused.exception)
    assert not (run / "splits" / "train.parquet").exists()
    report = json.loads(_ok(["split", "--run-dir", str(run), "--verified-only", "--force",
                             "--json"]).stdout)
    assert report["kept"] == 10 and report["dropped_not_human_accepted"] == 10
    assert "test would be empty" in report["size_problems"]


@pytest.mark.integration
def test_subprocess_split_export_hf_and_push(run_dir, tmp_path):
    from fake_hub import FakeHub

    exe = [sys.executable, "-m", "datagen.cli.main"]
    bin_datagen = os.path.join(os.path.dirname(sys.executable), "datagen")
    if os.path.exists(bin_datagen):
        exe = [bin_datagen]
    token = "hf_subprocess_secret_987"
    out = tmp_path / "release"
    with FakeHub(token=token) as hub:
        env = {**os.environ, "HF_TOKEN": token, "HF_ENDPOINT": hub.url}
        r1 = subprocess.run([*exe, "split", "--run-dir", str(run_dir)], capture_output=True,
                            text=True, env=env, timeout=300)
        assert r1.returncode == 0, r1.stderr
        r2 = subprocess.run(
            [*exe, "export", "hf", "--run-dir", str(run_dir), "--out", str(out),
             "--formats", "sft,gdpo,samples", "--push", "org/saferec-test", "--private"],
            capture_output=True, text=True, env=env, timeout=300)
        assert r2.returncode == 0, r2.stderr
        assert token not in r2.stdout + r2.stderr
        assert "pushed to org/saferec-test" in r2.stdout
        assert "data/gdpo/train-00000-of-00001.parquet" in hub.repos["org/saferec-test"]["files"]
    import datasets

    for config in ("sft", "gdpo", "samples"):
        ds = datasets.load_dataset(str(out), name=config, cache_dir=str(tmp_path / "cache"))
        assert ds["train"].num_rows > 0
