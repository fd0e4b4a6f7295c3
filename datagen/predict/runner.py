"""Run a recommender over a split: bounded concurrency, shards, resume, abort, stats.

:func:`predict` is the one public entry: config in, :class:`PredictResult` out. It reads the
split's dialogues, builds the recommender (:mod:`datagen.predict.build`), checks its LLM
backends before any call (:mod:`datagen.llm.preflight`: reachable, key, model), opens or
resumes the run folder (:class:`~datagen.predict.rundir.PredictRunDir`), runs every pending
case with at most ``concurrency`` in flight (every request still passes the backend's own
adaptive limiter), appends a shard each ``shard_size`` answers, stops with
:class:`~datagen.errors.RunAbortedError` (finished shards kept) when failed calls exceed
``max_failure_rate`` (or when the backend's failure guard trips: too many failures in a
row), then writes the merged predictions file and ``stats.json``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datagen.errors import RunAbortedError
from datagen.evaluate.predictions import PredictionRecord, write_predictions
from datagen.predict.build import build_recommender
from datagen.predict.cases import Case, CaseSet, load_cases
from datagen.predict.config import PredictConfig, RecommenderKind, slug
from datagen.predict.recommenders import Recommender
from datagen.predict.rundir import PredictRunDir
from datagen.predict.stats import compute_stats

__all__ = ["PredictResult", "Progress", "output_paths", "predict"]

#: called after each finished case with (done, total, usage snapshot or None)
Progress = Callable[[int, int, "dict[str, Any] | None"], None]


@dataclass
class PredictResult:
    predictions: Path
    run_dir: Path
    name: str
    stats: dict[str, Any]
    skipped: int = 0  # cases already done before a --resume


def default_name(config: PredictConfig, prompt_version: str | None) -> str:
    """``<model>.<prompt version>`` (baselines: the baseline's name)."""
    if config.name:
        return config.name
    if config.backend is RecommenderKind.baseline:
        return config.model
    return f"{slug(config.model)}.{slug(prompt_version or 'prompt')}"


def output_paths(run_dir: Path, name: str) -> tuple[Path, Path]:
    """``(predictions file, run folder)``: ``predictions/<name>.jsonl`` and ``<name>.run/``."""
    folder = Path(run_dir) / "predictions"
    return folder / f"{name}.jsonl", folder / f"{name}.run"


def _labels(rec: Recommender, user: Any) -> dict[str, Any]:
    labels = {"backend": rec.backend, "model": rec.model, "is_llm": rec.is_llm,
              "prompt_version": rec.prompt_version, "mode": rec.mode}
    if user is not None:
        labels.update(user=user.label, user_is_llm=user.is_llm)
    return labels


def _manifest(config: PredictConfig, cases: CaseSet, labels: dict[str, Any],
              taxonomy_tag: str | None, checks: list[dict[str, Any]]) -> dict[str, Any]:
    from datagen import __version__

    h = hashlib.sha256("\n".join(c.sample_id for c in cases.cases).encode())
    return {
        "config": config.output_fields(),
        "plan": {"split": cases.split, "cases": len(cases.cases), "sha256": h.hexdigest(),
                 "split_file": str(cases.path)},
        "split_taxonomy_version": cases.taxonomy_version,
        "user_taxonomy_version": taxonomy_tag,
        "package_version": __version__,
        "labels": labels,
        #: what the preflight found per LLM backend: URL, model, models listed
        "llm": checks,
    }


class _Collector:
    """Buffers finished records, appends shards, reports progress, enforces the abort rule."""

    def __init__(self, config: PredictConfig, rundir: PredictRunDir, total: int,
                 progress: Progress | None, meter: Any) -> None:
        self.config, self.rundir, self.total = config, rundir, total
        self.progress, self.meter = progress, meter
        self.buffer: list[PredictionRecord] = []
        self.done = self.failures = 0

    def add(self, record: PredictionRecord) -> None:
        self.done += 1
        self.failures += int(record.meta is not None and record.meta.error is not None)
        self.buffer.append(record)
        if len(self.buffer) >= self.config.shard_size:
            self.flush()
        if self.progress is not None:
            self.progress(self.done, self.total, self.meter.snapshot())
        cfg = self.config
        if self.done >= cfg.min_failures_checked and \
                self.failures / self.done > cfg.max_failure_rate:
            raise RunAbortedError(
                f"the recommender's calls failed for {self.failures} of {self.done} cases "
                f"(> {cfg.max_failure_rate:.0%}); finished shards are kept in "
                f"{self.rundir.shards}: fix the cause and rerun with --resume")

    def flush(self) -> None:
        if self.buffer:
            self.rundir.write_records(self.buffer)
            self.buffer = []


async def _run_pending(rec: Recommender, pending: Sequence[Case], stamp: dict[str, Any],
                       collector: _Collector, concurrency: int) -> None:
    """``concurrency`` workers pull cases from one iterator (requests still pass the
    backend's own concurrency slots and rate limits)."""
    cases = iter(pending)

    async def worker() -> None:
        for case in cases:
            answer = await rec.recommend(case)
            collector.add(PredictionRecord(sample_id=case.sample_id, text=answer.text,
                                           titles=answer.titles, meta=answer.meta, **stamp))

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency,
                                                                   len(pending) or 1))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        collector.flush()


