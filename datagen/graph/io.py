"""Save and load the attribute graph as JSON (never pickle).

Format (``saferec-graph`` version 1), gzip-compressed when the path ends in ``.gz``::

    {"format": "saferec-graph", "version": 1, "graph": {...graph attributes...},
     "nodes": [[node_id, {attributes}], ...],
     "edge_attrs": [{attributes}, ...],
     "edges": [[source_index, target_index, key, edge_attrs_index], ...]}

Edges refer to nodes by position in ``nodes`` and to their attribute dict by position in
``edge_attrs``: the ~200k edges of the full catalogue share a few hundred distinct attribute
dicts, so the file stays small and (de)serializing it is fast. Each loaded edge gets its own
copy of its dict. Node, edge and graph attributes must be JSON values (strings, numbers,
booleans, null, lists, objects); the round trip is exact for those.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import networkx as nx

from datagen.errors import InputError
from datagen.gcpause import gc_paused
from datagen.graph.fill import add_edges_fast
from datagen.parquet_io import atomic_write_bytes

__all__ = ["GRAPH_FORMAT", "load_graph", "save_graph"]

GRAPH_FORMAT = "saferec-graph"
_VERSION = 1


def save_graph(g: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``g`` atomically as JSON (gzip when ``path`` ends with ``.gz``)."""
    path = Path(path)
    with gc_paused():
        attrs, edges = _edge_table(g)
    doc = {
        "format": GRAPH_FORMAT,
        "version": _VERSION,
        "graph": dict(g.graph),
        "nodes": [[node, data] for node, data in g.nodes(data=True)],
        "edge_attrs": attrs,
        "edges": edges,
    }
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    return atomic_write_bytes(data, path)


def _edge_table(g: nx.MultiDiGraph) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """Distinct edge attribute dicts, and per edge ``[u_index, v_index, key, attrs_index]``."""
    index = {node: i for i, node in enumerate(g.nodes)}
    attr_sets: dict[Any, int] = {}
    attrs: list[dict[str, Any]] = []
    edges: list[list[Any]] = []
    succ = g._succ if isinstance(getattr(g, "_succ", None), dict) else g.succ  # no view layers
    for u, nbrs in succ.items():
        ui = index[u]
        for v, keyed in nbrs.items():
            vi = index[v]
            for k, d in keyed.items():
                try:  # the value types are part of the signature: 1 and 1.0 stay apart
                    sig: Any = (tuple(d.items()), tuple(map(type, d.values())))
                    pos = attr_sets.get(sig)
                except TypeError:  # unhashable values (lists, dicts): key by their JSON
                    sig = json.dumps([list(d.items()), [type(x).__name__ for x in d.values()]])
                    pos = attr_sets.get(sig)
                if pos is None:
                    pos = attr_sets[sig] = len(attrs)
                    attrs.append(d)
                edges.append([ui, vi, k, pos])
    return attrs, edges


def load_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read a graph written by :func:`save_graph`; bad files raise a one-line InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError("graph file not found (run `datagen graph build`)", file=path)
    raw = path.read_bytes()
    with gc_paused():
        try:
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            doc = json.loads(raw)
        except (OSError, ValueError) as exc:
            raise InputError(f"not a readable graph JSON file ({exc})", file=path) from exc
        if not isinstance(doc, dict) or doc.get("format") != GRAPH_FORMAT:
            raise InputError(f"not a {GRAPH_FORMAT} file", file=path, field="format")
        if doc.get("version") != _VERSION:
            raise InputError(
                f"unsupported version {doc.get('version')!r}", file=path, field="version"
            )
        return _from_doc(doc, path)


def _from_doc(doc: dict[str, Any], path: Path) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(**doc.get("graph", {}))
    try:
        nodes = [(node, data) for node, data in doc["nodes"]]
        g.add_nodes_from(nodes)
        names = [node for node, _ in nodes]
        attrs = doc["edge_attrs"]
        add_edges_fast(g, ((names[u], names[v], k, dict(attrs[a])) for u, v, k, a in doc["edges"]))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(f"malformed graph content ({exc!r})", file=path, field="edges") from exc
    return g
