"""Responders for the fake LLM server that play a recommender (test doubles, not models).

Tests and ``benchmarks/bench_predict.py`` start :mod:`datagen.llm.fake_server` with
``--responder datagen.predict.fake_responder:recommend`` (or ``:acquisition``, ``:asker``)
so that ``datagen predict`` runs over real HTTP:

* ``recommend``: a numbered ``Title (Year)`` list of as many films as the system prompt asks
  for, from a fixed list of well-known films, rotated by the conversation's hash; a dialogue
  whose last user turn contains ``[[malformed]]`` gets prose without a single title;
* ``acquisition``: asks the scripted questions below one by one (``QUESTION: ...``) while the
  prompt's budget allows, then recommends under a ``RECOMMENDATIONS:`` line;
* ``asker``: only ever asks (exercises the question budget).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

__all__ = ["FILMS", "QUESTIONS", "acquisition", "asker", "recommend"]

FILMS = (
    "Toy Story (1995)", "Heat (1995)", "The Dark Knight (2008)", "Up (2009)",
    "Spirited Away (2001)", "Finding Nemo (2003)", "Jurassic Park (1993)", "Alien (1979)",
    "The Matrix (1999)", "Inception (2010)", "Amelie (2001)", "Paddington (2014)",
    "Psycho (1960)", "Jaws (1975)", "Titanic (1997)", "Se7en (1995)",
    "The Shining (1980)", "Arachnophobia (1990)", "Ratatouille (2007)", "Casablanca (1942)",
    "Schindler's List (1993)", "Gravity (2013)", "Trainspotting (1996)", "Frozen (2013)",
)
QUESTIONS = (
    "Is there anything you'd rather not see in a film?",
    "What did you like most about the films you mentioned?",
    "Are you okay with scary movies?",
)
_N = re.compile(r"exactly (\d+) films")
_BUDGET = re.compile(r"up to (\d+) short questions")


def _messages(body: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    if body.get("system"):
        out.append({"role": "system", "content": str(body["system"])})
    for m in body.get("messages", []):
        content = m.get("content", "")
        if isinstance(content, list):
            content = " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
        out.append({"role": str(m.get("role")), "content": str(content)})
    return out


def _films(messages: list[dict[str, str]]) -> str:
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    n = int(m.group(1)) if (m := _N.search(system)) else 10
    digest = hashlib.sha256(json.dumps(messages[1:]).encode()).digest()
    start = digest[0] % len(FILMS)
    picks = [FILMS[(start + i) % len(FILMS)] for i in range(min(n, len(FILMS)))]
    return "\n".join(f"{i}. {title}" for i, title in enumerate(picks, start=1))


def recommend(body: dict[str, Any], api: str) -> str:
    """``responder(request_json, api) -> text`` (see module docstring)."""
    messages = _messages(body)
    last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    if "[[malformed]]" in last:
        return "I'm not sure I can help with that, sorry! Maybe ask me again later?"
    return _films(messages)


def _asked(messages: list[dict[str, str]]) -> int:
    return sum(1 for m in messages if m["role"] == "assistant"
               and m["content"].startswith("QUESTION:"))


def acquisition(body: dict[str, Any], api: str) -> str:
    """Scripted questions within the budget, then ``RECOMMENDATIONS:`` and the list."""
    messages = _messages(body)
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    budget = int(m.group(1)) if (m := _BUDGET.search(system)) else 0
    asked = _asked(messages)
    if asked < min(budget, len(QUESTIONS)) and "No more questions" not in messages[-1]["content"]:
        return f"QUESTION: {QUESTIONS[asked]}"
    return "RECOMMENDATIONS:\n" + _films(messages)


def asker(body: dict[str, Any], api: str) -> str:
    """Always a question, whatever the budget says."""
    return f"QUESTION: {QUESTIONS[_asked(_messages(body)) % len(QUESTIONS)]}"
