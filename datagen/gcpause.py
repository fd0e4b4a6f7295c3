"""Pause Python's cyclic garbage collector around bulk object construction.

Loading the catalogue, indexing titles and building the graph allocate hundreds of
thousands of small containers and create no reference cycles; with the collector on,
repeated generational passes over the growing heap cost a large share of those builds.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic GC inside the block; restore its previous state afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
