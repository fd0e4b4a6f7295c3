"""Counts of nodes per type and edges per kind: what `datagen graph stats` prints."""

from __future__ import annotations

from collections import Counter

import networkx as nx
from pydantic import BaseModel, ConfigDict

__all__ = ["GraphStats", "graph_stats"]


class GraphStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nodes: int
    edges: int
    nodes_by_type: dict[str, int]
    edges_by_kind: dict[str, int]
    #: items with no attribute edge at all (isolated films cannot be related to anything)
    isolated_items: int


def graph_stats(g: nx.MultiDiGraph) -> GraphStats:
    """Node counts per ``type`` and edge counts per ``kind`` (sorted by name)."""
    node_types = Counter(d.get("type", "?") for _, d in g.nodes(data=True))
    edge_kinds = Counter(d.get("kind", "?") for _, _, d in g.edges(data=True))
    isolated = sum(
        1 for n, d in g.nodes(data=True) if d.get("type") == "item" and g.out_degree(n) == 0
    )
    return GraphStats(
        nodes=g.number_of_nodes(),
        edges=g.number_of_edges(),
        nodes_by_type=dict(sorted(node_types.items())),
        edges_by_kind=dict(sorted(edge_kinds.items())),
        isolated_items=isolated,
    )
