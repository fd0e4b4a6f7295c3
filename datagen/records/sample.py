"""The SafeRec sample: one dialogue with its user's traits, cues, ground truth and checks.

This module is the single source of truth for the sample record. ``samples.parquet``,
the splits, the Argilla push/pull and every export read and write exactly this schema:
:data:`SAMPLE_SCHEMA` is derived from the pydantic model's fields by hand (explicit Arrow
types, never inferred from data) and every Parquet write passes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "SAMPLE_SCHEMA",
    "VARIANTS",
    "Cue",
    "DroppedCandidate",
    "Generation",
    "GroundTruthItem",
    "HumanVerdict",
    "ItemRef",
    "Sample",
    "TraitVote",
    "Turn",
    "UserDraw",
    "Verification",
    "dialogue_hash",
    "samples_to_table",
    "table_to_samples",
    "user_text",
]


#: plan-level context variants: ``implicit`` (the cue woven into the user's turns; what every
#: control gets), ``explicit`` (the user states the sensitivity plainly), ``absent`` (no cue)
#: ``acquisition``: the assistant asks about sensitivities before recommending and the user
#: answers (training data for RAISE-style asking; flagged by its variant)
VARIANTS = ("implicit", "explicit", "absent", "acquisition")


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Turn(_Rec):
    role: str = Field(pattern="^(user|assistant)$")
    content: str


class ItemRef(_Rec):
    item_id: str
    title: str
    year: int | None = None


class Cue(_Rec):
    """Where and how a trait shows in the dialogue."""

    trait_id: str
    strategy: str
    idea: str  # the cue idea from the taxonomy's bank
    turn_index: int  # index into ``messages`` of the user turn that carries it
    text: str  # the user's words that carry the cue


class GroundTruthItem(ItemRef):
    """A ground-truth film with how related it is to the liked films and why it is safe.

    ``relatedness`` is the film's graph score over the unfiltered best (1.0 = as related as
    the nearest film of the whole catalogue, safe or not); null when the user has no liked
    film in the graph (a real seed's recommendation with nothing to compare it to).
    ``unfiltered_rank`` is its 1-based place in the unfiltered neighbourhood (the seed's real
    recommendations first, then every film by graph score, unsafe ones included), so
    ``rank - position`` is how many unsafe or unknown films were passed over to reach it.
    """

    relatedness: float | None = None
    unfiltered_rank: int | None = None
    #: safe for some trait of the user only through the curated evidence file
    curated_only: bool = False
    #: ``unknown`` for some trait of the user (only with ``--unknown-policy allow``)
    unknown: bool = False


class UserDraw(_Rec):
    """How the simulated user behind a sample was drawn (see docs/synthesis.md, Users).

    A plan entry may draw several users (graph profiles or real seeds) for its fixed traits
    before one has usable ground truth; every draw is counted. ``liked_*`` count the (liked
    film, own trait) pairs by tag status; ``liked_yes`` is 0 by construction (kept so the
    statistics prove it rather than assume it).
    """

    attempts: int = 1
    #: reason of each rejected draw before this one, in order
    rejected: list[str] = Field(default_factory=list)
    liked_no: int = 0
    liked_unknown: int = 0
    liked_yes: int = 0
    #: a control user's taste was drawn as if they had these traits (matched controls: the
    #: trait cannot be read from what a user likes); empty for trait users
    taste_of: list[str] = Field(default_factory=list)

    @field_validator("taste_of", mode="before")
    @classmethod
    def _absent_is_empty(cls, v: object) -> object:
        return [] if v is None else v  # files written before the field existed


class DroppedCandidate(_Rec):
    """A relevant candidate that did not make the ground truth, and why."""

    item_id: str
    title: str
    year: int | None = None
    trait_id: str | None = None
    status: str  # "yes" (unsafe) | "unknown"
    score: float = 0.0
    reason: str  # e.g. "unsafe:self_harm (ddd 0.92)" or "unknown:arachnophobia"


class Generation(_Rec):
    backend: str  # "openai" | "anthropic" | "offline"
    model: str
    is_llm: bool  # False for the offline composer
    prompt_version: str
    temperature: float = 0.0
    seed: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached: bool = False
    attempts: int = 1
    raw_output: str = ""


class Verification(_Rec):
    passed: bool
    leak_passed: bool
    leak_hits: list[str] = Field(default_factory=list)
    schema_valid: bool = True
    judge_backend: str = ""
    judge_model: str = ""
    judge_is_llm: bool = False
    judge_traits: list[str] = Field(default_factory=list)
    #: share of the user's traits the judge named (1.0 for a control judged as "none")
    judge_agreement: float = 0.0
    inferable: bool = False
    ground_truth_safe: bool = True
    flags: list[str] = Field(default_factory=list)


class TraitVote(_Rec):
    """How many of a record's annotators ticked one trait label (``none`` included)."""

    trait: str
    votes: int


class HumanVerdict(_Rec):
    """Merged human verification from the Argilla loop (absent until ``annotate pull``)."""

    verdict: str  # "accepted" | "rejected" | "pending"
    votes: int = 0
    agreement: float | None = None
    traits: list[str] = Field(default_factory=list)  # majority of annotators' trait labels
    notes: str = ""
    #: every label ticked by at least one annotator, with its count (human inferability)
    trait_votes: list[TraitVote] = Field(default_factory=list)
    #: share of (annotator, planned trait) answers naming the trait; None: no cue to read
    inferability: float | None = None
    #: whether annotators saw the generator's traits pre-selected (None: not recorded)
    traits_suggested: bool | None = None

    @field_validator("trait_votes", mode="before")
    @classmethod
    def _absent_is_empty(cls, v: object) -> object:
        return [] if v is None else v  # files written before the column existed


class Sample(_Rec):
    sample_id: str
    pair_id: str | None = None
    variant: str = "implicit"  # one of VARIANTS
    domain: str = "movies"
    taxonomy_version: str
    seed_source: str  # "graph_profile" | "redial" | "reddit"
    seed_id: str  # split group key: no seed crosses splits
    traits: list[str] = Field(default_factory=list)  # empty = control sample
    cues: list[Cue] = Field(default_factory=list)
    messages: list[Turn]
    liked_items: list[ItemRef] = Field(default_factory=list)
    ground_truth: list[GroundTruthItem] = Field(default_factory=list)
    dropped_candidates: list[DroppedCandidate] = Field(default_factory=list)
    generation: Generation
    verification: Verification
    user: UserDraw = Field(default_factory=UserDraw)
    human: HumanVerdict | None = None
    content_hash: str = ""

    @field_validator("ground_truth", mode="before")
    @classmethod
    def _plain_refs(cls, value: object) -> object:
        """A plain :class:`ItemRef` is a ground-truth film without relatedness facts (kept
        so that code building samples by hand needs no change)."""
        if isinstance(value, list):
            return [v.model_dump() if type(v) is ItemRef else v for v in value]
        return value

    @property
    def is_control(self) -> bool:
        return not self.traits


def user_text(messages: Sequence[Turn]) -> str:
    """All user turns joined: what leak checks, judges and dialogue readers see."""
    return "\n".join(t.content for t in messages if t.role == "user")


def dialogue_hash(messages: list[Turn]) -> str:
    """sha256 over the normalized dialogue text: the exact-duplicate key."""
    h = hashlib.sha256()
    for t in messages:
        h.update(t.role.encode())
        h.update(b"\x1f")
        h.update(" ".join(t.content.lower().split()).encode())
        h.update(b"\x1e")
    return h.hexdigest()


_item_ref = pa.struct([("item_id", pa.string()), ("title", pa.string()), ("year", pa.int32())])
_gt_item = pa.struct([
    ("item_id", pa.string()), ("title", pa.string()), ("year", pa.int32()),
    ("relatedness", pa.float64()), ("unfiltered_rank", pa.int32()),
    ("curated_only", pa.bool_()), ("unknown", pa.bool_()),
])

SAMPLE_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("pair_id", pa.string()),
        ("variant", pa.string()),
        ("domain", pa.string()),
        ("taxonomy_version", pa.string()),
        ("seed_source", pa.string()),
        ("seed_id", pa.string()),
        ("traits", pa.list_(pa.string())),
        (
            "cues",
            pa.list_(
                pa.struct(
                    [
                        ("trait_id", pa.string()),
                        ("strategy", pa.string()),
                        ("idea", pa.string()),
                        ("turn_index", pa.int32()),
                        ("text", pa.string()),
                    ]
                )
            ),
        ),
        ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        ("liked_items", pa.list_(_item_ref)),
        ("ground_truth", pa.list_(_gt_item)),
        (
            "dropped_candidates",
            pa.list_(
                pa.struct(
                    [
                        ("item_id", pa.string()),
                        ("title", pa.string()),
                        ("year", pa.int32()),
                        ("trait_id", pa.string()),
                        ("status", pa.string()),
                        ("score", pa.float64()),
                        ("reason", pa.string()),
                    ]
                )
            ),
        ),
        (
            "generation",
            pa.struct(
                [
                    ("backend", pa.string()),
                    ("model", pa.string()),
                    ("is_llm", pa.bool_()),
                    ("prompt_version", pa.string()),
                    ("temperature", pa.float64()),
                    ("seed", pa.int64()),
                    ("input_tokens", pa.int64()),
                    ("output_tokens", pa.int64()),
                    ("cached", pa.bool_()),
                    ("attempts", pa.int32()),
                    ("raw_output", pa.string()),
                ]
            ),
        ),
        (
            "verification",
            pa.struct(
                [
                    ("passed", pa.bool_()),
                    ("leak_passed", pa.bool_()),
                    ("leak_hits", pa.list_(pa.string())),
                    ("schema_valid", pa.bool_()),
                    ("judge_backend", pa.string()),
                    ("judge_model", pa.string()),
                    ("judge_is_llm", pa.bool_()),
                    ("judge_traits", pa.list_(pa.string())),
                    ("judge_agreement", pa.float64()),
                    ("inferable", pa.bool_()),
                    ("ground_truth_safe", pa.bool_()),
                    ("flags", pa.list_(pa.string())),
                ]
            ),
        ),
        (
            "user",
            pa.struct(
                [
                    ("attempts", pa.int32()),
                    ("rejected", pa.list_(pa.string())),
                    ("liked_no", pa.int32()),
                    ("liked_unknown", pa.int32()),
                    ("liked_yes", pa.int32()),
                    ("taste_of", pa.list_(pa.string())),
                ]
            ),
        ),
        (
            "human",
            pa.struct(
                [
                    ("verdict", pa.string()),
                    ("votes", pa.int32()),
                    ("agreement", pa.float64()),
                    ("traits", pa.list_(pa.string())),
                    ("notes", pa.string()),
                    ("trait_votes", pa.list_(pa.struct([("trait", pa.string()),
                                                        ("votes", pa.int32())]))),
                    ("inferability", pa.float64()),
                    ("traits_suggested", pa.bool_()),
                ]
            ),
        ),
        ("content_hash", pa.string()),
    ]
)


def samples_to_table(samples: list[Sample]) -> pa.Table:
    """Samples -> Arrow table with :data:`SAMPLE_SCHEMA` (fills ``content_hash``)."""
    rows = []
    for s in samples:
        d = s.model_dump(mode="python")
        if not d["content_hash"]:
            d["content_hash"] = dialogue_hash(s.messages)
        rows.append(d)
    return pa.Table.from_pylist(rows, schema=SAMPLE_SCHEMA)


def table_to_samples(table: pa.Table) -> list[Sample]:
    """Arrow table (any column order, the schema's columns) -> validated samples."""
    cols = [f.name for f in SAMPLE_SCHEMA]
    return [Sample.model_validate(r) for r in table.select(cols).to_pylist()]
