"""`datagen baseline` (work in progress: filled in by the owner of this stage)."""

from __future__ import annotations


def baseline() -> None:
    """Not implemented yet."""
    raise NotImplementedError
