"""The safety-sensitivity taxonomy: models, the validating loader and the one leak check.

``load_taxonomy()`` returns the embedded, validated ``taxonomies/saferec-v1.yaml``; every later
stage receives the :class:`Taxonomy` object and asks :class:`LeakMatcher` whether a text
states a trait outright.
"""

from datagen.taxonomy.leaks import LeakMatcher, find_leaks, normalize_text
from datagen.taxonomy.loader import content_hash, default_taxonomy_path, load_taxonomy
from datagen.taxonomy.models import (
    PG_CATEGORIES,
    SEVERITY_LEVELS,
    CueIdea,
    CueStrategy,
    DtddTopic,
    RuleConditions,
    Taxonomy,
    Trait,
    TraitFamily,
    WeakRule,
)

__all__ = [
    "PG_CATEGORIES",
    "SEVERITY_LEVELS",
    "CueIdea",
    "CueStrategy",
    "DtddTopic",
    "LeakMatcher",
    "RuleConditions",
    "Taxonomy",
    "Trait",
    "TraitFamily",
    "WeakRule",
    "content_hash",
    "default_taxonomy_path",
    "find_leaks",
    "load_taxonomy",
    "normalize_text",
]
