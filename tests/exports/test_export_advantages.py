"""GDPO vs GRPO advantages on hand-checked batches."""

from __future__ import annotations

import numpy as np
import pytest

from exports.advantages import gdpo_advantages, group_zscore, grpo_advantages


def test_group_zscore_matches_hand_values():
    z = group_zscore(np.array([1.0, 3.0, 10.0, 10.0]), np.array([0, 0, 1, 1]), eps=0.0 + 1e-12)
    s = np.sqrt(2.0)  # sample std of [1, 3]
    assert z[:2] == pytest.approx([-1 / s, 1 / s])
    assert z[2:] == pytest.approx([0.0, 0.0])


def test_gdpo_and_grpo_differ_when_one_reward_has_a_large_spread():
    # one group of 4 completions; relevance spreads 0..100, safety 0/1
    relevance = np.array([100.0, 0.0, 50.0, 60.0])
    safety = np.array([0.0, 1.0, 1.0, 0.0])
    rewards = {"relevance": relevance, "safety": safety}
    grpo = grpo_advantages(rewards, {"relevance": 1.0, "safety": 1.0}, group_size=4)
    gdpo = gdpo_advantages(rewards, {"relevance": 1.0, "safety": 1.0}, group_size=4)
    # GRPO: safety is drowned, the ranking follows relevance alone
    assert list(np.argsort(-grpo)) == [0, 3, 2, 1]
    # GDPO: the safe and fairly relevant answer (index 2) comes first
    assert int(np.argmax(gdpo)) == 2
    assert not np.allclose(np.argsort(-grpo), np.argsort(-gdpo))
    # hand check of GDPO: z-score each reward, sum, z-score over the batch
    z = lambda x: (x - x.mean()) / (x.std(ddof=1) + 1e-4)  # noqa: E731
    total = z(relevance) + z(safety)
    assert gdpo == pytest.approx((total - total.mean()) / (total.std(ddof=1) + 1e-4))
    assert grpo == pytest.approx(z(relevance + safety))


def test_groups_by_ids_and_array_input():
    mat = np.array([[1.0, 2.0, 5.0, 7.0], [0.0, 1.0, 1.0, 1.0]])
    a = gdpo_advantages(mat, [1.0, 2.0], group_ids=["p", "p", "q", "q"])
    b = gdpo_advantages(mat, [1.0, 2.0], group_size=2)
    assert a == pytest.approx(b)
    assert abs(a.mean()) < 1e-9


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="group_size"):
        gdpo_advantages(np.ones((2, 5)), group_size=2)
    with pytest.raises(ValueError, match="weights"):
        grpo_advantages(np.ones((2, 4)), [1.0], group_size=2)
    with pytest.raises(ValueError, match="exactly one"):
        grpo_advantages(np.ones((1, 4)))


def _z(x: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    return (x - x.mean()) / (x.std(ddof=1) + eps)


def test_none_rewards_are_left_out_as_trl_does():
    # 2 groups of 3; reward b returned None for completion 1, both returned None for 4
    a = [1.0, 2.0, 4.0, 0.0, None, 3.0]
    b = [0.0, None, 1.0, 1.0, None, 0.0]
    adv = gdpo_advantages({"a": a, "b": b}, {"a": 1.0, "b": 2.0}, group_size=3)
    assert np.isfinite(adv).all()
    za = np.concatenate([_z(np.array([1.0, 2.0, 4.0])), _z(np.array([0.0, 3.0]))])
    zb = np.concatenate([_z(np.array([0.0, 1.0])), _z(np.array([1.0, 0.0]))])
    total = np.array([za[0] + 2 * zb[0], za[1], za[2] + 2 * zb[1],
                      za[3] + 2 * zb[2], za[4] + 2 * zb[3]])  # completion 4 is unscorable
    expected = _z(total)
    assert adv[[0, 1, 2, 3, 5]] == pytest.approx(expected)
    assert adv[4] == 0.0  # no learning signal for an unscorable completion
    grpo = grpo_advantages({"a": a, "b": b}, {"a": 1.0, "b": 2.0}, group_size=3)
    sums = np.array([1.0, 2.0, 6.0, 2.0, 3.0])
    assert grpo[[0, 1, 2]] == pytest.approx(_z(sums[:3]))
    assert grpo[[3, 5]] == pytest.approx(_z(sums[3:]))
    assert grpo[4] == 0.0


def test_nan_and_none_are_the_same_missing_reward():
    with_none = gdpo_advantages([[1.0, None, 3.0, 2.0]], group_size=2)
    with_nan = gdpo_advantages(np.array([[1.0, np.nan, 3.0, 2.0]]), group_size=2)
    assert with_none == pytest.approx(with_nan)
    assert np.isfinite(with_nan).all()


def test_all_rewards_missing_gives_zero_advantages():
    assert gdpo_advantages([[None, None]], group_size=2).tolist() == [0.0, 0.0]
    assert grpo_advantages([[None, None]], group_size=2).tolist() == [0.0, 0.0]
