"""Synthesis tasks as pairs of pure functions: build the messages, parse the answer.

``build_dialogue_messages(entry, ...)`` turns a plan entry into chat messages with the
versioned ``dialogue-v1`` prompt; ``parse_dialogue(text, entry)`` turns the model's text back
into a validated :class:`Draft` or raises :class:`TaskParseError` with a reason short enough
to send back to the model in a repair request. Same for the inferability judge. Nothing
here touches the network, so every task is testable on strings.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from datagen.llm.types import Message
from datagen.records.sample import Cue, Turn
from datagen.synth.plan import PlanEntry
from datagen.synth.prompts import load_blocks, load_prompt
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "Draft",
    "TaskParseError",
    "build_dialogue_messages",
    "build_judge_messages",
    "parse_dialogue",
    "parse_judge",
    "repair_messages",
    "user_text",
]


class TaskParseError(ValueError):
    """The model's answer cannot be used; ``str()`` says why (sent back in a repair)."""


class Draft(BaseModel):
    """A generated dialogue before ground truth and verification are attached."""

    model_config = ConfigDict(extra="forbid")
    messages: list[Turn]
    cues: list[Cue] = Field(default_factory=list)


class _LLMCue(BaseModel):
    model_config = ConfigDict(extra="ignore")
    trait_id: str
    turn: int
    text: str = Field(min_length=1)


class _LLMDialogue(BaseModel):
    model_config = ConfigDict(extra="ignore")
    turns: list[Turn] = Field(min_length=3)
    cues: list[_LLMCue] = Field(default_factory=list)


def user_text(messages: list[Turn]) -> str:
    """All user turns joined: what leak checks and judges read."""
    return "\n".join(t.content for t in messages if t.role == "user")


def build_dialogue_messages(entry: PlanEntry, version: str = "dialogue-v1") -> tuple[Message, ...]:
    """The prompt for one plan entry (cue instructions, liked films, optional seed turns)."""
    blocks = load_blocks(version)
    cue_lines = [
        blocks["cue_item"].substitute(trait_id=c.trait_id, strategy=c.strategy, idea=c.idea,
                                      user_turn=c.user_turn + 1, turn_index=2 * c.user_turn)
        for c in entry.cues
    ]
    rules = blocks["cue_rules"] if entry.cues else blocks["no_cue_rules"]
    seed = ""
    if entry.seed_user_turns:
        turns = "\n".join(f"  user: {t}" for t in entry.seed_user_turns)
        seed = blocks["seed"].substitute(seed_turns=turns)
    return load_prompt(version).render(
        n_user_turns=str(entry.n_user_turns),
        cue_rules=rules.template,
        liked="; ".join(f"{r.title} ({r.year})" if r.year else r.title for r in entry.liked)
        or "(none given)",
        genres=", ".join(entry.genres[:3]) or "(any)",
        cue_block=("The user's sensitivities:\n" + "\n".join(cue_lines) + "\n") if cue_lines
        else "",
        seed_block=seed,
    )


def _json_object(text: str) -> object:
    stripped = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    start, end = stripped.find("{"), stripped.rfind("}")
    if start < 0 or end <= start:
        raise TaskParseError("no JSON object found in the answer")
    try:
        # strict=False: raw newlines inside strings are accepted, as some constrained decoders
        # (llama-cpp-python's schema grammars) let them through
        return json.loads(stripped[start:end + 1], strict=False)
    except json.JSONDecodeError as exc:
        raise TaskParseError(f"invalid JSON: {exc.msg} at char {exc.pos}") from None


def _check_turns(turns: list[Turn]) -> None:
    for i, turn in enumerate(turns):
        expected = "user" if i % 2 == 0 else "assistant"
        if turn.role != expected:
            raise TaskParseError(f"turn {i} should be a {expected} turn (turns alternate, "
                                 "starting with the user)")
        if not turn.content.strip():
            raise TaskParseError(f"turn {i} is empty")
    if turns[-1].role != "user":
        raise TaskParseError("the last turn must be the user's")


def parse_dialogue(text: str, entry: PlanEntry) -> Draft:
    """The model's JSON -> :class:`Draft` with the planned cues located in user turns."""
    try:
        parsed = _LLMDialogue.model_validate(_json_object(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TaskParseError(f"schema error at {where}: {first['msg']}") from None
    _check_turns(parsed.turns)
    by_trait = {c.trait_id: c for c in parsed.cues}
    cues: list[Cue] = []
    for planned in entry.cues:
        got = by_trait.get(planned.trait_id)
        if got is None:
            raise TaskParseError(f"cues: no entry for trait_id {planned.trait_id!r}")
        if not 0 <= got.turn < len(parsed.turns) or parsed.turns[got.turn].role != "user":
            raise TaskParseError(
                f"cues: turn {got.turn} of {planned.trait_id!r} is not a user turn")
        cues.append(Cue(trait_id=planned.trait_id, strategy=planned.strategy, idea=planned.idea,
                        turn_index=got.turn, text=got.text))
    return Draft(messages=[Turn(role=t.role, content=t.content.strip()) for t in parsed.turns],
                 cues=cues)


def repair_messages(
    messages: tuple[Message, ...], raw: str, error: str
) -> tuple[Message, ...]:
    """One repair round: the bad answer and the reason, then a request for valid JSON."""
    return (*messages, Message(role="assistant", content=raw[:4000]),
            Message(role="user", content=f"That answer could not be used: {error}. "
                    "Reply again with only the corrected JSON object."))


def build_judge_messages(
    user_turns: str, taxonomy: Taxonomy, version: str = "judge-v1"
) -> tuple[Message, ...]:
    """The inferability-judge prompt: the trait list and the user's turns."""
    trait_list = "\n".join(f"- {t.id}: {t.name}. {t.description}" for t in taxonomy.traits)
    return load_prompt(version).render(trait_list=trait_list, user_turns=user_turns)


def parse_judge(text: str, taxonomy: Taxonomy) -> list[str]:
    """``{"traits": [...]}`` -> sorted known trait ids (unknown ids are an error)."""
    obj = _json_object(text)
    traits = obj.get("traits") if isinstance(obj, dict) else None
    if not isinstance(traits, list) or not all(isinstance(t, str) for t in traits):
        raise TaskParseError('expected {"traits": [<trait id>, ...]}')
    known = set(taxonomy.trait_ids)
    unknown = [t for t in traits if t not in known and t != "none"]
    if unknown:
        raise TaskParseError(f"unknown trait ids: {', '.join(unknown[:5])}")
    return sorted({t for t in traits if t in known})
