"""Pydantic models of the safety-sensitivity taxonomy (one source of truth for traits).

The YAML file in ``taxonomies/`` is validated into these models by
:func:`datagen.taxonomy.load_taxonomy`; every later stage (tagging, synthesis, verification,
annotation, exports, evaluation) receives a :class:`Taxonomy` object and never re-reads YAML.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = [
    "PG_CATEGORIES",
    "SEVERITY_LEVELS",
    "CueIdea",
    "CueStrategy",
    "DtddTopic",
    "RuleConditions",
    "Taxonomy",
    "Trait",
    "TraitFamily",
    "WeakRule",
]

#: IMDb Parents Guide categories, in the order the reference work stores weights.
PG_CATEGORIES: tuple[str, ...] = (
    "sex_nudity",
    "violence_gore",
    "profanity",
    "alcohol_drugs_smoking",
    "frightening_intense",
)
#: Parents Guide severities; the index is the numeric severity used by ``pg_risk``.
SEVERITY_LEVELS: tuple[str, ...] = ("none", "mild", "moderate", "severe")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TraitFamily(StrEnum):
    phobia = "phobia"
    trauma = "trauma"
    self_harm = "self_harm"
    substance = "substance"
    health = "health"
    identity_respect = "identity_respect"
    child_safety = "child_safety"
    violence = "violence"
    content_preference = "content_preference"


class CueStrategy(StrEnum):
    """How a user reveals a sensitivity without naming it."""

    life_event = "life_event"
    behaviour = "behaviour"
    indirect_reference = "indirect_reference"
    third_party = "third_party"
    preference_pattern = "preference_pattern"


class DtddTopic(_Strict):
    """A DoesTheDogDie topic the taxonomy uses (ids as in DoesTheDogDie's topic list)."""

    id: int
    label: str
    category: str


class RuleConditions(_Strict):
    """Catalogue metadata that contradicts a weak rule (``unless:``): any match voids it.

    A film matches when its MPAA rating equals one of ``mpaa``, one of its genres equals
    one of ``genre`` (case-insensitive, like the rules themselves) or its year is inside
    ``years``.
    """

    mpaa: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    genre: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    #: released in this inclusive year range, e.g. ``[1968, 1971]``: the MPAA's first years,
    #: when G also went to films later rated PG (Planet of the Apes, Airport)
    years: tuple[int, int] | None = None

    @field_validator("years")
    @classmethod
    def _ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"years must be [first, last], got {list(value)}")
        return value


class WeakRule(_Strict):
    """Weak evidence from catalogue metadata.

    ``kind`` says which attribute is read, ``value`` what it must equal (genre name, MPAA
    rating) or contain (user-tag keyword, matched on word boundaries after normalization).
    ``polarity`` says whether the rule is evidence that the trigger is present or absent;
    ``weight`` in [0, 1] is the confidence the rule gives.

    Absence rules must say what they are worth alone (the loader requires it):
    ``decides_no: true`` lets the rule make a pair ``no`` by itself; ``decides_no: false``
    keeps it as supporting evidence (in the tag's sources and evidence lines) that never
    makes ``no`` on its own. ``unless`` lists ratings / genres that contradict the rule: on
    such a film the rule counts for nothing. ``why`` is the reasoning, required for absence
    rules and for rules with ``unless``.
    """

    kind: str = Field(pattern="^(genre|mpaa|tag_keyword)$")
    value: str = Field(min_length=1)
    polarity: str = Field(default="present", pattern="^(present|absent)$")
    weight: float = Field(ge=0.0, le=1.0)
    decides_no: bool | None = Field(default=None, validate_default=True)
    unless: RuleConditions | None = None
    why: str | None = Field(default=None, min_length=20, validate_default=True)

    @field_validator("decides_no")
    @classmethod
    def _absence_rules_decide_explicitly(cls, value: bool | None,
                                         info: ValidationInfo) -> bool | None:
        polarity = info.data.get("polarity")
        if polarity == "absent" and value is None:
            raise ValueError("an absence rule must say whether it can make a film 'no' on its "
                             "own (decides_no: true) or only supports other evidence "
                             "(decides_no: false)")
        if polarity == "present" and value is not None:
            raise ValueError("only absence rules can decide 'no'; remove decides_no from a "
                             "present rule")
        return value

    @field_validator("why")
    @classmethod
    def _reasoned(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("polarity") == "absent":
            raise ValueError("an absence rule needs a why: (the reasoning behind it)")
        if value is None and info.data.get("unless") is not None:
            raise ValueError("a rule with unless needs a why: (the reasoning behind it)")
        return value

    @property
    def supports_only(self) -> bool:
        """An absence rule that may support a ``no`` but never decide it alone."""
        return self.polarity == "absent" and not self.decides_no


class CueIdea(_Strict):
    """One idea for an implicit cue: what the user might say, never naming the trait."""

    strategy: CueStrategy
    text: str = Field(min_length=8)


class Trait(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    family: TraitFamily
    description: str
    dtdd_topics: list[int] = Field(default_factory=list)
    #: Parents Guide category -> weight in [0, 1] (keys from :data:`PG_CATEGORIES`).
    pg_weights: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)
    weak_rules: list[WeakRule] = Field(default_factory=list)
    #: why catalogue metadata can (or cannot) say "no" for this trait: the trait-level
    #: reasoning behind its absence rules, or behind having none
    weak_rules_why: str | None = Field(default=None, min_length=20)
    leak_terms: list[str] = Field(min_length=1)
    cues: list[CueIdea] = Field(min_length=8)
    #: plain first-person statements of the sensitivity, for the ``explicit`` context variant
    #: and simulated users who are asked about it; each must contain one of the trait's own
    #: leak terms (the one leak matcher must read it as explicit) and none of another trait's
    explicit_cues: list[Annotated[str, Field(min_length=8)]] = Field(default_factory=list)
    reference_name: str | None = None  # the trait's name in the reference work, if any


class Taxonomy(_Strict):
    name: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    domain: str = "movies"
    description: str = ""
    topics: list[DtddTopic]
    traits: list[Trait]
    #: sha256 of the canonical JSON of the file's content (set by the loader).
    content_hash: str = ""
    source_path: str | None = None

    def trait(self, trait_id: str) -> Trait:
        for t in self.traits:
            if t.id == trait_id:
                return t
        raise KeyError(trait_id)

    @property
    def trait_ids(self) -> list[str]:
        return [t.id for t in self.traits]

    @property
    def version_tag(self) -> str:
        """``name@version+hash12``: what manifests and records store."""
        return f"{self.name}@{self.version}+{self.content_hash[:12]}"
