"""GDPO and GRPO advantages from several rewards (numpy only).

GRPO sums the (weighted) rewards first and normalizes the sum within each group of
completions of one prompt, so a reward with a large spread drowns the others. GDPO
(group reward-decoupled normalization) z-scores each reward within its group first, sums the
normalized rewards with the weights, then z-scores the sum over the whole batch (eps 1e-4),
so each reward contributes on the same scale.

``rewards`` is an array ``[n_rewards, batch]`` or a dict name -> values (``weights`` then a
dict too, or a sequence in the dict's order). Groups are given as ``group_ids`` (one label
per completion) or ``group_size`` (consecutive blocks, TRL's layout). Standard deviations use
``ddof`` (1, as torch's ``std`` in TRL; a group of one has std 0).

Missing rewards: a reward function may return ``None`` for a completion it cannot score (TRL
turns it into NaN). As in TRL (``GRPOTrainer``, ``multi_objective_aggregation``
``"normalize_then_sum"`` / ``"sum_then_normalize"``), NaN values are left out of every mean
and standard deviation, a NaN reward adds nothing to a completion's weighted sum, a
completion for which every reward is NaN is left out of the batch statistics, and its
advantage is 0. ``gdpo_advantages`` equals TRL's ``normalize_then_sum`` and
``grpo_advantages`` its ``sum_then_normalize`` (``scale_rewards="group"``); the TRL
integration test checks both against the trainer's own computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["gdpo_advantages", "group_zscore", "grpo_advantages"]


def _as_matrix(
    rewards: np.ndarray | Mapping[str, Sequence[float]],
    weights: Sequence[float] | Mapping[str, float] | None,
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(rewards, Mapping):
        names = list(rewards)
        mat = np.asarray([np.asarray(rewards[n], dtype=float) for n in names])
        if isinstance(weights, Mapping):
            missing = set(names) - set(weights)
            if missing:
                raise ValueError(f"no weight for reward(s) {sorted(missing)}")
            weights = [weights[n] for n in names]
    else:
        mat = np.atleast_2d(np.asarray(rewards, dtype=float))
        if isinstance(weights, Mapping):
            raise ValueError("weights as a dict need rewards as a dict")
    w = np.ones(mat.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (mat.shape[0],):
        raise ValueError(f"{mat.shape[0]} rewards but {w.size} weights")
    return mat, w


def _labels(batch: int, group_ids: Sequence | None, group_size: int | None) -> np.ndarray:
    if (group_ids is None) == (group_size is None):
        raise ValueError("give exactly one of group_ids or group_size")
    if group_size is not None:
        if group_size < 1 or batch % group_size:
            raise ValueError(f"batch of {batch} is not a multiple of group_size {group_size}")
        return np.arange(batch) // group_size
    ids = np.asarray(group_ids)
    if ids.shape != (batch,):
        raise ValueError(f"{ids.size} group ids for a batch of {batch}")
    return np.unique(ids, return_inverse=True)[1]


def group_zscore(values: np.ndarray, labels: np.ndarray, eps: float = 1e-4,
                 ddof: int = 1) -> np.ndarray:
    """``(x - mean_g) / (std_g + eps)`` within each group label, for a 1-D array.

    NaN values stay NaN and are left out of their group's mean and standard deviation.
    """
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    counts = np.bincount(labels, weights=valid.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(labels, weights=filled) / counts
    dev = values - mean[labels]
    ss = np.bincount(labels, weights=np.where(valid, dev * dev, 0.0))
    denom = np.maximum(counts - ddof, 1.0)
    std = np.where(counts > ddof, np.sqrt(ss / denom), 0.0)
    return dev / (std[labels] + eps)


def _batch_zscore(total: np.ndarray, eps: float, ddof: int) -> np.ndarray:
    """z-score over the whole batch ignoring NaN rows; NaN (unscorable) rows get 0."""
    valid = ~np.isnan(total)
    out = np.zeros_like(total)
    if valid.any():
        kept = total[valid]
        std = kept.std(ddof=ddof) if kept.size > ddof else 0.0
        out[valid] = (kept - kept.mean()) / (std + eps)
    return out


def _unscorable(mat: np.ndarray) -> np.ndarray:
    """Completions for which every reward is NaN (every reward function returned None)."""
    return np.isnan(mat).all(axis=0)


def gdpo_advantages(
    rewards: np.ndarray | Mapping[str, Sequence[float]],
    weights: Sequence[float] | Mapping[str, float] | None = None,
    *,
    group_ids: Sequence | None = None,
    group_size: int | None = None,
    eps: float = 1e-4,
    ddof: int = 1,
) -> np.ndarray:
    """Per-reward group z-scores, weighted sum, then a z-score over the batch (TRL's
    ``normalize_then_sum``; NaN rewards as in the module docstring)."""
    mat, w = _as_matrix(rewards, weights)
    labels = _labels(mat.shape[1], group_ids, group_size)
    normed = np.stack([group_zscore(r, labels, eps, ddof) for r in mat])
    total = np.nansum(w[:, None] * normed, axis=0)
    total[_unscorable(mat)] = np.nan
    return _batch_zscore(total, eps, ddof)


def grpo_advantages(
    rewards: np.ndarray | Mapping[str, Sequence[float]],
    weights: Sequence[float] | Mapping[str, float] | None = None,
    *,
    group_ids: Sequence | None = None,
    group_size: int | None = None,
    eps: float = 1e-4,
    ddof: int = 1,
) -> np.ndarray:
    """Weighted sum of the rewards, then a z-score within each group (GRPO, TRL's
    ``sum_then_normalize``; NaN rewards as in the module docstring)."""
    mat, w = _as_matrix(rewards, weights)
    labels = _labels(mat.shape[1], group_ids, group_size)
    total = np.nansum(w[:, None] * mat, axis=0)
    total[_unscorable(mat)] = np.nan
    return np.nan_to_num(group_zscore(total, labels, eps, ddof), nan=0.0)
