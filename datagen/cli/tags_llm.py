"""`datagen tags llm` (work in progress: filled in by the owner of LLM tagging)."""

from __future__ import annotations


def tags_llm() -> None:
    """Not implemented yet."""
    raise NotImplementedError
