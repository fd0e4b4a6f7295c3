"""Run a synthesis plan: bounded-concurrency asyncio, shards, resume, abort, stats.

:func:`synthesize` is the one public entry: config in, :class:`RunResult` out. It loads the
inputs, fixes the plan, opens (or resumes) the run directory, runs every pending entry with
at most ``concurrency`` in flight, appends a shard each ``shard_size`` finished entries,
stops with :class:`~datagen.errors.RunAbortedError` (finished shards kept) when generation
failures exceed ``max_failure_rate``, then merges the shards and writes ``stats.json``.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from datagen.errors import ConfigError, RunAbortedError
from datagen.synth.config import BackendName, SynthConfig
from datagen.synth.generate import (
    LLMGenerator,
    LLMJudge,
    OfflineGenerator,
    OfflineJudgeAdapter,
)
from datagen.synth.pipeline import (
    Outcome,
    StageContext,
    build_context,
    plan_run,
    process_entry,
    run_facts,
)
from datagen.synth.plan import PlanEntry, plan_digest
from datagen.synth.resources import Resources, load_resources
from datagen.synth.rundir import RunDir
from datagen.synth.stats import compute_stats

__all__ = ["Progress", "RunResult", "synthesize"]

#: called after each finished entry with (done, total, usage snapshot or None)
Progress = Callable[[int, int, "dict[str, Any] | None"], None]


@dataclass
class RunResult:
    run_dir: Path
    stats: dict[str, Any]
    manifest: dict[str, Any]
    skipped: int = 0  # entries already done before a --resume
    extra: dict[str, Any] = field(default_factory=dict)


def _llm_backend(config: SynthConfig, kind: BackendName, model: str | None, meter: Any) -> Any:
    from datagen.llm import BackendConfig, CachedBackend, Prices, ResponseCache, make_backend

    if not model:
        raise ConfigError(f"--model is required with the {kind.value} backend")
    prices = None
    if config.price_input_per_mtok or config.price_output_per_mtok:
        prices = Prices(input_per_mtok=config.price_input_per_mtok,
                        output_per_mtok=config.price_output_per_mtok)
    kind_name: Literal["openai", "anthropic"] = \
        "openai" if kind is BackendName.openai else "anthropic"
    backend = make_backend(BackendConfig(kind=kind_name, model=model, base_url=config.base_url,
                                         concurrency=config.concurrency, prices=prices),
                           meter=meter)
    if config.no_cache:
        return backend
    cache_path = config.cache_path or config.run_dir.parent / "llm_cache.sqlite"
    return CachedBackend(backend, ResponseCache(cache_path), meter=meter)


def _build(config: SynthConfig, res: Resources, meter: Any) -> tuple[Any, Any]:
    if config.backend is BackendName.offline:
        generator: Any = OfflineGenerator(res.leaks)
    else:
        generator = LLMGenerator(_llm_backend(config, config.backend, config.model, meter),
                                 prompt_version=config.prompt_version,
                                 temperature=config.temperature, max_tokens=config.max_tokens)
    if config.judge_backend is BackendName.offline:
        judge: Any = OfflineJudgeAdapter(res.taxonomy)
    else:
        judge_model = config.judge_model or config.model
        judge = LLMJudge(_llm_backend(config, config.judge_backend, judge_model, meter),
                         res.taxonomy, prompt_version=config.judge_prompt_version)
    return generator, judge


def _labels(config: SynthConfig, generator: Any) -> dict[str, Any]:
    offline_judge = config.judge_backend is BackendName.offline
    return {
        "backend": generator.backend, "model": generator.model, "is_llm": generator.is_llm,
        "judge_backend": config.judge_backend.value,
        "judge_model": "offline-judge-v1" if offline_judge
        else (config.judge_model or config.model),
        "judge_is_llm": not offline_judge,
    }


def _manifest(config: SynthConfig, res: Resources, plan: list[PlanEntry],
              labels: dict[str, Any]) -> dict[str, Any]:
    from datagen import __version__

    return {
        "config": config.output_fields(),
        "plan": {"seed": config.seed, "users": config.n, "entries": len(plan),
                 "sha256": plan_digest(plan)},
        "taxonomy": {"version_tag": res.taxonomy.version_tag,
                     "content_hash": res.taxonomy.content_hash},
        "catalogue": {"fingerprint": res.catalogue.fingerprint, "items": len(res.catalogue)},
        "sources": res.sources,
        "unknown_policy": config.unknown_policy,
        "package_version": __version__,
        "labels": labels,
    }


class _Collector:
    """Buffers finished outcomes, appends shards, reports progress, enforces the abort rule."""

    def __init__(self, config: SynthConfig, rundir: RunDir, total: int,
                 progress: Progress | None, meter: Any) -> None:
        self.config, self.rundir, self.total = config, rundir, total
        self.progress, self.meter = progress, meter
        self.samples: list[Any] = []
        self.rejects: list[Any] = []
        self.done = self.failures = 0

    def add(self, outcome: Outcome) -> None:
        self.done += 1
        self.failures += outcome.generation_failed
        if outcome.sample is not None:
            self.samples.append(outcome.sample)
        else:
            self.rejects.append(outcome.reject)
        if len(self.samples) + len(self.rejects) >= self.config.shard_size:
            self.flush()
        if self.progress is not None:
            self.progress(self.done, self.total, self.meter.snapshot() if self.meter else None)
        cfg = self.config
        if self.done >= cfg.min_failures_checked and \
                self.failures / self.done > cfg.max_failure_rate:
            raise RunAbortedError(
                f"generation failed for {self.failures} of {self.done} entries "
                f"(> {cfg.max_failure_rate:.0%}); finished shards are kept in "
                f"{self.rundir.shards}, see their rejects for raw output and reasons")

    def flush(self) -> None:
        if self.samples or self.rejects:
            self.rundir.write_shard(self.samples, self.rejects)
            self.samples, self.rejects = [], []


async def _run_pending(ctx: StageContext, pending: list[PlanEntry], config: SynthConfig,
                       rundir: RunDir, progress: Progress | None, meter: Any) -> None:
    """``concurrency`` workers pull entries from one iterator; results are not kept around
    after their shard is written, so memory stays flat however long the plan is."""
    collector = _Collector(config, rundir, len(pending), progress, meter)
    entries = iter(pending)

    async def worker() -> None:
        for entry in entries:
            collector.add(await process_entry(ctx, entry))

    workers = [asyncio.ensure_future(worker()) for _ in range(min(config.concurrency,
                                                                   len(pending) or 1))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        collector.flush()


async def _aclose(*objs: Any) -> None:
    for obj in objs:
        backend = getattr(obj, "_backend", None)
        if backend is not None:
            await backend.aclose()


@contextmanager
def _inputs_frozen() -> Iterator[None]:
    """Keep the run's inputs (graph, catalogue, tag index, indexes: millions of long-lived
    objects) out of the cyclic collector's full passes while entries are processed.

    Every entry allocates thousands of short-lived objects, which triggers generation-2
    collections; without this, each one re-traverses all the inputs, which cost about a
    fifth of an offline run. ``gc.freeze`` only moves what exists now to the permanent
    generation (nothing is leaked: it is still reference-counted, and ``unfreeze`` hands it
    back to the collector after the run). No ``gc.collect`` first: a full pass costs more
    than the little garbage it would find.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def synthesize(config: SynthConfig, *, progress: Progress | None = None,
               resources: Resources | None = None) -> RunResult:
    """Plan, generate, verify and write one run (see module docstring)."""
    started = time.perf_counter()
    res = resources or load_resources(config)
    with _inputs_frozen():
        return _run(config, res, progress, started)


