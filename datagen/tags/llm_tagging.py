"""Whole-film LLM tagging: one request per film asks about every trait of the taxonomy.

The task is two pure functions, as everywhere in the toolkit: :func:`build_request` (film +
taxonomy -> one :class:`~datagen.llm.types.ChatRequest` carrying the answer's JSON Schema)
and :func:`~datagen.tags.llm_answer.parse_answer` (text -> validated verdicts).
:func:`absorb` applies one result to a film's :class:`FilmTask` (evidence, or the retry
request with the error pointed out), so the live path (:func:`tag_items`, any
:class:`~datagen.llm.types.ChatBackend`, cached) and the provider batch path
(:mod:`datagen.tags.llm_batch`) share the same requests, cache keys, parser and evidence.

The prompt names each trait with its description and its DoesTheDogDie topics, and asks for
``present`` / ``absent`` / ``unsure`` with a one-sentence reason. ``present`` and ``absent``
become :class:`~datagen.tags.models.Evidence` rows with source ``llm:<model>``, the trait id
and the reason in ``detail``; ``unsure`` gives no evidence (the pair stays unknown unless
another source speaks). :data:`PROMPT_VERSION` is part of every evidence line, and the
prompt text is part of every cache key, so a changed prompt never reuses old answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from datagen.catalogue.models import Item
from datagen.catalogue.store import Catalogue
from datagen.errors import BackendError, InputError
from datagen.llm.types import ChatBackend, ChatRequest, ChatResult, Message
from datagen.tags.llm_answer import AnswerError, FilmAnswer, Verdict, parse_answer, response_schema
from datagen.tags.models import Evidence
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "PROMPT_VERSION",
    "FilmTask",
    "ItemOutcome",
    "LlmTaggingOptions",
    "absorb",
    "answer_rows",
    "build_messages",
    "build_request",
    "new_task",
    "outcomes_frame",
    "select_items",
    "system_prompt",
    "tag_item",
    "tag_items",
]

PROMPT_VERSION = "tags-llm-v2"
#: statuses that mean the backend itself is unusable (bad key, model, URL): stop the run
FATAL_STATUSES = frozenset({400, 401, 403, 404})
#: people named in the prompt, per role (the model needs enough to know the film)
MAX_PEOPLE = 3
_T = TypeVar("_T")
_MEMO: dict[tuple[str, str], Any] = {}


class LlmTaggingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    #: confidence of "absent" answers (default: the same as ``confidence``)
    absent_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    #: attempts per film when the answer cannot be parsed (each one a new chat request)
    max_parse_attempts: int = Field(default=3, ge=1)
    #: an answer missing more than this share of the traits is retried rather than repaired
    max_missing_share: float = Field(default=0.5, ge=0.0, le=1.0)
    temperature: float = 0.0
    #: room for 21 verdicts with a sentence each (~25 tokens a trait)
    max_tokens: int = Field(default=1500, ge=16)
    seed: int = 0
    #: films in flight at once (the backend applies its own concurrency limit too)
    workers: int = Field(default=32, ge=1)
    #: send the answer's JSON Schema (servers without structured outputs get JSON mode)
    use_schema: bool = True


#: one evidence row of an outcome: (trait id, polarity, confidence, detail)
EvidenceRow = tuple[str, str, float, str]


@dataclass
class ItemOutcome:
    """What happened for one film: its evidence, or why there is none.

    Evidence is kept as compact rows (a catalogue job has ~300,000); :attr:`evidence` gives
    them as :class:`Evidence` objects and :func:`outcomes_frame` as one table.
    """

    item_id: str
    status: str  # "ok" | "repaired" | "failed" | "pending" (in a batch that has not ended)
    source: str = ""
    rows: list[EvidenceRow] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    reason: str = ""
    #: the last unusable answer (kept for the failures file; empty once an answer parsed)
    raw: str = ""
    calls: int = 0
    cached: bool = False
    #: traits answered "unsure" (no evidence, but the model was asked)
    unsure: list[str] = field(default_factory=list)

    @property
    def evidence(self) -> list[Evidence]:
        return [Evidence(item_id=self.item_id, source=self.source, trait_id=t, polarity=p,
                         confidence=c, detail=d) for t, p, c, d in self.rows]


@dataclass
class FilmTask:
    """One film's conversation: the messages so far and what came of it."""

    item: Item
    messages: tuple[Message, ...]
    attempt: int = 0
    done: bool = False
    outcome: ItemOutcome = field(init=False)

    def __post_init__(self) -> None:
        self.outcome = ItemOutcome(item_id=self.item.item_id, status="failed")


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


