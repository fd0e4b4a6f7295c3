"""A responder for owner D's FakeLLMServer that answers the synthesis prompts validly.

It is a test double, not a model and not a backend: tests and the benchmark start the fake
OpenAI-compatible server with ``responder="datagen.synth.fake_responder:respond"`` so that
``datagen synthesize --backend openai --base-url ...`` runs end to end over real HTTP. It
reads the dialogue prompt (number of user turns, liked films, each cue's trait, idea and
turn) and returns the JSON the prompt asks for, weaving the cue idea into its turn: the
keyed ``dialogue-v2`` shape, which conforms to the request's schema, or the ``dialogue-v1``
lists; for the ``judge-v1`` prompt it answers with the offline judge's reading of the user
turns.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

__all__ = ["respond"]

_CUE = re.compile(r'trait_id "(\w+)".*?cue idea:\s*"(.*?)"; put it in user turn number (\d+)',
                  re.DOTALL)
#: dialogue-v3 explicit / acquisition items: a plain statement for a given user turn
_PLAIN = re.compile(r'trait_id "(\w+)"[^\n]*\n?[^\n]*?stated plainly in user turn\s+number (\d+)'
                    r'.*?e\.g\. "(.*?)"\n', re.DOTALL)
_TURNS = re.compile(r"Write exactly (\d+) user turns")
_LIKED = re.compile(r"^Liked films: (.*)$", re.MULTILINE)
_USER_TURNS = re.compile(r"The user's turns:\n(.*)\n\nWhich of these", re.DOTALL)


@lru_cache(maxsize=1)
def _judge() -> Any:
    from datagen.synth.offline import OfflineJudge
    from datagen.taxonomy import load_taxonomy

    return OfflineJudge(load_taxonomy())


def _text(body: dict[str, Any]) -> str:
    parts = [str(body.get("system", ""))]
    for message in body.get("messages", []):
        content = message.get("content", "")
        if isinstance(content, list):
            content = " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
        parts.append(str(content))
    return "\n".join(parts)


def _dialogue(prompt: str) -> dict[str, Any]:
    n = int(m.group(1)) if (m := _TURNS.search(prompt)) else 3
    liked_line = m.group(1) if (m := _LIKED.search(prompt)) else ""
    liked = [t.strip() for t in liked_line.split(";") if t.strip() and not t.startswith("(")]
    films = liked or ["something fun"]
    user = [f"Hi! I really enjoyed {films[0]} and want more like it."]
    user += [f"I also liked {films[i % len(films)]}, mostly for the characters."
             for i in range(1, n - 1)]
    user.append("What would you recommend?")
    cues = []
    plain = [(t, said, turn) for t, turn, said in _PLAIN.findall(prompt + "\n")]
    for trait_id, idea, turn in [*_CUE.findall(prompt), *plain]:
        k = min(int(turn) - 1, n - 1)
        sentence = idea.strip().rstrip(".") + "."
        user[k] = f"{user[k]} {sentence[0].upper()}{sentence[1:]}"
        cues.append({"trait_id": trait_id, "turn": 2 * k, "text": sentence[0].upper()
                     + sentence[1:]})
    if '"user_1"' in prompt:  # dialogue-v2: turns and cues keyed
        keyed: dict[str, str] = {}
        for i, text in enumerate(user):
            keyed[f"user_{i + 1}"] = text
            if i < n - 1:
                keyed[f"assistant_{i + 1}"] = "Thanks! Tell me a bit more."
        answer: dict[str, Any] = {"turns": keyed}
        if cues:
            answer["cues"] = {c["trait_id"]: {"user_turn": c["turn"] // 2 + 1, "text": c["text"]}
                              for c in cues}
        return answer
    turns: list[dict[str, str]] = []
    for i, text in enumerate(user):
        turns.append({"role": "user", "content": text})
        if i < n - 1:
            turns.append({"role": "assistant", "content": "Thanks! Tell me a bit more."})
    return {"turns": turns, "cues": cues}


def respond(body: dict[str, Any], api: str) -> str:
    """``responder(request_json, api) -> text`` for FakeLLMServer (see module docstring)."""
    prompt = _text(body)
    if "Which of these sensitivities" in prompt:
        m = _USER_TURNS.search(prompt)
        return json.dumps({"traits": _judge().judge(m.group(1) if m else "")})
    return json.dumps(_dialogue(prompt))
