"""Where evaluation and baselines get the catalogue, the trigger tags and the graph.

Scores are only meaningful with the tags and catalogue the ground truth was built with, so
the order is: an explicit path; else what the run's ``manifest.json`` (written by
``datagen synthesize``) says it used — a file, or tags / graph built in memory; else the
project defaults: ``artifacts/item_tags.parquet`` and ``artifacts/graph.json`` when
``datagen tags build`` / ``datagen graph build`` wrote them, else default-evidence tags
(rules + curated) and a graph built in memory from the embedded catalogue. Each loader
returns a label of the source it used, so reports can say what they used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_GRAPH_PATH",
    "DEFAULT_TAGS_PATH",
    "catalogue_warning",
    "load_catalogue",
    "load_graph_for",
    "load_tag_index",
    "run_input_path",
]

DEFAULT_TAGS_PATH = Path("artifacts") / "item_tags.parquet"
DEFAULT_GRAPH_PATH = Path("artifacts") / "graph.json"
_IN_MEMORY = "built-in-memory"


def _manifest(run_dir: str | Path | None) -> dict[str, Any]:
    if run_dir is None:
        return {}
    path = Path(run_dir) / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _run_path(run_dir: str | Path | None, key: str) -> tuple[Path | None, bool]:
    """``(path the run used for key, whether the run built it in memory)``."""
    manifest = _manifest(run_dir)
    config = manifest.get("config") or {}
    value = config.get(f"{key}_path")
    if value:
        return Path(value), False
    source = str((manifest.get("sources") or {}).get(key, ""))
    return None, source.startswith(_IN_MEMORY)


def run_input_path(run_dir: str | Path | None, key: str) -> Path | None:
    """The file the run's manifest says it used for ``key`` (``taxonomy``, ``tags``...)."""
    return _run_path(run_dir, key)[0]


def load_run_taxonomy(run_dir: str | Path | None,
                      taxonomy_path: str | Path | None = None) -> Any:
    """The taxonomy given, else the one the run was synthesized with, else the embedded one."""
    from datagen.taxonomy import load_taxonomy

    return load_taxonomy(taxonomy_path or run_input_path(run_dir, "taxonomy"))


def load_run_matcher(run_dir: str | Path | None, taxonomy_path: str | Path | None = None) -> Any:
    """The one leak matcher over :func:`load_run_taxonomy`."""
    from datagen.taxonomy.leaks import LeakMatcher

    return LeakMatcher(load_run_taxonomy(run_dir, taxonomy_path))


def load_catalogue(path: str | Path | None = None, run_dir: str | Path | None = None) -> Any:
    """A saved catalogue (``Catalogue.save`` Parquet), the run's, or the embedded default."""
    from datagen.catalogue import Catalogue, load_default_catalogue

    if path is None:
        path, _ = _run_path(run_dir, "catalogue")
    return Catalogue.load(path) if path is not None else load_default_catalogue()


def catalogue_warning(catalogue: Any, run_dir: str | Path | None) -> str | None:
    """A warning when the catalogue differs from the one the run was synthesized with."""
    expected = (_manifest(run_dir).get("catalogue") or {}).get("fingerprint")
    if expected and expected != catalogue.fingerprint:
        return (f"the catalogue (fingerprint {catalogue.fingerprint[:12]}) is not the one the "
                f"run used ({expected[:12]}): titles may resolve to other item ids")
    return None


def _input_path(
    path: str | Path | None, run_dir: str | Path | None, key: str, artifact: Path
) -> str | Path | None:
    """An explicit file, else the run's file, else the artifact; None = build in memory.

    A run that built its ``key`` in memory gets it built in memory again, not the artifact.
    """
    if path is not None:
        return path
    path, in_memory = _run_path(run_dir, key)
    if path is None and not in_memory and artifact.is_file():
        return artifact
    return path


def load_tag_index(
    path: str | Path | None, catalogue: Any, run_dir: str | Path | None = None
) -> tuple[Any, str]:
    """``(TagIndex, source label)``: explicit file, the run's tags, the artifact, or defaults."""
    from datagen.tags import TagIndex

    path = _input_path(path, run_dir, "tags", DEFAULT_TAGS_PATH)
    if path is not None:
        return TagIndex.load(path), str(path)
    from datagen.tags.defaults import default_tag_index
    from datagen.taxonomy import load_taxonomy

    taxonomy_path, _ = _run_path(run_dir, "taxonomy")
    taxonomy = load_taxonomy(taxonomy_path)
    return default_tag_index(catalogue, taxonomy)  # rules + shipped curated evidence


def load_graph_for(
    path: str | Path | None, catalogue: Any, run_dir: str | Path | None = None
) -> tuple[Any, str]:
    """``(graph, source label)``: explicit file, the run's graph, the artifact, or built."""
    from datagen.graph import build_graph, load_graph

    path = _input_path(path, run_dir, "graph", DEFAULT_GRAPH_PATH)
    if path is not None:
        return load_graph(path), str(path)
    return build_graph(catalogue), f"{_IN_MEMORY}:catalogue"
