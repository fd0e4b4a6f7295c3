"""One plan entry through every stage: ground truth -> generation -> judge -> verification.

:func:`process_entry` returns either a :class:`~datagen.records.sample.Sample` or a reject
record (a row of ``rejects.parquet``); nothing is ever silently lost. Ground truth comes
first because it needs no model call: a user with too few safe candidates is rejected
before any tokens are spent (the traits were fixed by the plan, so this cannot bias them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from datagen.records.sample import Generation, ItemRef, Sample
from datagen.synth.generate import Generator, Judge
from datagen.synth.ground_truth import (
    INSUFFICIENT,
    GroundTruth,
    TagLookup,
    build_ground_truth,
    candidates_for,
)
from datagen.synth.plan import PlanEntry
from datagen.synth.rundir import RejectRecord
from datagen.synth.tasks import user_text
from datagen.synth.verify import verify_sample
from datagen.taxonomy.leaks import LeakMatcher

__all__ = ["Outcome", "Prepared", "StageContext", "finish_entry", "prepare_entry", "process_entry"]

Related = Callable[[list[str], int, Sequence[str]], list[tuple[str, float]]]


@dataclass
class StageContext:
    """What every entry needs: built once per run and shared by all workers."""

    taxonomy_version: str
    domain: str
    tags: TagLookup
    leaks: LeakMatcher
    related: Related
    lookup: Callable[[str], Any]
    generator: Generator
    judge: Judge
    unknown_policy: str = "exclude"
    gt_min: int = 3
    gt_max: int = 10
    candidate_pool: int = 60
    drop_failed: bool = False
    #: traits for which no item can be safe (no item tagged ``no``; with unknown allowed: no
    #: item tagged ``no`` or ``unknown``): users with one are rejected without a scan
    hopeless_traits: frozenset[str] = frozenset()
    #: item id -> (title, year) of the whole catalogue, if known up front (else memoized)
    names: dict[str, tuple[str, int | None]] | None = None

    def __post_init__(self) -> None:
        raw = self.related

        @lru_cache(maxsize=8192)
        def cached(liked: tuple[str, ...], k: int, exclude: tuple[str, ...]) -> Any:
            return raw(list(liked), k, list(exclude))

        self._cached = cached
        self._names: dict[str, tuple[str, int | None] | None] = dict(self.names or {})
        #: validated ground-truth / dropped-candidate records, reused across users
        self.records: dict[Any, Any] = {}

    def describe(self, item_id: str) -> tuple[str, int | None] | None:
        """``(title, year)`` of a catalogue item, memoized (None when unknown)."""
        try:
            return self._names[item_id]
        except KeyError:
            item = self.lookup(item_id)
            name = None if item is None else (item.title, item.year)
            self._names[item_id] = name
            return name

    def related_cached(self, liked: list[str], k: int, exclude: Sequence[str]) -> Any:
        return self._cached(tuple(liked), k, tuple(exclude))


@dataclass
class Outcome:
    sample: Sample | None = None
    reject: RejectRecord | None = None
    generation_failed: bool = False


def _reject(entry: PlanEntry, stage: str, reason: str, *, error: str = "",
            gen: Generation | None = None, backend: str = "", model: str = "") -> RejectRecord:
    return {
        "sample_id": entry.sample_id, "seed_id": entry.seed_id, "variant": entry.variant,
        "traits": list(entry.traits), "stage": stage, "reason": reason, "error": error,
        "raw_output": gen.raw_output if gen else "",
        "backend": gen.backend if gen else backend, "model": gen.model if gen else model,
        "input_tokens": gen.input_tokens if gen else 0,
        "output_tokens": gen.output_tokens if gen else 0,
    }


@dataclass
class Prepared:
    """A plan entry whose model-free stages are done: the user and its safe ground truth.

    :func:`prepare_entry` makes it with no model call (pure CPU), so a runner can compute
    many ahead of the LLM calls; :func:`finish_entry` then spends the tokens.
    """

    entry: PlanEntry
    ground_truth: GroundTruth


def prepare_entry(ctx: StageContext, entry: PlanEntry) -> Prepared | Outcome:
    """The model-free stages of one entry: a :class:`Prepared` user, or a reject Outcome."""
    labels = (ctx.generator.backend, ctx.generator.model)
    hopeless = sorted(ctx.hopeless_traits.intersection(entry.traits))
    if hopeless:
        return Outcome(reject=_reject(entry, "ground_truth", INSUFFICIENT,
                                      error=f"no item can be safe for {', '.join(hopeless)} "
                                      f"(unknown policy {ctx.unknown_policy})",
                                      backend=labels[0], model=labels[1]))
    candidates = candidates_for(entry, ctx.related_cached, ctx.candidate_pool)
    gt = build_ground_truth(candidates, entry.traits, ctx.tags, ctx.describe,
                            unknown_policy=ctx.unknown_policy, gt_min=ctx.gt_min,
                            gt_max=ctx.gt_max, memo=ctx.records)
    if gt.reject_reason:
        return Outcome(reject=_reject(entry, "ground_truth", gt.reject_reason,
                                      error=f"{len(gt.safe)} safe of {len(candidates)} "
                                      f"candidates", backend=labels[0], model=labels[1]))
    return Prepared(entry=entry, ground_truth=gt)


async def process_entry(ctx: StageContext, entry: PlanEntry) -> Outcome:
    """Run one entry through all stages (see module docstring)."""
    prepared = prepare_entry(ctx, entry)
    if isinstance(prepared, Outcome):
        return prepared
    return await finish_entry(ctx, prepared)


async def finish_entry(ctx: StageContext, prepared: Prepared) -> Outcome:
    """Generation, judge and verification of a prepared entry (the stages that call models)."""
    entry, gt = prepared.entry, prepared.ground_truth
    out = await ctx.generator.generate(entry)
    if out.draft is None:
        return Outcome(reject=_reject(entry, "generate", out.reason or "generation_failed",
                                      error=out.error or "", gen=out.generation),
                       generation_failed=True)
    judged = await ctx.judge.judge(user_text(out.draft.messages))
    verification = verify_sample(
        messages=out.draft.messages, cues=out.draft.cues, traits=entry.traits,
        variant=entry.variant, ground_truth=gt.safe, tags=ctx.tags, leaks=ctx.leaks,
        judge=judged, unknown_policy=ctx.unknown_policy)
    sample = Sample(
        sample_id=entry.sample_id, pair_id=entry.pair_id, variant=entry.variant,
        domain=ctx.domain, taxonomy_version=ctx.taxonomy_version,
        seed_source=entry.seed_source, seed_id=entry.seed_id, traits=entry.traits,
        cues=out.draft.cues, messages=out.draft.messages,
        liked_items=[ItemRef(item_id=r.item_id, title=r.title, year=r.year)
                     for r in entry.liked],
        ground_truth=gt.safe, dropped_candidates=gt.dropped,
        generation=out.generation, verification=verification,
    )
    if ctx.drop_failed and not verification.passed:
        failing = [f for f in verification.flags if not f.startswith("other_trait_term")]
        first = failing[0].split(":")[0] if failing else "failed"
        rec = _reject(entry, "verify", f"verify_{first}", error="; ".join(verification.flags),
                      gen=out.generation)
        if not rec["raw_output"]:
            rec["raw_output"] = json.dumps([t.model_dump() for t in sample.messages])
        return Outcome(reject=rec)
    return Outcome(sample=sample)
