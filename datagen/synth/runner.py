"""Run a synthesis plan: bounded-concurrency asyncio, shards, resume, abort, stats.

:func:`synthesize` is the one public entry: config in, :class:`RunResult` out. It checks the
LLM backends first (:mod:`datagen.llm.preflight`: reachable, key, model, structured-output
mode), loads the inputs, fixes the plan, opens (or resumes) the run directory, runs every
pending entry (model-free stages a little ahead, at most ``concurrency`` model calls in
flight, fewer when the backend's adaptive limit says so), appends a shard each
``shard_size`` finished entries, stops with :class:`~datagen.errors.RunAbortedError`
(finished shards kept) when generation failures exceed ``max_failure_rate``, when the
backend failed too many times in a row, or when every generation failed, then merges the
shards and writes ``stats.json``.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datagen.errors import ConfigError, RunAbortedError
from datagen.synth.config import BackendName, SynthConfig
from datagen.synth.explicit import explicit_cue_bank
from datagen.synth.generate import (
    LLMGenerator,
    LLMJudge,
    OfflineGenerator,
    OfflineJudgeAdapter,
)
from datagen.synth.offline import JUDGE_MODEL
from datagen.synth.pipeline import (
    Outcome,
    Prepared,
    StageContext,
    build_context,
    finish_entry,
    plan_run,
    run_facts,
)
from datagen.synth.plan import PlanEntry, plan_digest
from datagen.synth.prefetch import Prefetcher
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


def _chat_backend(config: SynthConfig, kind: BackendName, model: str | None,
                  meter: Any) -> Any:
    """An SDK backend (in the response cache unless ``no_cache``) for ``kind``."""
    from datagen.llm.factory import run_backend

    if not model:
        raise ConfigError(f"--model is required with the {kind.value} backend")
    return run_backend(kind="openai" if kind is BackendName.openai else "anthropic",
                       model=model, base_url=config.base_url, concurrency=config.concurrency,
                       timeout=config.timeout, max_retries=config.retries,
                       structured_output=config.structured_output,
                       price_in=config.price_input_per_mtok,
                       price_out=config.price_output_per_mtok, meter=meter,
                       run_dir=config.run_dir, no_cache=config.no_cache,
                       cache_path=config.cache_path)


@dataclass
class _Chats:
    """The run's chat backends (None where the offline stand-in is used)."""

    generator: Any = None
    judge: Any = None

    @property
    def all(self) -> list[Any]:
        return [b for b in (self.generator, self.judge) if b is not None]


def _chats(config: SynthConfig, meter: Any) -> _Chats:
    chats = _Chats()
    if config.backend is not BackendName.offline:
        chats.generator = _chat_backend(config, config.backend, config.model, meter)
    if config.judge_backend is not BackendName.offline:
        chats.judge = _chat_backend(config, config.judge_backend,
                                    config.judge_model or config.model, meter)
    return chats


def _build(config: SynthConfig, res: Resources, chats: _Chats) -> tuple[Any, Any]:
    explicit = explicit_cue_bank(res.taxonomy)  # plain statements: explicit variants
    if chats.generator is None:
        generator: Any = OfflineGenerator(res.leaks, explicit)
    else:
        generator = LLMGenerator(chats.generator, prompt_version=config.prompt_version,
                                 temperature=config.temperature, max_tokens=config.max_tokens,
                                 explicit=explicit)
    if chats.judge is None:
        judge: Any = OfflineJudgeAdapter(res.taxonomy)
    else:
        judge = LLMJudge(chats.judge, res.taxonomy, prompt_version=config.judge_prompt_version)
    return generator, judge


def _labels(config: SynthConfig, generator: Any) -> dict[str, Any]:
    offline_judge = config.judge_backend is BackendName.offline
    return {
        "backend": generator.backend, "model": generator.model, "is_llm": generator.is_llm,
        "judge_backend": config.judge_backend.value,
        "judge_model": JUDGE_MODEL if offline_judge
        else (config.judge_model or config.model),
        "judge_is_llm": not offline_judge,
    }


def _manifest(config: SynthConfig, res: Resources, plan: list[PlanEntry],
              labels: dict[str, Any], checks: list[dict[str, Any]]) -> dict[str, Any]:
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
        #: what the preflight found per LLM backend: URL, model, structured-output mode
        "llm": checks,
    }


class _Collector:
    """Buffers finished outcomes, appends shards, reports progress, enforces the abort rule."""

    def __init__(self, config: SynthConfig, rundir: RunDir, total: int,
                 progress: Progress | None, meter: Any) -> None:
        self.config, self.rundir, self.total = config, rundir, total
        self.progress, self.meter = progress, meter
        self.samples: list[Any] = []
        self.rejects: list[Any] = []
        self.done = self.failures = self.generated = 0
        #: shards are written by one thread, in order, so the event loop never stalls on
        #: building and writing a shard (~0.1 s each) while responses wait
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shard-writer")
        self._writes: list[Future[str]] = []

    def add(self, outcome: Outcome, *, generated: bool = True) -> None:
        self.done += 1
        self.generated += generated
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

    def check_all_failed(self) -> None:
        """A run in which every generation failed is an error, however small."""
        if self.generated and self.failures == self.generated:
            raise RunAbortedError(
                f"generation failed for all {self.failures} entries that reached the model; "
                f"see the rejects in {self.rundir.shards} for the errors")

    def flush(self) -> None:
        if self.samples or self.rejects:
            self._writes.append(self._writer.submit(self.rundir.write_shard, self.samples,
                                                    self.rejects))
            self.samples, self.rejects = [], []
        for future in [f for f in self._writes if f.done()]:
            self._writes.remove(future)
            future.result()  # a failed write stops the run here

    def close(self) -> None:
        """Write what is buffered and wait until every shard is on disk."""
        try:
            self.flush()
            for future in self._writes:
                future.result()
        finally:
            self._writes.clear()
            self._writer.shutdown(wait=True)


