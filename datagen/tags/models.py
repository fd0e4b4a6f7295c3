"""Evidence and fused item-level trigger tags, with provenance.

Every piece of evidence keeps where it came from (``source``: ``ddd``, ``parents_guide``,
``user_tag``, ``rule:genre``, ``rule:mpaa``, ``llm:<model>``, ``curated:<name>``) and how sure
it is. Fusion turns the evidence of one (item, trait) pair into an :class:`ItemTraitTag`
whose status is ``yes``, ``no`` or ``unknown``; no evidence means ``unknown``, never ``no``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Evidence", "FusionPolicy", "ItemTraitTag", "TagStatus", "UnknownPolicy"]


class TagStatus(StrEnum):
    yes = "yes"
    no = "no"
    unknown = "unknown"


class UnknownPolicy(StrEnum):
    """What a consumer does with ``unknown`` items (ground truth, rewards, metrics)."""

    exclude = "exclude"  # unknown is not safe: drop from ground truth / count separately
    allow = "allow"  # treat unknown as safe (the reference behaviour; must be chosen explicitly)
    penalize = "penalize"  # count unknown as a (weighted) violation


class Evidence(BaseModel):
    """One observation about an item and a trigger.

    Either ``topic_id`` (a DoesTheDogDie topic) or ``pg_category`` or ``trait_id`` says what
    the observation is about; fusion maps topics and categories to traits via the taxonomy.
    """

    model_config = ConfigDict(extra="forbid")

    item_id: str
    source: str
    topic_id: int | None = None
    pg_category: str | None = None
    trait_id: str | None = None
    #: "present" or "absent"
    polarity: str = Field(pattern="^(present|absent)$")
    #: confidence / score in [0, 1] (DDD: yes share; PG: severity/3; rules: rule weight)
    confidence: float = Field(ge=0.0, le=1.0)
    severity: int | None = Field(default=None, ge=0, le=3)
    yes_votes: int | None = None
    no_votes: int | None = None
    detail: str = ""  # human-readable: the matched tag, genre, LLM rationale...
    #: absence evidence that supports a "no" but cannot make one alone (a weak rule with
    #: ``decides_no: false`` in the taxonomy); fusion keeps it in sources and evidence lines
    supports_only: bool = False


class FusionPolicy(BaseModel):
    """How evidence becomes yes / no / unknown. Defaults reproduce the reference policy.

    ``final = max(ddd_hit, pg_risk, present rule / user-tag / LLM confidences)``; ``yes`` when
    ``final >= unsafe_threshold``. ``no`` needs affirmative absence evidence and nothing at
    or above ``present_blocks_no``; anything else is ``unknown``. See docs/tags.md.
    """

    model_config = ConfigDict(extra="forbid")

    unsafe_threshold: float = Field(default=0.66, ge=0.0, le=1.0)
    #: a DDD topic is a clear yes (or clear no) when that side has at least this vote share
    ddd_clear_yes: float = Field(default=0.75, ge=0.5, le=1.0)
    ddd_min_votes: int = Field(default=1, ge=1)
    #: minimum confidence of an "absent" observation for it to make the status "no"
    absent_min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    #: present evidence at or above this confidence keeps a pair out of "no" even when
    #: absence evidence exists (conflicting signals stay "unknown"); 1.0 disables the guard
    present_blocks_no: float = Field(default=0.5, ge=0.0, le=1.0)


class ItemTraitTag(BaseModel):
    """The fused tag of one (item, trait) pair: one row of ``item_tags.parquet``."""

    model_config = ConfigDict(extra="forbid")

    item_id: str
    trait_id: str
    status: TagStatus
    score: float = Field(ge=0.0, le=1.0)
    ddd_hit: float | None = None
    pg_risk: float | None = None
    sources: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)  # one human-readable line per evidence
