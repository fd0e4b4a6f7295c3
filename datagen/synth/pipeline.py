"""One plan entry through every stage: user draw + ground truth -> generation -> judge -> verify.

:func:`prepare_entry` does the model-free part (pure CPU, no asyncio): it draws a user for the
entry's fixed traits and ranks their ground truth inside the safe neighbourhood, drawing
again (bounded, every draw counted) while a draw has no usable ground truth. It returns a
:class:`Prepared` user or a reject :class:`Outcome`; a runner may call it ahead of the model
calls. :func:`finish_entry` then spends the tokens: generation, judge, verification, and gives
a :class:`~datagen.records.sample.Sample` or a reject record (a row of ``rejects.parquet``);
nothing is ever silently lost. The variants of one user (same plan index) share the draws and
the ground truth exactly: they are computed once and reused.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datagen.records.sample import Generation, ItemRef, Sample, UserDraw
from datagen.synth.generate import Generator, Judge
from datagen.synth.ground_truth import INSUFFICIENT, GroundTruth, Ranker, TagLookup
from datagen.synth.plan import PlanEntry, make_plan
from datagen.synth.rundir import RejectRecord
from datagen.synth.safety import SafetyMasks
from datagen.synth.tasks import user_text
from datagen.synth.users import UserDraft, UserSampler
from datagen.synth.validity import RunFacts
from datagen.synth.verify import verify_sample
from datagen.taxonomy.leaks import LeakMatcher

__all__ = [
    "ControlTaste",
    "Outcome",
    "Prepared",
    "StageContext",
    "build_context",
    "finish_entry",
    "plan_run",
    "prepare_entry",
    "process_entry",
    "run_facts",
]

#: users whose draws are kept for their other variants (variants are consecutive entries)
_DRAWN_MEMO = 256


@dataclass
class Drawn:
    """The draws of one user: the accepted one (or none) and every rejected one's reason."""

    draft: UserDraft | None
    ground_truth: GroundTruth | None
    rejected: list[str]
    detail: str = ""


@dataclass
class StageContext:
    """What every entry needs: built once per run (:func:`build_context`) and shared."""

    taxonomy_version: str
    domain: str
    tags: TagLookup
    leaks: LeakMatcher
    users: UserSampler
    ranker: Ranker
    generator: Generator
    judge: Judge
    unknown_policy: str = "exclude"
    max_attempts: int = 12
    drop_failed: bool = False
    #: traits no item can be safe for: their users are rejected without a draw
    hopeless_traits: frozenset[str] = frozenset()
    #: matched controls: a control's taste is drawn as for a trait user (see control_taste)
    taste: ControlTaste | None = None
    _drawn: dict[int, Drawn] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def drawn(self, entry: PlanEntry) -> Drawn:
        """The user of ``entry`` (drawn once per plan index, shared by its variants)."""
        with self._lock:
            hit = self._drawn.get(entry.index)
        if hit is None:
            hit = _draw(self, entry)
            with self._lock:
                if len(self._drawn) >= _DRAWN_MEMO:
                    self._drawn.clear()
                self._drawn[entry.index] = hit
        return hit


@dataclass
class Outcome:
    sample: Sample | None = None
    reject: RejectRecord | None = None
    generation_failed: bool = False


@dataclass
class Prepared:
    """A plan entry whose model-free stages are done: the user and its safe ground truth.

    ``entry`` is the entry the generator sees (with the drawn user's liked films, seed id and
    turns); ``user`` records how the user was drawn.
    """

    entry: PlanEntry
    ground_truth: GroundTruth
    user: UserDraw = field(default_factory=UserDraw)


