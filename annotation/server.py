"""A local Argilla stack without Docker: redis, noida-db, argilla-server and its worker.

For annotation on a machine without Docker and for the integration tests. argilla-server
lives in its own virtualenv (``scripts/setup_argilla.sh`` builds it; ``SAFEREC_ARGILLA_VENV``
overrides the location) because its pins clash with the project's; Redis comes from Debian;
noida-db emulates the Elasticsearch 8 API the server needs. Every process runs in its own
process group on a free 127.0.0.1 port, logs to ``<data_dir>/logs``, and :meth:`stop` ends
each group (TERM, then KILL). The production route is Argilla's Docker image (see
docs/annotation.md).

Lifecycle: each child is started and recorded inside :func:`annotation.lifecycle.deferred`, so
a stop signal can never fall between the fork and the bookkeeping (an unrecorded child would
outlive us); :meth:`stop` runs in one too. Every child carries ``SAFEREC_ARGILLA_STACK=<data
dir>`` in its environment (inherited by its own children; redis, which overwrites its
environment with its process title, in the title) so leftovers can be found, and, when
started from the main thread, a parent-death signal (``setpriv --pdeathsig TERM``) so even a
``kill -9`` of the parent stops the stack. Secrets never reach a command line: the
argilla-server processes run through :mod:`annotation.argilla_launch`, which reads CLI options
from the environment.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

import httpx

from annotation import argilla_launch
from annotation.errors import ServerStackError
from annotation.lifecycle import deferred
from datagen.errors import ConfigError

__all__ = ["DEFAULT_USERNAME", "MARKER_ENV", "LocalArgillaStack", "free_port", "server_venv"]

DEFAULT_USERNAME = "argilla"
VENV_ENV = "SAFEREC_ARGILLA_VENV"
#: set in every child's environment (value: the data dir) to find the stack's processes
MARKER_ENV = "SAFEREC_ARGILLA_STACK"
_CREATE_DEFAULT = f"{argilla_launch.ENV_PREFIX}_DATABASE_USERS_CREATE_DEFAULT"
_CREDENTIALS = "credentials.json"


def server_venv() -> Path:
    """Where the argilla-server virtualenv lives (``$SAFEREC_ARGILLA_VENV`` or the cache)."""
    env = os.environ.get(VENV_ENV)
    return Path(env) if env else Path.home() / ".cache" / "saferec" / "argilla-server-venv"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    keep = [ln for ln in text if "GLIBC_" not in ln][-lines:]
    return " | ".join(" ".join(ln.split()) for ln in keep)


class LocalArgillaStack:
    """Start with :meth:`start` (or ``with``), read :attr:`url` / :attr:`api_key`, then stop."""

    def __init__(self, *, port: int | None = None, api_key: str | None = None,
                 password: str | None = None, data_dir: Path | None = None,
                 venv: Path | None = None, startup_timeout: float = 240.0) -> None:
        self.venv = Path(venv) if venv else server_venv()
        self.port = port
        self.username = DEFAULT_USERNAME
        self._given = (api_key, password)
        self.api_key = api_key or ""
        self.password = password or ""
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir else None
        self.startup_timeout = startup_timeout
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}
        self._env: dict[str, str] = {}
        #: the search engine's (noida-db's Elasticsearch API) URL once started
        self.search_url = ""

    # -- public ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalArgillaStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalArgillaStack:
        """Start every service and wait until the API answers with the owner's key."""
        self._check_install()
        self._prepare_dir()
        atexit.register(self.stop)  # the processes are in their own sessions: no Ctrl-C
        self.port = self.port or free_port()
        redis_port, es_port = free_port(), free_port()
        try:
            self._spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port",
                                  str(redis_port), "--save", "", "--appendonly", "no",
                                  *self._redis_title()])
            self._spawn("search", [str(self._noida_binary()), "start", "--data-dir",
                                   str(self._dir / "search"), "--host", "127.0.0.1", "--only",
                                   "elasticsearch", "--elasticsearch-port", str(es_port)])
            self.search_url = f"http://127.0.0.1:{es_port}"
            self._env = self._server_env(redis_port)
            # the SQLite migration needs neither redis nor search: overlap their start-up
            migrate = self._spawn("migrate", self._server_cmd("database", "migrate"),
                                  env=self._env)
            self._wait_tcp("redis", redis_port)
            self._wait_http("search", f"{self.search_url}/")
            self._wait_exit("migrate", migrate)
            # the owner's key and password go through the environment, never argv
            users = self._spawn(
                "users", self._server_cmd("database", "users", "create_default", "--quiet"),
                env={**self._env, f"{_CREATE_DEFAULT}_API_KEY": self.api_key,
                     f"{_CREATE_DEFAULT}_PASSWORD": self.password})
            self.start_server()
            self._spawn("worker", self._server_cmd("worker", "--num-workers", "1"),
                        env=self._env)
            self._wait_exit("users", users)
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_server(self) -> None:
        """Stop argilla-server only (data, redis, search and worker keep running)."""
        self._kill("server")

    def start_server(self) -> None:
        """(Re)start argilla-server on the same port; call :meth:`wait_ready` after."""
        self._spawn("server", self._server_cmd("start", "--host", "127.0.0.1",
                                               "--port", str(self.port)), env=self._env)

    def wait_ready(self) -> None:
        """Block until ``GET /api/v1/me`` answers 200 with the owner's key."""
        self._wait_http("server", f"{self.url}/api/v1/me",
                        headers={"X-Argilla-Api-Key": self.api_key})

    def stop(self) -> None:
        """End every process group (newest first) and remove a temporary data dir.

        A stop signal arriving meanwhile is held back until every group is gone.
        """
        with deferred():
            atexit.unregister(self.stop)
            for name in reversed(list(self._procs)):
                self._kill(name)
            for fh in self._logs.values():
                fh.close()
            self._logs.clear()
            if self._own_dir and self.data_dir is not None:
                shutil.rmtree(self.data_dir, ignore_errors=True)
                self.data_dir = None

    # -- helpers --------------------------------------------------------------------------
    @property
    def _dir(self) -> Path:
        assert self.data_dir is not None
        return self.data_dir

    def _check_install(self) -> None:
        py = self.venv / "bin" / "python"
        if not py.exists() or not (self.venv / "bin" / "noida-db").exists():
            raise ConfigError(f"argilla-server virtualenv not found at {self.venv}; run "
                              f"`bash scripts/setup_argilla.sh` (or set {VENV_ENV})")
        if shutil.which("redis-server") is None:
            raise ConfigError("redis-server not found; run `bash scripts/setup_argilla.sh` "
                              "(installs Debian's redis-server)")

    def _noida_binary(self) -> Path:
        """The noida-db executable itself (not its Python launcher) so it is our child."""
        found = sorted(self.venv.glob("lib/python*/site-packages/noida_db/noida-db"))
        return found[0] if found else self.venv / "bin" / "noida-db"

    def _prepare_dir(self) -> None:
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="saferec-argilla-"))
        for sub in ("home", "search", "logs"):
            (self._dir / sub).mkdir(parents=True, exist_ok=True)
        cred_file = self._dir / _CREDENTIALS
        stored: dict[str, str] = {}
        if cred_file.exists():
            stored = json.loads(cred_file.read_text())
            for key, given in zip(("api_key", "password"), self._given, strict=True):
                if given and given != stored.get(key):
                    raise ConfigError(f"{self._dir} was set up with another {key}; omit it to "
                                      "reuse the stored one, or use a new --data-dir")
        self.api_key = stored.get("api_key") or self.api_key or secrets.token_urlsafe(24)
        self.password = stored.get("password") or self.password or secrets.token_urlsafe(12)
        if len(self.password) < 8 or len(self.api_key) < 8:
            raise ConfigError("api key and password need at least 8 characters")
        fd = os.open(cred_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"api_key": self.api_key, "password": self.password}, fh)

    def _base_env(self) -> dict[str, str]:
        """Our environment without Python-venv variables, plus the stack marker."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        env[MARKER_ENV] = str(self._dir)
        return env

    def _server_env(self, redis_port: int) -> dict[str, str]:
        env = self._base_env()
        env.update({
            "PATH": f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "ARGILLA_HOME_PATH": str(self._dir / "home"),
            "ARGILLA_ELASTICSEARCH": self.search_url,
            "ARGILLA_SEARCH_ENGINE": "elasticsearch",
            "ARGILLA_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_OFFLINE": "1",
        })
        return env

    def _server_cmd(self, *args: str) -> list[str]:
        """argilla-server's CLI through our launcher (options from env, noida-db compat)."""
        return [str(self.venv / "bin" / "python"), "-I", argilla_launch.__file__, *args]

    def _redis_title(self) -> list[str]:
        """Put the stack marker in redis's process title (Redis 7+).

        Redis rewrites its title over the memory that held its environment, so
        ``/proc/PID/environ`` no longer shows the marker; the title (``/proc/PID/cmdline``)
        does.
        """
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True,
                             check=False).stdout
        major = out.split("v=", 1)[-1].split(".", 1)[0]
        if not major.isdigit() or int(major) < 7:
            return []
        return ["--proc-title-template",
                f"{{title}} {{listen-addr}} {{server-mode}} {MARKER_ENV}={self._dir}"]

    @staticmethod
    def _death_signal_prefix() -> list[str]:
        """``setpriv --pdeathsig TERM --`` when it applies (see the module docstring).

        The kernel sends the signal when the *thread* that forked the child ends, so it is
        used only from the main thread.
        """
        setpriv = shutil.which("setpriv")
        if setpriv is None or threading.current_thread() is not threading.main_thread():
            return []
        return [setpriv, "--pdeathsig", "TERM", "--"]

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None
               ) -> subprocess.Popen[bytes]:
        with deferred():  # started and recorded, or neither
            if name in self._logs:
                self._logs[name].close()
            log = open(self._dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
            self._logs[name] = log
            proc = subprocess.Popen([*self._death_signal_prefix(), *cmd], stdout=log,
                                    stderr=subprocess.STDOUT, env=env or self._base_env(),
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            self._procs[name] = proc
        return proc

    def _wait_exit(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        try:
            rc = proc.wait(timeout=self.startup_timeout)
        except subprocess.TimeoutExpired as exc:
            raise ServerStackError(f"argilla {name} step timed out") from exc
        self._procs.pop(name, None)
        if rc != 0:
            raise ServerStackError(f"argilla {name} step failed (exit {rc}): "
                                   f"{_tail(self._dir / 'logs' / f'{name}.log')}")

    def _check_alive(self, name: str) -> None:
        proc = self._procs.get(name)
        if proc is not None and proc.poll() is not None:
            raise ServerStackError(f"{name} exited with status {proc.returncode}: "
                                   f"{_tail(self._dir / 'logs' / f'{name}.log')}")

    def _wait(self, name: str, probe: Any) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            self._check_alive(name)
            with contextlib.suppress(OSError, httpx.HTTPError):
                if probe():
                    return
            time.sleep(0.25)
        raise ServerStackError(f"{name} did not become ready within {self.startup_timeout:.0f}s:"
                               f" {_tail(self._dir / 'logs' / f'{name}.log')}")

    def _wait_tcp(self, name: str, port: int) -> None:
        def probe() -> bool:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        self._wait(name, probe)

    def _wait_http(self, name: str, url: str, headers: dict[str, str] | None = None) -> None:
        self._wait(name, lambda: httpx.get(url, headers=headers, timeout=5).status_code == 200)

    def _kill(self, name: str) -> None:
        proc = self._procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # children that outlived the leader (uvicorn / rq workers) share its group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
