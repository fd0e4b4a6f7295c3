"""Fixtures for catalogue tests: the embedded catalogue and one resolver, built once."""

from __future__ import annotations

import pytest

from datagen.catalogue import Catalogue, TitleResolver, load_default_catalogue


@pytest.fixture(scope="session")
def bokeh_catalogue() -> Catalogue:
    return load_default_catalogue()


@pytest.fixture(scope="session")
def resolver(bokeh_catalogue: Catalogue) -> TitleResolver:
    return TitleResolver(bokeh_catalogue)
