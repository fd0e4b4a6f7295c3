"""`datagen tags llm`: tag films with every trait of the taxonomy by asking an LLM (cached).

Registered as ``datagen tags llm`` by :mod:`datagen.cli.tags`. The work is done by
:mod:`datagen.tags.llm_tagging`; this module builds the backend, shows progress, writes the
evidence file (and the failures beside it) and prints a summary. ``--batch``, ``--dry-run``
and ``--show-prompt`` are in :mod:`datagen.cli.tags_llm_batch`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from datagen.cli import llm_options as llm
from datagen.cli.common import LLMProgress, console, fail
from datagen.errors import DatagenError, InputError

if TYPE_CHECKING:
    from datagen.tags.llm_tagging import ItemOutcome

__all__ = ["tags_llm"]


def tags_llm(
    model: str = typer.Option(..., "--model", help="Model name, e.g. gpt-4o-mini, "
                              "claude-3-5-haiku-latest, or the name a local server serves."),
    backend: str = typer.Option("openai", "--backend", help="openai (also vLLM, Ollama, "
                                "llama.cpp via --base-url) or anthropic."),
    base_url: str | None = typer.Option(None, "--base-url", help="Server URL, e.g. "
                                        "http://127.0.0.1:8000/v1 for an OpenAI-compatible "
                                        "server. Default: the vendor's API."),
    api_key_file: Path | None = typer.Option(None, "--api-key-file", help="File holding the "
                                             "key (bare, or 'api_key: ...'). Default: "
                                             "OPENAI_API_KEY / ANTHROPIC_API_KEY."),
    titles: list[str] = typer.Option([], "--titles", help="Films to tag, 'Title (Year)'; "
                                     "repeat the option. Resolved with the catalogue's title "
                                     "resolver. Default: the catalogue's films by popularity."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Tag at most N films."),
    out: Path = typer.Option(Path("artifacts/llm_evidence.parquet"), "--out",
                             help="Evidence file (.parquet or .jsonl) for "
                             "`datagen tags build --evidence FILE`."),
    cache: Path = typer.Option(Path("artifacts/llm_cache.sqlite"), "--cache",
                               help="SQLite response cache: a rerun makes zero calls."),
    catalogue_path: Path | None = typer.Option(None, "--catalogue", help="Catalogue Parquet "
                                               "(from `datagen catalog build`). Default: the "
                                               "embedded catalogue."),
    taxonomy_path: Path | None = typer.Option(None, "--taxonomy", help="Taxonomy YAML whose "
                                              "topics are asked about. Default: embedded."),
    confidence: float = typer.Option(0.7, "--confidence", min=0.0, max=1.0,
                                     help="Confidence given to each LLM answer."),
    concurrency: int = llm.CONCURRENCY,
    rpm: float | None = typer.Option(None, "--rpm", help="Requests-per-minute limit."),
    tpm: float | None = typer.Option(None, "--tpm", help="Tokens-per-minute limit."),
    max_retries: int = llm.RETRIES,
    timeout: float = llm.TIMEOUT,
    max_tokens: int = typer.Option(1500, "--max-tokens", min=16, help="Most tokens per "
                                   "answer (one answer covers every trait of the taxonomy)."),
    structured_output: str = llm.STRUCTURED_OUTPUT,
    no_json_format: bool = typer.Option(False, "--no-json-format", help="Send no "
                                        "response_format at all (the same as "
                                        "--structured-output prompt)."),
    progress_every: float = llm.PROGRESS_EVERY,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    batch: bool = typer.Option(False, "--batch", help="Send through the provider's batch API "
                               "(OpenAI Batch / Anthropic Message Batches: ~half price, results "
                               "within 24 h). Batch ids are kept in --batch-store: re-run the "
                               "same command to resume polling; nothing is paid twice."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Build every request, print requests, "
                                 "estimated tokens and live / batch cost, send nothing."),
    batch_store: Path | None = typer.Option(None, "--batch-store", show_default=False,
                                            help="SQLite file of submitted batches. Default: "
                                            "<out>.batches.sqlite."),
    batch_size: int = typer.Option(5_000, "--batch-size", min=1, help="Requests per batch "
                                   "(capped at the provider's limit). An Anthropic batch is "
                                   "one JSON body built in memory: 10,000 whole-film requests "
                                   "peak at about 1 GiB, 5,000 at about 750 MiB."),
    poll_interval: float = typer.Option(30.0, "--poll-interval", min=0.0,
                                        help="Seconds between polls of a running batch."),
    batch_tries: int = typer.Option(3, "--batch-tries", min=1, help="Times a request that "
                                    "failed or expired in a batch is submitted in all."),
    no_wait: bool = typer.Option(False, "--no-wait", help="With --batch: submit, collect what "
                                 "has ended, and exit; re-run later to collect the rest."),
    absent_confidence: float | None = typer.Option(None, "--absent-confidence", min=0.0,
                                                   max=1.0, show_default=False,
                                                   help="Confidence of 'absent' answers "
                                                   "(default: --confidence)."),
    no_schema: bool = typer.Option(False, "--no-schema", help="Do not send the answer's JSON "
                                   "Schema (plain JSON mode; the parser checks the answer)."),
    show_prompt_flag: bool = typer.Option(False, "--show-prompt", help="Print the first "
                                          "film's request (messages + schema) and exit."),
) -> None:
    """Ask an LLM, once per film, about every trait of the taxonomy; write the answers as
    evidence.

    One request per film lists each trait (description and DoesTheDogDie topics) and asks
    present / absent / unsure with a one-sentence reason, schema-constrained where the server
    supports it. present / absent become evidence rows (source llm:<model>, trait id, the
    given confidence, the reason); unsure stays unknown. Unusable answers are retried, then
    listed in <out>.failures.jsonl. Responses are cached in --cache (live and batch share it).

    Example: datagen tags llm --model gpt-4o-mini --batch --dry-run ; datagen tags llm
    --model gpt-4o-mini --batch --out artifacts/llm_evidence.parquet ; then datagen tags build
    --evidence artifacts/llm_evidence.parquet
    """
    from datagen.llm import BackendConfig
    from datagen.llm.batch import BatchOptions
    from datagen.tags.llm_tagging import LlmTaggingOptions

    try:
        if backend not in ("openai", "anthropic"):
            raise InputError(f"unknown backend {backend!r} (openai or anthropic)",
                             field="--backend")
        try:
            config = BackendConfig(
                kind=backend, model=model, base_url=base_url, api_key_file=api_key_file,  # type: ignore[arg-type]
                requests_per_minute=rpm, tokens_per_minute=tpm,
                **llm.backend_fields(concurrency=concurrency, timeout=timeout,
                                     retries=max_retries,
                                     structured_output="prompt" if no_json_format
                                     else structured_output))
        except ValueError as exc:
            raise InputError(" ".join(str(exc).split()), field="--structured-output") from None
        options = LlmTaggingOptions(confidence=confidence, workers=max(concurrency, 1) * 2,
                                    absent_confidence=absent_confidence,
                                    use_schema=not no_schema, max_tokens=max_tokens)
        mode = "prompt" if show_prompt_flag else "dry" if dry_run else "batch" if batch else "live"
        batching = BatchOptions(poll_interval=poll_interval, max_tries=batch_tries,
                                chunk_size=batch_size, wait=not no_wait)
        summary = _run(config, options, titles, limit, out, cache, catalogue_path,
                       taxonomy_path, show_progress=not as_json, mode=mode,
                       batching=(batching, batch_store), every=progress_every)
    except DatagenError as exc:
        raise fail(exc) from None
    if mode == "prompt":
        typer.echo(summary["prompt"])
    elif mode == "dry":
        from datagen.cli.tags_llm_batch import print_price

        typer.echo(json.dumps(summary, sort_keys=True)) if as_json else print_price(summary)
    elif as_json:
        typer.echo(json.dumps(summary, sort_keys=True))
    else:
        _print_summary(summary)


def _load_inputs(catalogue_path: Path | None, taxonomy_path: Path | None) -> tuple[Any, Any]:
    from datagen.catalogue import Catalogue, load_default_catalogue
    from datagen.taxonomy import load_taxonomy

    catalogue = Catalogue.load(catalogue_path) if catalogue_path else load_default_catalogue()
    return catalogue, load_taxonomy(taxonomy_path)


def _run(config: Any, options: Any, titles: list[str], limit: int | None, out: Path,
         cache_path: Path, catalogue_path: Path | None, taxonomy_path: Path | None,
         *, show_progress: bool, mode: str = "live",
         batching: tuple[Any, Path | None] | None = None,
         every: float = 5.0) -> dict[str, Any]:
    from datagen.cli import tags_llm_batch as paths
    from datagen.llm import UsageMeter
    from datagen.tags.evidence import write_evidence_file
    from datagen.tags.llm_tagging import outcomes_frame, select_items

    if out.suffix not in (".parquet", ".jsonl"):
        raise InputError("evidence files end in .parquet or .jsonl", file=out, field="--out")
    catalogue, taxonomy = _load_inputs(catalogue_path, taxonomy_path)
    items = select_items(catalogue, titles, limit)
    if mode == "prompt":
        return {"prompt": paths.show_prompt(items, taxonomy, options)}
    if mode == "dry":
        return paths.run_dry(config, options, items, taxonomy, cache_path)
    meter = UsageMeter()
    extra: dict[str, Any] = {}
    if mode == "batch" and batching is not None:
        store = batching[1] or paths.default_store_path(out)
        outcomes, extra = paths.run_batch(config, options, items, taxonomy, cache_path, store,
                                          batching[0], meter, quiet=not show_progress)
    else:
        outcomes = _run_live(config, options, items, taxonomy, cache_path, meter,
                             show_progress, every)
    evidence = outcomes_frame(outcomes)
    write_evidence_file(evidence, out)
    failures_path = _write_failures(outcomes, out)
    return {**_summary(config, taxonomy, outcomes, evidence, out, failures_path, meter), **extra}


def _run_live(config: Any, options: Any, items: list[Any], taxonomy: Any, cache_path: Path,
              meter: Any, show_progress: bool, every: float) -> list[ItemOutcome]:
    """Live calls: the backend is checked first (reachable, key, model, structured-output
    mode), then every film goes through the LLM layer's adaptive limiter."""
    import asyncio

    from datagen.llm import CachedBackend, ResponseCache, make_backend
    from datagen.llm.preflight import preflight
    from datagen.tags.llm_tagging import tag_items

    with ResponseCache(cache_path) as cache, asyncio.Runner() as loop:
        chat = CachedBackend(make_backend(config, meter=meter), cache)
        try:
            loop.run(preflight(chat))
            with LLMProgress("tags llm", meter=meter, enabled=show_progress,
                             every=every) as shown:
                shown.update(0, len(items))

                def on_done(_outcome: ItemOutcome) -> None:
                    shown.update(shown.done + 1, len(items))

                return loop.run(tag_items(chat, items, taxonomy, options, on_done=on_done))
        finally:
            loop.run(chat.aclose())


