"""Fixtures of the LLM tests: one real llama-cpp-python server for the whole session.

It needs ``scripts/setup_llama.sh``, which ``scripts/test.sh`` runs first. Without it the
real-model tests skip locally and fail in CI (``CI`` set), so a missing install step cannot
pass unnoticed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # real_model.py, structured_probe.py

from real_model import LlamaServer, RealModel, find_real_model


@pytest.fixture(scope="session")
def real_model() -> RealModel:
    found = find_real_model()
    if isinstance(found, str):
        if os.environ.get("CI"):
            pytest.fail(found)
        pytest.skip(found)
    return found


@pytest.fixture(scope="session")
def llama_server(real_model: RealModel, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[LlamaServer]:
    server = LlamaServer(real_model, log_dir=tmp_path_factory.mktemp("llama"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
