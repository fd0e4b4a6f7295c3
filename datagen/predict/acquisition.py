"""Acquisition runs (RAISE-style): the recommender may ask questions before recommending.

Each round sends the conversation so far; a reply read as a question
(:func:`datagen.predict.tasks.read_reply`) goes to the simulated user, whose answer joins the
conversation, until the recommender recommends or has asked ``budget`` questions (the last
answer then carries the prompt's ``no_questions_left`` line and the next reply is final
whatever it is). The answer's text is the final reply without its ``RECOMMENDATIONS:`` line
(a final reply that is still a question is kept without its ``QUESTION:`` marker: it holds
no title, so evaluation counts it as a parse failure);
the :class:`~datagen.evaluate.prediction_meta.AcquisitionTrace` keeps every question, every
answer, what each asked and revealed, and the traits answers volunteered (none, by design).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from datagen.errors import BackendError
from datagen.evaluate.prediction_meta import AcquisitionTrace, ExchangeTurn
from datagen.llm.types import ChatBackend, ChatRequest, ChatResult, Message
from datagen.predict.cases import Case
from datagen.predict.prompts import RecommenderPrompt
from datagen.predict.recommenders import Answer, result_meta
from datagen.predict.simulated_user import SimulatedUser, UserAnswer, UserProfile
from datagen.predict.tasks import read_reply, recommendation_messages, request_seed

__all__ = ["AcquisitionRecommender", "strip_marker"]

_MARKER = re.compile(r"^\s*\**\s*RECOMMENDATIONS?\s*\**\s*:?\s*\**", re.IGNORECASE | re.MULTILINE)


def strip_marker(text: str) -> str:
    """The reply without the ``RECOMMENDATIONS:`` marker (the list stays as written)."""
    return _MARKER.sub("", text, count=1).strip()


class AcquisitionRecommender:
    """Questions first, up to ``budget``, answered by ``user``; then the recommendations."""

    is_llm = True
    mode = "acquisition"

    def __init__(self, backend: ChatBackend, prompt: RecommenderPrompt, user: SimulatedUser, *,
                 budget: int = 3, n: int = 20, temperature: float = 0.0,
                 max_tokens: int = 1024) -> None:
        self._backend = backend
        self.backend, self.model = backend.name, backend.model
        self.prompt, self.user = prompt, user
        self.prompt_version: str | None = prompt.version
        self.budget, self.n = budget, n
        self.temperature, self.max_tokens = temperature, max_tokens

    def _trace(self, state: _State, forced: bool) -> AcquisitionTrace:
        answers = [t for t in state.exchange if t.role == "user"]
        revealed = sorted({t for a in answers for t in a.revealed})
        return AcquisitionTrace(budget=self.budget, questions=len(answers), revealed=revealed,
                                volunteered=sorted(state.volunteered), forced=forced,
                                fallbacks=state.fallbacks, user=self.user.label,
                                user_is_llm=self.user.is_llm, exchange=state.exchange)

    async def recommend(self, case: Case) -> Answer:
        messages = recommendation_messages(case, self.prompt, n=self.n, budget=self.budget)
        profile = UserProfile(sample_id=case.sample_id, traits=case.traits, liked=case.liked)
        state = _State()
        seed = request_seed(case.sample_id)
        while True:
            request = ChatRequest(messages=tuple(messages), temperature=self.temperature,
                                  max_tokens=self.max_tokens, seed=seed)
            try:
                result = await self._backend.chat(request)
            except BackendError as exc:
                return self._failed(state, f"recommender: {exc}")
            state.results.append(result)
            reply = read_reply(result.text)
            asked = state.questions
            if reply.kind == "recommendation" or asked >= self.budget:
                break
            try:
                answer = await self.user.answer(reply.text, profile)
            except BackendError as exc:
                return self._failed(state, f"simulated user: {exc}")
            state.add(reply.text, answer)
            content = answer.text
            if asked + 1 >= self.budget:
                content = f"{content}\n\n{self.prompt.block('no_questions_left')}"
            messages += [Message(role="assistant", content=result.text),
                         Message(role="user", content=content)]
        forced = state.questions >= self.budget > 0
        meta = result_meta(state.results, prompt_version=self.prompt.version, mode=self.mode,
                           backend=self._backend, acquisition=self._trace(state, forced))
        final = reply.text if reply.kind == "question" else strip_marker(result.text)
        return Answer(meta=meta, text=final)

    def _failed(self, state: _State, error: str) -> Answer:
        meta = result_meta(state.results, prompt_version=self.prompt.version, mode=self.mode,
                           backend=self._backend, error=error,
                           acquisition=self._trace(state, False))
        return Answer(meta=meta, text="")


@dataclass
class _State:
    """One case's rounds so far (each case has its own: cases run concurrently)."""

    results: list[ChatResult] = field(default_factory=list)
    exchange: list[ExchangeTurn] = field(default_factory=list)
    volunteered: set[str] = field(default_factory=set)
    fallbacks: int = 0

    @property
    def questions(self) -> int:
        return len(self.exchange) // 2

    def add(self, question: str, answer: UserAnswer) -> None:
        self.volunteered.update(answer.volunteered)
        self.fallbacks += int(answer.replaced)
        self.exchange += [ExchangeTurn(role="assistant", content=question),
                          ExchangeTurn(role="user", content=answer.text, asked=answer.asked,
                                       revealed=answer.revealed)]
