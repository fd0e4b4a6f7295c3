"""Build the movie-attribute graph from a catalogue, user tags and trigger tags.

The graph is a :class:`networkx.MultiDiGraph` with one node per catalogue item and one per
attribute value; every edge goes from an item to an attribute and carries ``kind`` (the
attribute type), ``source`` (where the fact came from) and ``weight``. Person edges also
carry ``role`` (director / writer / cast); a person who both wrote and directed a film has two
parallel edges, which is why the graph is a multigraph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import networkx as nx

from datagen.catalogue.models import Item
from datagen.gcpause import gc_paused
from datagen.graph.fill import add_edges_fast
from datagen.graph.nodes import (
    genre_node,
    item_node,
    norm_value,
    person_node,
    pg_node,
    rating_node,
    tag_node,
    topic_node,
    trait_node,
)

__all__ = ["DEFAULT_MAX_CAST", "CatalogueLike", "build_graph"]

#: Cast members kept per film, in source order. The bokeh catalogue lists cast
#: alphabetically, not by billing, so the cap only trims giant casts (96% of credits kept).
DEFAULT_MAX_CAST = 30
_SEVERITY_NAMES = ("none", "mild", "moderate", "severe")

Edge = tuple[str, str, dict[str, Any]]


class CatalogueLike(Protocol):
    """What the graph needs from a catalogue: its items."""

    @property
    def items(self) -> Sequence[Item]: ...


def build_graph(
    catalogue: CatalogueLike,
    *,
    user_tags: Iterable[tuple[str, str, int]] | None = None,
    item_tags: Any = None,
    max_cast: int = DEFAULT_MAX_CAST,
) -> nx.MultiDiGraph:
    """Build the attribute graph.

    ``user_tags`` are ``(item_id, tag, count)`` triples (MovieLens tags, see
    ``datagen.catalogue.sources.load_movielens_tags``). ``item_tags`` is a table (pyarrow or
    polars) of either fused tags (``item_tags.parquet``: yes tags become ``trait:`` edges) or
    evidence rows (DDD topics become ``topic:`` edges, Parents Guide rows ``pg:`` edges).
    Facts about items that are not in the catalogue are ignored. Cast lists are cut to
    ``max_cast`` names per film (source order) to bound hub sizes.
    """
    g = nx.MultiDiGraph(kind="saferec-attribute-graph")
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[Edge] = []
    with gc_paused():
        names = _NodeNames()
        for item in catalogue.items:
            _add_item(item, nodes, edges, max_cast, names)
        if user_tags is not None:
            _add_user_tags(user_tags, nodes, edges)
        if item_tags is not None:
            _add_item_tags(item_tags, nodes, edges)
        g.add_nodes_from(nodes.items())
        add_edges_fast(g, ((u, v, None, d) for u, v, d in edges))
    return g


class _NodeNames:
    """Memoized (kind, raw value) -> node id (people recur across many films); None = empty."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], str | None] = {}
        self._make = {"genre": genre_node, "person": person_node, "rating": rating_node}

    def make(self, kind: str, raw: str) -> str | None:
        return self._make[kind](raw) if norm_value(raw) else None


def _attr(nodes: dict[str, dict[str, Any]], node: str, kind: str, label: str) -> str:
    if node not in nodes:
        nodes[node] = {"type": kind, "label": label}
    return node


def _add_item(
    item: Item,
    nodes: dict[str, dict[str, Any]],
    edges: list[Edge],
    max_cast: int,
    names: _NodeNames,
) -> None:
    src = "+".join(item.sources) or "catalogue"
    me = item_node(item.item_id)
    nodes[me] = {"type": "item", "label": item.display, "year": item.year}
    facts = [("genre", "", g) for g in item.genres]
    facts += [("person", "director", p) for p in item.directors]
    facts += [("person", "writer", p) for p in item.writers]
    facts += [("person", "cast", p) for p in item.cast[:max_cast]]
    if item.mpaa_rating:
        facts.append(("rating", "", item.mpaa_rating))
    seen: set[tuple[str, str]] = set()
    ids, make = names.ids, names.make
    for kind, role, raw in facts:
        node = ids.get((kind, raw), "")
        if node == "":
            node = ids[(kind, raw)] = make(kind, raw)
        if node is None or (role, node) in seen:
            continue
        seen.add((role, node))
        if node not in nodes:
            nodes[node] = {"type": kind, "label": raw.strip()}
        if role:
            edges.append((me, node, {"kind": kind, "source": src, "weight": 1.0, "role": role}))
        else:
            edges.append((me, node, {"kind": kind, "source": src, "weight": 1.0}))


def _add_user_tags(
    user_tags: Iterable[tuple[str, str, int]],
    nodes: dict[str, dict[str, Any]],
    edges: list[Edge],
) -> None:
    counts: dict[tuple[str, str], int] = {}
    labels: dict[str, str] = {}
    for item_id, tag, count in user_tags:
        me = item_node(item_id)
        if me not in nodes or not norm_value(tag):
            continue
        node = tag_node(tag)
        labels.setdefault(node, tag.strip())
        counts[(me, node)] = counts.get((me, node), 0) + int(count)
    for (me, node), count in counts.items():
        _attr(nodes, node, "tag", labels[node])
        edges.append((me, node, {"kind": "tag", "source": "user_tag", "weight": float(count)}))


def _add_item_tags(table: Any, nodes: dict[str, dict[str, Any]], edges: list[Edge]) -> None:
    import polars as pl

    df = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    if {"status", "trait_id", "sources"} <= set(df.columns):
        rows = df.filter(pl.col("status") == "yes")
        rows = rows.select("item_id", "trait_id", "score", "sources")
        for item_id, trait_id, score, sources in rows.iter_rows():
            me = item_node(item_id)
            if me in nodes:
                v = _attr(nodes, trait_node(trait_id), "trait", trait_id)
                src = "+".join(sources) or "fusion"
                edges.append((me, v, {"kind": "trait", "source": src, "weight": float(score)}))
        return
    _add_evidence(df, nodes, edges)


def _add_evidence(df: Any, nodes: dict[str, dict[str, Any]], edges: list[Edge]) -> None:
    import polars as pl

    topics = df.filter(pl.col("topic_id").is_not_null() & (pl.col("polarity") == "present"))
    for item_id, topic_id, source, conf in topics.select(
        "item_id", "topic_id", "source", "confidence"
    ).iter_rows():
        me = item_node(item_id)
        if me in nodes:
            v = _attr(nodes, topic_node(topic_id), "topic", f"DoesTheDogDie topic {topic_id}")
            edges.append((me, v, {"kind": "topic", "source": source, "weight": float(conf)}))
    pg = df.filter(pl.col("pg_category").is_not_null() & pl.col("severity").is_not_null())
    for item_id, cat, sev, source in pg.select(
        "item_id", "pg_category", "severity", "source"
    ).iter_rows():
        me = item_node(item_id)
        if me in nodes:
            name = _SEVERITY_NAMES[int(sev)]
            v = _attr(nodes, pg_node(cat, name), "pg", f"{cat}: {name}")
            edges.append((me, v, {"kind": "pg", "source": source, "weight": int(sev) / 3}))
