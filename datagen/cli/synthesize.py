"""`datagen synthesize` (work in progress: filled in by the owner of this stage)."""

from __future__ import annotations


def synthesize() -> None:
    """Not implemented yet."""
    raise NotImplementedError
