"""Run recommenders over SafeRec splits: ``datagen predict`` and ``datagen benchmark``.

:func:`predict` takes a :class:`PredictConfig` (a model behind the shared LLM layer, or a
reference baseline; a versioned recommender prompt; single-answer or acquisition mode with a
simulated user) and writes ``<run-dir>/predictions/<name>.jsonl``, the file ``datagen
evaluate`` reads, with raw text, model, prompt version and usage on every record.
"""

from __future__ import annotations

from datagen.predict.config import Mode, PredictConfig, RecommenderKind, UserKind
from datagen.predict.runner import PredictResult, output_paths, predict

__all__ = ["Mode", "PredictConfig", "PredictResult", "RecommenderKind", "UserKind",
           "output_paths", "predict"]
