"""Reuse the sample factory of tests/exports (loaded by path: tests are not a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_sample_factory", Path(__file__).resolve().parents[1] / "exports" / "sample_factory.py"
)
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)

import pytest  # noqa: E402


@pytest.fixture
def fx():
    """The factory module: ``fx.make_sample``, ``fx.make_corpus``, ``fx.FILMS``."""
    return factory
