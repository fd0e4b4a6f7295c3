"""Typed results of an evaluation: what ``metrics.json`` holds, model by model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CompatReport",
    "EvaluationReport",
    "GroupReport",
    "MetricValue",
    "ModelCounts",
    "ModelReport",
    "VariantDifference",
]


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricValue(_Rec):
    """Mean over the samples where the metric is defined, with its bootstrap interval."""

    value: float | None  # None when no sample of the group defines the metric
    low: float | None = None
    high: float | None = None
    n: int = 0  # samples that define the metric


class GroupReport(_Rec):
    n_samples: int
    metrics: dict[str, MetricValue]


class ModelCounts(_Rec):
    samples: int
    with_prediction: int
    missing: int  # samples without a record in the file: scored as empty lists
    empty: int  # records whose text/titles hold nothing
    parse_failures: int  # non-empty text from which no title could be parsed
    titles_parsed: int
    titles_resolved: int
    errors: int = 0  # records of calls that failed after their retries (scored as empty)

    @property
    def titles_hallucinated(self) -> int:
        return self.titles_parsed - self.titles_resolved


class CompatReport(_Rec):
    """Another work's metric definitions on the same answers (``evaluate --compat``)."""

    profile: str  # "safecrs"
    label: str  # what the numbers are, printed with them in every output
    overall: GroupReport
    control: GroupReport | None = None
    by_trait: dict[str, GroupReport] = Field(default_factory=dict)


class VariantDifference(_Rec):
    """Metric of variant ``minuend`` minus variant ``subtrahend``, paired by ``pair_id``."""

    minuend: str
    subtrahend: str
    n_pairs: int  # pairs holding a sample of both variants
    metrics: dict[str, MetricValue]  # mean paired difference; interval from resampled pairs


class ModelReport(_Rec):
    name: str
    file: str
    counts: ModelCounts
    overall: GroupReport
    control: GroupReport | None = None
    by_trait: dict[str, GroupReport] = Field(default_factory=dict)
    #: the same answers under a reference's definitions; keys carry the profile prefix
    compat: CompatReport | None = None
    #: every metric per context variant (splits with a variant column)
    by_variant: dict[str, GroupReport] = Field(default_factory=dict)
    variant_differences: list[VariantDifference] = Field(default_factory=list)


class EvaluationReport(_Rec):
    #: a reference's definitions also computed per model (``--compat``), e.g. "safecrs"
    compat: str | None = None
    split: str
    taxonomy_version: str | None
    n_samples: int
    ks: list[int]
    resamples: int
    seed: int
    confidence: float
    distinct_titles_resolved: int
    #: where the catalogue and tags came from (file paths or "built-in-memory:...")
    sources: dict[str, str] = Field(default_factory=dict)
    models: list[ModelReport]

    def model(self, name: str) -> ModelReport:
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)
