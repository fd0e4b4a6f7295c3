"""Save and load the attribute graph as JSON (never pickle).

Format (``saferec-graph`` version 1), gzip-compressed when the path ends in ``.gz``::

    {"format": "saferec-graph", "version": 1, "graph": {...graph attributes...},
     "nodes": [[node_id, {attributes}], ...],
     "edges": [[source_index, target_index, key, {attributes}], ...]}

Edges refer to nodes by their position in ``nodes``, which keeps the file about half the size
of networkx's node-link form. Node, edge and graph attributes must be JSON values (strings,
numbers, booleans, null, lists, objects); the round trip is exact for those.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import networkx as nx

from datagen.errors import InputError
from datagen.graph.fill import add_edges_fast, gc_paused
from datagen.parquet_io import atomic_write_bytes

__all__ = ["GRAPH_FORMAT", "load_graph", "save_graph"]

GRAPH_FORMAT = "saferec-graph"
_VERSION = 1


def save_graph(g: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``g`` atomically as JSON (gzip when ``path`` ends with ``.gz``)."""
    path = Path(path)
    index = {node: i for i, node in enumerate(g.nodes)}
    doc = {
        "format": GRAPH_FORMAT,
        "version": _VERSION,
        "graph": dict(g.graph),
        "nodes": [[node, data] for node, data in g.nodes(data=True)],
        "edges": [[index[u], index[v], k, d] for u, v, k, d in g.edges(keys=True, data=True)],
    }
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    return atomic_write_bytes(data, path)


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
        add_edges_fast(g, ((names[u], names[v], k, d) for u, v, k, d in doc["edges"]))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(f"malformed graph content ({exc!r})", file=path, field="edges") from exc
    return g
