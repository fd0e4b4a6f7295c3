"""Fixtures of the export tests; the sample factory itself is in sample_factory.py."""

from __future__ import annotations

import pytest
import sample_factory

from datagen.catalogue import Catalogue


@pytest.fixture(scope="session")
def mini_catalogue() -> Catalogue:
    return sample_factory.mini_catalogue()


@pytest.fixture(scope="session")
def resolver(mini_catalogue):
    from datagen.catalogue.resolver import TitleResolver

    return TitleResolver(mini_catalogue)
