"""Node ids and node / edge kinds of the movie-attribute graph.

Node ids are plain strings with a type prefix (``item:tt0468569``, ``genre:drama``) so that a
saved graph is readable JSON and any owner can address a node without importing this module.
Attribute values are normalized (lower case, collapsed whitespace) so that "Drama" and
"drama " land on one node; the original spelling is kept in the node's ``label``.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = [
    "ATTRIBUTE_KINDS",
    "PREFERENCE_KINDS",
    "genre_node",
    "item_id_of",
    "item_node",
    "node_type",
    "norm_value",
    "person_node",
    "pg_node",
    "rating_node",
    "tag_node",
    "topic_node",
    "trait_node",
]

#: Edge kinds from an item to an attribute node (the node type equals the edge kind).
ATTRIBUTE_KINDS: tuple[str, ...] = ("genre", "person", "rating", "tag", "topic", "pg", "trait")
#: Kinds that describe what a film *is like*; trigger kinds (topic, pg, trait) are left out of
#: preference proximity by default so that safety labels never shape ground-truth candidates.
PREFERENCE_KINDS: tuple[str, ...] = ("genre", "person", "rating", "tag")


@lru_cache(maxsize=262_144)
def norm_value(text: str) -> str:
    """Lower-case, trim and collapse whitespace: the key part of an attribute node id."""
    return " ".join(str(text).split()).lower()


def item_node(item_id: str) -> str:
    return f"item:{item_id}"


def item_id_of(node: str) -> str:
    """The catalogue item id of an ``item:`` node (raises ValueError for other nodes)."""
    if not node.startswith("item:"):
        raise ValueError(f"not an item node: {node!r}")
    return node[5:]


def genre_node(genre: str) -> str:
    return f"genre:{norm_value(genre)}"


def person_node(name: str) -> str:
    return f"person:{norm_value(name)}"


def rating_node(mpaa: str) -> str:
    return f"rating:{norm_value(mpaa).upper()}"


def tag_node(tag: str) -> str:
    return f"tag:{norm_value(tag)}"


def topic_node(topic_id: int) -> str:
    return f"topic:{int(topic_id)}"


def pg_node(category: str, severity: str) -> str:
    return f"pg:{category}:{severity}"


def trait_node(trait_id: str) -> str:
    return f"trait:{trait_id}"


def node_type(node: str) -> str:
    """The type prefix of a node id (``item``, ``genre``, ``person``...)."""
    return node.split(":", 1)[0]