def _uses_model(ctx: StageContext) -> bool:
    return bool(getattr(ctx.generator, "is_llm", False))


async def _run_pending(ctx: StageContext, pending: list[PlanEntry], config: SynthConfig,
                       rundir: RunDir, progress: Progress | None, meter: Any) -> None:
    """Feed the model stages from a queue of prepared entries.

    A producer runs the model-free stages (:func:`prepare_entry`: ground truth) a bounded
    distance ahead of the model calls, in a worker process when a model is called (see
    :mod:`datagen.synth.prefetch`), so the event loop only sends requests and reads
    responses; ``concurrency`` workers take prepared entries and await their calls (the
    backend's adaptive limiter decides how many are in flight). Results are not kept after
    their shard is written: memory stays flat.
    """
    collector = _Collector(config, rundir, len(pending), progress, meter)
    if progress is not None:
        progress(0, len(pending), None)
    width = min(config.concurrency, len(pending) or 1)
    queue: asyncio.Queue[Prepared | None] = asyncio.Queue(maxsize=2 * width)

    async def produce() -> None:
        async for prepared in Prefetcher(ctx, pending,
                                          use_process=None if _uses_model(ctx) else False):
            if isinstance(prepared, Outcome):
                collector.add(prepared, generated=False)
            else:
                await queue.put(prepared)
        for _ in range(width):
            await queue.put(None)

    async def worker() -> None:
        while (prepared := await queue.get()) is not None:
            collector.add(await finish_entry(ctx, prepared))

    tasks = [asyncio.ensure_future(produce())]
    tasks += [asyncio.ensure_future(worker()) for _ in range(width)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        collector.close()
    collector.check_all_failed()


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
               resources: Resources | None = None, meter: Any = None) -> RunResult:
    """Preflight, plan, generate, verify and write one run (see module docstring).

    The LLM backends are checked (reachable, key, model, structured-output mode) before any
    input is loaded or planned: a wrong URL fails in seconds. ``meter`` (a
    :class:`~datagen.llm.UsageMeter`) lets a caller watch usage live; one is made if needed.
    """
    started = time.perf_counter()
    uses_llm = (config.backend, config.judge_backend) != (BackendName.offline,) * 2
    if meter is None and uses_llm:
        from datagen.llm import UsageMeter

        meter = UsageMeter()
    chats = _chats(config, meter)
    with asyncio.Runner() as loop:
        try:
            checks = loop.run(_preflight(chats)) if chats.all else []
            res = resources or load_resources(config)
            with _inputs_frozen():
                return _run(config, res, progress, started, loop, chats, checks, meter)
        finally:
            loop.run(_aclose(chats))


async def _preflight(chats: _Chats) -> list[dict[str, Any]]:
    from datagen.llm.preflight import preflight

    return await preflight(*chats.all)


async def _aclose(chats: _Chats) -> None:
    for backend in chats.all:
        await backend.aclose()


def _run(config: SynthConfig, res: Resources, progress: Progress | None, started: float,
         loop: asyncio.Runner, chats: _Chats, checks: list[dict[str, Any]],
         meter: Any) -> RunResult:
    plan = plan_run(config, res)
    if not plan:
        raise ConfigError("the seed source gave no usable seeds")
    generator, judge = _build(config, res, chats)
    labels = _labels(config, generator)
    manifest = _manifest(config, res, plan, labels, checks)
    rundir = RunDir(config.run_dir)
    done_ids = rundir.prepare(manifest, resume=config.resume, overwrite=config.overwrite,
                              prefix_digest=lambda users: plan_digest(plan, users))
    pending = [e for e in plan if e.sample_id not in done_ids]
    ctx = build_context(config, res, generator, judge)
    loop.run(_run_pending(ctx, pending, config, rundir, progress, meter))
    ctx.ranker.memo.clear()  # per-run memo: free it before the merge needs the memory
    samples, rejects = rundir.merge({e.sample_id: i for i, e in enumerate(plan)})
    stats = compute_stats(samples, rejects, planned=len(plan), labels=labels,
                          duration_s=time.perf_counter() - started,
                          prices=(config.price_input_per_mtok, config.price_output_per_mtok),
                          usage=meter.snapshot() if meter and chats.all else None,
                          facts=run_facts(config, res))
    stats["structured_output"] = {c["backend"] + "/" + c["model"]: c["structured_output"]
                                  for c in checks}
    from datagen.tags.provenance import ground_truth_provenance

    if hasattr(res.tags, "table"):  # what the ground truth rests on (docs/tags.md)
        stats["ground_truth_evidence"] = ground_truth_provenance(samples, res.tags)
    rundir.write_json("stats.json", stats)
    return RunResult(run_dir=rundir.path, stats=stats, manifest=manifest,
                     skipped=len(plan) - len(pending))
