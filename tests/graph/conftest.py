"""A small catalogue with a franchise (original + sequel), a remake and unrelated films."""

from __future__ import annotations

import pytest

from datagen.catalogue import Catalogue
from datagen.catalogue.models import Item


@pytest.fixture
def catalogue() -> Catalogue:
    def item(item_id: str, title: str, year: int, **kw: object) -> Item:
        return Item(item_id=item_id, title=title, year=year, imdb_id=item_id,
                    sources=["test"], **kw)

    return Catalogue([
        item("tt0000001", "Space Horror", 1979, genres=["Horror", "Science Fiction"],
             directors=["Rita Scott"], writers=["Dan Bannon", "Ron Shusett"],
             cast=["Sigrid Weaver", "Tom Skerry", "Vera Cartwright"], mpaa_rating="R"),
        item("tt0000002", "Space Horror 2", 1986, genres=["Action", "Science Fiction"],
             directors=["Jim Ron"], writers=["Jim Ron", "Dan Bannon"],
             cast=["Sigrid Weaver", "Mike Bien"], mpaa_rating="R"),
        item("tt0000003", "Quiet Drama", 1990, genres=["Drama"], directors=["Ann Lee"],
             cast=["Paul Rudd"], mpaa_rating="PG"),
        item("tt0000004", "Another Drama", 1991, genres=["Drama"], directors=["Bob Ray"],
             cast=["Zed Zane"]),
        item("tt0000005", "Love Story", 1992, genres=["Romance"], directors=["Ann Lee"],
             cast=["Zed Zane"]),
        item("tt0000006", "Lonely", 1993),
        item("tt0000007", "Drama Four", 1994, genres=["Drama"], directors=["Cy Dee"],
             mpaa_rating="PG"),
    ])
