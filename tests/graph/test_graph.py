"""Graph build, JSON round trip, statistics, related items and profile sampling."""

from __future__ import annotations

import gzip
import json
import random

import networkx as nx
import polars as pl
import pytest

from datagen.errors import InputError
from datagen.graph import (
    RelatedIndex,
    build_graph,
    clear_related_cache,
    graph_stats,
    load_graph,
    related_items,
    sample_profile,
    save_graph,
)
from datagen.graph.fill import add_edges_fast
from datagen.tags import Evidence, evidence_frame


def _edges(g: nx.MultiDiGraph, u: str, v: str) -> list[dict]:
    return [d for _, t, d in g.out_edges(u, data=True) if t == v]


def test_nodes_and_typed_edges(catalogue):
    g = build_graph(catalogue)
    assert g.nodes["item:tt0000001"] == {"type": "item", "label": "Space Horror (1979)",
                                         "year": 1979}
    assert g.nodes["genre:science fiction"] == {"type": "genre", "label": "Science Fiction"}
    assert _edges(g, "item:tt0000001", "rating:R") == [
        {"kind": "rating", "source": "test", "weight": 1.0}]
    # a writer-director has one edge per role (hence a multigraph)
    roles = sorted(d["role"] for d in _edges(g, "item:tt0000002", "person:jim ron"))
    assert roles == ["director", "writer"]
    for _, _, d in g.edges(data=True):
        assert {"kind", "source", "weight"} <= set(d)
    assert g.out_degree("item:tt0000006") == 0


def test_max_cast_caps_cast_edges(catalogue):
    g = build_graph(catalogue, max_cast=1)
    cast = [d for _, _, d in g.out_edges("item:tt0000001", data=True) if d.get("role") == "cast"]
    assert len(cast) == 1


def test_user_tags_and_trigger_tags(catalogue):
    user_tags = [("tt0000001", "Scary", 2), ("tt0000001", "scary ", 1), ("tt9", "x", 1)]
    tags = pl.DataFrame({
        "item_id": ["tt0000001", "tt0000003"], "trait_id": ["gore", "gore"],
        "status": ["yes", "no"], "score": [1.0, 0.2], "ddd_hit": [1.0, None],
        "pg_risk": [None, 0.2], "sources": [["ddd"], ["parents_guide"]],
        "evidence": [["line"], ["line"]],
    })
    g = build_graph(catalogue, user_tags=user_tags, item_tags=tags)
    assert _edges(g, "item:tt0000001", "tag:scary") == [
        {"kind": "tag", "source": "user_tag", "weight": 3.0}]
    assert "item:tt9" not in g
    assert _edges(g, "item:tt0000001", "trait:gore")[0]["weight"] == 1.0
    assert not _edges(g, "item:tt0000003", "trait:gore")  # only yes tags become edges


def test_evidence_adds_topic_and_parents_guide_nodes(catalogue):
    ev = evidence_frame([
        Evidence(item_id="tt0000001", source="ddd", topic_id=153, yes_votes=9, no_votes=1,
                 polarity="present", confidence=0.9),
        Evidence(item_id="tt0000002", source="ddd", topic_id=153, yes_votes=0, no_votes=9,
                 polarity="absent", confidence=1.0),
        Evidence(item_id="tt0000001", source="parents_guide", pg_category="violence_gore",
                 severity=3, polarity="present", confidence=1.0),
    ])
    g = build_graph(catalogue, item_tags=ev.to_arrow())
    assert _edges(g, "item:tt0000001", "topic:153")[0]["weight"] == 0.9
    assert not _edges(g, "item:tt0000002", "topic:153")
    assert _edges(g, "item:tt0000001", "pg:violence_gore:severe") == [
        {"kind": "pg", "source": "parents_guide", "weight": 1.0}]


def test_stats(catalogue):
    stats = graph_stats(build_graph(catalogue, user_tags=[("tt0000003", "calm", 1)]))
    assert stats.nodes_by_type["item"] == 7
    assert stats.nodes_by_type["tag"] == 1
    assert stats.edges_by_kind["rating"] == 4
    assert stats.isolated_items == 1
    assert stats.edges == sum(stats.edges_by_kind.values())


@pytest.mark.parametrize("name", ["graph.json", "graph.json.gz"])
def test_round_trip_is_exact(tmp_path, catalogue, name):
    g = build_graph(catalogue, user_tags=[("tt0000001", "space", 4)])
    path = save_graph(g, tmp_path / name)
    h = load_graph(path)
    assert list(h.nodes(data=True)) == list(g.nodes(data=True))
    assert list(h.edges(keys=True, data=True)) == list(g.edges(keys=True, data=True))
    assert h.graph == g.graph
    assert isinstance(h, nx.MultiDiGraph)
    if name.endswith(".gz"):
        assert json.loads(gzip.decompress(path.read_bytes()))["format"] == "saferec-graph"


