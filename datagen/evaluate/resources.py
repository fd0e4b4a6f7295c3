"""Where evaluation and baselines get the catalogue, the trigger tags and the graph.

Explicit paths win; otherwise the project's defaults: the embedded catalogue,
``artifacts/item_tags.parquet`` and ``artifacts/graph.json`` when ``datagen tags build`` /
``datagen graph build`` wrote them, else tags fused in memory from the attribute-rule
evidence (the same evidence ``datagen tags build`` uses with no external files) and a graph
built in memory. The source used is returned as a label, so reports can say what they used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_GRAPH_PATH",
    "DEFAULT_TAGS_PATH",
    "load_catalogue",
    "load_graph_for",
    "load_tag_index",
]

DEFAULT_TAGS_PATH = Path("artifacts") / "item_tags.parquet"
DEFAULT_GRAPH_PATH = Path("artifacts") / "graph.json"


def load_catalogue(path: str | Path | None = None) -> Any:
    """A saved catalogue (``Catalogue.save`` Parquet) or the embedded default."""
    from datagen.catalogue import Catalogue, load_default_catalogue

    return Catalogue.load(path) if path is not None else load_default_catalogue()


def load_tag_index(path: str | Path | None, catalogue: Any) -> tuple[Any, str]:
    """``(TagIndex, source label)`` from ``path``, the default artifact, or rule evidence."""
    from datagen.tags import TagIndex

    if path is not None:
        return TagIndex.load(path), str(path)
    if DEFAULT_TAGS_PATH.is_file():
        return TagIndex.load(DEFAULT_TAGS_PATH), str(DEFAULT_TAGS_PATH)
    from datagen.tags import FusionPolicy, build_item_tags, rule_evidence
    from datagen.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    evidence = rule_evidence(catalogue, taxonomy)
    table = build_item_tags(catalogue, taxonomy, evidence, FusionPolicy())
    return TagIndex.from_table(table), "in-memory rule evidence (embedded taxonomy)"


def load_graph_for(path: str | Path | None, catalogue: Any) -> tuple[Any, str]:
    """``(graph, source label)`` from ``path``, the default artifact, or built in memory."""
    from datagen.graph import build_graph, load_graph

    if path is not None:
        return load_graph(path), str(path)
    if DEFAULT_GRAPH_PATH.is_file():
        return load_graph(DEFAULT_GRAPH_PATH), str(DEFAULT_GRAPH_PATH)
    return build_graph(catalogue), "built in memory from the catalogue"