def _memo(kind: str, taxonomy: Taxonomy, build: Callable[[Taxonomy], _T]) -> _T:
    """One value per loaded taxonomy file (by content hash): a catalogue job builds the same
    prompt and schema 17,000 times otherwise. Taxonomies built in code (no hash) are not
    memoized."""
    if not taxonomy.content_hash:
        return build(taxonomy)
    key = (kind, taxonomy.content_hash)
    if key not in _MEMO:
        _MEMO[key] = build(taxonomy)
    return _MEMO[key]  # type: ignore[no-any-return]


def system_prompt(taxonomy: Taxonomy) -> str:
    """The instructions and the trait list: the same for every film (provider prompt caches
    and batch files compress it well)."""
    return _memo("prompt", taxonomy, _system_prompt)


def _system_prompt(taxonomy: Taxonomy) -> str:
    labels = {t.id: t.label for t in taxonomy.topics}
    lines = []
    for trait in taxonomy.traits:
        topics = "; ".join(labels[t] for t in trait.dtdd_topics if t in labels)
        line = f"- {trait.id} ({trait.name}): {' '.join(trait.description.split())}"
        lines.append(line + (f" Triggers include: {topics}." if topics else ""))
    return (
        "You are a careful film content annotator. For one film you decide, for each viewer "
        "sensitivity below, whether the film contains content that would trouble such a "
        "viewer, using only what you know about the film's actual content.\n\n"
        "Verdicts: \"present\" (you are confident the film contains it), \"absent\" (you "
        "know the film well enough to say it does not), \"unsure\" (you do not know the film "
        "well enough, or it is borderline). Prefer unsure to guessing. The reason is one "
        "short sentence naming the scene, or why the content is absent.\n\n"
        "Sensitivities (id (name): who it describes):\n" + "\n".join(lines) + "\n\n"
        "Answer with one JSON object and nothing else: one key per sensitivity id above, "
        'each {"verdict": "present" | "absent" | "unsure", "reason": "..."}.'
    )


def _film_facts(item: Item) -> str:
    facts = [f"Film: {item.display}"]
    if item.genres:
        facts.append("Genres: " + ", ".join(item.genres))
    if item.mpaa_rating:
        facts.append(f"MPAA rating: {item.mpaa_rating}")
    for role, people in (("Directed by", item.directors), ("Starring", item.cast)):
        if people:
            facts.append(f"{role}: " + ", ".join(people[:MAX_PEOPLE]))
    return "\n".join(facts)


def build_messages(item: Item, taxonomy: Taxonomy) -> tuple[Message, ...]:
    """The chat messages asking about every trait of ``taxonomy`` for one film."""
    user = _film_facts(item) + "\n\nGive your verdict for every sensitivity id."
    return (Message(role="system", content=system_prompt(taxonomy)),
            Message(role="user", content=user))


def build_request(task: FilmTask, taxonomy: Taxonomy, options: LlmTaggingOptions
                  ) -> ChatRequest:
    """The request for the task's next attempt (its canonical JSON is the cache key)."""
    return ChatRequest(
        messages=task.messages, temperature=options.temperature, max_tokens=options.max_tokens,
        seed=options.seed + task.attempt, json_mode=True,
        response_schema=_memo("schema", taxonomy, response_schema) if options.use_schema
        else None,
    )


def new_task(item: Item, taxonomy: Taxonomy) -> FilmTask:
    return FilmTask(item=item, messages=build_messages(item, taxonomy))


