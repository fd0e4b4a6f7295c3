"""The ``--batch``, ``--dry-run`` and ``--show-prompt`` paths of `datagen tags llm`.

Kept apart from :mod:`datagen.cli.tags_llm` (the live path) so each stays short. The work is
done by :mod:`datagen.tags.llm_batch` and :mod:`datagen.llm.batch`; this module builds the
provider, reports progress events and prints the price table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from datagen.cli.common import console
from datagen.errors import ConfigError

__all__ = ["default_store_path", "print_price", "run_batch", "run_dry", "show_prompt"]


def default_store_path(out: Path) -> Path:
    """Where batch ids are kept by default: beside the evidence file."""
    return out.with_name(out.name + ".batches.sqlite")


def _body_fn(config: Any) -> Any:
    """``request_params`` of the live backend (a placeholder key when none is set: nothing is
    sent in a dry run)."""
    from datagen.llm import make_backend

    try:
        config.resolve_api_key()
    except ConfigError:
        config = config.model_copy(update={"api_key": SecretStr("dry-run-no-key")})
    return make_backend(config).request_params  # type: ignore[attr-defined]


def run_dry(config: Any, options: Any, items: list[Any], taxonomy: Any,
            cache_path: Path) -> dict[str, Any]:
    from datagen.llm import ResponseCache
    from datagen.tags.llm_batch import price_job

    with ResponseCache(cache_path) as cache:
        price = price_job(_body_fn(config), items, taxonomy, options, backend=config.kind,
                          model=config.model, prices=config.effective_prices(), cache=cache)
    return {"backend": config.kind, "model": config.model, **price.model_dump()}


def print_price(summary: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"dry run: {summary['backend']} / {summary['model']} (nothing sent)",
                  show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for key in ("films", "cached", "requests", "input_tokens", "output_tokens",
                "output_tokens_max"):
        table.add_row(key.replace("_", " "), f"{summary[key]:,}")

    def usd(value: float | None) -> str:
        return "unpriced model (pass prices in a backend config)" if value is None \
            else f"${value:,.2f}"

    table.add_row("live cost (est.)", usd(summary["live_cost_usd"]))
    table.add_row("batch cost (est.)", usd(summary["batch_cost_usd"]))
    table.add_row("batch cost (at max_tokens)", usd(summary["batch_cost_max_usd"]))
    console.print(table)
    console.print("[dim]tokens: ~4 characters a token over the exact request bodies; output: "
                  "~28 tokens a trait; batch = 50% of the live price[/]")


def show_prompt(items: list[Any], taxonomy: Any, options: Any) -> str:
    """The first film's request as JSON (messages and the answer schema)."""
    from datagen.tags.llm_tagging import build_request, new_task

    if not items:
        raise ConfigError("no film to show the prompt for")
    request = build_request(new_task(items[0], taxonomy), taxonomy, options)
    return json.dumps(request.model_dump(mode="json", by_alias=True), indent=2,
                      ensure_ascii=False)


def run_batch(config: Any, options: Any, items: list[Any], taxonomy: Any, cache_path: Path,
              store_path: Path, batch_options: Any, meter: Any, *, quiet: bool
              ) -> tuple[list[Any], dict[str, Any]]:
    """Tag by batch; returns the outcomes and the batch figures for the summary."""
    from datagen.llm import ResponseCache
    from datagen.llm.batch import make_batch_provider
    from datagen.llm.batch_store import BatchStore
    from datagen.tags.llm_batch import tag_items_batch

    def on_event(kind: str, data: dict[str, Any]) -> None:
        if quiet or (kind == "polled" and data.get("state") == "ended"):
            return
        line = {"submitted": "submitted {batch_id}: {requests:,} requests",
                "polled": "{batch_id}: {state} {counts}",
                "collected": "collected {batch_id}: {succeeded:,} ok, {failed:,} to retry"}[kind]
        console.print(f"[dim]batch[/] {line.format(**data)}", highlight=False)

    provider = make_batch_provider(config)
    try:
        with ResponseCache(cache_path) as cache, BatchStore(store_path) as store:
            outcomes, reports = tag_items_batch(
                provider, items, taxonomy, options, store=store, cache=cache,
                batch_options=batch_options, meter=meter, prices=config.effective_prices(),
                on_event=on_event)
    finally:
        provider.close()
    figures = {
        "batches_submitted": sum(len(r.submitted_batches) for r in reports),
        "batches_resumed": sum(len(r.resumed_batches) for r in reports),
        "requests_resubmitted": sum(r.resubmitted_requests for r in reports),
        "batches_expired": sum(r.expired_batches for r in reports),
        "pending": sum(o.status == "pending" for o in outcomes),
        "batch_store": str(store_path),
    }
    return outcomes, figures
