"""The evidence and tags of the embedded setup: one source of truth for every stage.

Without user evidence files (DoesTheDogDie votes, Parents Guide, MovieLens tags, LLM tags)
the project fuses the taxonomy's genre / MPAA rules with the shipped curated film evidence
(:mod:`datagen.tags.curated`). ``datagen tags build`` (with rules on), synthesis and
evaluation all call these functions, so tags built in memory are the same everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datagen.tags.curated import CURATED_SOURCE, load_curated
from datagen.tags.evidence import EvidenceBatch
from datagen.tags.ids import CatalogueLike
from datagen.tags.models import FusionPolicy
from datagen.tags.rules import rule_evidence
from datagen.taxonomy.models import Taxonomy

if TYPE_CHECKING:
    from datagen.tags.index import TagIndex

__all__ = [
    "DEFAULT_TAGS_LABEL",
    "RULES_ONLY_LABEL",
    "curated_applies",
    "default_evidence",
    "default_tag_index",
]

#: source label of tags built in memory from the default evidence (manifests, reports)
DEFAULT_TAGS_LABEL = f"built-in-memory:rule_evidence+{CURATED_SOURCE}"
#: label when the taxonomy lacks trait ids the curated file uses (rules only)
RULES_ONLY_LABEL = "built-in-memory:rule_evidence"


def curated_applies(taxonomy: Taxonomy) -> bool:
    """Whether the shipped curated file fits ``taxonomy`` (it uses saferec-v1 trait ids).

    A custom taxonomy without some of those ids gets rules only instead of an error, so the
    defaults keep working for any taxonomy.
    """
    from datagen.taxonomy import load_taxonomy

    return set(load_taxonomy().trait_ids) <= set(taxonomy.trait_ids)


def default_evidence(
    catalogue: CatalogueLike, taxonomy: Taxonomy, *, curated: bool = True
) -> list[EvidenceBatch]:
    """Rule evidence plus (unless ``curated=False``) the shipped curated film evidence."""
    batches = [rule_evidence(catalogue, taxonomy)]
    if curated and curated_applies(taxonomy):
        batches.append(load_curated(None, catalogue, taxonomy))
    return batches


def default_tag_index(
    catalogue: CatalogueLike, taxonomy: Taxonomy, policy: FusionPolicy | None = None
) -> tuple[TagIndex, str]:
    """``(TagIndex, source label)`` of the default evidence fused under ``policy``."""
    from datagen.tags.fusion import build_item_tags
    from datagen.tags.index import TagIndex

    batches = default_evidence(catalogue, taxonomy)
    table = build_item_tags(catalogue, taxonomy, batches, policy or FusionPolicy())
    label = DEFAULT_TAGS_LABEL if len(batches) > 1 else RULES_ONLY_LABEL
    return TagIndex.from_table(table), label
