"""`datagen annotate serve` as a user runs it: prints URL and credentials, stops on Ctrl-C.

Credentials come from the environment (``SAFEREC_ARGILLA_API_KEY`` / ``_PASSWORD``), as the
docs advise; `test_serve_lifecycle.py` covers signals at every moment of start-up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from annotation.server import free_port, server_venv

pytestmark = pytest.mark.integration


def _our_processes(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eww", "-o", "pid,args"], capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines() if marker in ln and "ps -eww" not in ln]


def test_serve_prints_credentials_and_stops_cleanly(tmp_path: Path) -> None:
    if not (server_venv() / "bin" / "python").exists():
        pytest.skip("argilla-server venv missing (scripts/setup_argilla.sh)")
    port, data = free_port(), tmp_path / "argilla-data"
    exe = Path(sys.executable).with_name("datagen")
    proc = subprocess.Popen(
        [str(exe), "annotate", "serve", "--port", str(port), "--data-dir", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200", "SAFEREC_ARGILLA_API_KEY": "serve-test-key",
             "SAFEREC_ARGILLA_PASSWORD": "serve-test-pw"})
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not any("ARGILLA_API_KEY=" in ln for ln in lines):
            line = proc.stdout.readline() if proc.stdout else ""
            if not line and proc.poll() is not None:
                break
            lines.append(line)
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}" in text and "serve-test-pw" in text, text
        assert "export ARGILLA_API_KEY=serve-test-key" in text
        me = httpx.get(f"http://127.0.0.1:{port}/api/v1/me",
                       headers={"X-Argilla-Api-Key": "serve-test-key"}, timeout=10)
        assert me.status_code == 200 and me.json()["role"] == "owner"
        assert _our_processes(str(data))  # noida-db has the data dir in its argv
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        rest, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, rest
    assert "stopped" in rest
    assert _our_processes(str(data)) == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=5)
    assert (data / "credentials.json").exists()  # --data-dir keeps data and credentials
