"""`datagen synthesize` and `datagen tags llm` as a user runs them against servers: fail fast
on a bad URL, never exit 0 when every generation failed, progress lines without a terminal,
the structured-output mode in the run folder."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from synth_helpers import write_small_inputs

from datagen.llm.fake_server_proc import FakeServerProcess

pytestmark = pytest.mark.integration
RESPONDER = "datagen.synth.fake_responder:respond"
DATAGEN = str(Path(sys.executable).with_name("datagen"))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, taxonomy):
    return write_small_inputs(tmp_path_factory.mktemp("inputs"), taxonomy)


def _synth(inputs: dict[str, str], run_dir: Path, url: str, *extra: str,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    cmd = [DATAGEN, "synthesize", "--backend", "openai", "--model", "fake-model",
           "--base-url", url, "--run-dir", str(run_dir),
           *[x for pair in inputs.items() for x in pair], *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_url_fails_fast_with_one_line_naming_it(tmp_path, inputs):
    url = f"http://127.0.0.1:{_free_port()}/v1"
    start = time.monotonic()
    proc = _synth(inputs, tmp_path / "run", url, "--n", "20")
    elapsed = time.monotonic() - start
    assert proc.returncode == 2 and elapsed < 15
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and url in lines[0] and "cannot connect" in lines[0]
    assert not (tmp_path / "run").exists()  # nothing planned, nothing written


def test_all_generations_failing_never_exits_zero(tmp_path, inputs):
    with FakeServerProcess(responder="datagen.llm.fake_server:default_responder",
                           extra_args=["--no-enforce"]) as srv:
        proc = _synth(inputs, tmp_path / "run", srv.openai_base_url, "--n", "6",
                      "--no-progress")
    assert proc.returncode == 2
    assert "generation failed for all" in proc.stderr


def test_progress_lines_without_a_terminal_and_mode_in_the_run_folder(tmp_path, inputs):
    with FakeServerProcess(latency=0.3, responder=RESPONDER) as srv:
        proc = _synth(inputs, tmp_path / "run", srv.openai_base_url, "--n", "24",
                      "--concurrency", "4", "--progress-every", "0.3")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("synthesize: ")]
    assert len(lines) >= 3  # written by time, not only per finished entry
    last = lines[-1]
    assert "/24 (" in last and "/s" in last and "retries 0" in last and "timeouts 0" in last
    assert "concurrency 4/4 (fake-model)" in last and "calls " in last
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    (check,) = manifest["llm"]
    assert check["structured_output"] == "json_schema" and check["url"] == srv.openai_base_url
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())
    assert stats["structured_output"] == {"openai/fake-model": "json_schema"}


def test_timeout_and_budget_options_reach_the_server(tmp_path, inputs):
    with FakeServerProcess(responder=RESPONDER) as srv:
        proc = _synth(inputs, tmp_path / "run", srv.openai_base_url, "--n", "4",
                      "--max-tokens", "300", "--timeout", "30", "--retries", "1",
                      "--structured-output", "json_object_schema", "--no-progress")
        bodies = srv._http("/_requests")["bodies"]
    assert proc.returncode == 0, proc.stderr
    chats = [b for b in bodies if "messages" in b and b.get("max_tokens") == 300]
    assert chats and all(b["response_format"]["type"] == "json_object" and
                         b["response_format"]["schema"]["properties"]["turns"] for b in chats)


def test_tags_llm_fails_fast_and_writes_progress_lines(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/v1"
    cmd = [DATAGEN, "tags", "llm", "--model", "m", "--base-url", url, "--limit", "2",
           "--out", str(tmp_path / "ev.parquet"), "--cache", str(tmp_path / "c.sqlite")]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert proc.returncode == 2 and time.monotonic() - start < 15
    assert url in proc.stderr and "cannot connect" in proc.stderr
    with FakeServerProcess(latency=0.3) as srv:
        cmd[cmd.index(url)] = srv.openai_base_url
        proc = subprocess.run([*cmd, "--progress-every", "0.2", "--concurrency", "1"],
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("tags llm: ")]
    assert lines and lines[-1].startswith("tags llm: 2/2 (100%)")
    assert "concurrency 1/1 (m)" in lines[-1]