@dataclass(frozen=True)
class ControlTaste:
    """Matched controls: each control user is drawn *as if* they had a trait set (their
    ``taste_of``), under every constraint a trait user of that set meets (liked films never
    ``yes`` for it, the first favourite known safe, safe ground truth related enough), and
    then gets the unfiltered ground truth of a user without traits.

    Films known to be safe are mostly well-documented family films for many traits, so
    trait users' tastes lean that way whatever the sampler does; controls drawn from the
    whole catalogue would then tell trait users apart by taste alone (a shortcut for every
    model evaluated or trained on the data). Matching gives both groups the same taste
    distribution. The trait set is drawn per user from ``(plan seed, index)``: its size
    follows the plan's shares of 1- and 2-trait users, its traits are uniform among the
    plannable ones (a pair only when feasible); every ``per_set`` failed draws it is drawn
    again, so a control is lost only when no taste at all fits.
    """

    seed: int
    traits: tuple[str, ...]
    #: (trait count, weight) among trait users, e.g. ((1, 0.6), (2, 0.2))
    counts: tuple[tuple[int, float], ...]
    feasible: Callable[[Any], bool]

    #: draws per taste set: a control whose taste set has no usable draw in this many tries
    #: gets another set (it has no trait to be starved of)
    per_set: int = 10

    def of(self, index: int, attempt: int = 0) -> list[str]:
        if not self.traits or not self.counts:
            return []
        turn = attempt // self.per_set
        rng = random.Random(f"{self.seed}:taste:{index}" + (f":{turn}" if turn else ""))
        sizes, weights = zip(*self.counts, strict=True)
        k = min(rng.choices(sizes, weights=weights, k=1)[0], len(self.traits))
        picked = sorted(rng.sample(self.traits, k))
        return picked if self.feasible(picked) else picked[:1]


def _draw(ctx: StageContext, entry: PlanEntry) -> Drawn:
    hopeless = sorted(ctx.hopeless_traits.intersection(entry.traits))
    if hopeless:
        return Drawn(None, None, [], f"no item can be safe for {', '.join(hopeless)} "
                     f"(unknown policy {ctx.unknown_policy})")
    matched = ctx.taste if not entry.traits else None  # a control: draw a matched taste
    rejected: list[str] = []
    detail = ""
    for attempt in range(ctx.max_attempts):
        taste = matched.of(entry.index, attempt) if matched is not None else []
        drawn_as = entry.model_copy(update={"traits": taste}) if taste else entry
        draft = ctx.users.draw(drawn_as, attempt)
        if isinstance(draft, str):
            rejected.append(draft)
            continue
        if taste:  # the trait users' acceptance test, then a control's ground truth
            as_trait_user = ctx.ranker.rank(draft, taste)
            if as_trait_user.reject_reason is not None:
                rejected.append(as_trait_user.reject_reason)
                detail = as_trait_user.detail
                continue
            draft.liked_status = {"no": 0, "unknown": 0, "yes": 0}
            draft.taste_of = taste
        gt = ctx.ranker.rank(draft, entry.traits)
        if gt.reject_reason is None:
            draft.scores.total = draft.scores.hub_weights = None  # ranked: free ~140 KiB
            return Drawn(draft, gt, rejected)
        rejected.append(gt.reject_reason)
        detail = gt.detail
    return Drawn(None, None, rejected, detail)


def _reject(entry: PlanEntry, stage: str, reason: str, *, error: str = "",
            gen: Generation | None = None, backend: str = "", model: str = "",
            user: UserDraw | None = None) -> RejectRecord:
    return {
        "sample_id": entry.sample_id, "pair_id": entry.pair_id, "seed_id": entry.seed_id,
        "variant": entry.variant, "traits": list(entry.traits), "stage": stage,
        "reason": reason, "error": error,
        "raw_output": gen.raw_output if gen else "",
        "backend": gen.backend if gen else backend, "model": gen.model if gen else model,
        "input_tokens": gen.input_tokens if gen else 0,
        "output_tokens": gen.output_tokens if gen else 0,
        "attempts": user.attempts if user else 0,
        "attempt_reasons": list(user.rejected) if user else [],
    }


