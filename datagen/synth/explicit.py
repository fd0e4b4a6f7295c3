"""The taxonomy's plain statements of each trait (``Trait.explicit_cues``), chosen stably.

The ``explicit`` context variant puts one in the planned user turn, the ``acquisition``
variant in the user's answer to the assistant's question, and simulated users say one when a
recommender asks about the trait. The choice depends only on the trait and a seed (the plan
entry's, or the sample id), so the variants of one user and a rerun agree.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from datagen.errors import ConfigError
from datagen.taxonomy.models import Taxonomy

__all__ = ["ExplicitCues", "explicit_cue_bank", "explicit_statement"]

#: trait id -> the taxonomy's plain statements of it
ExplicitCues = Mapping[str, Sequence[str]]


def explicit_cue_bank(taxonomy: Taxonomy) -> dict[str, list[str]]:
    """Every trait's plain statements, by trait id."""
    return {t.id: list(t.explicit_cues) for t in taxonomy.traits}


def explicit_statement(bank: ExplicitCues, trait_id: str, seed: object) -> str:
    """One of the trait's plain statements, chosen by ``seed`` (ConfigError if it has none)."""
    statements = bank.get(trait_id) or ()
    if not statements:
        raise ConfigError(f"trait {trait_id!r} has no explicit_cues in the taxonomy: the "
                          "explicit and acquisition variants need them")
    return random.Random(f"{seed}:{trait_id}:explicit").choice(list(statements))
