"""Item-level trigger tags: evidence loaders, fusion into yes / no / unknown, fast lookups.

Evidence from DoesTheDogDie votes, the IMDb Parents Guide, user tags, catalogue rules and LLM
tagging (source ``llm:<model>``) shares one schema (:data:`EVIDENCE_SCHEMA`); :func:`fuse`
turns it into one tag per (item, trait) (:data:`ITEM_TAGS_SCHEMA`) under a documented
:class:`FusionPolicy`; :class:`TagIndex` answers status questions for later stages.
No evidence means ``unknown``, never ``no``. Input formats: docs/tags.md.
"""

from __future__ import annotations

from datagen.tags.curated import CURATED_SOURCE, load_curated
from datagen.tags.ddd import load_ddd_votes
from datagen.tags.defaults import default_evidence, default_tag_index
from datagen.tags.evidence import (
    EVIDENCE_SCHEMA,
    EvidenceBatch,
    evidence_frame,
    evidence_rows,
    load_evidence_file,
    write_evidence_file,
)
from datagen.tags.fusion import (
    ITEM_TAGS_SCHEMA,
    FusionReport,
    FusionResult,
    build_item_tags,
    fuse,
)
from datagen.tags.index import ItemSafety, TagIndex, read_item_tags_table, write_item_tags
from datagen.tags.models import Evidence, FusionPolicy, ItemTraitTag, TagStatus, UnknownPolicy
from datagen.tags.parents_guide import category_key, load_parents_guide
from datagen.tags.rules import rule_evidence, user_tag_evidence

__all__ = [
    "CURATED_SOURCE",
    "EVIDENCE_SCHEMA",
    "ITEM_TAGS_SCHEMA",
    "Evidence",
    "EvidenceBatch",
    "FusionPolicy",
    "FusionReport",
    "FusionResult",
    "ItemSafety",
    "ItemTraitTag",
    "TagIndex",
    "TagStatus",
    "UnknownPolicy",
    "build_item_tags",
    "category_key",
    "default_evidence",
    "default_tag_index",
    "evidence_frame",
    "evidence_rows",
    "fuse",
    "load_curated",
    "load_ddd_votes",
    "load_evidence_file",
    "load_parents_guide",
    "read_item_tags_table",
    "rule_evidence",
    "user_tag_evidence",
    "write_evidence_file",
    "write_item_tags",
]
