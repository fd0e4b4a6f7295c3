"""Stop requests by signal, and the short sections a stop request must not cut in two.

Why this exists: ``datagen annotate serve`` owns a tree of processes (redis, the search
engine, argilla-server, its worker, one-off set-up steps), each in its own session so a
terminal's Ctrl-C reaches only ``datagen``. If ``datagen`` dies without stopping them they run
on under PID 1. So:

* :func:`stop_on_signals` installs handlers for SIGTERM and SIGINT *before* the first child
  starts, whatever disposition was inherited: a job started with ``&`` from a script
  inherits SIGINT *ignored*, and Python then never raises KeyboardInterrupt. SIGHUP (the
  terminal closed) stops too, unless it arrived ignored: that is ``nohup`` asking to survive
  the terminal. Each handler raises :class:`StopRequested` once; later signals are
  remembered, not raised, so cleanup runs to the end.
* :func:`deferred` marks a section (start a child and record it; stop every child) during
  which a signal is held back and raised when the section ends. A flag checked by the Python
  handler is used rather than ``pthread_sigmask``: with a second thread alive (rich's spinner)
  the kernel may deliver the signal there, and CPython still runs the handler in the main
  thread at once.

Outside :func:`stop_on_signals` (library use, tests), :func:`deferred` costs a counter.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["STOP_SIGNALS", "StopRequested", "deferred", "stop_on_signals"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
#: signals whose inherited SIG_IGN is respected (nohup)
_KEEP_IGNORED = (signal.SIGHUP,)


class StopRequested(BaseException):
    """A stop signal arrived; ``signum`` says which (exit status 128 + signum by convention)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


class _State:
    depth = 0  # nesting of deferred sections
    pending: int | None = None  # signal held back by a deferred section
    raised = False  # StopRequested already raised once


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.raised:
        return
    if _state.depth:
        _state.pending = _state.pending or signum
        return
    _state.raised = True
    raise StopRequested(signum)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold stop signals back until the block ends, then raise :class:`StopRequested`."""
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0 and _state.pending is not None and not _state.raised:
            signum, _state.pending = _state.pending, None
            _state.raised = True
            raise StopRequested(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM, SIGINT and (unless ignored) SIGHUP into :class:`StopRequested`.

    Main thread only (Python runs signal handlers there). The previous handlers (or
    dispositions) are restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("stop_on_signals() must run in the main thread")
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    _state.pending, _state.raised = None, False
    try:
        for sig in STOP_SIGNALS:
            if not (sig in _KEEP_IGNORED and previous[sig] == signal.SIG_IGN):
                signal.signal(sig, _handler)
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        _state.pending, _state.raised = None, False
