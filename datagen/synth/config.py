"""The resolved configuration of one synthesis run.

Everything that changes the output is a field here, so the manifest (this model dumped as
JSON) is enough to reproduce a run and to refuse a ``--resume`` whose options differ. API keys
are never fields: the LLM layer reads them lazily from the environment.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from datagen.errors import ConfigError

__all__ = [
    "RESUME_IGNORED_FIELDS",
    "BackendName",
    "SeedSource",
    "SynthConfig",
    "parse_trait_counts",
]


class BackendName(StrEnum):
    offline = "offline"
    openai = "openai"
    anthropic = "anthropic"


class SeedSource(StrEnum):
    graph = "graph"  # preference profiles sampled from the attribute graph
    redial = "redial"  # ReDial dialogues (JSONL; ``@id`` mentions)
    reddit = "reddit"  # Reddit-Movie-style JSONL (``prompt`` + ``groundtruth_with_release_year``)
    safecrs = "safecrs"  # SafeCRS release rows; the same loader as reddit (datagen.compat)


#: fields that may change between a run and its ``--resume`` (they do not change the output)
RESUME_IGNORED_FIELDS = frozenset({"concurrency", "resume", "overwrite", "progress", "timeout",
                                   "retries"})


class SynthConfig(BaseModel):
    """Options of ``datagen synthesize`` (see ``datagen synthesize --help``)."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(default=1000, ge=1, description="planned users (pairs count twice)")
    seed: int = 13
    seed_source: SeedSource = SeedSource.graph
    seed_path: Path | None = None  # ReDial / Reddit JSONL file
    redial_movies: Path | None = None  # movies_with_mentions.csv (default: next to seed_path)
    #: number of traits per user -> probability (0 = control sample)
    trait_counts: dict[int, float] = Field(default_factory=lambda: {0: 0.2, 1: 0.6, 2: 0.2})
    #: context variants per user with traits (one entry each, sharing pair_id): implicit,
    #: explicit, absent; a control always gets one implicit sample
    variants: list[str] = Field(default_factory=lambda: ["implicit"])
    backend: BackendName = BackendName.offline
    model: str | None = None
    base_url: str | None = None
    judge_backend: BackendName = BackendName.offline
    judge_model: str | None = None
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1024, ge=64)
    unknown_policy: str = Field(default="exclude", pattern="^(exclude|allow)$")
    gt_min: int = Field(default=3, ge=1)
    gt_max: int = Field(default=10, ge=1)
    #: ground truth must score at least this share of the unfiltered best film
    relevance_floor: float = Field(default=0.4, ge=0.0, le=1.0)
    #: users drawn per plan entry (graph profiles or real seeds) before it is a reject
    max_attempts: int = Field(default=40, ge=1, le=1000)
    #: share of a trait user's liked films that may be unknown for their traits
    max_unknown_liked: float = Field(default=0.6, ge=0.0, le=1.0)
    #: 0 = a trait user's first favourite uniform among films known safe for the traits;
    #: 1 = reweighted to the catalogue's genre mix (what controls get); see synth.users
    taste_balance: float = Field(default=0.0, ge=0.0, le=1.0)
    #: "matched": a control's taste is drawn as for a trait user (datagen.synth.pipeline
    #: .ControlTaste), so traits cannot be read from taste; "catalogue": the whole catalogue
    control_taste: str = Field(default="matched", pattern="^(matched|catalogue)$")
    #: traits whose users' liked films must be tagged no (not merely not yes)
    strict_history_traits: list[str] = Field(default_factory=lambda: ["young_children"])
    #: unsafe / unknown films ranked above the last ground-truth film kept per sample
    max_dropped: int = Field(default=20, ge=0)
    #: films that must be safe for every trait of a planned trait combination
    pair_min_safe: int = Field(default=50, ge=0)
    #: the ceiling of the LLM backends' adaptive in-flight limit
    concurrency: int = Field(default=16, ge=1, le=1024)
    #: seconds per LLM request, and retries after the first attempt
    timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=6, ge=0)
    #: how response schemas are sent (datagen.llm.structured); auto = probe the server
    structured_output: str = Field(
        default="auto", pattern="^(auto|json_schema|json_object_schema|json_object|prompt|tool)$")
    max_failure_rate: float = Field(default=0.5, ge=0.0, le=1.0)
    #: the failure rate is only checked once this many entries finished
    min_failures_checked: int = Field(default=50, ge=1)
    drop_failed: bool = False
    shard_size: int = Field(default=256, ge=1)
    run_dir: Path = Path("runs/default")
    taxonomy_path: Path | None = None
    catalogue_path: Path | None = None
    tags_path: Path | None = None
    graph_path: Path | None = None
    cache_path: Path | None = None  # SQLite response cache (default: <run_dir>/../llm_cache.sqlite)
    no_cache: bool = False
    price_input_per_mtok: float = Field(default=0.0, ge=0.0)
    price_output_per_mtok: float = Field(default=0.0, ge=0.0)
    prompt_version: str = "dialogue-v2"
    judge_prompt_version: str = "judge-v1"
    resume: bool = False
    overwrite: bool = False
    progress: bool = True

    @field_validator("trait_counts")
    @classmethod
    def _check_counts(cls, value: dict[int, float]) -> dict[int, float]:
        if not value or any(k < 0 or k > 5 for k in value) or any(p < 0 for p in value.values()):
            raise ValueError("trait counts must be 0..5 with non-negative weights")
        total = sum(value.values())
        if total <= 0:
            raise ValueError("trait count weights sum to zero")
        return {int(k): v / total for k, v in sorted(value.items())}

    @field_validator("variants", mode="before")
    @classmethod
    def _check_variants(cls, value: object) -> list[str]:
        from datagen.synth.plan import parse_variants

        if not isinstance(value, str | list | tuple):
            raise ValueError("expected a comma-separated list such as implicit,absent")
        return list(parse_variants(value))

    @model_validator(mode="after")
    def _check(self) -> SynthConfig:
        if self.gt_min > self.gt_max:
            raise ValueError("gt_min is larger than gt_max")
        if self.seed_source is not SeedSource.graph and self.seed_path is None:
            raise ValueError(f"seed source {self.seed_source.value} needs a seed file")
        if self.resume and self.overwrite:
            raise ValueError("--resume and --overwrite exclude each other")
        return self

    @property
    def control_share(self) -> float:
        return self.trait_counts.get(0, 0.0)

    def output_fields(self) -> dict[str, object]:
        """The config as JSON-ready data minus fields a resume may change."""
        data = self.model_dump(mode="json")
        return {k: v for k, v in data.items() if k not in RESUME_IGNORED_FIELDS}


def parse_trait_counts(text: str) -> dict[int, float]:
    """``"0:0.2,1:0.6,2:0.2"`` -> ``{0: 0.2, 1: 0.6, 2: 0.2}`` (ConfigError on bad text)."""
    out: dict[int, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            key, value = part.split(":")
            out[int(key)] = float(value)
        except ValueError:
            raise ConfigError(
                f"--traits-per-user: cannot read {part.strip()!r}; expected e.g. 0:0.2,1:0.6,2:0.2"
            ) from None
    if not out:
        raise ConfigError("--traits-per-user is empty; expected e.g. 0:0.2,1:0.6,2:0.2")
    return out
