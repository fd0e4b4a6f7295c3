"""Generators and judges behind one small async interface.

A generator turns a :class:`PlanEntry` into a :class:`GenOutcome` (a draft dialogue, or a
failure with the raw output and the reason) plus a :class:`Generation` provenance record. Two
kinds exist: :class:`LLMGenerator` (build messages -> backend -> parse, one repair round) and
:class:`OfflineGenerator` (the labelled composer). Judges mirror that: :class:`LLMJudge` and
:class:`OfflineJudgeAdapter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from datagen.errors import BackendError
from datagen.llm.types import ChatBackend, ChatRequest, ChatResult, Message, ResponseSchema
from datagen.records.sample import Generation
from datagen.synth.explicit import ExplicitCues
from datagen.synth.offline import COMPOSER_MODEL, OfflineJudge, compose_dialogue
from datagen.synth.plan import PlanEntry
from datagen.synth.tasks import (
    Draft,
    TaskParseError,
    build_dialogue_messages,
    build_judge_messages,
    dialogue_schema,
    judge_schema,
    parse_dialogue,
    parse_judge,
    repair_messages,
)
from datagen.synth.verify import JudgeOutcome
from datagen.taxonomy.leaks import LeakMatcher
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "GenOutcome",
    "Generator",
    "Judge",
    "LLMGenerator",
    "LLMJudge",
    "OfflineGenerator",
    "OfflineJudgeAdapter",
]


@dataclass
class GenOutcome:
    generation: Generation
    draft: Draft | None = None
    reason: str | None = None  # reject reason when draft is None
    error: str | None = None


class Generator(Protocol):
    backend: str
    model: str
    is_llm: bool

    async def generate(self, entry: PlanEntry) -> GenOutcome: ...


class Judge(Protocol):
    async def judge(self, user_text: str) -> JudgeOutcome: ...


class OfflineGenerator:
    """The offline composer as a generator (never an LLM; labelled in every record)."""

    backend = "offline"
    model = COMPOSER_MODEL
    is_llm = False

    def __init__(self, leaks: LeakMatcher, explicit: ExplicitCues | None = None) -> None:
        self._leaks = leaks
        self._explicit = explicit  # the taxonomy's plain statements (explicit variants)

    async def generate(self, entry: PlanEntry) -> GenOutcome:
        draft = compose_dialogue(entry, self._leaks, self._explicit)
        gen = Generation(backend=self.backend, model=self.model, is_llm=False,
                         prompt_version=COMPOSER_MODEL, temperature=0.0, seed=entry.rng_seed)
        return GenOutcome(generation=gen, draft=draft)


class LLMGenerator:
    """build messages -> chat -> parse; a malformed answer gets one repair round."""

    is_llm = True

    def __init__(self, backend: ChatBackend, *, prompt_version: str = "dialogue-v2",
                 temperature: float = 0.8, max_tokens: int = 1024,
                 explicit: ExplicitCues | None = None) -> None:
        self._backend = backend
        self._explicit = explicit  # the taxonomy's plain statements (explicit variants)
        self.backend = backend.name
        self.model = backend.model
        self.prompt_version = prompt_version
        self.temperature = temperature
        self.max_tokens = max_tokens
        #: request parts built ahead (by the runner's prefetch worker), by sample id
        self._primed: dict[str, tuple[tuple[Message, ...], ResponseSchema | None]] = {}

    def request_parts(self, entry: PlanEntry) -> tuple[tuple[Message, ...], ResponseSchema | None]:
        """The prompt and the answer schema of ``entry`` (pure: may run in another process)."""
        return build_dialogue_messages(entry, self.prompt_version, self._explicit), \
            dialogue_schema(entry, self.prompt_version)

    def prime(self, sample_id: str,
              parts: tuple[tuple[Message, ...], ResponseSchema | None]) -> None:
        """Use ``parts`` (from :meth:`request_parts`, built elsewhere) for that entry."""
        self._primed[sample_id] = parts

    async def generate(self, entry: PlanEntry) -> GenOutcome:
        primed = self._primed.pop(entry.sample_id, None)
        messages, schema = primed if primed is not None else self.request_parts(entry)
        gen = Generation(backend=self.backend, model=self.model, is_llm=True,
                         prompt_version=self.prompt_version, temperature=self.temperature,
                         seed=entry.rng_seed, attempts=0, cached=True)
        error = ""
        for _round in range(2):
            request = ChatRequest(messages=messages, temperature=self.temperature,
                                  max_tokens=self.max_tokens, seed=entry.rng_seed % 2**31,
                                  json_mode=True, response_schema=schema)
            try:
                result = await self._backend.chat(request)
            except BackendError as exc:
                gen.raw_output = gen.raw_output or ""
                return GenOutcome(generation=gen, reason="backend_error", error=str(exc))
            _account(gen, result)
            try:
                return GenOutcome(generation=gen, draft=parse_dialogue(result.text, entry))
            except TaskParseError as exc:
                error = str(exc)
                messages = repair_messages(messages, result.text, error)
        return GenOutcome(generation=gen, reason="malformed_output", error=error)


def _account(gen: Generation, result: ChatResult) -> None:
    gen.attempts += 1
    gen.input_tokens += result.usage.input_tokens
    gen.output_tokens += result.usage.output_tokens
    gen.cached = gen.cached and result.cached
    gen.raw_output = result.text


class OfflineJudgeAdapter:
    """The offline heuristic judge behind the async judge interface."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._judge = OfflineJudge(taxonomy)

    async def judge(self, user_text: str) -> JudgeOutcome:
        return JudgeOutcome(backend="offline", model=self._judge.model, is_llm=False,
                            traits=self._judge.judge(user_text))


class LLMJudge:
    """Asks a backend which traits the user shows (``judge-v1``); one repair round."""

    def __init__(self, backend: ChatBackend, taxonomy: Taxonomy, *,
                 prompt_version: str = "judge-v1", max_tokens: int = 256) -> None:
        self._backend = backend
        self._taxonomy = taxonomy
        self._version = prompt_version
        self._schema = judge_schema(taxonomy)
        self._max_tokens = max_tokens

    async def judge(self, user_text: str) -> JudgeOutcome:
        messages = build_judge_messages(user_text, self._taxonomy, self._version)
        out = JudgeOutcome(backend=self._backend.name, model=self._backend.model,
                           is_llm=True, traits=[])
        for _round in range(2):
            request = ChatRequest(messages=messages, temperature=0.0,
                                  max_tokens=self._max_tokens, json_mode=True,
                                  response_schema=self._schema)
            try:
                result = await self._backend.chat(request)
            except BackendError as exc:
                out.error = str(exc)
                return out
            try:
                out.traits = parse_judge(result.text, self._taxonomy)
                out.error = None
                return out
            except TaskParseError as exc:
                out.error = str(exc)
                messages = repair_messages(messages, result.text, str(exc))
        return out
