"""Stop signals as exceptions, and sections a stop must not cut in two (no server)."""

from __future__ import annotations

import os
import signal

import pytest

from annotation.lifecycle import StopRequested, deferred, stop_on_signals


def _send(sig: int) -> None:
    """Signal ourselves; CPython runs the Python handler before the next bytecode."""
    os.kill(os.getpid(), sig)


def test_ignored_sigint_is_handled_and_restored() -> None:
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `&` in a script does
    try:
        with pytest.raises(StopRequested) as info, stop_on_signals():
            _send(signal.SIGINT)
        assert info.value.signum == signal.SIGINT
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # restored on exit
    finally:
        signal.signal(signal.SIGINT, old)


def test_a_deferred_section_finishes_then_stops_once() -> None:
    steps = []
    with pytest.raises(StopRequested, match="SIGTERM"), stop_on_signals():
        try:
            with deferred():
                _send(signal.SIGTERM)
                steps.append("after the signal, still inside")
        finally:
            _send(signal.SIGTERM)  # a second signal during cleanup is not raised
            steps.append("cleanup ran to the end")
    assert steps == ["after the signal, still inside", "cleanup ran to the end"]


def test_nohup_keeps_sighup_ignored() -> None:
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with stop_on_signals():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, signal.SIG_DFL)
    finally:
        signal.signal(signal.SIGHUP, old)


def test_deferred_outside_stop_on_signals_is_inert() -> None:
    with deferred():
        pass
