"""Load what a synthesis run reads: taxonomy, catalogue, graph, item tags, seeds.

Each input has an explicit source recorded in the manifest: the embedded taxonomy or a file,
the embedded bokeh catalogue or a saved one, ``artifacts/graph.json`` / ``--graph`` or a graph
built in memory, ``artifacts/item_tags.parquet`` / ``--tags`` or tags built in memory from the
default evidence (``datagen.tags.defaults.default_tag_index``: rules + curated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datagen.synth.config import SeedSource, SynthConfig
from datagen.synth.seeds import Seed, load_reddit_seeds, load_redial_seeds
from datagen.taxonomy import LeakMatcher, Taxonomy, load_taxonomy

__all__ = ["DEFAULT_GRAPH", "DEFAULT_TAGS", "Resources", "load_resources"]

DEFAULT_TAGS = Path("artifacts/item_tags.parquet")
DEFAULT_GRAPH = Path("artifacts/graph.json")


@dataclass
class Resources:
    taxonomy: Taxonomy
    catalogue: Any
    graph: Any
    tags: Any
    leaks: LeakMatcher
    seeds: list[Seed]
    sources: dict[str, str]

    def lookup(self, item_id: str) -> Any:
        return self.catalogue.get(item_id)

    _fast_tags: Any = field(default=None, repr=False, compare=False)
    #: (related-items index, tag masks) and item names, built by the pipeline on first use
    _safety: Any = field(default=None, repr=False, compare=False)
    _names: Any = field(default=None, repr=False, compare=False)

    def fast_tags(self) -> Any:
        """The set-based view of the tag index ground truth scans (``FastTags``), built once
        per resources; an index without a table (a test double) is used as it is."""
        if self._fast_tags is None:
            from datagen.synth.ground_truth import FastTags

            self._fast_tags = FastTags(self.tags) if hasattr(self.tags, "table") else self.tags
        return self._fast_tags


def _catalogue(config: SynthConfig) -> tuple[Any, str]:
    from datagen.catalogue import Catalogue, load_default_catalogue

    if config.catalogue_path is not None:
        return Catalogue.load(config.catalogue_path), str(config.catalogue_path)
    return load_default_catalogue(), "embedded:bokeh-sampledata"


def _graph(config: SynthConfig, catalogue: Any) -> tuple[Any, str]:
    from datagen.graph import build_graph, load_graph

    path = config.graph_path or (DEFAULT_GRAPH if DEFAULT_GRAPH.is_file() else None)
    if path is not None:
        return load_graph(path), str(path)
    return build_graph(catalogue), "built-in-memory:catalogue"


def _tags(config: SynthConfig, catalogue: Any, taxonomy: Taxonomy) -> tuple[Any, str]:
    from datagen.tags import TagIndex

    path = config.tags_path or (DEFAULT_TAGS if DEFAULT_TAGS.is_file() else None)
    if path is not None:
        return TagIndex.load(path), str(path)
    from datagen.tags.defaults import default_tag_index

    return default_tag_index(catalogue, taxonomy)  # rules + shipped curated evidence


def _seeds(config: SynthConfig, catalogue: Any, graph: Any) -> list[Seed]:
    """Real seeds (ReDial / Reddit); none for graph profiles, which the pipeline draws per
    user for that user's traits (:mod:`datagen.synth.users`)."""
    if config.seed_source is SeedSource.graph:
        return []
    from datagen.catalogue.resolver import TitleResolver

    resolver = TitleResolver(catalogue)
    assert config.seed_path is not None  # checked by SynthConfig
    if config.seed_source is SeedSource.redial:
        seeds = load_redial_seeds(config.seed_path, resolver, config.redial_movies)
    else:
        seeds = load_reddit_seeds(config.seed_path, resolver)
    for seed in seeds:  # genres of the liked films, most common first
        if not seed.genres:
            counts: dict[str, int] = {}
            for ref in seed.liked:
                item = catalogue.get(ref.item_id)
                for g in item.genres if item else []:
                    counts[g] = counts.get(g, 0) + 1
            seed.genres = sorted(counts, key=lambda g: -counts[g])
    return seeds


def load_resources(config: SynthConfig) -> Resources:
    """Everything the run reads, with the source of each input."""
    taxonomy = load_taxonomy(config.taxonomy_path)
    catalogue, cat_src = _catalogue(config)
    graph, graph_src = _graph(config, catalogue)
    tags, tags_src = _tags(config, catalogue, taxonomy)
    seeds = _seeds(config, catalogue, graph)
    return Resources(
        taxonomy=taxonomy, catalogue=catalogue, graph=graph, tags=tags,
        leaks=LeakMatcher(taxonomy), seeds=seeds,
        sources={"taxonomy": taxonomy.source_path or "embedded", "catalogue": cat_src,
                 "graph": graph_src, "tags": tags_src,
                 "seeds": str(config.seed_path) if config.seed_path else "graph_profiles"},
    )
