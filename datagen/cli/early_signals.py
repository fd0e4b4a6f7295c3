"""Stop signals that arrive before a long-running command has installed its own handlers.

``datagen annotate serve`` owns a tree of processes and installs its stop handlers before
the first child starts (:func:`annotation.lifecycle.stop_on_signals`). But loading the CLI
takes a few hundred milliseconds, and a signal in that window used to be lost: a job
started with ``&`` inherits SIGINT *ignored*, so Python drops it, and the stack then started
and ran on. :func:`arm` is called first thing by the entry point, for ``annotate serve``
only: it records SIGTERM / SIGINT / SIGHUP (SIGHUP unless inherited ignored: ``nohup``), and
the command asks :func:`take` before it starts anything. Only the standard library is
imported here, so the window left is the interpreter's own start-up.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from types import FrameType

__all__ = ["arm", "take"]

_pending: list[int] = []


def _record(signum: int, frame: FrameType | None) -> None:
    if not _pending:
        _pending.append(signum)


def arm(argv: Sequence[str]) -> bool:
    """Record stop signals from now on if ``argv`` runs ``annotate serve``; True if armed."""
    words = [a for a in argv if not a.startswith("-")]
    if words[:2] != ["annotate", "serve"]:
        return False
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        if sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN:
            continue
        signal.signal(sig, _record)
    return True


def take() -> int | None:
    """The first stop signal recorded since :func:`arm`, or None (and forget it)."""
    return _pending.pop() if _pending else None