def _write_failures(outcomes: list[ItemOutcome], out: Path) -> Path | None:
    from datagen.parquet_io import atomic_write_bytes

    failed = [o for o in outcomes if o.status == "failed"]
    path = out.with_name(out.name + ".failures.jsonl")
    if not failed:
        path.unlink(missing_ok=True)
        return None
    lines = [json.dumps({"item_id": o.item_id, "reason": o.reason, "raw": o.raw[:2000]},
                        ensure_ascii=False) for o in failed]
    return atomic_write_bytes(("\n".join(lines) + "\n").encode(), path)


def _summary(config: Any, taxonomy: Any, outcomes: list[ItemOutcome], evidence: Any,
             out: Path, failures_path: Path | None, meter: Any) -> dict[str, Any]:
    usage = meter.snapshot()
    return {
        "backend": config.kind, "model": config.model, "taxonomy": taxonomy.version_tag,
        "films": len(outcomes),
        "ok": sum(o.status == "ok" for o in outcomes),
        "repaired": sum(o.status == "repaired" for o in outcomes),
        "failed": sum(o.status == "failed" for o in outcomes),
        "unsure": sum(len(o.unsure) for o in outcomes),
        "evidence_rows": evidence.height,
        "present": int((evidence["polarity"] == "present").sum()),
        "absent": int((evidence["polarity"] == "absent").sum()),
        "out": str(out), "failures_file": str(failures_path) if failures_path else None,
        "calls": usage["calls"], "cache_hits": usage["cache_hits"], "retries": usage["retries"],
        "input_tokens": usage["input_tokens"], "output_tokens": usage["output_tokens"],
        "cost_usd": usage["cost_usd"], "priced": usage["priced"],
    }


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"LLM tagging: {summary['backend']} / {summary['model']}",
                  show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for key in ("films", "ok", "repaired", "failed", "pending", "evidence_rows", "present",
                "absent", "unsure", "calls", "cache_hits", "retries", "input_tokens",
                "output_tokens", "batches_submitted", "batches_resumed",
                "requests_resubmitted", "batches_expired"):
        if key in summary:
            table.add_row(key.replace("_", " "), f"{summary[key]:,}")
    cost = f"${summary['cost_usd']:.4f}" + ("" if summary["priced"] else " (model unpriced)")
    table.add_row("cost", cost)
    table.add_row("evidence file", summary["out"])
    if summary["failures_file"]:
        table.add_row("failures", summary["failures_file"])
    console.print(table)
