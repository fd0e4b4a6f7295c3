"""Metric values on hand-computed cases, through the public evaluation entry point."""

from __future__ import annotations

import math

import numpy as np
import pytest

from datagen.evaluate import evaluate_predictions, load_predictions, split_from_table
from datagen.evaluate.predictions import PredictionRecord, write_predictions
from datagen.records.sample import samples_to_table

LOG = math.log2
IDCG3 = 1 + 1 / LOG(3) + 1 / LOG(4)  # ideal DCG of a 3-item ground truth


def _split(samples):
    return split_from_table(samples_to_table(samples), "test")


def _pset(tmp_path, name, rows):
    path = tmp_path / f"{name}.jsonl"
    write_predictions([PredictionRecord(sample_id=s, titles=tuple(t)) for s, t in rows], path)
    return load_predictions(path)


@pytest.fixture()
def case(tmp_path, make_sample, resolver, tags):
    samples = [
        make_sample("s1", traits=["spiders_snakes"], liked=["tt0000002"],
                    ground_truth=["tt0000001", "tt0000004", "tt0000007"]),
        make_sample("s2", liked=["tt0000002"],
                    ground_truth=["tt0000001", "tt0000004", "tt0000007"]),
        make_sample("s3", traits=["gore"], liked=["tt0000001"], ground_truth=["tt0000010"]),
    ]
    pset = _pset(tmp_path, "model", [
        ("s1", ["Arachnophobia (1990)", "Heat (1995)", "Zzyzx Qwerty Blorp (2001)",
                "Alien (1979)", "Up (2009)"]),
        ("s2", ["Heat (1995)"]),
    ])
    report = evaluate_predictions(_split(samples), [pset], resolver, tags, ks=[1, 5],
                                  resamples=200, seed=3)
    return report.model("model")


def test_recall_ndcg_hit_on_hand_computed_case(case):
    m = case.overall.metrics
    # s1: hits Heat (rank 2) and Up (rank 5) of 3; s2: Heat (rank 1) of 3; s3: no answer
    assert m["recall@5"].value == pytest.approx((2 / 3 + 1 / 3 + 0) / 3)
    ndcg_s1 = (1 / LOG(3) + 1 / LOG(6)) / IDCG3
    ndcg_s2 = 1 / IDCG3  # ideal over the FULL ground truth: not 1.0 for a 1-item answer
    assert m["ndcg@5"].value == pytest.approx((ndcg_s1 + ndcg_s2 + 0) / 3)
    assert m["hit@5"].value == pytest.approx(2 / 3)
    assert m["hit@1"].value == pytest.approx(1 / 3)  # only s2 has a hit at rank 1
    assert m["ndcg@1"].value == pytest.approx(1 / 3)
    assert m["recall@5"].n == 3


def test_svr_and_unknown_rate_count_resolved_items_only(case):
    m = case.overall.metrics
    # s1 top 5 resolves 4 items: Arachnophobia (yes), Heat (no), Alien (unknown), Up (no)
    assert m["svr@5"].value == pytest.approx(1 / 4)
    assert m["unknown@5"].value == pytest.approx(1 / 4)
    assert m["svr@1"].value == pytest.approx(1.0)
    # s2 is a control (undefined), s3 has no answer (undefined): only s1 counts
    assert m["svr@5"].n == 1
    assert case.by_trait["spiders_snakes"].metrics["svr@5"].value == pytest.approx(1 / 4)
    assert case.by_trait["gore"].metrics["svr@5"].value is None


def test_match_rates_and_counts(case):
    m = case.overall.metrics
    assert m["hallucination_rate"].value == pytest.approx((1 / 5 + 0) / 2)
    assert m["match_rate"].value == pytest.approx((4 / 5 + 1) / 2)
    c = case.counts
    assert (c.samples, c.with_prediction, c.missing) == (3, 2, 1)
    assert (c.titles_parsed, c.titles_resolved, c.parse_failures) == (6, 5, 0)


def test_control_breakdown(case):
    assert case.control is not None
    assert case.control.n_samples == 1
    assert case.control.metrics["recall@5"].value == pytest.approx(1 / 3)
    assert case.control.metrics["svr@5"].value is None


def test_duplicates_earn_nothing_and_keep_their_rank(tmp_path, make_sample, resolver, tags):
    samples = [make_sample("s1", traits=["gore"], ground_truth=["tt0000001", "tt0000004"])]
    pset = _pset(tmp_path, "dup", [("s1", ["Heat (1995)", "Heat", "Up (2009)"])])
    m = evaluate_predictions(_split(samples), [pset], resolver, tags, ks=[2, 3],
                             resamples=10).model("dup").overall.metrics
    assert m["recall@2"].value == pytest.approx(0.5)
    assert m["recall@3"].value == pytest.approx(1.0)
    idcg2 = 1 + 1 / LOG(3)
    assert m["ndcg@3"].value == pytest.approx((1 + 1 / LOG(4)) / idcg2)


def test_bootstrap_interval_contains_estimate_and_is_seeded(tmp_path, make_sample, resolver,
                                                           tags):
    rng = np.random.default_rng(0)
    ids = [r for r in ("tt0000001", "tt0000004", "tt0000007", "tt0000009")]
    samples, rows = [], []
    for i in range(60):
        samples.append(make_sample(f"s{i}", traits=["gore"], ground_truth=ids[:2]))
        rows.append((f"s{i}", [f"{t} ({y})" for t, y in
                               [("Heat", 1995), ("Collateral", 2004), ("Up", 2009)]
                               if rng.random() < 0.5]))
    pset = _pset(tmp_path, "boot", rows)
    split = _split(samples)
    r1 = evaluate_predictions(split, [pset], resolver, tags, resamples=300, seed=7)
    r2 = evaluate_predictions(split, [pset], resolver, tags, resamples=300, seed=7)
    r3 = evaluate_predictions(split, [pset], resolver, tags, resamples=300, seed=8)
    for key in ("recall@5", "ndcg@10", "svr@5", "hit@20"):
        mv = r1.models[0].overall.metrics[key]
        assert mv.low <= mv.value <= mv.high
        assert mv.low < mv.high
        assert r2.models[0].overall.metrics[key] == mv
    assert r3.models[0].overall.metrics["recall@5"] != r1.models[0].overall.metrics["recall@5"]
