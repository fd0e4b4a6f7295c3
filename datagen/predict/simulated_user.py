"""Simulated users for acquisition runs: they answer the recommender's questions from a hidden
profile and never volunteer more than they were asked.

:class:`QuestionReader` decides what a question asks about: nothing sensitive (taste, mood),
specific traits (their leak terms, or words only one or two traits' statements and
DoesTheDogDie topics use, or a trait family such as "phobias"), or sensitivities in general
("anything you'd rather not see?", ``"*"``). :class:`OfflineUser` (``offline-user-v1``, a
heuristic, not an LLM) answers taste questions from the user's liked films, and sensitivity
questions with the taxonomy's plain statements (``explicit_cues``) of the asked traits the
user has, or "that's fine for me". :class:`LLMUser` role-plays the profile with a model
(``user-sim-v1`` prompt); an answer that names a trait it was not asked about, as the one leak
matcher reads it, is replaced by the offline user's answer and counted. Every answer records
what was asked and which of the user's traits it stated (``revealed``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from datagen.llm.types import ChatBackend, ChatRequest
from datagen.predict.prompts import PACKAGE
from datagen.records.sample import ItemRef
from datagen.synth.explicit import explicit_cue_bank, explicit_statement
from datagen.synth.offline import (
    ACQUISITION_TEMPLATES,
    chat_background,
    content_words,
    load_templates,
    pick_template,
)
from datagen.synth.prompts import load_prompt
from datagen.taxonomy.leaks import LeakMatcher, normalize_text
from datagen.taxonomy.models import Taxonomy

__all__ = ["ALL", "LLMUser", "OfflineUser", "QuestionReader", "SimulatedUser", "UserAnswer",
           "UserProfile"]

#: "the question asks about sensitivities in general"
ALL = "*"
OFFLINE_USER = "offline-user-v1"
USER_PROMPT = "user-sim-v1"
#: a trait word counts for a question when at most this many traits use it
_MAX_TRAITS_PER_WORD = 3
_GENERIC = re.compile(
    r"\b(?:avoid\w*|sensitiv\w*|trigger\w*|uncomfortable|upset\w*|disturb\w*|bother\w*|"
    r"off limits|deal ?breakers?|cant (?:watch|stand|handle)|rather not|dont want to see|"
    r"difficult|hard to (?:watch|see)|uncomfortable|comfortable with|"
    r"content (?:warnings?|notes?)|steer clear|keep out|prefer to skip|rather skip|"
    r"afraid|scared|fears?|frighten\w*|phobias?|traumas?|triggering|hard (?:for you )?to watch|"
    r"boundar\w*|sensitive)\b")


@dataclass(frozen=True)
class UserProfile:
    """What the simulated user knows about themselves (hidden from the recommender)."""

    sample_id: str
    traits: Sequence[str]
    liked: Sequence[ItemRef] = ()


@dataclass
class UserAnswer:
    text: str
    asked: list[str]  # trait ids the question asked about, ["*"] for in general, [] for none
    revealed: list[str]  # the user's traits this answer states (leak matcher)
    volunteered: list[str] = field(default_factory=list)  # stated but not asked (stays empty)
    replaced: bool = False  # an LLM answer that overshared, replaced by the offline answer


class SimulatedUser(Protocol):
    label: str
    is_llm: bool

    async def answer(self, question: str, profile: UserProfile) -> UserAnswer: ...


def _stems(words: set[str]) -> set[str]:
    return words | {w[:-1] for w in words if w.endswith("s") and len(w) > 4}


class QuestionReader:
    """What a question asks about (see module docstring)."""

    def __init__(self, taxonomy: Taxonomy, leaks: LeakMatcher) -> None:
        self._leaks = leaks
        labels = {t.id: t.label for t in taxonomy.topics}
        background = chat_background() | _generic_words()
        vocab: dict[str, set[str]] = {}
        for trait in taxonomy.traits:
            texts = [*trait.explicit_cues, *trait.leak_terms,
                     *(labels[i] for i in trait.dtdd_topics if i in labels)]
            vocab[trait.id] = _stems(set().union(*(content_words(t) for t in texts))) - background
        self._by_word: dict[str, set[str]] = {}
        for trait_id, words in vocab.items():
            for w in words:
                self._by_word.setdefault(w, set()).add(trait_id)
        self._by_word = {w: ts for w, ts in self._by_word.items()
                         if len(ts) <= _MAX_TRAITS_PER_WORD}
        for trait in taxonomy.traits:  # "any phobias?" asks about the whole family
            for word in _stems({trait.family.value.replace("_", " ")}):
                self._by_word.setdefault(word, set()).add(trait.id)

    def read(self, question: str) -> frozenset[str]:
        """Trait ids asked about, ``{"*"}`` for sensitivities in general, empty for none."""
        named = {t for t, _ in self._leaks.find(question)}
        for word in _stems(content_words(question)):
            named |= self._by_word.get(word, set())
        if named:
            return frozenset(named)
        return frozenset({ALL}) if _GENERIC.search(normalize_text(question)) else frozenset()


def _generic_words() -> set[str]:
    """Words of questions about sensitivities in general (or of any question), which say
    nothing about a particular trait."""
    return {"avoid", "afraid", "scared", "fear", "fears", "phobia", "phobias", "sensitive",
            "sensitivity", "sensitivities", "trigger", "triggers", "upset", "upsets", "bother",
            "bothers", "uncomfortable", "disturbing", "frightening", "trauma", "traumas",
            "theme", "themes", "topic", "topics", "problem", "problems", "getting", "involving",
            "involve", "deal", "deals", "elements", "content", "scene", "scenes", "intense",
            "difficult", "comfortable", "mind", "okay", "feel", "prefer", "danger", "handle",
            "stand", "issue", "issues", "plot", "plots", "stuff", "kind", "kinds", "type",
            "types", "themed", "portray", "portrayal", "show", "shows", "showing", "depict",
            "depicts", "feature", "features", "include", "includes", "screen"}


class OfflineUser:
    """The heuristic simulated user (``offline-user-v1``, not an LLM)."""

    label = OFFLINE_USER
    is_llm = False

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy_version = taxonomy.version_tag
        self.leaks = LeakMatcher(taxonomy)
        self.reader = QuestionReader(taxonomy, self.leaks)
        self._bank = explicit_cue_bank(taxonomy)
        self._tpl = load_templates(ACQUISITION_TEMPLATES)

    def allowed(self, asked: frozenset[str], profile: UserProfile) -> set[str]:
        """The traits an answer to this question may state."""
        return set(profile.traits) if ALL in asked else set(asked)

    def describe(self, text: str, asked: frozenset[str], profile: UserProfile,
                 replaced: bool = False) -> UserAnswer:
        """The answer with what it revealed and volunteered, by the one leak matcher."""
        stated = {t for t, _ in self.leaks.find(text)}
        return UserAnswer(text=text, asked=sorted(asked), replaced=replaced,
                          revealed=sorted(stated & set(profile.traits)),
                          volunteered=sorted(stated - self.allowed(asked, profile)))

    def compose(self, question: str, profile: UserProfile) -> tuple[str, frozenset[str]]:
        asked = self.reader.read(question)
        rng = random.Random(f"{profile.sample_id}:{normalize_text(question)}")
        if not asked:
            return self._taste(rng, profile), asked
        mine = [t for t in profile.traits if t in self.allowed(asked, profile)]
        if mine:
            return " ".join(explicit_statement(self._bank, t, profile.sample_id)
                            for t in mine), asked
        section = "none_to_avoid" if ALL in asked else "not_a_problem"
        return rng.choice(self._tpl[section]), asked

    def _taste(self, rng: random.Random, profile: UserProfile) -> str:
        films = [f.title for f in profile.liked if not self.leaks.find(f.title)]
        slots = {"film": rng.choice(films)} if films else {}
        return pick_template(rng, self._tpl["taste_answer"], slots)

    async def answer(self, question: str, profile: UserProfile) -> UserAnswer:
        text, asked = self.compose(question, profile)
        return self.describe(text, asked, profile)


class LLMUser:
    """A model role-plays the profile; oversharing answers are replaced (module docstring)."""

    is_llm = True

    def __init__(self, backend: ChatBackend, taxonomy: Taxonomy, *, temperature: float = 0.0,
                 max_tokens: int = 160) -> None:
        self._backend = backend
        self.taxonomy_version = taxonomy.version_tag
        self._offline = OfflineUser(taxonomy)
        self._traits = {t.id: t for t in taxonomy.traits}
        self._bank = explicit_cue_bank(taxonomy)
        self.label = f"{backend.name}:{backend.model}"
        self.temperature, self.max_tokens = temperature, max_tokens

    def _sensitivities(self, profile: UserProfile) -> str:
        lines = []
        for trait_id in profile.traits:
            t = self._traits[trait_id]
            said = explicit_statement(self._bank, trait_id, profile.sample_id)
            lines.append(f"{t.name}: {t.description} If asked, you might say: \"{said}\"")
        return "\n  ".join(lines) or "none"

    async def answer(self, question: str, profile: UserProfile) -> UserAnswer:
        liked = "; ".join(f.title for f in profile.liked) or "(not said)"
        messages = load_prompt(USER_PROMPT, PACKAGE).render(
            liked=liked, sensitivities=self._sensitivities(profile), question=question)
        request = ChatRequest(messages=messages, temperature=self.temperature,
                              max_tokens=self.max_tokens)
        result = await self._backend.chat(request)
        asked = self._offline.reader.read(question)
        answer = self._offline.describe(result.text.strip(), asked, profile)
        if answer.volunteered or not answer.text:
            text, _ = self._offline.compose(question, profile)
            answer = self._offline.describe(text, asked, profile, replaced=True)
        return answer