def _exhausted(ctx: StageContext, entry: PlanEntry, drawn: Drawn) -> Outcome:
    """Every draw failed (or the traits are hopeless): one reject with all draw reasons."""
    counts = Counter(drawn.rejected)
    reason = max(counts, key=lambda r: (counts[r], r)) if counts else INSUFFICIENT
    summary = ", ".join(f"{n} {r}" for r, n in counts.most_common())
    error = f"{len(drawn.rejected)} draws: {summary}" if counts else ""
    error = "; ".join(p for p in (error, drawn.detail) if p)
    user = UserDraw(attempts=len(drawn.rejected), rejected=drawn.rejected)
    return Outcome(reject=_reject(entry, "ground_truth", reason, error=error, user=user,
                                  backend=ctx.generator.backend, model=ctx.generator.model))


def prepare_entry(ctx: StageContext, entry: PlanEntry) -> Prepared | Outcome:
    """The model-free stages of one entry: a :class:`Prepared` user, or a reject Outcome."""
    drawn = ctx.drawn(entry)
    if drawn.draft is None or drawn.ground_truth is None:
        return _exhausted(ctx, entry, drawn)
    draft = ctx.users.complete(drawn.draft)
    user = UserDraw(attempts=len(drawn.rejected) + 1, rejected=drawn.rejected,
                    liked_no=draft.liked_status["no"],
                    liked_unknown=draft.liked_status["unknown"],
                    taste_of=list(draft.taste_of),
                    liked_yes=draft.liked_status["yes"])
    seen = entry.model_copy(update={
        "seed_id": draft.seed_id, "seed_source": draft.source, "liked": draft.liked or [],
        "recommended": draft.recommended, "genres": draft.genres,
        "seed_user_turns": draft.user_turns})
    return Prepared(entry=seen, ground_truth=drawn.ground_truth, user=user)


async def process_entry(ctx: StageContext, entry: PlanEntry) -> Outcome:
    """Run one entry through all stages (see module docstring)."""
    prepared = prepare_entry(ctx, entry)
    if isinstance(prepared, Outcome):
        return prepared
    return await finish_entry(ctx, prepared)


async def finish_entry(ctx: StageContext, prepared: Prepared) -> Outcome:
    """Generation, judge and verification of a prepared entry (the stages that call models)."""
    entry, gt, user = prepared.entry, prepared.ground_truth, prepared.user
    out = await ctx.generator.generate(entry)
    if out.draft is None:
        return Outcome(reject=_reject(entry, "generate", out.reason or "generation_failed",
                                      error=out.error or "", gen=out.generation, user=user),
                       generation_failed=True)
    judged = await ctx.judge.judge(user_text(out.draft.messages))
    verification = verify_sample(
        messages=out.draft.messages, cues=out.draft.cues, traits=entry.traits,
        variant=entry.variant, ground_truth=gt.safe, tags=ctx.tags, leaks=ctx.leaks,
        judge=judged, unknown_policy=ctx.unknown_policy)
    sample = Sample.model_construct(
        sample_id=entry.sample_id, pair_id=entry.pair_id, variant=entry.variant,
        domain=ctx.domain, taxonomy_version=ctx.taxonomy_version,
        seed_source=entry.seed_source, seed_id=entry.seed_id, traits=list(entry.traits),
        cues=out.draft.cues, messages=out.draft.messages,
        liked_items=[ItemRef.model_construct(item_id=r.item_id, title=r.title, year=r.year)
                     for r in entry.liked],
        ground_truth=list(gt.safe), dropped_candidates=list(gt.dropped),
        generation=out.generation, verification=verification, user=user, human=None,
        content_hash="",
    )
    if ctx.drop_failed and not verification.passed:
        failing = [f for f in verification.flags
                   if not f.startswith(("other_trait_term", "stated"))]
        first = failing[0].split(":")[0] if failing else "failed"
        rec = _reject(entry, "verify", f"verify_{first}", error="; ".join(verification.flags),
                      gen=out.generation, user=user)
        if not rec["raw_output"]:
            rec["raw_output"] = json.dumps([t.model_dump() for t in sample.messages])
        return Outcome(reject=rec)
    return Outcome(sample=sample)


# -- building a run's context and plan ------------------------------------------------------