def _run(config: SynthConfig, res: Resources, progress: Progress | None,
         started: float) -> RunResult:
    plan = plan_run(config, res)
    if not plan:
        raise ConfigError("the seed source gave no usable seeds")
    meter = None
    if config.backend is not BackendName.offline or config.judge_backend is not \
            BackendName.offline:
        from datagen.llm import UsageMeter

        meter = UsageMeter()
    generator, judge = _build(config, res, meter)
    labels = _labels(config, generator)
    manifest = _manifest(config, res, plan, labels)
    rundir = RunDir(config.run_dir)
    done_ids = rundir.prepare(manifest, resume=config.resume, overwrite=config.overwrite,
                              prefix_digest=lambda users: plan_digest(plan, users))
    pending = [e for e in plan if e.sample_id not in done_ids]
    ctx = build_context(config, res, generator, judge)

    async def main() -> None:
        try:
            await _run_pending(ctx, pending, config, rundir, progress, meter)
        finally:
            await _aclose(generator, judge)

    asyncio.run(main())
    ctx.ranker.memo.clear()  # per-run memo: free it before the merge needs the memory
    samples, rejects = rundir.merge({e.sample_id: i for i, e in enumerate(plan)})
    stats = compute_stats(samples, rejects, planned=len(plan), labels=labels,
                          duration_s=time.perf_counter() - started,
                          prices=(config.price_input_per_mtok, config.price_output_per_mtok),
                          usage=meter.snapshot() if meter else None,
                          facts=run_facts(config, res))
    rundir.write_json("stats.json", stats)
    return RunResult(run_dir=rundir.path, stats=stats, manifest=manifest,
                     skipped=len(plan) - len(pending))
