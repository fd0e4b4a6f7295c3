"""The movie-attribute graph: items linked to genres, people, ratings, user tags and triggers.

Build it with :func:`build_graph`, persist it with :func:`save_graph` / :func:`load_graph`
(JSON, no pickle), rank films near a liked set with :func:`related_items` and draw coherent
preference profiles with :func:`sample_profile`.
"""

from __future__ import annotations

from datagen.graph.build import DEFAULT_MAX_CAST, build_graph
from datagen.graph.io import load_graph, save_graph
from datagen.graph.nodes import ATTRIBUTE_KINDS, PREFERENCE_KINDS, item_id_of, item_node
from datagen.graph.related import (
    RelatedIndex,
    clear_related_cache,
    related_items,
    sample_profile,
)
from datagen.graph.stats import GraphStats, graph_stats

__all__ = [
    "ATTRIBUTE_KINDS",
    "DEFAULT_MAX_CAST",
    "PREFERENCE_KINDS",
    "GraphStats",
    "RelatedIndex",
    "build_graph",
    "clear_related_cache",
    "graph_stats",
    "item_id_of",
    "item_node",
    "load_graph",
    "related_items",
    "sample_profile",
    "save_graph",
]
