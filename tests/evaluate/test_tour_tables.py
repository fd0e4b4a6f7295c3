"""The tour's table helpers and the bootstrap on small known inputs."""

from __future__ import annotations

import numpy as np
import polars as pl

from datagen.evaluate.bootstrap import bootstrap_ci, bootstrap_groups
from datagen.evaluate.tour import dropped_reasons, tag_coverage, trait_counts
from datagen.records.sample import DroppedCandidate, samples_to_table


def test_trait_counts_and_dropped_reasons(make_sample):
    a = make_sample("a", traits=["gore"], ground_truth=["tt0000001"])
    a.dropped_candidates = [
        DroppedCandidate(item_id="tt0000009", title="Collateral", trait_id="gore", status="yes",
                         reason="unsafe:gore (0.90)"),
        DroppedCandidate(item_id="tt0000012", title="Public Enemies", trait_id="gore",
                         status="unknown", reason="unknown:gore"),
    ]
    b = make_sample("b", traits=["gore", "spiders_snakes"])
    c = make_sample("c")
    df = pl.from_arrow(samples_to_table([a, b, c]))
    counts = dict(trait_counts(df).iter_rows())
    assert counts == {"gore": 2, "spiders_snakes": 1, "(control)": 1}
    reasons = {(t, s): n for t, s, n in dropped_reasons(df).iter_rows()}
    assert reasons == {("gore", "unknown"): 1, ("gore", "yes"): 1}


def test_tag_coverage_counts_missing_as_unknown(tags):
    cov = tag_coverage(tags, ["tt0000003", "tt0000001", "tt9999999"], ["spiders_snakes"])
    assert cov.row(0, named=True) == {"trait": "spiders_snakes", "yes": 1, "no": 1,
                                      "unknown": 1}


def test_bootstrap_constant_nan_and_seed():
    values = np.column_stack([np.full(50, 0.25), np.full(50, np.nan),
                              np.r_[np.zeros(25), np.ones(25)]])
    low, high = bootstrap_ci(values, resamples=400, seed=1)
    assert low[0] == high[0] == 0.25
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert 0.3 < low[2] < 0.5 < high[2] < 0.7
    again = bootstrap_ci(values, resamples=400, seed=1)
    assert np.array_equal(low, again[0], equal_nan=True)
    (g_low, g_high), = bootstrap_groups(values, [np.arange(50) >= 25], resamples=100, seed=1)
    assert g_low[2] == g_high[2] == 1.0  # the group holds only ones
