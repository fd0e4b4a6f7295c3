"""`datagen evaluate` (work in progress: filled in by the owner of this stage)."""

from __future__ import annotations


def evaluate() -> None:
    """Not implemented yet."""
    raise NotImplementedError
