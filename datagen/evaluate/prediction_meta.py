"""What a predictions record may say about how it was made (written by ``datagen predict``).

Beside ``sample_id`` and ``text``/``titles``, a record may carry its provenance (backend,
model, prompt version, token usage, cache and retry facts, the error of a call that failed
after its retries) and, for interactive runs, the acquisition trace: the questions the
recommender asked, what the simulated user answered, which of the user's traits the answers
revealed. ``datagen evaluate`` reads these as is: errors are counted, acquisition traces
become the acquisition metrics. Hand-written files simply leave them out.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["META_FIELDS", "AcquisitionTrace", "ExchangeTurn", "PredictionMeta", "TokenUsage"]


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenUsage(_Rec):
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)


class ExchangeTurn(_Rec):
    """One turn of the acquisition exchange: the recommender's question or the user's answer."""

    role: str = Field(pattern="^(assistant|user)$")
    content: str
    #: user turns: traits the question asked about ("*" = sensitivities in general)
    asked: list[str] = Field(default_factory=list)
    #: user turns: the user's traits this answer states (found by the one leak matcher)
    revealed: list[str] = Field(default_factory=list)


class AcquisitionTrace(_Rec):
    """The questions before the recommendation, and what they brought out."""

    budget: int = Field(ge=0)
    questions: int = Field(ge=0)
    #: the user's traits that some answer stated outright (leak matcher)
    revealed: list[str] = Field(default_factory=list)
    #: traits an answer stated without being asked about them (must stay empty)
    volunteered: list[str] = Field(default_factory=list)
    #: the budget ran out and the recommender was told to recommend
    forced: bool = False
    #: LLM-user answers replaced by the offline user's because they named a trait not asked
    fallbacks: int = Field(default=0, ge=0)
    #: who answered: "offline-user-v1" (a heuristic, not an LLM) or "<backend>:<model>"
    user: str
    user_is_llm: bool = False
    exchange: list[ExchangeTurn] = Field(default_factory=list)

    @property
    def asked(self) -> bool:
        return self.questions > 0


class PredictionMeta(_Rec):
    backend: str | None = None
    model: str | None = None
    is_llm: bool | None = None
    prompt_version: str | None = None
    #: "single" (one answer) or "acquisition" (questions first)
    mode: str | None = Field(default=None, pattern="^(single|acquisition)$")
    usage: TokenUsage | None = None
    cached: bool | None = None
    attempts: int | None = Field(default=None, ge=0)
    finish_reason: str | None = None
    #: the call failed after its retries; ``text`` is then empty
    error: str | None = None
    acquisition: AcquisitionTrace | None = None


#: the record keys that belong to :class:`PredictionMeta`
META_FIELDS = frozenset(PredictionMeta.model_fields)