def _chats(*objs: Any) -> list[Any]:
    """The chat backends under the recommender and the simulated user (none for offline)."""
    return [b for b in (getattr(o, "_backend", None) for o in objs) if b is not None]


async def _aclose(chats: list[Any]) -> None:
    for backend in chats:
        await backend.aclose()


def _pending(rundir: PredictRunDir, config: PredictConfig, manifest: dict[str, Any],
             cases: Sequence[Case]) -> list[Case]:
    done = rundir.prepare(manifest, resume=config.resume, overwrite=config.overwrite)
    if config.retry_errors and done:
        failed = {sid for sid, r in rundir.read_records().items()
                  if r.meta is not None and r.meta.error is not None}
        done -= failed
    return [c for c in cases if c.sample_id not in done]


def predict(config: PredictConfig, *, progress: Progress | None = None,
            meter: Any = None) -> PredictResult:
    """Predict every case of the split (see module docstring).

    ``meter`` (a :class:`~datagen.llm.UsageMeter`) lets a caller watch usage live.
    """
    from datagen.llm import UsageMeter
    from datagen.llm.preflight import preflight

    started = time.perf_counter()
    cases = load_cases(config.run_dir, config.split, variants=config.variants,
                       limit=config.limit)
    meter = meter if meter is not None else UsageMeter()
    rec, user = build_recommender(config, meter)
    chats = _chats(rec, user)
    with asyncio.Runner() as loop:
        try:
            checks = loop.run(preflight(*chats)) if chats else []
            return _run(config, cases, rec, user, loop, checks, meter, progress, started)
        finally:
            loop.run(_aclose(chats))


def _run(config: PredictConfig, cases: CaseSet, rec: Recommender, user: Any,
         loop: asyncio.Runner, checks: list[dict[str, Any]], meter: Any,
         progress: Progress | None, started: float) -> PredictResult:
    name = default_name(config, rec.prompt_version)
    out_file, folder = output_paths(config.run_dir, name)
    labels = _labels(rec, user)
    rundir = PredictRunDir(folder)
    manifest = _manifest(config, cases, labels, getattr(user, "taxonomy_version", None),
                         checks)
    pending = _pending(rundir, config, manifest, cases.cases)
    stamp = {"split": cases.split, "taxonomy_version": cases.taxonomy_version}
    collector = _Collector(config, rundir, len(pending), progress, meter)
    if progress is not None:
        progress(0, len(pending), None)
    loop.run(_run_pending(rec, pending, stamp, collector, config.concurrency))
    by_id = rundir.read_records()
    records = [by_id[c.sample_id] for c in cases.cases if c.sample_id in by_id]
    write_predictions(records, out_file)
    stats = compute_stats(records, cases.cases, labels=labels,
                          duration_s=time.perf_counter() - started,
                          prices=(config.price_input_per_mtok, config.price_output_per_mtok),
                          usage=meter.snapshot())
    user_tag = getattr(user, "taxonomy_version", None)
    if user_tag and cases.taxonomy_version and user_tag != cases.taxonomy_version:
        stats["warnings"] = [f"the simulated user read taxonomy {user_tag}, the split was made "
                             f"with {cases.taxonomy_version}: pass the run's --taxonomy"]
    rundir.write_json("stats.json", stats)
    return PredictResult(predictions=out_file, run_dir=folder, name=name, stats=stats,
                         skipped=len(cases.cases) - len(pending))
