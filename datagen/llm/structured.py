"""Structured outputs: how a request's JSON Schema reaches each kind of server.

A task sets :attr:`~datagen.llm.types.ChatRequest.response_schema`; the backend sends it in
one of these modes (recorded in the manifest and stats of every run):

* ``json_schema`` — OpenAI ``response_format={"type": "json_schema", "json_schema":
  {"name", "schema", "strict": true}}`` (OpenAI, vLLM, Ollama, recent llama.cpp servers);
* ``json_object_schema`` — ``{"type": "json_object", "schema": {...}}``, the Anyscale form
  that llama-cpp-python's server turns into a grammar;
* ``json_object`` — plain JSON mode, the prompt describes the shape;
* ``prompt`` — nothing is sent, the prompt alone asks for the JSON;
* ``tool`` — Anthropic: a forced call of one tool whose ``input_schema`` is the schema.

For OpenAI-compatible servers the mode is chosen once per backend by :func:`probe_modes`'s
chain, not per request: a server may answer 200 to a form it does not enforce (llama.cpp's
server has done so for ``json_schema``), so a step is taken only when the answer to a small
probe actually conforms to the probe schema. Schemas are built strict-ready (every object
closed with ``additionalProperties: false``, every property required) with
:func:`strict_object`.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from datagen.llm.schema_check import schema_errors
from datagen.llm.types import ChatRequest, Message, ResponseSchema

__all__ = [
    "OPENAI_CHAIN",
    "PROBE_REQUEST",
    "StructuredMode",
    "probe_verdict",
    "strict_object",
]


class StructuredMode(StrEnum):
    json_schema = "json_schema"
    json_object_schema = "json_object_schema"
    json_object = "json_object"
    prompt = "prompt"
    tool = "tool"


#: the fallback chain of OpenAI-compatible servers, strongest guarantee first
OPENAI_CHAIN: tuple[StructuredMode, ...] = (
    StructuredMode.json_schema, StructuredMode.json_object_schema,
    StructuredMode.json_object, StructuredMode.prompt,
)


def strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    """A closed object schema with every property required (what strict mode demands)."""
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


def without_keywords(schema: Any, keywords: frozenset[str]) -> Any:
    """``schema`` with ``keywords`` removed at every level (property names are kept)."""
    if isinstance(schema, list):
        return [without_keywords(v, keywords) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: without_keywords(v, keywords) for name, v in value.items()}
        elif key not in keywords:
            out[key] = without_keywords(value, keywords)
    return out


_PROBE_SCHEMA = strict_object({
    "probe": {"type": "string", "enum": ["datagen-structured-probe"]},
    "count": {"type": "integer", "enum": [3]},
})

#: asks for a different object than the schema allows: only a server that enforces the
#: schema can answer with a conforming one
PROBE_REQUEST = ChatRequest(
    messages=(Message(role="system", content="You are a terse assistant."),
              Message(role="user", content='Reply with the JSON object {"colour": "blue"} '
                      "and nothing else.")),
    temperature=0.0, max_tokens=128, seed=0, json_mode=True,
    response_schema=ResponseSchema(name="structured_probe", schema=_PROBE_SCHEMA),
)


def probe_verdict(mode: StructuredMode, text: str) -> str:
    """``"ok"`` when ``text`` shows that ``mode`` works, else why not (short)."""
    if mode is StructuredMode.prompt:
        return "ok"
    try:
        value = json.loads(text.strip())
    except ValueError:
        return "answer is not JSON"
    if not isinstance(value, dict):
        return "answer is not a JSON object"
    if mode is StructuredMode.json_object:
        return "ok"
    errors = schema_errors(_PROBE_SCHEMA, value)
    return "ok" if not errors else "accepted but not enforced (" + errors[0] + ")"
