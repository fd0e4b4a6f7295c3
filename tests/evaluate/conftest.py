"""Fixtures for the evaluation tests: a tiny catalogue, tags, samples and split files.

``make_sample`` builds a full :class:`~datagen.records.sample.Sample` (so split files carry the
real SAMPLE_SCHEMA), ``write_split`` writes ``<run_dir>/splits/<split>.parquet`` like
``datagen split`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from datagen.catalogue import Catalogue, Item
from datagen.parquet_io import write_parquet
from datagen.records.sample import (
    SAMPLE_SCHEMA,
    Generation,
    ItemRef,
    Sample,
    Turn,
    Verification,
    samples_to_table,
)

TAXONOMY_VERSION = "1.0.0"

# item_id, title, year, popularity, genres, director
FILMS = [
    ("tt0000001", "Heat", 1995, 900.0, ["Crime", "Thriller"], "Michael Mann"),
    ("tt0000002", "The Dark Knight", 2008, 1000.0, ["Action", "Crime"], "Christopher Nolan"),
    ("tt0000003", "Arachnophobia", 1990, 300.0, ["Comedy", "Horror"], "Frank Marshall"),
    ("tt0000004", "Up", 2009, 800.0, ["Animation", "Family"], "Pete Docter"),
    ("tt0000005", "Schindler's List", 1993, 700.0, ["Drama", "History"], "Steven Spielberg"),
    ("tt0000006", "Spider-Man", 2002, 600.0, ["Action", "Fantasy"], "Sam Raimi"),
    ("tt0000007", "Toy Story", 1995, 500.0, ["Animation", "Family"], "John Lasseter"),
    ("tt0000008", "Alien", 1979, 400.0, ["Horror", "Sci-Fi"], "Ridley Scott"),
    ("tt0000009", "Collateral", 2004, 100.0, ["Crime", "Thriller"], "Michael Mann"),
    ("tt0000010", "Thief", 1981, 50.0, ["Crime", "Thriller"], "Michael Mann"),
    ("tt0000011", "Manhunter", 1986, 40.0, ["Crime", "Thriller"], "Michael Mann"),
    ("tt0000012", "Public Enemies", 2009, 30.0, ["Crime", "Thriller"], "Michael Mann"),
]

# (item_id, trait_id, status); every other pair is unknown
TAGS = [
    ("tt0000003", "spiders_snakes", "yes"),
    ("tt0000006", "spiders_snakes", "yes"),
    ("tt0000001", "spiders_snakes", "no"),
    ("tt0000004", "spiders_snakes", "no"),
    ("tt0000007", "spiders_snakes", "no"),
    ("tt0000002", "spiders_snakes", "no"),
    ("tt0000005", "spiders_snakes", "no"),
    ("tt0000009", "spiders_snakes", "no"),
    ("tt0000011", "spiders_snakes", "no"),
    ("tt0000001", "gore", "no"),
    ("tt0000009", "gore", "yes"),
    ("tt0000010", "gore", "no"),
    ("tt0000011", "gore", "yes"),
    ("tt0000008", "gore", "yes"),
]


def _item(row: tuple) -> Item:
    item_id, title, year, pop, genres, director = row
    return Item(item_id=item_id, title=title, year=year, imdb_id=item_id, genres=genres,
                directors=[director], popularity=pop, sources=["test"])


@pytest.fixture()
def catalogue() -> Catalogue:
    return Catalogue([_item(r) for r in FILMS], name="test")


@pytest.fixture()
def resolver(catalogue: Catalogue):
    from datagen.catalogue.resolver import TitleResolver

    return TitleResolver(catalogue)


def tag_table(rows: Sequence[tuple[str, str, str]]):
    """An ITEM_TAGS_SCHEMA table from (item, trait, status) rows."""
    import pyarrow as pa

    from datagen.tags import ITEM_TAGS_SCHEMA

    return pa.Table.from_pylist(
        [{"item_id": i, "trait_id": t, "status": s, "score": 0.9 if s == "yes" else 0.0,
          "ddd_hit": None, "pg_risk": None, "sources": ["test"], "evidence": [f"test: {s}"]}
         for i, t, s in rows],
        schema=ITEM_TAGS_SCHEMA,
    )


@pytest.fixture()
def tag_file(tmp_path) -> Path:
    """:data:`TAGS` written as an ``item_tags.parquet`` (owner C's writer)."""
    from datagen.tags import write_item_tags

    return write_item_tags(tag_table(TAGS), tmp_path / "item_tags.parquet")


@pytest.fixture()
def tags():
    """Owner C's TagIndex over :data:`TAGS` (pairs not listed are unknown)."""
    from datagen.tags import TagIndex

    return TagIndex.from_table(tag_table(TAGS))


def _ref(catalogue_rows: dict, item_id: str) -> ItemRef:
    _, title, year, *_ = catalogue_rows[item_id]
    return ItemRef(item_id=item_id, title=title, year=year)


_BY_ID = {r[0]: r for r in FILMS}


def build_sample(
    sample_id: str,
    traits: Sequence[str] = (),
    liked: Sequence[str] = (),
    ground_truth: Sequence[str] = (),
    taxonomy_version: str = TAXONOMY_VERSION,
) -> Sample:
    """A complete Sample (offline generation) with the given traits and item ids."""
    return Sample(
        sample_id=sample_id,
        taxonomy_version=taxonomy_version,
        seed_source="graph_profile",
        seed_id=f"seed-{sample_id}",
        traits=list(traits),
        messages=[
            Turn(role="user", content=f"I loved a few films lately ({sample_id})."),
            Turn(role="assistant", content="What else do you enjoy?"),
            Turn(role="user", content="Something tense, but nothing too dark please."),
        ],
        liked_items=[_ref(_BY_ID, i) for i in liked],
        ground_truth=[_ref(_BY_ID, i) for i in ground_truth],
        generation=Generation(backend="offline", model="offline-composer", is_llm=False,
                              prompt_version="test"),
        verification=Verification(passed=True, leak_passed=True),
    )


@pytest.fixture()
def make_sample() -> Callable[..., Sample]:
    return build_sample


def write_split_file(run_dir: Path, samples: Sequence[Sample], split: str = "test") -> Path:
    path = run_dir / "splits" / f"{split}.parquet"
    write_parquet(samples_to_table(list(samples)), path, SAMPLE_SCHEMA)
    return path


@pytest.fixture()
def write_split() -> Callable[..., Path]:
    return write_split_file
