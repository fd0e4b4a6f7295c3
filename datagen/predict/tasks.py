"""The recommender task as pure functions: build the messages of a case, read the reply.

Nothing here touches the network. :func:`recommendation_messages` renders a
:class:`~datagen.predict.prompts.RecommenderPrompt` around a dialogue (system instructions,
the dialogue's turns as chat turns, the last user turn through the prompt's user section);
:func:`read_reply` decides whether an acquisition-mode reply is a question or the
recommendations. Titles are never parsed here: ``datagen evaluate`` reads the raw text with
the project's one parser, so an answer that holds no title is a parse failure there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from datagen.catalogue.parse import extract_titles
from datagen.llm.types import Message
from datagen.predict.cases import Case
from datagen.predict.prompts import RecommenderPrompt

__all__ = ["Reply", "read_reply", "recommendation_messages", "request_seed"]

_QUESTION = re.compile(r"^\s*\**\s*QUESTION\s*\**\s*:\s*(?P<q>.+)$", re.IGNORECASE | re.MULTILINE)
_RECS = re.compile(r"^\s*\**\s*RECOMMENDATIONS?\s*\**\s*:?\s*\**\s*$|"
                   r"^\s*\**\s*RECOMMENDATIONS?\s*\**\s*:", re.IGNORECASE | re.MULTILINE)


def request_seed(sample_id: str) -> int:
    """A stable per-sample seed for backends that take one (same sample, same seed)."""
    import hashlib

    return int(hashlib.sha256(sample_id.encode()).hexdigest()[:8], 16) % 2**31


def recommendation_messages(case: Case, prompt: RecommenderPrompt, *, n: int,
                            budget: int = 0) -> list[Message]:
    """System prompt, the dialogue's earlier turns, then its last user turn via the prompt."""
    turns = case.messages
    system, last = prompt.template.render(n=str(n), budget=str(budget),
                                          last_user_turn=turns[-1].content)
    history = [Message(role=t.role, content=t.content) for t in turns[:-1]]
    return [system, *history, last]


@dataclass(frozen=True)
class Reply:
    """An acquisition-mode reply: a question to the user, or the final recommendations."""

    kind: str  # "question" | "recommendation"
    text: str  # the question alone, or the whole reply


def read_reply(text: str) -> Reply:
    """``RECOMMENDATIONS:`` wins, then ``QUESTION:``; without markers, a reply with titles is
    a recommendation and a reply ending in a question mark is a question."""
    if _RECS.search(text):
        return Reply("recommendation", text)
    found = _QUESTION.search(text)
    if found:
        return Reply("question", found.group("q").strip().strip("*").strip())
    stripped = text.strip()
    if stripped.endswith("?") and not extract_titles(stripped):
        return Reply("question", stripped)
    return Reply("recommendation", text)
