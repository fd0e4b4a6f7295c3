"""`datagen predict` and `datagen benchmark`: run recommenders over a split, then score them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from datagen.cli import llm_options as llm
from datagen.cli.common import LLMProgress, console, err_console, fail
from datagen.errors import ConfigError, DatagenError

__all__ = ["benchmark", "predict"]

_BACKEND_HELP = ("openai (also any OpenAI-compatible server with --base-url: vLLM, Ollama, "
                 "llama.cpp) | anthropic | baseline "
                 "(--model popularity|graph|graph_safe|graph_stated).")


def _config(**fields: Any) -> Any:
    from pydantic import ValidationError

    from datagen.predict import PredictConfig

    try:
        return PredictConfig.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "options"
        raise ConfigError(f"invalid option {where}: {first['msg']}") from None


def _variants(text: str | None) -> list[str] | None:
    return [v.strip() for v in text.split(",") if v.strip()] if text else None


def _run(config: Any, label: str, quiet: bool, every: float = 5.0) -> Any:
    from datagen.llm import UsageMeter
    from datagen.predict import predict as run

    meter = UsageMeter()
    with LLMProgress(label, meter=meter, enabled=config.progress and not quiet,
                     every=every) as bar:
        return run(config, progress=bar.update, meter=meter)


def _summary(result: Any) -> None:
    from rich.table import Table

    s = result.stats
    table = Table(title=f"predict {result.name}", show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(justify="right")
    kind = "LLM" if s["is_llm"] else "not an LLM"
    rows: list[tuple[str, Any]] = [
        ("recommender", f"{s['backend']} / {s['model']} ({kind})"),
        ("prompt", s.get("prompt_version") or "-"), ("mode", s["mode"]),
        ("cases", s["cases"]), ("answers", s["answers"]),
        ("  with titles", s["with_titles"]), ("  parse failures", s["parse_failures"]),
        ("  empty", s["empty"]), ("  call errors", s["errors"]),
        *((f"    {k}", v) for k, v in s.items() if k.startswith("error_")),
        ("skipped (resumed)", result.skipped),
        ("tokens in / out", f"{s['tokens']['input']:,} / {s['tokens']['output']:,}"),
        ("cost (USD)", f"{s['cost_usd']:.4f}"), ("cached answers", s["cached_answers"]),
        ("elapsed (s)", f"{s['duration_s']:.1f}")]
    acq = s.get("acquisition")
    if acq:
        rows += [("simulated user", ", ".join(acq["user"])),
                 ("asked before recommending", f"{acq['asked_share']:.1%}"),
                 ("questions per dialogue", f"{acq['questions_per_dialogue']:.2f}"),
                 ("trait revealed (trait users)", "n/a" if acq["revealed_share"] is None
                  else f"{acq['revealed_share']:.1%}"),
                 ("budget reached", acq["forced"]),
                 ("traits volunteered unasked", acq["volunteered"])]
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    for warning in s.get("warnings", []):
        err_console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"[dim]predictions:[/] {result.predictions}")


def predict(
    model: str = typer.Option(..., "--model", help="Model name; for --backend baseline one of "
                              "popularity, graph, graph_safe, graph_stated."),
    backend: str = typer.Option("openai", "--backend", help=_BACKEND_HELP),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server, "
                                        "e.g. http://127.0.0.1:8000/v1."),
    split: str = typer.Option("test", "--split", help="train | validation | test."),
    run_dir: Path = typer.Option(Path("runs/default"), "--run-dir",
                                 help="Run folder holding splits/<split>.parquet."),
    prompt: str | None = typer.Option(None, "--prompt", help="plain | safety-aware | "
                                      "acquisition (or a -vN version, or a prompt file path) "
                                      "\\[default: plain; acquisition with --mode acquisition]."),
    mode: str = typer.Option("single", "--mode", help="single (one answer) | acquisition "
                             "(questions to a simulated user first)."),
    budget: int = typer.Option(3, "--budget", min=0, help="Acquisition: questions allowed."),
    user: str = typer.Option("offline", "--user", help="Acquisition: offline (heuristic "
                             "offline-user-v1, not an LLM) | llm (a model plays the user)."),
    user_backend: str | None = typer.Option(None, "--user-backend",
                                            help="--user llm: backend \\[default: --backend]."),
    user_model: str | None = typer.Option(None, "--user-model",
                                          help="--user llm: model \\[default: --model]."),
    n: int = typer.Option(20, "--n", min=1, help="Films asked for per dialogue."),
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    max_tokens: int = llm.MAX_TOKENS,
    timeout: float = llm.TIMEOUT,
    retries: int = llm.RETRIES,
    variants: str | None = typer.Option(None, "--variants", help="Only these context "
                                        "variants, e.g. implicit,absent."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N dialogues."),
    name: str | None = typer.Option(None, "--name", help="Output label \\[default: "
                                    "<model>.<prompt version>; baselines: their name]."),
    concurrency: int = llm.CONCURRENCY,
    shard_size: int = typer.Option(256, "--shard-size", help="Answers per shard (resume unit)."),
    max_failure_rate: float = typer.Option(0.5, "--max-failure-rate", help="Abort above this "
                                           "share of failed calls (shards are kept)."),
    cache: Path | None = typer.Option(None, "--cache", help="LLM response cache \\[default: "
                                      "<run-dir>/../llm_cache.sqlite, shared with synthesize]."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not cache responses."),
    price_in: float = typer.Option(0.0, "--price-in", help="USD per 1M input tokens."),
    price_out: float = typer.Option(0.0, "--price-out", help="USD per 1M output tokens."),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help="Acquisition: taxonomy YAML "
                                         "\\[default: the run's, else embedded]."),
    catalogue: Path | None = typer.Option(None, "--catalogue", help="Baselines: catalogue."),
    tags: Path | None = typer.Option(None, "--tags",
                                     help="graph_safe, graph_stated: item_tags.parquet."),
    graph: Path | None = typer.Option(None, "--graph", help="Graph baselines: graph.json."),
    unknown_policy: str = typer.Option("exclude", "--unknown-policy",
                                       help="graph_safe, graph_stated: exclude | allow | "
                                       "penalize."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run of this name."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the run of this name."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="With --resume: run the "
                                      "cases whose call failed again."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress display."),
    progress_every: float = llm.PROGRESS_EVERY,
    json_out: bool = typer.Option(False, "--json", help="Print stats.json to stdout."),
) -> None:
    """Run a recommender over a split's dialogues and write a predictions file.

    Each dialogue goes to the model through the shared LLM layer (retries, Retry-After,
    concurrency and rate limits, the SQLite response cache) with a versioned recommender
    prompt; the raw answer, model, prompt version and token usage are kept on every record of
    <run-dir>/predictions/<name>.jsonl, which `datagen evaluate` reads as is. Answers without
    a single title are parse failures there, not crashes; a call that fails after its retries
    is recorded with its error. Shards and done markers make a killed run resumable
    (--resume). --mode acquisition lets the model ask up to --budget questions first; a
    simulated user answers from the hidden profile, never more than it was asked.

    Examples:

      datagen predict --backend openai --base-url http://127.0.0.1:8000/v1 --model M

      datagen predict --model gpt-4o-mini --prompt safety-aware --split test

      datagen predict --model gpt-4o-mini --mode acquisition --budget 3 --variants absent

      datagen predict --backend baseline --model graph_safe
    """
    try:
        config = _config(
            run_dir=run_dir, split=split, backend=backend, model=model, base_url=base_url,
            prompt=prompt, mode=mode, budget=budget, user=user, user_backend=user_backend,
            user_model=user_model, n=n, temperature=temperature, max_tokens=max_tokens,
            timeout=timeout, max_retries=retries, variants=_variants(variants), limit=limit,
            name=name, concurrency=concurrency, shard_size=shard_size,
            max_failure_rate=max_failure_rate, cache_path=cache, no_cache=no_cache,
            price_input_per_mtok=price_in, price_output_per_mtok=price_out,
            taxonomy_path=taxonomy, catalogue_path=catalogue, tags_path=tags, graph_path=graph,
            unknown_policy=unknown_policy, resume=resume, overwrite=overwrite,
            retry_errors=retry_errors, progress=not no_progress)
        result = _run(config, "predict", json_out, progress_every)
    except DatagenError as exc:
        raise fail(exc) from None
    if json_out:
        typer.echo(json.dumps(result.stats, indent=2, sort_keys=True))
    else:
        _summary(result)


def _bench_configs(common: dict[str, Any], prompts: list[str], acquisition: bool,
                   baselines: list[str]) -> list[Any]:
    from datagen.predict.runner import output_paths

    configs = [_config(**common, prompt=p) for p in prompts]
    if acquisition:
        configs.append(_config(**common, mode="acquisition"))
    llm_keys = ("base_url", "temperature", "user", "budget", "max_tokens", "timeout",
                "max_retries", "cache_path", "no_cache", "mode")
    for name in baselines:
        fields = {k: v for k, v in common.items() if k not in llm_keys}
        configs.append(_config(**{**fields, "backend": "baseline", "model": name}))
    out = []
    for config in configs:  # rerunning the benchmark continues each run where it stopped
        from datagen.predict.runner import default_name

        label = default_name(config, _prompt_version(config))
        folder = output_paths(config.run_dir, label)[1]
        if not config.overwrite and (folder / "manifest.json").is_file():
            config = config.model_copy(update={"resume": True})
        out.append(config)
    return out


def _prompt_version(config: Any) -> str | None:
    from datagen.predict.config import RecommenderKind
    from datagen.predict.prompts import load_recommender_prompt

    if config.backend is RecommenderKind.baseline:
        return None
    return load_recommender_prompt(config.prompt_name).version


def benchmark(
    model: str = typer.Option(..., "--model", help="The model to benchmark."),
    backend: str = typer.Option("openai", "--backend", help="openai | anthropic."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server."),
    split: str = typer.Option("test", "--split", help="train | validation | test."),
    run_dir: Path = typer.Option(Path("runs/default"), "--run-dir", help="Run folder."),
    prompts: list[str] = typer.Option(["plain", "safety-aware"], "--prompt",
                                      help="Recommender prompts, one run each (repeatable)."),
    acquisition: bool = typer.Option(False, "--acquisition", help="Also an acquisition run."),
    budget: int = typer.Option(3, "--budget", min=0, help="Acquisition: questions allowed."),
    user: str = typer.Option("offline", "--user", help="Acquisition: offline | llm."),
    baselines: str = typer.Option("popularity,graph_safe,graph_stated", "--baselines",
                                  help="Reference baselines to compare with ('' = none)."),
    n: int = typer.Option(20, "--n", min=1, help="Films asked for per dialogue."),
    variants: str | None = typer.Option(None, "--variants", help="Only these variants."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N dialogues."),
    concurrency: int = llm.CONCURRENCY,
    timeout: float = llm.TIMEOUT,
    retries: int = llm.RETRIES,
    cache: Path | None = typer.Option(None, "--cache", help="LLM response cache."),
    catalogue: Path | None = typer.Option(None, "--catalogue", help="Catalogue Parquet "
                                          "\\[default: the run's, else the embedded films]."),
    tags: Path | None = typer.Option(None, "--tags", help="item_tags.parquet \\[default: the "
                                     "run's, else artifacts/, else embedded rules + curated]."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo every run from scratch."),
    k: str = typer.Option("5,10,20", "--k", help="Cut-offs, comma-separated."),
    resamples: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap resamples."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars."),
) -> None:
    """From a model name to the comparison table: predict with each prompt, then evaluate.

    Runs `datagen predict` once per --prompt (and once in acquisition mode with
    --acquisition), runs the reference baselines the same way, then `datagen evaluate` on all
    of them: the side-by-side table with 95% intervals, per-variant tables with paired
    differences when the split has context variants, and metrics.json / .md / .png in
    <run-dir>/eval/<split>/. Rerunning continues unfinished runs (answers are cached).

    Example: datagen benchmark --base-url http://127.0.0.1:8000/v1 --model M --acquisition
    """
    from datagen.cli.evaluate import evaluate_files, parse_ks, print_report

    common = dict(run_dir=run_dir, split=split, backend=backend, model=model,
                  base_url=base_url, budget=budget, user=user, n=n,
                  variants=_variants(variants), limit=limit, concurrency=concurrency,
                  timeout=timeout, max_retries=retries, cache_path=cache, overwrite=overwrite,
                  catalogue_path=catalogue, tags_path=tags, progress=not no_progress)
    try:
        names = [b.strip() for b in baselines.split(",") if b.strip()]
        configs = _bench_configs(common, list(prompts), acquisition, names)
        files = []
        for config in configs:
            result = _run(config, f"predict {config.model}", False)
            console.print(f"[green]{result.name}[/]: {result.stats['answers']} answers, "
                          f"{result.stats['parse_failures']} parse failures, "
                          f"{result.stats['errors']} errors -> {result.predictions}")
            files.append(result.predictions)
        report, paths = evaluate_files(files, split, run_dir, parse_ks(k), None, resamples, 0,
                                       catalogue, tags)
    except DatagenError as exc:
        raise fail(exc) from None
    print_report(report)
    for kind, path in paths.items():
        err_console.print(f"[dim]{kind}:[/] {path}")