def test_round_trip_keeps_value_types_and_lists(tmp_path):
    g = nx.MultiDiGraph(note="x")
    g.add_node("item:a", type="item", year=None)
    g.add_node("tag:b", type="tag", label="b")
    g.add_edge("item:a", "tag:b", kind="tag", source="s", weight=1)
    g.add_edge("item:a", "tag:b", kind="tag", source="s", weight=1.0)
    g.add_edge("item:a", "tag:b", key="named", kind="tag", source="s", weight=True,
               extra=["x", 1])
    h = load_graph(save_graph(g, tmp_path / "g.json"))
    got = [(k, d, [type(x) for x in d.values()]) for _, _, k, d in h.edges(keys=True, data=True)]
    want = [(k, d, [type(x) for x in d.values()]) for _, _, k, d in g.edges(keys=True, data=True)]
    assert got == want
    first, second, _ = (d for _, _, d in h.edges(data=True))
    first["weight"] = 5  # each loaded edge owns its dict
    assert second["weight"] == 1.0


def test_fast_edge_insertion_equals_networkx(catalogue):
    g = build_graph(catalogue)
    edges = list(g.edges(keys=True, data=True))
    slow = nx.MultiDiGraph()
    slow.add_nodes_from(g.nodes(data=True))
    slow.add_edges_from((u, v, d) for u, v, _, d in edges)  # keys chosen by networkx
    fast = nx.MultiDiGraph()
    fast.add_nodes_from(g.nodes(data=True))
    add_edges_fast(fast, ((u, v, None, d) for u, v, _, d in edges))
    assert nx.utils.graphs_equal(slow, fast)
    assert list(slow.edges(keys=True, data=True)) == list(fast.edges(keys=True, data=True))
    assert list(slow.in_edges(keys=True)) == list(fast.in_edges(keys=True))
    with pytest.raises(KeyError):
        add_edges_fast(fast, [("item:tt0000001", "genre:nope", None, {})])


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="graph file not found"):
        load_graph(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(InputError, match="not a readable graph JSON"):
        load_graph(bad)
    bad.write_text(json.dumps({"directed": True, "nodes": [], "links": []}))
    with pytest.raises(InputError, match="field 'format'"):
        load_graph(bad)


def test_related_items_prefer_the_sequel_and_rare_attributes(catalogue):
    g = build_graph(catalogue)
    ranked = related_items(g, ["tt0000001"], k=10)
    assert ranked[0][0] == "tt0000002"  # the sequel: shared writer, cast, genre, rating
    assert all(item != "tt0000001" for item, _ in ranked)
    # sharing a director (2 films) beats sharing a genre (3 films)
    drama = dict(related_items(g, ["tt0000003"], k=10))
    assert drama["tt0000005"] > drama["tt0000004"]
    assert "tt0000006" not in drama  # shares nothing, never listed
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)


def test_related_items_k_exclude_and_unknown_ids(catalogue):
    g = build_graph(catalogue)
    assert len(related_items(g, ["tt0000003"], k=1)) == 1
    got = related_items(g, ["tt0000003", "tt404"], k=10, exclude=["tt0000005"])
    assert "tt0000005" not in dict(got)
    assert related_items(g, ["tt404"]) == []


def test_trigger_kinds_are_opt_in(catalogue):
    tags = pl.DataFrame({"item_id": ["tt0000003", "tt0000006"], "trait_id": ["gore", "gore"],
                         "status": ["yes", "yes"], "score": [1.0, 1.0], "ddd_hit": [1.0, 1.0],
                         "pg_risk": [None, None], "sources": [["ddd"], ["ddd"]],
                         "evidence": [[], []]})
    g = build_graph(catalogue, item_tags=tags)
    assert "tt0000006" not in dict(related_items(g, ["tt0000003"]))
    with_traits = related_items(g, ["tt0000003"], kinds=("genre", "trait"))
    assert "tt0000006" in dict(with_traits)


def test_cache_follows_the_graph(catalogue):
    g = build_graph(catalogue)
    before = related_items(g, ["tt0000003"])
    g.add_edge("item:tt0000006", "genre:drama", kind="genre", source="x", weight=1.0)
    clear_related_cache(g)
    assert "tt0000006" in dict(related_items(g, ["tt0000003"]))
    assert "tt0000006" not in dict(before)
    index = RelatedIndex.from_graph(g)
    assert set(index.item_ids) == {f"tt000000{i}" for i in range(1, 8)}


def test_sample_profile_is_seeded_and_coherent(catalogue):
    g = build_graph(catalogue)
    a = sample_profile(g, random.Random(7), 2)
    assert a == sample_profile(g, random.Random(7), 2)
    assert len(a) == 2 and len(set(a)) == 2
    assert a[1] in dict(related_items(g, a[:1]))
    assert sample_profile(g, random.Random(1), 0) == []
    assert len(sample_profile(g, random.Random(1), 50)) <= 6  # only connected items


@pytest.mark.slow
def test_full_catalogue_sequel_and_speed():
    import time

    from datagen.catalogue import load_default_catalogue

    g = build_graph(load_default_catalogue())
    ranked = [item for item, _ in related_items(g, ["tt0372784"], k=5)]  # Batman Begins
    assert "tt0468569" in ranked  # The Dark Knight
    profile = ["tt0372784", "tt0468569", "tt0110912", "tt0109830", "tt0120338"]
    started = time.perf_counter()
    for _ in range(10):
        related_items(g, profile, k=50)
    assert (time.perf_counter() - started) / 10 < 0.05
