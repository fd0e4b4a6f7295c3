"""The answer of whole-film LLM tagging: one verdict and a short reason per taxonomy trait.

The pydantic model is built from the taxonomy (one required property per trait id), and its
JSON Schema is what the request carries as :class:`~datagen.llm.types.ResponseSchema`, so a
server that constrains decoding (OpenAI ``json_schema``, Anthropic forced tool call) can only
produce a valid answer. The schema is strict-mode compatible: every object has
``additionalProperties: false`` and lists every property as required, and it is inlined (no
``$ref``) so servers with partial JSON Schema support read it too.

:func:`parse_answer` validates the text whatever the server did, repairing what can be
repaired and saying so: a code fence, a verdict in another case or a synonym ("yes" ->
present), a missing trait (counted as unsure), an unknown key (ignored). Text that is no JSON
object, or where most traits are missing, is an :class:`AnswerError` whose message the retry
prompt shows the model.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datagen.llm.types import ResponseSchema
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "MAX_REASON_CHARS",
    "SCHEMA_NAME",
    "AnswerError",
    "FilmAnswer",
    "TraitAnswer",
    "Verdict",
    "answer_schema",
    "parse_answer",
    "response_schema",
]

SCHEMA_NAME = "film_trigger_tags"
#: a reason longer than this is cut (the prompt asks for one short sentence)
MAX_REASON_CHARS = 300
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)
_SYNONYMS = {"yes": "present", "true": "present", "no": "absent", "false": "absent",
             "unknown": "unsure", "not sure": "unsure", "uncertain": "unsure"}


class Verdict(StrEnum):
    present = "present"
    absent = "absent"
    unsure = "unsure"


class TraitAnswer(BaseModel):
    """The model's call on one trait: does the film contain what this viewer avoids?"""

    model_config = ConfigDict(extra="forbid")
    verdict: Verdict
    reason: str = Field(default="", description="One short sentence: the scene or why not.")


class FilmAnswer(BaseModel):
    """A validated answer: trait id -> TraitAnswer for every trait of the taxonomy."""

    model_config = ConfigDict(extra="forbid")
    traits: dict[str, TraitAnswer]

    def of(self, verdict: Verdict) -> list[str]:
        return [t for t, a in self.traits.items() if a.verdict == verdict]


class AnswerError(ValueError):
    """The text is not a usable answer (the message says why, for the retry prompt)."""


def answer_schema(taxonomy: Taxonomy) -> dict[str, Any]:
    """The JSON Schema of an answer for ``taxonomy`` (strict-mode compatible, inlined)."""
    trait = {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": [v.value for v in Verdict]},
            "reason": {"type": "string"},
        },
        "required": ["verdict", "reason"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {t.id: {**trait, "description": t.name} for t in taxonomy.traits},
        "required": list(taxonomy.trait_ids),
        "additionalProperties": False,
    }


def response_schema(taxonomy: Taxonomy) -> ResponseSchema:
    return ResponseSchema(name=SCHEMA_NAME, schema=answer_schema(taxonomy), strict=True)


def _json_object(text: str) -> dict[str, Any]:
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise AnswerError("the answer contains no JSON object")
    try:
        data = json.loads(body[start : end + 1], strict=False)  # raw newlines in strings
    except ValueError as exc:
        raise AnswerError(f"the JSON object is not valid ({exc.args[0]})") from None
    if not isinstance(data, dict):
        raise AnswerError("the answer is not a JSON object")
    return data


def _verdict(value: Any, trait_id: str, repairs: list[str]) -> TraitAnswer | None:
    """One trait's entry as a TraitAnswer (repairs noted), or None when it is unusable."""
    if isinstance(value, str):  # "present" instead of {"verdict": "present", ...}
        value = {"verdict": value, "reason": ""}
    if not isinstance(value, dict):
        return None
    raw = str(value.get("verdict", "")).strip().lower()
    verdict = _SYNONYMS.get(raw, raw)
    if verdict not in Verdict.__members__:
        return None
    if verdict != value.get("verdict"):
        repairs.append(f"{trait_id}: read verdict {value.get('verdict')!r} as {verdict!r}")
    reason = " ".join(str(value.get("reason") or "").split())
    return TraitAnswer(verdict=Verdict(verdict), reason=reason[:MAX_REASON_CHARS])


def parse_answer(
    text: str, taxonomy: Taxonomy, *, max_missing_share: float = 0.5
) -> tuple[FilmAnswer, list[str]]:
    """Validate the model's text into a FilmAnswer; return it with the repairs made.

    Traits missing or unusable in the answer count as ``unsure`` (no evidence), unless more
    than ``max_missing_share`` of them are: then the answer is retried.
    """
    data = _json_object(text)
    if isinstance(data.get("traits"), dict) and not set(data) & set(taxonomy.trait_ids):
        data = data["traits"]  # wrapped once more, as some models do
    repairs: list[str] = []
    extra = sorted(set(data) - set(taxonomy.trait_ids))
    if extra:
        repairs.append(f"ignored keys {extra[:10]}")
    answers: dict[str, TraitAnswer] = {}
    missing: list[str] = []
    for trait_id in taxonomy.trait_ids:
        answer = _verdict(data.get(trait_id), trait_id, repairs) if trait_id in data else None
        if answer is None:
            missing.append(trait_id)
            answer = TraitAnswer(verdict=Verdict.unsure, reason="")
        answers[trait_id] = answer
    if missing:
        if len(missing) / len(taxonomy.trait_ids) > max_missing_share:
            raise AnswerError(f"no usable verdict for traits {missing[:10]}: give every trait "
                              'id listed, each as {"verdict": ..., "reason": ...}')
        repairs.append(f"no usable verdict for {missing} (counted as unsure)")
    return FilmAnswer(traits=answers), repairs
