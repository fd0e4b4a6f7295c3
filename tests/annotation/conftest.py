"""Fixtures of the annotation tests: one local Argilla stack for the whole session.

The stack (redis + noida-db + argilla-server + worker on random 127.0.0.1 ports, temp data)
needs ``scripts/setup_argilla.sh``, which ``scripts/test.sh`` runs first. Without it the
integration tests skip locally and fail in CI (``CI`` set), so a missing install step
cannot pass unnoticed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # factories.py, cdp.py

from annotation.server import LocalArgillaStack, server_venv


@pytest.fixture(scope="session")
def argilla_stack() -> Iterator[LocalArgillaStack]:
    if not (server_venv() / "bin" / "python").exists():
        msg = f"argilla-server venv missing at {server_venv()}: run scripts/setup_argilla.sh"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    stack = LocalArgillaStack()
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def argilla_client(argilla_stack: LocalArgillaStack):
    from annotation.client import connect

    return connect(argilla_stack.url, argilla_stack.api_key)
