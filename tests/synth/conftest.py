"""Fixtures of the synthesis tests (helpers live in synth_helpers.py)."""

from __future__ import annotations

import pytest
from synth_helpers import make_catalogue, make_resources

from datagen.graph import build_graph
from datagen.synth.resources import Resources
from datagen.taxonomy import load_taxonomy


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="session")
def small_world(taxonomy):
    catalogue = make_catalogue()
    return catalogue, build_graph(catalogue)


@pytest.fixture()
def resources(taxonomy, small_world) -> Resources:
    return make_resources(taxonomy, small_world)
