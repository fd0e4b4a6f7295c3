"""Helpers of the synthesis tests: a small catalogue, deterministic item tags, and
:class:`Resources` assembled from them without touching the defaults."""

from __future__ import annotations

import hashlib
import random

from datagen.catalogue import Catalogue, Item
from datagen.graph import build_graph
from datagen.synth.resources import Resources
from datagen.tags.models import ItemTraitTag, TagStatus
from datagen.taxonomy import LeakMatcher

GENRES = ["Comedy", "Drama", "Action", "Romance", "Sci-Fi", "Animation", "Thriller", "Family"]
DIRECTORS = [f"Director {i}" for i in range(12)]


class HashTags:
    """Item tags from a hash: ~10% yes, ~10% unknown, the rest no, per (item, trait)."""

    def __init__(self, yes: int = 1, unknown: int = 1) -> None:
        self.yes, self.unknown = yes, unknown

    def status(self, item_id: str, trait_id: str) -> TagStatus:
        h = int(hashlib.sha256(f"{item_id}|{trait_id}".encode()).hexdigest()[:6], 16) % 10
        if h < self.yes:
            return TagStatus.yes
        return TagStatus.unknown if h < self.yes + self.unknown else TagStatus.no

    def tag(self, item_id: str, trait_id: str) -> ItemTraitTag:
        status = self.status(item_id, trait_id)
        return ItemTraitTag(item_id=item_id, trait_id=trait_id, status=status,
                            score=0.9 if status is TagStatus.yes else 0.1,
                            sources=["test"], evidence=[f"test:{status.value}"])


def make_catalogue(n: int = 240) -> Catalogue:
    rng = random.Random(7)
    items = []
    for i in range(n):
        genres = rng.sample(GENRES, 2)
        items.append(Item(item_id=f"tt{1000000 + i}", title=f"Film Number {i}",
                          year=1970 + i % 50, imdb_id=f"tt{1000000 + i}", genres=genres,
                          directors=[DIRECTORS[i % len(DIRECTORS)]], sources=["test"]))
    return Catalogue(items, name="test")


def make_resources(taxonomy, small_world, tags=None, seeds=None) -> Resources:
    """Resources over the small world; graph profiles unless ``seeds`` (a real seed list)."""
    catalogue, graph = small_world
    return Resources(taxonomy=taxonomy, catalogue=catalogue, graph=graph,
                     tags=tags or HashTags(), leaks=LeakMatcher(taxonomy), seeds=seeds or [],
                     sources={"taxonomy": "embedded", "catalogue": "test", "graph": "test",
                              "tags": "test:hash", "seeds": "graph_profiles"})



def write_small_inputs(folder, taxonomy, tags: HashTags | None = None) -> dict[str, str]:
    """Catalogue, graph and item tags files for CLI / subprocess runs (fast to load)."""
    from pathlib import Path

    import pyarrow as pa

    from datagen.graph import save_graph
    from datagen.tags import ITEM_TAGS_SCHEMA, write_item_tags

    folder = Path(folder)
    catalogue = make_catalogue()
    catalogue.save(folder / "catalogue.parquet")
    save_graph(build_graph(catalogue), folder / "graph.json")
    tags = tags or HashTags()
    rows = [tags.tag(item.item_id, t).model_dump(mode="json")
            for item in catalogue.items for t in taxonomy.trait_ids]
    write_item_tags(pa.Table.from_pylist(rows, schema=ITEM_TAGS_SCHEMA), folder / "tags.parquet")
    return {"--catalogue": str(folder / "catalogue.parquet"), "--graph": str(folder / "graph.json"),
            "--tags": str(folder / "tags.parquet")}


def drawn_entries(taxonomy, resources, n: int, seed: int, counts: dict[int, float],
                  variants=("implicit",)) -> list:
    """Plan entries as the generator sees them: users drawn, liked films filled in (an entry
    whose user could not be drawn is returned as planned)."""
    from datagen.synth.config import SynthConfig
    from datagen.synth.generate import OfflineGenerator, OfflineJudgeAdapter
    from datagen.synth.pipeline import Prepared, build_context, plan_run, prepare_entry

    cfg = SynthConfig(n=n, seed=seed, trait_counts=counts, variants=list(variants),
                      unknown_policy="allow", progress=False)
    ctx = build_context(cfg, resources, OfflineGenerator(resources.leaks),
                        OfflineJudgeAdapter(taxonomy))
    out = []
    for entry in plan_run(cfg, resources):
        prepared = prepare_entry(ctx, entry)
        out.append(prepared.entry if isinstance(prepared, Prepared) else entry)
    return out
