"""LLM item tagging: ask a chat backend which DoesTheDogDie topics a film contains.

Two pure functions do the task — :func:`build_messages` (film + the taxonomy's topics with
their ids -> chat messages) and :func:`parse_answer` (model text -> validated
:class:`TopicAnswer`) — and :func:`tag_items` runs them over many films through any
:class:`~datagen.llm.types.ChatBackend` (wrap it in ``CachedBackend`` so reruns are free).

The answer is ``{"present": [ids], "absent": [ids], "unsure": [ids]}``. Repairs are recorded,
never silent: labels given instead of ids are mapped back, unknown ids are dropped, an id
listed both present and absent is dropped as a contradiction. Text that is not such an
object (or mostly unknown ids) is retried with the error pointed out to the model; a final
failure is kept on the item's outcome with the reason and the raw text. Each usable answer
becomes :class:`~datagen.tags.models.Evidence` rows with source ``llm:<model>``; topics the
model was unsure of, or did not mention, get no evidence (they stay unknown).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from datagen.catalogue.models import Item
from datagen.catalogue.store import Catalogue
from datagen.errors import BackendError, InputError
from datagen.llm.structured import strict_object
from datagen.llm.types import ChatBackend, ChatRequest, Message, ResponseSchema
from datagen.tags.models import Evidence
from datagen.taxonomy.models import DtddTopic

__all__ = [
    "PROMPT_VERSION",
    "AnswerError",
    "ItemOutcome",
    "LlmTaggingOptions",
    "TopicAnswer",
    "answer_schema",
    "build_messages",
    "parse_answer",
    "select_items",
    "tag_item",
    "tag_items",
]

PROMPT_VERSION = "tags-llm-v1"
#: statuses that mean the backend itself is unusable (bad key, model, URL): stop the run
FATAL_STATUSES = frozenset({400, 401, 403, 404})
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)

SYSTEM_PROMPT = (
    "You are a careful film content annotator. For a given film you say which content "
    "warnings apply, using only what you know about the film's actual content. When you are "
    "not sure about a topic, put it under \"unsure\" rather than guessing."
)


class TopicAnswer(BaseModel):
    """The model's answer after validation: topic ids per polarity."""

    model_config = ConfigDict(extra="forbid")
    present: list[int] = Field(default_factory=list)
    absent: list[int] = Field(default_factory=list)
    unsure: list[int] = Field(default_factory=list)


class AnswerError(ValueError):
    """The text is not a usable answer (the message says why, for the retry prompt)."""


class LlmTaggingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    #: confidence of "absent" answers (default: the same as ``confidence``)
    absent_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    #: attempts per film when the answer cannot be parsed (each one a new chat request)
    max_parse_attempts: int = Field(default=3, ge=1)
    #: an answer with more than this share of unknown ids is retried rather than repaired
    max_unknown_share: float = Field(default=0.5, ge=0.0, le=1.0)
    temperature: float = 0.0
    max_tokens: int = Field(default=1024, ge=16)
    seed: int = 0
    #: films in flight at once (the backend applies its own concurrency limit too)
    workers: int = Field(default=32, ge=1)


@dataclass
class ItemOutcome:
    """What happened for one film: its evidence, or why there is none."""

    item_id: str
    status: str  # "ok" | "repaired" | "failed"
    evidence: list[Evidence] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    reason: str = ""
    raw: str = ""
    calls: int = 0
    cached: bool = False


def select_items(
    catalogue: Catalogue, titles: Sequence[str] = (), limit: int | None = None
) -> list[Item]:
    """The films to tag: ``titles`` resolved with the one TitleResolver (an unknown title is
    an InputError naming it), else the catalogue's most popular ``limit`` films (all if None).
    """
    if titles:
        from datagen.catalogue.resolver import TitleResolver

        resolver = TitleResolver(catalogue)
        chosen: dict[str, Item] = {}
        for text in titles:
            match = resolver.resolve(text)
            item = catalogue.get(match.item_id) if match.item_id else None
            if item is None:
                why = f" ({match.reason})" if match.reason else ""
                raise InputError(f"title {text!r} is not in the catalogue{why}",
                                 field="--titles")
            chosen.setdefault(item.item_id, item)
        items = list(chosen.values())
    else:
        items = sorted(catalogue.items, key=lambda i: (-i.popularity, i.item_id))
    return items[:limit] if limit is not None else items


def build_messages(item: Item, topics: Sequence[DtddTopic]) -> tuple[Message, ...]:
    """The chat messages asking which of ``topics`` the film contains."""
    facts = [f"Film: {item.display}"]
    if item.genres:
        facts.append("Genres: " + ", ".join(item.genres))
    if item.directors:
        facts.append("Directed by: " + ", ".join(item.directors[:3]))
    if item.mpaa_rating:
        facts.append(f"MPAA rating: {item.mpaa_rating}")
    topic_lines = [f"{t.id}: {t.label}" for t in topics]
    user = (
        "\n".join(facts)
        + "\n\nFor each topic below (id: topic), decide whether it happens in this film.\n"
        + "\n".join(topic_lines)
        + '\n\nAnswer with one JSON object and nothing else: {"present": [ids], '
        '"absent": [ids], "unsure": [ids]}, using the numeric ids above. '
        "List a topic as present only if you are confident it occurs in the film."
    )
    return (Message(role="system", content=SYSTEM_PROMPT), Message(role="user", content=user))


