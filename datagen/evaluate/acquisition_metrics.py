"""Per-sample figures of acquisition runs (questions before recommending), from the traces
``datagen predict --mode acquisition`` writes on each record.

* ``asked_rate``: 1 if the recommender asked at least one question before recommending;
* ``questions_per_dialogue``: how many it asked;
* ``revealed_rate``: 1 if an answer stated one of the user's traits outright (one leak
  matcher); undefined for control samples (nothing to reveal).

They join the metric matrix, so they get the same bootstrap intervals and per-trait,
per-variant and paired-difference breakdowns as relevance and safety; samples whose record
has no trace (another mode, or no record) leave them undefined. Safety and relevance *after*
acquisition are the ordinary metrics of the final answer.
"""

from __future__ import annotations

import numpy as np

from datagen.evaluate.predictions import PredictionSet
from datagen.evaluate.truth import BenchmarkSplit

__all__ = ["ACQUISITION_METRICS", "acquisition_columns", "has_acquisition"]

ACQUISITION_METRICS = ("asked_rate", "questions_per_dialogue", "revealed_rate")


def has_acquisition(pset: PredictionSet) -> bool:
    return any(r.meta is not None and r.meta.acquisition is not None
               for r in pset.records.values())


def acquisition_columns(pset: PredictionSet, split: BenchmarkSplit) -> dict[str, np.ndarray]:
    """The three columns for every sample of ``split`` (NaN where undefined)."""
    n = len(split)
    asked, questions, revealed = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for i, sid in enumerate(split.sample_ids):
        rec = pset.records.get(sid)
        trace = rec.meta.acquisition if rec is not None and rec.meta is not None else None
        if trace is None:
            continue
        asked[i] = float(trace.asked)
        questions[i] = float(trace.questions)
        if split.traits[i]:
            revealed[i] = float(bool(set(trace.revealed) & set(split.traits[i])))
    return dict(zip(ACQUISITION_METRICS, (asked, questions, revealed), strict=True))
