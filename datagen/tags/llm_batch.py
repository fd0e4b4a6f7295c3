"""Whole-film LLM tagging through a provider batch API, and pricing a job before it runs.

The same :class:`~datagen.tags.llm_tagging.FilmTask` steps as the live path: round 1 sends
every film's first request; answers that cannot be parsed get their retry request (the error
pointed out to the model) in the next round, up to ``max_parse_attempts`` rounds. Requests
are keyed by their cache key, so answers land in the same :class:`ResponseCache` the live
path reads: a film tagged by batch is a cache hit for ``datagen tags llm`` without
``--batch``, and the other way round.

:func:`price_job` is the dry run: it builds every request body exactly as it would be sent,
counts the films already answered in the cache, estimates input tokens from the bodies and
output tokens from the answer's size, and prices both the live and the batch path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from datagen.catalogue.models import Item
from datagen.llm.batch import (
    BatchOptions,
    BatchProvider,
    BatchRunReport,
    batch_prices,
    estimate_tokens,
    run_batches,
)
from datagen.llm.batch_store import BatchStore
from datagen.llm.cache import ResponseCache, cache_key
from datagen.llm.config import Prices
from datagen.llm.types import ChatRequest
from datagen.llm.usage import UsageMeter
from datagen.tags.llm_tagging import (
    FilmTask,
    ItemOutcome,
    LlmTaggingOptions,
    absorb,
    build_request,
    new_task,
)
from datagen.taxonomy.models import Taxonomy

__all__ = ["OUTPUT_TOKENS_PER_TRAIT", "JobPrice", "price_job", "tag_items_batch"]

#: output tokens a verdict with a one-sentence reason takes (the dry run's estimate)
OUTPUT_TOKENS_PER_TRAIT = 28


class JobPrice(BaseModel):
    """What a dry run prints: nothing is sent."""

    model_config = ConfigDict(extra="forbid")
    films: int
    cached: int
    requests: int
    input_tokens: int
    output_tokens: int
    #: the output cap: what the job costs at most if every answer ran to max_tokens
    output_tokens_max: int
    priced: bool
    live_cost_usd: float | None
    batch_cost_usd: float | None
    batch_cost_max_usd: float | None
    prices: dict[str, float] | None


def _keyed(tasks: Sequence[FilmTask], taxonomy: Taxonomy, options: LlmTaggingOptions,
           backend: str, model: str) -> dict[str, tuple[FilmTask, ChatRequest]]:
    out = {}
    for task in tasks:
        request = build_request(task, taxonomy, options)
        out[cache_key(backend, model, request)] = (task, request)
    return out


def price_job(
    body: Callable[[ChatRequest], dict[str, Any]],
    items: Sequence[Item],
    taxonomy: Taxonomy,
    options: LlmTaggingOptions,
    *,
    backend: str,
    model: str,
    prices: Prices | None,
    cache: ResponseCache | None = None,
) -> JobPrice:
    """Requests, tokens and cost of tagging ``items`` (first attempts; cache hits are free)."""
    keyed = _keyed([new_task(i, taxonomy) for i in items], taxonomy, options, backend, model)
    todo = {k: req for k, (_, req) in keyed.items() if cache is None or k not in cache}
    n_in = sum(estimate_tokens(body(req)) for req in todo.values())
    per_answer = min(options.max_tokens, OUTPUT_TOKENS_PER_TRAIT * len(taxonomy.traits))
    n_out, n_max = per_answer * len(todo), options.max_tokens * len(todo)
    cheap = batch_prices(prices)
    return JobPrice(
        films=len(items), cached=len(keyed) - len(todo), requests=len(todo),
        input_tokens=n_in, output_tokens=n_out, output_tokens_max=n_max,
        priced=prices is not None,
        live_cost_usd=round(prices.cost(n_in, n_out), 4) if prices else None,
        batch_cost_usd=round(cheap.cost(n_in, n_out), 4) if cheap else None,
        batch_cost_max_usd=round(cheap.cost(n_in, n_max), 4) if cheap else None,
        prices=prices.model_dump() if prices else None,
    )


def tag_items_batch(
    provider: BatchProvider,
    items: Sequence[Item],
    taxonomy: Taxonomy,
    options: LlmTaggingOptions,
    *,
    store: BatchStore,
    cache: ResponseCache,
    batch_options: BatchOptions | None = None,
    meter: UsageMeter | None = None,
    prices: Prices | None = None,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
) -> tuple[list[ItemOutcome], list[BatchRunReport]]:
    """Tag ``items`` by batch; outcomes in item order (``pending`` while a batch runs)."""
    tasks = [new_task(i, taxonomy) for i in items]
    reports: list[BatchRunReport] = []
    for _ in range(options.max_parse_attempts):
        open_tasks = [t for t in tasks if not t.done]
        if not open_tasks:
            break
        keyed = _keyed(open_tasks, taxonomy, options, provider.name, provider.model)
        known = {k for k in keyed if k in cache}
        report = run_batches(provider, {k: req for k, (_, req) in keyed.items()}, store=store,
                             cache=cache, options=batch_options, meter=meter, prices=prices,
                             on_event=on_event)
        reports.append(report)
        for key, (task, _) in keyed.items():
            result = cache.get(key)
            if result is not None:
                absorb(task, result.model_copy(update={"cached": key in known}), taxonomy,
                       options, provider.model)
            elif key in report.failed:
                task.outcome.reason = report.failed[key]
                task.done = True
            else:
                task.outcome.status = "pending"
        if report.pending:
            break
    return [t.outcome for t in tasks], reports
