"""Evaluate one or more prediction files against a split: the stage's public entry point.

All models are parsed first so that tag statuses are looked up once for every item any of
them (or the ground truth) names; every model is then scored on the same samples with the same
bootstrap seed, so their intervals are paired and can be read side by side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from datagen.evaluate import compat as compat_defs
from datagen.evaluate.acquisition_metrics import (
    ACQUISITION_METRICS,
    acquisition_columns,
    has_acquisition,
)
from datagen.evaluate.bootstrap import DEFAULT_RESAMPLES, bootstrap_groups
from datagen.evaluate.metrics import (
    TruthArrays,
    metric_names,
    sample_metrics,
    status_matrix,
    truth_arrays,
)
from datagen.evaluate.models import (
    CompatReport,
    EvaluationReport,
    GroupReport,
    MetricValue,
    ModelCounts,
    ModelReport,
)
from datagen.evaluate.parsing import CachedResolver, ItemVocab, ParsedPredictions, parse_predictions
from datagen.evaluate.predictions import PredictionSet, check_predictions
from datagen.evaluate.truth import BenchmarkSplit
from datagen.evaluate.variants import paired_differences, variant_masks

__all__ = ["DEFAULT_KS", "evaluate_predictions"]

DEFAULT_KS = (5, 10, 20)
_ROUNDING = 1e-5


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _groups(
    matrix: np.ndarray, names: list[str], masks: list[np.ndarray], *, resamples: int, seed: int,
    confidence: float,
) -> list[GroupReport]:
    """Mean, count and bootstrap interval of every metric for every group (mask)."""
    intervals = bootstrap_groups(matrix, masks, resamples=resamples, seed=seed,
                                 confidence=confidence)
    out = []
    for mask, (low, high) in zip(masks, intervals, strict=True):
        sub = matrix[mask]
        defined = ~np.isnan(sub)
        n_def = defined.sum(axis=0)
        sums = np.where(defined, sub, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = sums / n_def
        # resampled means are float32 sums: snap rounding-level overshoots onto the value
        low = np.where((low > values) & (low - values < _ROUNDING), values, low)
        high = np.where((high < values) & (values - high < _ROUNDING), values, high)
        metrics = {
            name: MetricValue(
                value=float(values[j]) if n_def[j] else None,
                low=_num(low[j]) if n_def[j] else None,
                high=_num(high[j]) if n_def[j] else None,
                n=int(n_def[j]),
            )
            for j, name in enumerate(names)
        }
        out.append(GroupReport(n_samples=int(mask.sum()), metrics=metrics))
    return out


def _errors(pset: PredictionSet, split: BenchmarkSplit) -> np.ndarray:
    """Samples whose record is a call that failed after its retries (``datagen predict``)."""
    def failed(sid: str) -> bool:
        rec = pset.records.get(sid)
        return rec is not None and rec.meta is not None and rec.meta.error is not None

    return np.fromiter((failed(s) for s in split.sample_ids), dtype=bool, count=len(split))


def _counts(parsed: ParsedPredictions, errors: np.ndarray) -> ModelCounts:
    has = parsed.has_prediction
    return ModelCounts(
        samples=int(has.size),
        with_prediction=int(has.sum()),
        missing=int((~has).sum()),
        errors=int(errors.sum()),
        empty=int((has & (parsed.n_parsed == 0) & ~parsed.parse_failed & ~errors).sum()),
        parse_failures=int(parsed.parse_failed.sum()),
        titles_parsed=int(parsed.n_parsed.sum()),
        titles_resolved=int(parsed.n_resolved.sum()),
    )


def evaluate_predictions(
    split: BenchmarkSplit,
    prediction_sets: Sequence[PredictionSet],
    resolver: Any,
    tags: Any,
    *,
    ks: Sequence[int] = DEFAULT_KS,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
    parser: Callable[[str], list[str]] | None = None,
    sources: dict[str, str] | None = None,
    compat: str | None = None,
) -> EvaluationReport:
    """Score every prediction set on ``split``.

    ``resolver`` is the project's :class:`~datagen.catalogue.resolver.TitleResolver` (or a
    :class:`CachedResolver` around it, to share its cache), ``tags`` a
    :class:`~datagen.tags.TagIndex`; ``sources`` labels where they came from (kept in the
    report). ``compat="safecrs"`` also scores every model with the SafeCRS reference's
    definitions (:mod:`datagen.evaluate.compat`) into ``ModelReport.compat``. Raises
    :class:`~datagen.errors.InputError` when a file names unknown samples or was made for
    another split or taxonomy version.
    """
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ValueError("k values must be positive integers")
    names = [p.name for p in prediction_sets]
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique, got {names}")
    ids = set(split.sample_ids)
    for pset in prediction_sets:
        check_predictions(pset, ids, split=split.split, taxonomy_version=split.taxonomy_version)
    cached = resolver if isinstance(resolver, CachedResolver) else CachedResolver(resolver)
    vocab = ItemVocab()
    truth = truth_arrays(split, vocab)
    parsed = [parse_predictions(p, split, cached, vocab, ks[-1], parser) for p in prediction_sets]
    compat_parsed: list[ParsedPredictions | None] = [None] * len(parsed)
    seen = None
    if compat is not None:
        compat_defs.compat_metric_names(compat, ks)  # rejects an unknown profile early
        depth = compat_defs.compat_depth(split, ks)
        keep_repeats = compat_defs.compat_parser(parser)
        compat_parsed = [parse_predictions(p, split, cached, vocab, depth, keep_repeats)
                         for p in prediction_sets]
        seen = compat_defs.seen_keys(split, vocab.codes)
    status = status_matrix(tags, vocab.ids, truth.trait_ids)
    acquisition = any(has_acquisition(p) for p in prediction_sets)
    metric_keys = metric_names(ks) + (list(ACQUISITION_METRICS) if acquisition else [])
    models = []
    control = truth.is_control
    by_variant = variant_masks(split)
    by_variant = by_variant if len(by_variant) > 1 else {}  # one variant: nothing to split
    masks = [np.ones(len(split), dtype=bool), control,
             *(truth.trait_mask[:, j] for j in range(len(truth.trait_ids))),
             *(m & ~control for m in by_variant.values())]  # controls: apart
    n_traits = len(truth.trait_ids)
    stats: dict[str, Any] = {"resamples": resamples, "seed": seed, "confidence": confidence}
    for pset, pp, cp in zip(prediction_sets, parsed, compat_parsed, strict=True):
        per_sample = sample_metrics(pp, truth, status, ks)
        if acquisition:
            per_sample.update(acquisition_columns(pset, split))
        matrix = np.column_stack([per_sample[k] for k in metric_keys])
        overall, ctrl, *rest = _groups(matrix, metric_keys, masks, **stats)
        extra = None
        if cp is not None and compat is not None and seen is not None:
            extra = _compat_report(compat, cp, truth, status, ks, seen, masks[:2 + n_traits],
                                   stats)
        models.append(
            ModelReport(
                name=pset.name,
                file=str(pset.path),
                counts=_counts(pp, _errors(pset, split)),
                overall=overall,
                control=ctrl if control.any() else None,
                by_trait=dict(zip(truth.trait_ids, rest[:n_traits], strict=True)),
                compat=extra,
                by_variant=dict(zip(by_variant, rest[n_traits:], strict=True)),
                variant_differences=paired_differences(
                    matrix, metric_keys, split, resamples=resamples, seed=seed,
                    confidence=confidence) if by_variant else [],
            )
        )
    return EvaluationReport(
        compat=compat,
        split=split.split,
        taxonomy_version=split.taxonomy_version,
        n_samples=len(split),
        ks=ks,
        resamples=resamples,
        seed=seed,
        confidence=confidence,
        distinct_titles_resolved=len(cached),
        sources=dict(sources or {}),
        models=models,
    )


def _compat_report(
    profile: str, parsed: ParsedPredictions, truth: TruthArrays, status: np.ndarray,
    ks: Sequence[int], seen: np.ndarray, masks: list[np.ndarray], stats: dict[str, Any],
) -> CompatReport:
    """One model under a reference's definitions, grouped like the main report."""
    per_sample = compat_defs.safecrs_sample_metrics(parsed, truth, status, ks, seen)
    keys = compat_defs.compat_metric_names(profile, ks)
    matrix = np.column_stack([per_sample[k] for k in keys])
    overall, ctrl, *traits = _groups(matrix, keys, masks, **stats)
    return CompatReport(
        profile=profile, label=compat_defs.SAFECRS_LABEL, overall=overall,
        control=ctrl if truth.is_control.any() else None,
        by_trait=dict(zip(truth.trait_ids, traits, strict=True)),
    )