def answer_schema(topics: Sequence[DtddTopic]) -> ResponseSchema:
    """The answer's JSON Schema: three lists of the given topic ids (for servers that
    constrain decoding; :func:`parse_answer` still validates)."""
    ids = {"type": "array", "items": {"type": "integer", "enum": [t.id for t in topics]}}
    return ResponseSchema(name="film_topics",
                          schema=strict_object({"present": ids, "absent": ids, "unsure": ids}))


def _json_object(text: str) -> dict[str, object]:
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise AnswerError("the answer contains no JSON object")
    try:
        data = json.loads(body[start : end + 1])
    except ValueError as exc:
        raise AnswerError(f"the JSON object is not valid ({exc.args[0]})") from None
    if not isinstance(data, dict):
        raise AnswerError("the answer is not a JSON object")
    return data


def _to_id(value: object, by_label: dict[str, int]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        return by_label.get(text.lower().split(":", 1)[-1].strip())
    return None


def parse_answer(
    text: str, topics: Sequence[DtddTopic], *, max_unknown_share: float = 0.5
) -> tuple[TopicAnswer, list[str]]:
    """Validate the model's text into a TopicAnswer; return it with the repairs made."""
    data = _json_object(text)
    extra = sorted(set(data) - {"present", "absent", "unsure"})
    repairs = [f"ignored keys {extra}"] if extra else []
    valid = {t.id for t in topics}
    by_label = {t.label.lower(): t.id for t in topics}
    lists: dict[str, list[int]] = {}
    unknown: list[str] = []
    total = 0
    for key in ("present", "absent", "unsure"):
        values = data.get(key, [])
        if not isinstance(values, list):
            raise AnswerError(f'"{key}" must be a list of topic ids')
        lists[key] = []
        for value in values:
            total += 1
            topic_id = _to_id(value, by_label)
            if topic_id in valid:
                if isinstance(value, str) and not value.strip().isdigit():
                    repairs.append(f"mapped label {value!r} to id {topic_id}")
                lists[key].append(topic_id)  # type: ignore[arg-type]
            else:
                unknown.append(str(value))
    if unknown:
        if total and len(unknown) / total > max_unknown_share:
            raise AnswerError(f"unknown topic ids {unknown[:10]}: use only the ids listed")
        repairs.append(f"dropped unknown ids {unknown[:10]}")
    both = set(lists["present"]) & set(lists["absent"])
    if both:
        repairs.append(f"dropped ids listed present and absent {sorted(both)}")
    try:
        answer = TopicAnswer(**{k: sorted(set(v) - both) for k, v in lists.items()})
    except ValidationError as exc:  # pragma: no cover - lists are ints by construction
        raise AnswerError(str(exc)) from None
    return answer, repairs


def answer_evidence(
    item_id: str, answer: TopicAnswer, model: str, options: LlmTaggingOptions, note: str
) -> list[Evidence]:
    absent_conf = options.absent_confidence
    absent_conf = options.confidence if absent_conf is None else absent_conf
    rows = [Evidence(item_id=item_id, source=f"llm:{model}", topic_id=t, polarity="present",
                     confidence=options.confidence, detail=note) for t in answer.present]
    rows += [Evidence(item_id=item_id, source=f"llm:{model}", topic_id=t, polarity="absent",
                      confidence=absent_conf, detail=note) for t in answer.absent]
    return rows


async def tag_item(
    backend: ChatBackend, item: Item, topics: Sequence[DtddTopic], options: LlmTaggingOptions
) -> ItemOutcome:
    """Ask about one film, retrying unusable answers; BackendErrors other than fatal ones
    become a failed outcome."""
    messages = build_messages(item, topics)
    schema = answer_schema(topics)
    outcome = ItemOutcome(item_id=item.item_id, status="failed")
    for attempt in range(options.max_parse_attempts):
        request = ChatRequest(messages=messages, temperature=options.temperature,
                              max_tokens=options.max_tokens, seed=options.seed + attempt,
                              json_mode=True, response_schema=schema)
        try:
            result = await backend.chat(request)
        except BackendError as exc:
            if getattr(exc, "status", None) in FATAL_STATUSES:
                raise
            outcome.reason = str(exc)
            return outcome
        outcome.calls += 0 if result.cached else 1
        outcome.cached = result.cached
        outcome.raw = result.text
        try:
            answer, repairs = parse_answer(result.text, topics,
                                           max_unknown_share=options.max_unknown_share)
        except AnswerError as exc:
            outcome.reason = f"attempt {attempt + 1}: {exc}"
            messages = (*messages, Message(role="assistant", content=result.text),
                        Message(role="user", content=f"That answer is not usable: {exc}. "
                                "Answer again with only the JSON object."))
            continue
        note = f"{PROMPT_VERSION}; {result.backend} {result.model}"
        outcome.status = "repaired" if repairs else "ok"
        outcome.repairs, outcome.reason = repairs, ""
        outcome.evidence = answer_evidence(item.item_id, answer, backend.model, options, note)
        return outcome
    return outcome


async def tag_items(
    backend: ChatBackend,
    items: Sequence[Item],
    topics: Sequence[DtddTopic],
    options: LlmTaggingOptions | None = None,
    *,
    on_done: Callable[[ItemOutcome], None] | None = None,
) -> list[ItemOutcome]:
    """Tag every film (``options.workers`` at a time); outcomes in the order of ``items``."""
    options = options or LlmTaggingOptions()
    outcomes: list[ItemOutcome | None] = [None] * len(items)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(items)):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            outcome = await tag_item(backend, items[index], topics, options)
            outcomes[index] = outcome
            if on_done is not None:
                on_done(outcome)

    workers = [asyncio.create_task(worker()) for _ in range(min(options.workers, len(items)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return [o for o in outcomes if o is not None]