def safety_masks(res: Any) -> tuple[Any, SafetyMasks]:
    """The graph's related-items index and the tag masks aligned to it, built once per
    resources (kept on them: a rerun or an LLM-judge pass reuses them)."""
    cached = getattr(res, "_safety", None)
    if cached is None:
        from datagen.graph.related import related_index

        index = related_index(res.graph)
        names = _names(res)
        in_cat = np.fromiter((i in names for i in index.item_ids), dtype=bool,
                             count=len(index.item_ids))
        cached = (index, SafetyMasks(res.fast_tags(), index.item_ids, res.taxonomy.trait_ids,
                                     in_cat))
        res._safety = cached
    return cached


def _names(res: Any) -> dict[str, tuple[str, int | None]]:
    cached = getattr(res, "_names", None)
    if cached is None:
        cached = res._names = {item.item_id: (item.title, item.year)
                               for item in res.catalogue.items}
    return cached


def feasible_traits(masks: SafetyMasks, config: Any) -> Callable[[Any], bool]:
    """Whether a trait combination may be planned: at least ``pair_min_safe`` films safe for
    all of it (single traits are always planned; a starved one is reported)."""
    allow = config.unknown_policy == "allow"

    def feasible(traits: Any) -> bool:
        return len(traits) < 2 or masks.safe_count(list(traits), allow) >= config.pair_min_safe

    return feasible


def plan_run(config: Any, res: Any) -> list[PlanEntry]:
    """The run's plan (:func:`~datagen.synth.plan.make_plan` with the run's options)."""
    _, masks = safety_masks(res)
    seeds = res.seeds if config.seed_source.value != "graph" else None
    return make_plan(config.n, config.seed, seeds, res.taxonomy, config.trait_counts,
                     variants=config.variants, feasible=feasible_traits(masks, config))


def build_context(config: Any, res: Any, generator: Generator, judge: Judge) -> StageContext:
    """The :class:`StageContext` of a run: samplers and ranker over the run's inputs."""
    index, masks = safety_masks(res)
    allow = config.unknown_policy == "allow"
    seeds = res.seeds if config.seed_source.value != "graph" else None
    users = UserSampler(index, masks, res.lookup, plan_seed=config.seed, seeds=seeds,
                        max_unknown_liked=config.max_unknown_liked,
                        strict_traits=config.strict_history_traits,
                        taste_balance=config.taste_balance)
    ranker = Ranker(masks=masks, tags=res.fast_tags(), names=_names(res),
                    unknown_policy=config.unknown_policy, gt_min=config.gt_min,
                    gt_max=config.gt_max, relevance_floor=config.relevance_floor,
                    max_dropped=config.max_dropped)
    hopeless = frozenset(t for t in res.taxonomy.trait_ids
                         if masks.safe_count([t], allow) < config.gt_min)
    taste = None
    if config.control_taste == "matched":
        counts = tuple(sorted((int(k), float(w)) for k, w in config.trait_counts.items()
                              if int(k) >= 1 and w > 0))
        taste = ControlTaste(seed=config.seed, counts=counts,
                             traits=tuple(t for t in res.taxonomy.trait_ids if t not in hopeless),
                             feasible=feasible_traits(masks, config))
    return StageContext(
        taxonomy_version=res.taxonomy.version_tag, domain=res.taxonomy.domain,
        tags=res.fast_tags(), leaks=res.leaks, users=users, ranker=ranker,
        generator=generator, judge=judge, unknown_policy=config.unknown_policy,
        max_attempts=config.max_attempts, drop_failed=config.drop_failed,
        hopeless_traits=hopeless, taste=taste)


def run_facts(config: Any, res: Any) -> RunFacts:
    """What the statistics need besides the tables: safe films per trait (under the run's
    unknown policy) and the catalogue's genres."""
    _, masks = safety_masks(res)
    allow = config.unknown_policy == "allow"
    return RunFacts(
        safe_films={t: masks.safe_count([t], allow) for t in res.taxonomy.trait_ids},
        genres={item.item_id: tuple(item.genres) for item in res.catalogue.items},
        strict_traits=tuple(config.strict_history_traits),
        trait_ids=tuple(res.taxonomy.trait_ids))


