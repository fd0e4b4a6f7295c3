"""The fake LLM server as its own process (benchmarks, CLI tests in a subprocess).

``python -m datagen.llm.fake_server --port 0 --latency 0.2 --responder pkg.mod:fn
--fault 429:2:1`` prints the chosen port alone on its first stdout line, then serves until
SIGTERM or SIGINT. :class:`FakeServerProcess` starts it and talks to ``/_control`` and
``/_stats`` over HTTP. The server is a test double, not an LLM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from typing import Any

from datagen.llm.fake_protocol import ServerUrls

__all__ = ["FakeServerProcess", "serve_forever"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m datagen.llm.fake_server",
        description="Fake OpenAI/Anthropic chat server for tests (a test double, not an LLM).",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = a random free port (printed)")
    p.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    p.add_argument("--jitter", type=float, default=0.0, help="extra uniform 0..J seconds")
    p.add_argument("--responder", default=None, help="'package.module:function'")
    p.add_argument("--fault", action="append", default=[],
                   help="kind[:times[:retry_after]], e.g. 429:3:1 (repeatable, in order)")
    p.add_argument("--api-key", default=None, help="require this key (else 401)")
    p.add_argument("--reject-response-format", action="store_true",
                   help="answer 400 to OpenAI requests with response_format")
    p.add_argument("--modes", default=None,
                   help="comma-separated structured-output forms accepted (default: all)")
    p.add_argument("--no-enforce", action="store_true",
                   help="accept structured-output forms but ignore their schema")
    p.add_argument("--models", default=None, help="comma-separated served model ids")
    p.add_argument("--keep-abandoned", action="store_true",
                   help="keep working on requests whose client gave up (local servers do)")
    p.add_argument("--seed", type=int, default=0, help="seed of the latency jitter")
    return p


async def _serve(args: argparse.Namespace) -> None:
    import random

    from aiohttp import web

    from datagen.llm.fake_protocol import ServerState, load_responder, parse_faults
    from datagen.llm.fake_server import build_app

    responder = load_responder(args.responder) if args.responder else None
    state = ServerState(latency=args.latency, jitter=args.jitter,
                        faults=parse_faults(args.fault), api_key=args.api_key,
                        rng=random.Random(args.seed),
                        reject_response_format=args.reject_response_format,
                        enforce=not args.no_enforce,
                        models=args.models.split(",") if args.models else None)
    if args.modes is not None:
        state.modes = frozenset(m for m in args.modes.split(",") if m)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    runner = web.AppRunner(build_app(state, responder), access_log=None,
                           handler_cancellation=not args.keep_abandoned)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=1024).start()
    print(sock.getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def serve_forever(argv: list[str] | None = None) -> None:
    asyncio.run(_serve(_parser().parse_args(argv)))


class FakeServerProcess(ServerUrls):
    """Run the fake server in a child process; ``with FakeServerProcess(latency=0.2) as s:``."""

    def __init__(self, *, latency: float = 0.0, jitter: float = 0.0,
                 responder: str | None = None, faults: list[str] | None = None,
                 api_key: str | None = None, env: dict[str, str] | None = None,
                 extra_args: list[str] | None = None) -> None:
        self.args = ["--port", "0", "--latency", str(latency), "--jitter", str(jitter),
                     *(extra_args or [])]
        if responder:
            self.args += ["--responder", responder]
        for fault in faults or []:
            self.args += ["--fault", fault]
        if api_key:
            self.args += ["--api-key", api_key]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> FakeServerProcess:
        cmd = [sys.executable, "-m", "datagen.llm.fake_server", *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=self.env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"fake server did not start (first line: {line!r})")
        self.port = int(line)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> FakeServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _http(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict[str, Any]:
        return self._http("/_stats")

    def control(self, **body: Any) -> dict[str, Any]:
        """POST /_control, e.g. ``control(faults=["429:2:1"], latency=0.1, reset_stats=True)``."""
        return self._http("/_control", body)
