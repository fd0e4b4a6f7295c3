"""Synthesis tasks as pairs of pure functions: build the messages, parse the answer.

``build_dialogue_messages(entry, ...)`` turns a plan entry into chat messages with a
versioned prompt; ``dialogue_schema(entry)`` is the JSON Schema of the answer for servers
that constrain decoding (exact turn count with fixed, alternating roles; one cue per planned
trait, only at user turns); ``parse_dialogue(text, entry)`` turns the model's text back into
a validated :class:`Draft` or raises :class:`TaskParseError` with a reason short enough to
send back to the model in a repair request. Same for the inferability judge
(``judge_schema``). Nothing here touches the network, so every task is testable on strings.

``dialogue-v2`` answers ``{"turns": {"user_1": .., "assistant_1": .., ..., "user_N": ..},
"cues": {"<trait id>": {"user_turn": k, "text": ..}}}``: positions and roles are keys, so a
schema fixes them with nothing but required properties, which every constrained decoder
(OpenAI strict, llama.cpp grammars, vLLM, Ollama, Anthropic tools) supports. ``dialogue-v1``
answers (a list of role/content turns, no schema) still parse.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from datagen.errors import ConfigError
from datagen.llm.structured import strict_object
from datagen.llm.types import Message, ResponseSchema
from datagen.records.sample import Cue, Turn, user_text
from datagen.synth.explicit import ExplicitCues, explicit_statement
from datagen.synth.plan import PlanEntry
from datagen.synth.prompts import load_blocks, load_prompt
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "Draft",
    "TaskParseError",
    "build_dialogue_messages",
    "build_judge_messages",
    "dialogue_schema",
    "judge_schema",
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


#: prompt versions whose answers have a JSON Schema (v1 predates it)
SCHEMA_VERSIONS = frozenset({"dialogue-v2", "dialogue-v3"})
#: turn texts that are a copied placeholder, not writing
_PLACEHOLDERS = frozenset({"...", "\u2026", "..", "text", "content", "<text>", "string"})


def turn_keys(n_user_turns: int) -> list[str]:
    """``user_1, assistant_1, ..., user_N``: the order and roles of a dialogue's turns."""
    keys: list[str] = []
    for k in range(1, n_user_turns + 1):
        keys.append(f"user_{k}")
        if k < n_user_turns:
            keys.append(f"assistant_{k}")
    return keys


#: longest turn / cue quote a dialogue schema allows (characters)
MAX_TURN_CHARS = 600
MAX_CUE_CHARS = 400
#: most trait ids a judge answer may list (users carry at most a few traits)
JUDGE_MAX_TRAITS = 4


def dialogue_schema(entry: PlanEntry, version: str = "dialogue-v2") -> ResponseSchema | None:
    """The answer's JSON Schema for ``entry`` (None for prompt versions without one)."""
    if version not in SCHEMA_VERSIONS:
        return None
    # non-empty and bounded: a small constrained model otherwise answers "" or runs one
    # string up to the token budget (seen with SmolLM2 under llama-cpp-python grammars)
    text = {"type": "string", "minLength": 1, "maxLength": MAX_TURN_CHARS}
    props: dict[str, object] = {
        "turns": strict_object({key: text for key in turn_keys(entry.n_user_turns)})}
    if entry.cues:
        user_turns = list(range(1, entry.n_user_turns + 1))
        cue = strict_object({"user_turn": {"type": "integer", "enum": user_turns},
                             "text": {**text, "maxLength": MAX_CUE_CHARS}})
        props["cues"] = strict_object({c.trait_id: cue for c in entry.cues})
    return ResponseSchema(name="saferec_dialogue", schema=strict_object(props))


def judge_schema(taxonomy: Taxonomy) -> ResponseSchema:
    """``{"traits": [known trait ids]}`` (an empty list: no sensitivity shown)."""
    # bounded: a small model under a grammar may repeat one id until the token budget ends
    traits = {"type": "array", "items": {"type": "string", "enum": list(taxonomy.trait_ids)},
              "maxItems": JUDGE_MAX_TRAITS}
    return ResponseSchema(name="trait_judgement", schema=strict_object({"traits": traits}))


