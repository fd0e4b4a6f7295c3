"""Reading /proc: the processes of one local Argilla stack, and every command line.

A stack's processes (and their children) carry ``SAFEREC_ARGILLA_STACK=<data dir>`` in their
environment; ``/proc/PID/environ`` is readable by the same user and root, which is who runs
the tests. Redis writes its process title over its environment, so it carries the marker in
its title (its command line) instead: both are searched.
"""

from __future__ import annotations

import os
from pathlib import Path

from annotation.server import MARKER_ENV

__all__ = ["all_cmdlines", "cmdline", "sig_ignored", "stack_processes"]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended, or is not ours
        return b""


def cmdline(pid: int) -> str:
    return _read(Path(f"/proc/{pid}/cmdline")).replace(b"\0", b" ").decode(errors="replace")


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _alive(pid: int) -> bool:
    """Running or sleeping: a zombie has already released everything."""
    status = _read(Path(f"/proc/{pid}/status")).decode(errors="replace")
    return bool(status) and "\nState:\tZ" not in status


def stack_processes(data_dir: Path) -> dict[int, str]:
    """pid -> command line of every live process whose environment names ``data_dir``."""
    marker = f"{MARKER_ENV}={data_dir}"
    out = {}
    for pid in _pids():
        env = _read(Path(f"/proc/{pid}/environ")).split(b"\0")
        cmd = cmdline(pid)
        if (marker.encode() in env or marker in cmd.split()) and _alive(pid):
            out[pid] = cmd
    return out


def all_cmdlines() -> dict[int, str]:
    return {pid: cmdline(pid) for pid in _pids()}


def sig_ignored(pid: int, signum: int) -> bool:
    """Whether ``pid`` has ``signum`` set to SIG_IGN (the ``SigIgn`` mask of its status)."""
    for line in _read(Path(f"/proc/{pid}/status")).decode().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def sig_caught(pid: int, signum: int) -> bool:
    """Whether ``pid`` has a handler installed for ``signum`` (the ``SigCgt`` mask)."""
    for line in _read(Path(f"/proc/{pid}/status")).decode().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False
