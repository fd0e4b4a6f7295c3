"""The resolved configuration of one ``datagen predict`` run.

Everything that changes the predictions is a field, so the manifest (this model dumped as
JSON) reproduces a run and refuses a ``--resume`` with other options. API keys are never
fields: the LLM layer reads them lazily from the environment.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datagen.evaluate.baselines import BASELINES

__all__ = ["RESUME_IGNORED_FIELDS", "Mode", "PredictConfig", "RecommenderKind", "UserKind",
           "slug"]


class RecommenderKind(StrEnum):
    openai = "openai"  # OpenAI, or any OpenAI-compatible server with --base-url
    anthropic = "anthropic"
    #: the reference baselines: --model popularity | graph | graph_safe | graph_stated
    baseline = "baseline"


class Mode(StrEnum):
    single = "single"  # one answer per dialogue
    acquisition = "acquisition"  # questions to a simulated user first, then the answer


class UserKind(StrEnum):
    offline = "offline"  # offline-user-v1, a heuristic (not an LLM)
    llm = "llm"  # a model role-plays the user (user-sim-v1 prompt)


#: fields a ``--resume`` may change (they do not change the predictions)
RESUME_IGNORED_FIELDS = frozenset({"concurrency", "resume", "overwrite", "progress",
                                   "retry_errors", "max_failure_rate", "shard_size"})


def slug(text: str) -> str:
    """A file-name-safe label: ``meta-llama/Llama-3-8B`` -> ``meta-llama_Llama-3-8B``."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("._") or "model"


class PredictConfig(BaseModel):
    """Options of ``datagen predict`` (see ``datagen predict --help``)."""

    model_config = ConfigDict(extra="forbid")

    run_dir: Path = Path("runs/default")
    split: str = "test"
    backend: RecommenderKind = RecommenderKind.openai
    model: str = Field(min_length=1)
    base_url: str | None = None
    #: a shipped prompt (plain, safety-aware, acquisition; or a -vN version) or a file path
    prompt: str | None = None
    mode: Mode = Mode.single
    budget: int = Field(default=3, ge=0, le=20, description="questions allowed (acquisition)")
    user: UserKind = UserKind.offline
    user_backend: RecommenderKind | None = None  # default: the recommender's backend
    user_model: str | None = None  # default: the recommender's model
    n: int = Field(default=20, ge=1, le=100, description="films asked for")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1024, ge=16)
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=6, ge=0)
    variants: list[str] | None = None  # only these context variants of the split
    limit: int | None = Field(default=None, ge=1)  # only the first N dialogues
    name: str | None = None  # output label (default: <model>.<prompt version>)
    concurrency: int = Field(default=16, ge=1, le=1024)
    shard_size: int = Field(default=256, ge=1)
    max_failure_rate: float = Field(default=0.5, ge=0.0, le=1.0)
    min_failures_checked: int = Field(default=50, ge=1)
    cache_path: Path | None = None  # default: <run_dir>/../llm_cache.sqlite (as synthesize)
    no_cache: bool = False
    price_input_per_mtok: float = Field(default=0.0, ge=0.0)
    price_output_per_mtok: float = Field(default=0.0, ge=0.0)
    taxonomy_path: Path | None = None  # acquisition: the simulated user's traits
    catalogue_path: Path | None = None  # baselines
    tags_path: Path | None = None  # graph_safe, graph_stated
    graph_path: Path | None = None  # graph, graph_safe, graph_stated
    unknown_policy: str = Field(default="exclude", pattern="^(exclude|allow|penalize)$")
    resume: bool = False
    overwrite: bool = False
    retry_errors: bool = False
    progress: bool = True

    @model_validator(mode="after")
    def _check(self) -> PredictConfig:
        if self.resume and self.overwrite:
            raise ValueError("--resume and --overwrite exclude each other")
        if self.backend is RecommenderKind.baseline:
            if self.model not in BASELINES:
                raise ValueError(f"baseline model must be one of {', '.join(BASELINES)}")
            if self.mode is Mode.acquisition:
                raise ValueError("baselines do not ask questions: use --mode single")
        if self.name is not None and slug(self.name) != self.name:
            raise ValueError(f"--name may hold letters, digits and . _ + - only "
                             f"(e.g. {slug(self.name)})")
        return self

    @property
    def prompt_name(self) -> str:
        if self.prompt:
            return self.prompt
        return "acquisition" if self.mode is Mode.acquisition else "plain"

    def output_fields(self) -> dict[str, object]:
        """The config as JSON-ready data minus what a resume may change."""
        data = self.model_dump(mode="json")
        return {k: v for k, v in data.items() if k not in RESUME_IGNORED_FIELDS}