def answer_rows(answer: FilmAnswer, options: LlmTaggingOptions) -> list[EvidenceRow]:
    """Evidence rows of one answer: present / absent verdicts, the reason kept in detail."""
    absent_conf = options.absent_confidence
    absent_conf = options.confidence if absent_conf is None else absent_conf
    rows = []
    for trait_id, ans in answer.traits.items():
        if ans.verdict == Verdict.unsure:
            continue
        present = ans.verdict == Verdict.present
        rows.append((trait_id, "present" if present else "absent",
                     options.confidence if present else absent_conf,
                     f"{ans.reason or '(no reason given)'} [{PROMPT_VERSION}]"))
    return rows


def outcomes_frame(outcomes: Sequence[ItemOutcome]) -> pl.DataFrame:
    """Every outcome's evidence as one frame in the evidence schema (built column-wise)."""
    from datagen.tags.evidence import empty_evidence, evidence_frame

    cols: dict[str, list[Any]] = {k: [] for k in ("item_id", "source", "trait_id", "polarity",
                                                  "confidence", "detail")}
    for o in outcomes:
        for trait_id, polarity, confidence, detail in o.rows:
            cols["item_id"].append(o.item_id)
            cols["source"].append(o.source)
            cols["trait_id"].append(trait_id)
            cols["polarity"].append(polarity)
            cols["confidence"].append(confidence)
            cols["detail"].append(detail)
    if not cols["item_id"]:
        return empty_evidence()
    frame = pl.DataFrame(cols).with_columns(
        pl.lit(None, dtype=pl.Int32).alias("topic_id"),
        pl.lit(None, dtype=pl.String).alias("pg_category"),
        pl.lit(None, dtype=pl.Int8).alias("severity"),
        pl.lit(None, dtype=pl.Int32).alias("yes_votes"),
        pl.lit(None, dtype=pl.Int32).alias("no_votes"))
    return evidence_frame(frame)


def absorb(task: FilmTask, result: ChatResult, taxonomy: Taxonomy, options: LlmTaggingOptions,
           model: str) -> None:
    """Apply one result: evidence when usable, else the retry conversation (or failure)."""
    outcome = task.outcome
    outcome.calls += 0 if result.cached else 1
    outcome.cached = result.cached
    outcome.raw = result.text
    try:
        answer, repairs = parse_answer(result.text, taxonomy,
                                       max_missing_share=options.max_missing_share)
    except AnswerError as exc:
        outcome.reason = f"attempt {task.attempt + 1}: {exc}"
        task.attempt += 1
        task.done = task.attempt >= options.max_parse_attempts
        task.messages = (*task.messages, Message(role="assistant", content=result.text),
                         Message(role="user", content=f"That answer is not usable: {exc}. "
                                 "Answer again with only the JSON object."))
        return
    outcome.status = "repaired" if repairs else "ok"
    outcome.repairs, outcome.reason, outcome.raw = repairs, "", ""
    outcome.source = f"llm:{model}"
    outcome.rows = answer_rows(answer, options)
    outcome.unsure = answer.of(Verdict.unsure)
    task.done = True


async def tag_item(
    backend: ChatBackend, item: Item, taxonomy: Taxonomy, options: LlmTaggingOptions
) -> ItemOutcome:
    """Ask about one film, retrying unusable answers; BackendErrors other than fatal ones
    become a failed outcome."""
    task = new_task(item, taxonomy)
    while not task.done:
        try:
            result = await backend.chat(build_request(task, taxonomy, options))
        except BackendError as exc:
            if getattr(exc, "status", None) in FATAL_STATUSES:
                raise
            task.outcome.reason = str(exc)
            break
        absorb(task, result, taxonomy, options, backend.model)
    return task.outcome


async def tag_items(
    backend: ChatBackend,
    items: Sequence[Item],
    taxonomy: Taxonomy,
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
            outcome = await tag_item(backend, items[index], taxonomy, options)
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
