"""`datagen annotate serve` started in the background, stopped at every moment of start-up.

Each run starts ``serve`` the way a script does (``datagen annotate serve ... &`` from a
non-interactive shell, so SIGINT arrives *ignored*), waits until start-up reaches a moment
(the first child is up, the owner account is being created, argilla-server is starting, the
stack is ready), sends SIGTERM or SIGINT, and then scans /proc: no process of the stack may
survive. Another run reads every process's command line during the whole start-up and finds
neither the API key nor the password.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from procscan import all_cmdlines, sig_caught, sig_ignored, stack_processes

from annotation.server import free_port, server_venv

pytestmark = pytest.mark.integration

DATAGEN = str(Path(sys.executable).with_name("datagen"))
START_TIMEOUT = 240.0
#: a script's background job: `&` without job control sets SIGINT (and SIGQUIT) to SIG_IGN
BACKGROUND = 'log="$1"; shift; "$@" >"$log" 2>&1 & echo $!; wait $!'


class Serve:
    """One backgrounded `datagen annotate serve` with its own data dir, port and log."""

    def __init__(self, tmp: Path, env: dict[str, str] | None = None) -> None:
        if not (server_venv() / "bin" / "python").exists():
            pytest.skip("argilla-server venv missing (scripts/setup_argilla.sh)")
        self.data, self.log = tmp / "data", tmp / "serve.log"
        self.port = free_port()
        cmd = [DATAGEN, "annotate", "serve", "--port", str(self.port), "--data-dir",
               str(self.data)]
        self.shell = subprocess.Popen(
            ["bash", "-c", BACKGROUND, "bash", str(self.log), *cmd], stdout=subprocess.PIPE,
            text=True, env={**os.environ, "COLUMNS": "200", **(env or {})})
        assert self.shell.stdout is not None
        self.pid = int(self.shell.stdout.readline())

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def ready(self) -> bool:
        return "ARGILLA_API_KEY=" in self.output()

    def wait_until(self, moment: Callable[[Serve], bool], timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if moment(self):
                return
            assert self.shell.poll() is None, f"serve exited early:\n{self.output()}"
            time.sleep(0.02)
        pytest.fail(f"start-up never reached the moment:\n{self.output()}")

    def stop(self, sig: int) -> int:
        os.kill(self.pid, sig)
        try:
            return self.shell.wait(timeout=120)
        finally:
            if self.shell.poll() is None:
                os.kill(self.pid, signal.SIGKILL)
                self.shell.wait()

    def close(self) -> None:
        """After a failed test: stop serve (TERM, then KILL) so no stack outlives the test."""
        if self.shell.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.shell.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.shell.wait()
        for pid in stack_processes(self.data):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def survivors(self, grace: float = 5.0) -> dict[int, str]:
        deadline = time.monotonic() + grace
        while (left := stack_processes(self.data)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return left


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    """Start backgrounded serves; whatever a test leaves running is stopped afterwards."""
    started: list[Serve] = []

    def start(env: dict[str, str] | None = None) -> Serve:
        started.append(Serve(tmp_path, env))
        return started[-1]

    yield start
    for serve in started:
        serve.close()


def _running(fragment: str) -> Callable[[Serve], bool]:
    def moment(s: Serve) -> bool:
        return any(fragment in cmd for cmd in stack_processes(s.data).values())
    return moment


MOMENTS: dict[str, Callable[[Serve], bool]] = {
    "first_child": _running("redis-server"),
    "owner_account": _running("create_default"),
    "server_starting": lambda s: _running("argilla_launch.py start")(s) and not s.ready(),
    "ready": Serve.ready,
}


def test_background_job_inherits_sigint_ignored(tmp_path: Path) -> None:
    """The harness reproduces what a script does: its `&` job starts with SIGINT ignored."""
    proc = subprocess.Popen(["bash", "-c", BACKGROUND, "bash", str(tmp_path / "log"),
                             "sleep", "30"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    try:
        deadline = time.monotonic() + 10
        comm = Path(f"/proc/{pid}/comm")
        while comm.read_text().strip() != "sleep" and time.monotonic() < deadline:
            time.sleep(0.01)  # still the forked shell: its dispositions may not be set yet
        assert sig_ignored(pid, signal.SIGINT) and not sig_ignored(pid, signal.SIGTERM)
    finally:
        os.kill(pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_signal_at_any_moment_leaves_no_process(start_serve: Callable[..., Serve],
                                                sig: signal.Signals, moment: str) -> None:
    serve = start_serve()
    serve.wait_until(MOMENTS[moment])
    assert stack_processes(serve.data), "no stack process found at the moment"
    status = serve.stop(sig)
    left = serve.survivors()
    assert left == {}, f"left running after {sig.name} at {moment}: {left}\n{serve.output()}"
    text = serve.output()
    assert "Traceback" not in text, text
    if moment == "ready" or (moment == "server_starting" and status == 0):  # raced to ready
        assert status == 0 and "stopped" in text, text
    else:  # stopped before it served, by our handler (not killed by the signal itself)
        assert status == 128 + sig and "stopped during start-up" in text, text


def _loading(s: Serve) -> bool:
    """The CLI is still loading: its early handler records SIGINT (armed first thing by the
    entry point), and nothing of the stack has started yet."""
    try:
        is_datagen = Path(f"/proc/{s.pid}/comm").read_text().strip() == "datagen"
        return is_datagen and sig_caught(s.pid, signal.SIGINT) and not stack_processes(s.data)
    except OSError:
        return False


def test_sigint_while_the_cli_is_still_loading_is_not_lost(
        start_serve: Callable[..., Serve]) -> None:
    """A backgrounded job inherits SIGINT ignored; a SIGINT before `serve` installed its own
    handlers used to be dropped, and the whole stack then started and ran on."""
    serve = start_serve()
    serve.wait_until(_loading, timeout=30)
    status = serve.stop(signal.SIGINT)
    assert status == 128 + signal.SIGINT, serve.output()
    assert "stopped during start-up" in serve.output()
    assert serve.survivors() == {}


def test_no_secret_on_any_command_line(start_serve: Callable[..., Serve]) -> None:
    key, password = "cmdline-probe-key-5d1f0c", "cmdline-probe-pw-9a7e33"
    serve = start_serve(env={"SAFEREC_ARGILLA_API_KEY": key,
                                 "SAFEREC_ARGILLA_PASSWORD": password})
    seen: dict[int, str] = {}
    deadline = time.monotonic() + START_TIMEOUT
    while not serve.ready() and time.monotonic() < deadline:
        assert serve.shell.poll() is None, serve.output()
        for pid, cmd in all_cmdlines().items():
            if key in cmd or password in cmd:
                seen[pid] = cmd
        time.sleep(0.02)
    try:
        assert serve.ready(), serve.output()
        assert seen == {}, f"secrets on a command line: {seen}"
        assert f"export ARGILLA_API_KEY={key}" in serve.output()  # the env reached the owner
        logs = "".join(p.read_text(errors="replace") for p in (serve.data / "logs").glob("*"))
        assert key not in logs and password not in logs
    finally:
        assert serve.stop(signal.SIGINT) == 0
    assert serve.survivors() == {}
