"""Recommenders behind one async interface: a case in, an :class:`Answer` out.

:class:`LLMRecommender` sends one chat request through the shared LLM layer (whatever
backend, cache, retries and limits it was built with) and keeps the raw text; a call that
fails after its retries becomes an answer with ``error`` set, never an exception.
:class:`BaselineRecommender` wraps the reference baselines of
:mod:`datagen.evaluate.baselines` (labelled ``backend: baseline``, ``is_llm: false``). The
acquisition loop is :class:`datagen.predict.acquisition.AcquisitionRecommender`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from datagen.errors import BackendError
from datagen.evaluate.baselines import Ranker, display_titles
from datagen.evaluate.prediction_meta import PredictionMeta, TokenUsage
from datagen.llm.types import ChatBackend, ChatRequest, ChatResult
from datagen.predict.cases import Case
from datagen.predict.prompts import RecommenderPrompt
from datagen.predict.tasks import recommendation_messages, request_seed

__all__ = ["Answer", "BaselineRecommender", "LLMRecommender", "Recommender", "result_meta"]


@dataclass(frozen=True)
class Answer:
    """What a recommender said: raw ``text`` (LLMs) or ranked ``titles`` (baselines)."""

    meta: PredictionMeta
    text: str | None = None
    titles: tuple[str, ...] | None = None

    @property
    def failed(self) -> bool:
        return self.meta.error is not None


class Recommender(Protocol):
    backend: str
    model: str
    is_llm: bool
    prompt_version: str | None
    mode: str

    async def recommend(self, case: Case) -> Answer: ...


def result_meta(results: list[ChatResult], *, prompt_version: str, mode: str,
                backend: ChatBackend, error: str | None = None, **extra: object) -> PredictionMeta:
    """Provenance of the chat results behind one answer (tokens summed over rounds)."""
    return PredictionMeta(
        backend=backend.name, model=backend.model, is_llm=backend.is_llm,
        prompt_version=prompt_version, mode=mode,
        usage=TokenUsage(input_tokens=sum(r.usage.input_tokens for r in results),
                         output_tokens=sum(r.usage.output_tokens for r in results)),
        cached=bool(results) and all(r.cached for r in results),
        attempts=sum(r.attempts for r in results),
        finish_reason=results[-1].finish_reason if results else None,
        error=error, **extra)  # type: ignore[arg-type]


class LLMRecommender:
    """One request per case: the prompt around the dialogue; the reply is kept raw."""

    is_llm = True
    mode = "single"

    def __init__(self, backend: ChatBackend, prompt: RecommenderPrompt, *, n: int = 20,
                 temperature: float = 0.0, max_tokens: int = 1024) -> None:
        self._backend = backend
        self.backend, self.model = backend.name, backend.model
        self.prompt = prompt
        self.prompt_version: str | None = prompt.version
        self.n, self.temperature, self.max_tokens = n, temperature, max_tokens

    async def recommend(self, case: Case) -> Answer:
        request = ChatRequest(messages=tuple(recommendation_messages(case, self.prompt, n=self.n)),
                              temperature=self.temperature, max_tokens=self.max_tokens,
                              seed=request_seed(case.sample_id))
        try:
            result = await self._backend.chat(request)
        except BackendError as exc:
            meta = result_meta([], prompt_version=self.prompt.version, mode=self.mode,
                               backend=self._backend, error=str(exc))
            return Answer(meta=meta, text="")
        meta = result_meta([result], prompt_version=self.prompt.version, mode=self.mode,
                           backend=self._backend)
        return Answer(meta=meta, text=result.text)


class BaselineRecommender:
    """A reference baseline as a recommender (not an LLM; no prompt)."""

    backend = "baseline"
    is_llm = False
    prompt_version: str | None = None
    mode = "single"

    def __init__(self, name: str, ranker: Ranker, catalogue: object,
                 traits: Callable[[Case], list[str]] | None = None) -> None:
        self.model = name
        self._rank = ranker
        self._catalogue = catalogue
        #: which traits the ranking filters for: the hidden ones (default), or what a
        #: dialogue reader finds in the turns (``graph_stated``)
        self._traits = traits or (lambda case: case.traits)

    async def recommend(self, case: Case) -> Answer:
        ids = self._rank([r.item_id for r in case.liked], self._traits(case))
        meta = PredictionMeta(backend=self.backend, model=self.model, is_llm=False,
                              mode=self.mode)
        return Answer(meta=meta, titles=display_titles(self._catalogue, ids))  # type: ignore[arg-type]