def build_dialogue_messages(entry: PlanEntry, version: str = "dialogue-v2",
                            explicit: ExplicitCues | None = None) -> tuple[Message, ...]:
    """The prompt for one plan entry (cue instructions, liked films, optional seed turns).

    Prompts with variant blocks (``dialogue-v3``) follow ``entry.variant``: ``explicit`` and
    ``acquisition`` take each trait's plain statement from ``explicit`` (the taxonomy's
    ``explicit_cues``, :func:`datagen.synth.explicit.explicit_cue_bank`).
    """
    blocks = load_blocks(version)
    kind = entry.variant if f"{entry.variant}_rules" in blocks else "cue"
    if entry.variant in ("explicit", "acquisition") and kind == "cue":
        raise ConfigError(f"prompt {version} has no instructions for the {entry.variant} "
                          "variant: use dialogue-v3")
    item = blocks.get(f"{entry.variant}_cue_item", blocks["cue_item"])
    plain = kind in ("explicit", "acquisition")
    cue_lines = [
        item.substitute(trait_id=c.trait_id, strategy=c.strategy, idea=c.idea,
                        user_turn=c.user_turn + 1, turn_index=2 * c.user_turn,
                        statement=explicit_statement(explicit or {}, c.trait_id, entry.rng_seed)
                        if plain else "")
        for c in entry.cues
    ]
    rules = blocks[f"{kind}_rules"] if kind != "cue" else \
        blocks["cue_rules"] if entry.cues else blocks["no_cue_rules"]
    seed = ""
    if entry.seed_user_turns:
        turns = "\n".join(f"  user: {t}" for t in entry.seed_user_turns)
        seed = blocks["seed"].substitute(seed_turns=turns)
    cue_format = blocks["cue_format"].template if entry.cues and "cue_format" in blocks else ""
    return load_prompt(version).render(
        n_user_turns=str(entry.n_user_turns),
        n_assistant_turns=str(entry.n_user_turns - 1),
        turn_keys=", ".join(f'"{k}"' for k in turn_keys(entry.n_user_turns)),
        cue_format=cue_format,
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


def _check_turns(turns: list[Turn], n_user_turns: int) -> None:
    if len(turns) != 2 * n_user_turns - 1:
        raise TaskParseError(f"expected {2 * n_user_turns - 1} turns ({n_user_turns} user "
                             f"turns), got {len(turns)}")
    for i, turn in enumerate(turns):
        expected = "user" if i % 2 == 0 else "assistant"
        if turn.role != expected:
            raise TaskParseError(f"turn {i} should be a {expected} turn (turns alternate, "
                                 "starting with the user)")
        if not turn.content.strip():
            raise TaskParseError(f"turn {i} is empty")
        if turn.content.strip().strip('"').lower() in _PLACEHOLDERS:
            raise TaskParseError(f"turn {i} is a placeholder, not the text of the turn")
    if turns[-1].role != "user":
        raise TaskParseError("the last turn must be the user's")


def _keyed_to_listed(obj: dict[str, object], entry: PlanEntry) -> dict[str, object]:
    """A ``dialogue-v2`` answer (turns and cues keyed) in the v1 shape (lists)."""
    turns = obj.get("turns")
    assert isinstance(turns, dict)
    keys = turn_keys(entry.n_user_turns)
    missing = [k for k in keys if k not in turns]
    extra = [k for k in turns if k not in keys]
    if missing or extra:
        raise TaskParseError("turns must have exactly the keys " + ", ".join(keys)
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unexpected {', '.join(map(str, extra))}" if extra else ""))
    listed = [{"role": k.split("_")[0], "content": turns[k]} for k in keys]
    cues = obj.get("cues") or {}
    if not isinstance(cues, dict):
        raise TaskParseError('"cues" must be an object keyed by trait_id')
    cue_list = []
    for trait_id, cue in cues.items():
        if not isinstance(cue, dict) or not isinstance(cue.get("user_turn"), int):
            raise TaskParseError(f'cues.{trait_id} needs an integer "user_turn" and a "text"')
        cue_list.append({"trait_id": trait_id, "turn": 2 * (cue["user_turn"] - 1),
                         "text": cue.get("text", "")})
    return {"turns": listed, "cues": cue_list}


def parse_dialogue(text: str, entry: PlanEntry) -> Draft:
    """The model's JSON -> :class:`Draft` with the planned cues located in user turns."""
    obj = _json_object(text)
    if isinstance(obj, dict) and isinstance(obj.get("turns"), dict):
        obj = _keyed_to_listed(obj, entry)
    try:
        parsed = _LLMDialogue.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TaskParseError(f"schema error at {where}: {first['msg']}") from None
    _check_turns(parsed.turns, entry.n_user_turns)
    by_trait = {c.trait_id: c for c in parsed.cues}
    cues: list[Cue] = []
    for planned in entry.cues:
        got = by_trait.get(planned.trait_id)
        if got is None:
            raise TaskParseError(f"cues: no entry for trait_id {planned.trait_id!r}")
        if not 0 <= got.turn < len(parsed.turns) or parsed.turns[got.turn].role != "user":
            raise TaskParseError(
                f"cues: turn {got.turn} of {planned.trait_id!r} is not a user turn")
        strategy = entry.variant if entry.variant in ("explicit", "acquisition") \
            else planned.strategy
        cues.append(Cue(trait_id=planned.trait_id, strategy=strategy, idea=planned.idea,
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
