"""Benchmark evaluation of recommendations for SafeRec splits, and reference baselines.

Load a split (:func:`load_split`) and prediction files (:func:`load_predictions`), score them
with :func:`evaluate_predictions` (one title parser, one resolver, tag statuses yes / no /
unknown), and write JSON, markdown and a plot with :func:`write_report`. Baselines in
:mod:`datagen.evaluate.baselines` write ordinary prediction files.
"""

from __future__ import annotations

from datagen.evaluate.bootstrap import DEFAULT_RESAMPLES, bootstrap_ci
from datagen.evaluate.metrics import metric_names, sample_metrics
from datagen.evaluate.models import (
    EvaluationReport,
    GroupReport,
    MetricValue,
    ModelCounts,
    ModelReport,
)
from datagen.evaluate.parsing import CachedResolver, parse_predictions
from datagen.evaluate.predictions import (
    PredictionRecord,
    PredictionSet,
    check_predictions,
    load_predictions,
    write_predictions,
)
from datagen.evaluate.report import to_markdown, write_report
from datagen.evaluate.runner import DEFAULT_KS, evaluate_predictions
from datagen.evaluate.truth import BenchmarkSplit, load_split, split_from_table, split_path

__all__ = [
    "DEFAULT_KS",
    "DEFAULT_RESAMPLES",
    "BenchmarkSplit",
    "CachedResolver",
    "EvaluationReport",
    "GroupReport",
    "MetricValue",
    "ModelCounts",
    "ModelReport",
    "PredictionRecord",
    "PredictionSet",
    "bootstrap_ci",
    "check_predictions",
    "evaluate_predictions",
    "load_predictions",
    "load_split",
    "metric_names",
    "parse_predictions",
    "sample_metrics",
    "split_from_table",
    "split_path",
    "to_markdown",
    "write_predictions",
    "write_report",
]
