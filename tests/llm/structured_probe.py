"""Which structured-output request forms a real OpenAI-compatible server enforces.

Independent of ``datagen.llm`` on purpose: it talks to the server with the bare ``openai``
SDK, so it checks the facts the LLM layer's fallback chain relies on rather than the layer
itself. Each form is sent with a prompt that asks for a *different* object than the probe
schema allows (a colour), and the schema's values (an enum string no model knows, a fixed
integer) cannot come out by chance: an answer that conforms shows the server constrained
decoding to the schema; HTTP 200 alone shows nothing.

Run against any server: ``python tests/llm/structured_probe.py --base-url URL/v1 --model M``
prints one line per form.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["FORMS", "PROBE_SCHEMA", "ProbeResult", "probe_form", "response_format"]

#: response_format forms, strongest guarantee first ("none" sends no response_format)
FORMS = ("json_schema", "json_object_schema", "json_object", "none")

PROBE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "probe": {"type": "string", "enum": ["saferec-probe-7"]},
        "count": {"type": "integer", "enum": [3]},
    },
    "required": ["probe", "count"],
    "additionalProperties": False,
}

_PROMPT = 'Reply with the JSON object {"colour": "blue"} and nothing else.'


class _Probe(BaseModel):
    """PROBE_SCHEMA as a model: what a conforming answer parses into."""

    model_config = ConfigDict(extra="forbid", strict=True)
    probe: str
    count: int

    def conforms(self) -> bool:
        return self.probe == "saferec-probe-7" and self.count == 3


@dataclass(frozen=True)
class ProbeResult:
    form: str
    status: int  # HTTP status (200, or the error's)
    error: str  # first line of the error body, "" on 200
    answers: tuple[str, ...]  # the message contents (200 only)
    finish_reasons: tuple[str, ...] = ()  # "stop" | "length" per answer

    @property
    def json_objects(self) -> int:
        return sum(_as_object(a) is not None for a in self.answers)

    @property
    def conforming(self) -> int:
        return sum(_conforms(a) for a in self.answers)

    @property
    def verdict(self) -> str:
        """``rejected`` | ``enforced`` | ``json only`` | ``ignored``.

        ``json only``: every answer that ended by itself is a JSON object (one cut at
        ``max_tokens`` cannot be, whatever the server enforces), none conforms.
        """
        if self.status != 200:
            return "rejected"
        if self.answers and self.conforming == len(self.answers):
            return "enforced"
        ended = [a for a, why in zip(self.answers, self.finish_reasons, strict=True)
                 if why == "stop"]
        if ended and all(_as_object(a) is not None for a in ended):
            return "json only"
        return "ignored"


def response_format(form: str, schema: dict[str, Any], name: str = "probe"
                    ) -> dict[str, Any] | None:
    """The ``response_format`` body of ``form`` for ``schema`` (None for ``none``)."""
    if form == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": True}}
    if form == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if form == "json_object":
        return {"type": "json_object"}
    if form == "none":
        return None
    raise ValueError(f"unknown form {form!r}; expected one of {', '.join(FORMS)}")


def probe_form(client: openai.OpenAI, model: str, form: str, *, tries: int = 3,
               max_tokens: int = 96) -> ProbeResult:
    """Send the probe ``tries`` times (different seeds, temperature 1) in ``form``."""
    answers: list[str] = []
    reasons: list[str] = []
    extra = {}
    fmt = response_format(form, PROBE_SCHEMA)
    if fmt is not None:
        extra["response_format"] = fmt
    for seed in range(tries):
        try:
            completion = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": _PROMPT}],
                temperature=1.0, seed=seed, max_tokens=max_tokens, **extra)
        except openai.APIStatusError as exc:
            first = (exc.response.text or str(exc)).strip().splitlines()[0][:300]
            return ProbeResult(form=form, status=exc.status_code, error=first, answers=())
        answers.append(completion.choices[0].message.content or "")
        reasons.append(completion.choices[0].finish_reason or "")
    return ProbeResult(form=form, status=200, error="", answers=tuple(answers),
                       finish_reasons=tuple(reasons))


def _as_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _conforms(text: str) -> bool:
    value = _as_object(text)
    if value is None:
        return False
    try:
        return _Probe.model_validate(value).conforms()
    except ValidationError:
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", required=True)
    parser.add_argument("--api-key", default="sk-no-key-needed")
    parser.add_argument("--tries", type=int, default=3)
    args = parser.parse_args(argv)
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0,
                           timeout=120)
    for form in FORMS:
        result = probe_form(client, args.model, form, tries=args.tries)
        detail = result.error or f"{result.conforming}/{len(result.answers)} conform, " \
            f"{result.json_objects}/{len(result.answers)} JSON objects; first answer: " \
            f"{result.answers[0][:80]!r}"
        print(f"{form:<20} HTTP {result.status}  {result.verdict:<10} {detail}")


if __name__ == "__main__":
    main()
