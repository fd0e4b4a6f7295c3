"""Fixtures of the SafeCRS compatibility tests (data in safecrs_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from safecrs_fixtures import REF_ROWS, make_catalogue, write_jsonl

from datagen.catalogue import Catalogue, TitleResolver


@pytest.fixture()
def catalogue() -> Catalogue:
    return make_catalogue()


@pytest.fixture()
def resolver(catalogue: Catalogue) -> TitleResolver:
    return TitleResolver(catalogue)


@pytest.fixture()
def ref_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "saferec_test.jsonl", REF_ROWS)
