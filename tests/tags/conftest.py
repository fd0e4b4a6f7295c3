"""Small hand-made taxonomy and catalogue for the tag tests (no dependency on the YAML)."""

from __future__ import annotations

import pytest

from datagen.catalogue import Catalogue
from datagen.catalogue.models import Item
from datagen.taxonomy.models import (
    CueIdea,
    DtddTopic,
    RuleConditions,
    Taxonomy,
    Trait,
    WeakRule,
)

_WHY = "the reasoning a taxonomy author gives"
_CUES = [CueIdea(strategy="life_event", text=f"a cue idea number {i}") for i in range(8)]


def _trait(trait_id: str, **kw: object) -> Trait:
    return Trait(id=trait_id, name=trait_id, family="trauma", description="test trait",
                 leak_terms=[trait_id.replace("_", " ")], cues=_CUES, **kw)


@pytest.fixture
def taxonomy() -> Taxonomy:
    return Taxonomy(
        name="test",
        version="0.1.0",
        topics=[
            DtddTopic(id=153, label="a dog dies", category="Animals"),
            DtddTopic(id=186, label="a cat dies", category="Animals"),
            DtddTopic(id=200, label="someone is stabbed", category="Violence"),
        ],
        traits=[
            _trait("animal_harm", dtdd_topics=[153, 186]),
            _trait(
                "gore",
                dtdd_topics=[200],
                pg_weights={"violence_gore": 1.0, "frightening_intense": 0.5},
                weak_rules=[
                    WeakRule(kind="genre", value="Horror", polarity="present", weight=0.6),
                    WeakRule(kind="genre", value="Family", polarity="absent", weight=0.7,
                             decides_no=True, why=_WHY,
                             unless=RuleConditions(mpaa=["R"], genre=["Action"])),
                    WeakRule(kind="genre", value="Documentary", polarity="absent", weight=0.3,
                             decides_no=True, why=_WHY),
                    WeakRule(kind="genre", value="Animation", polarity="absent", weight=0.9,
                             decides_no=False, why=_WHY),
                ],
            ),
            _trait(
                "horror_avoider",
                weak_rules=[
                    WeakRule(kind="tag_keyword", value="scary", polarity="present", weight=0.7),
                    WeakRule(kind="mpaa", value="G", polarity="absent", weight=0.8,
                             decides_no=True, why=_WHY),
                ],
            ),
        ],
    )


@pytest.fixture
def catalogue() -> Catalogue:
    def item(item_id: str, title: str, year: int, **kw: object) -> Item:
        return Item(item_id=item_id, title=title, year=year, imdb_id=item_id, **kw)

    return Catalogue([
        item("tt0000001", "Dog Movie", 2001, genres=["Drama"]),
        item("tt0000002", "Slasher", 2002, genres=["Horror"], mpaa_rating="R"),
        item("tt0000003", "Kids Film", 2003, genres=["Family", "Animation"], mpaa_rating="G"),
        item("tt0000004", "Nature Doc", 2004, genres=["documentary"]),
        item("tt0000005", "Plain", 2005),
        item("tt0000006", "Family Heist", 2006, genres=["Family", "Action"]),
        item("tt0000007", "Cartoon", 2007, genres=["Animation"]),
    ])
