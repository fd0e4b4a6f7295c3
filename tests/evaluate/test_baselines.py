"""Baselines on a constructed case: graph beats popularity, graph_safe is safe."""

from __future__ import annotations

import pytest

from datagen.evaluate import evaluate_predictions, load_predictions, split_from_table
from datagen.evaluate.baselines import (
    BASELINES,
    graph_baseline,
    graph_safe_baseline,
    graph_stated_baseline,
    popularity_baseline,
    stated_traits,
)
from datagen.evaluate.predictions import write_predictions
from datagen.records.sample import samples_to_table

MANN = ["tt0000009", "tt0000010", "tt0000011", "tt0000012"]  # Michael Mann crime thrillers


@pytest.fixture()
def bench(make_sample):
    samples = [
        make_sample("g1", traits=["gore"], liked=["tt0000001"], ground_truth=MANN[:3]),
        make_sample("g2", traits=["spiders_snakes"], liked=["tt0000001"], ground_truth=MANN),
        make_sample("c1", liked=["tt0000001"], ground_truth=MANN[1:]),
    ]
    return split_from_table(samples_to_table(samples), "test")


@pytest.fixture()
def graph(catalogue):
    from datagen.graph import build_graph

    return build_graph(catalogue)


def _score(tmp_path, bench, runs, resolver, tags):
    psets = []
    for name, records in runs.items():
        path = write_predictions(records, tmp_path / f"{name}.jsonl")
        psets.append(load_predictions(path))
    report = evaluate_predictions(bench, psets, resolver, tags, ks=[5, 10], resamples=50)
    return {m.name: m.overall.metrics for m in report.models}


def test_popularity_skips_liked_items_and_records_split(bench, catalogue):
    records = popularity_baseline(bench, catalogue, k=3)
    assert records[0].titles == ("The Dark Knight (2008)", "Up (2009)", "Schindler's List (1993)")
    assert all(r.split == "test" and r.taxonomy_version == "1.0.0" for r in records)
    assert "Heat (1995)" not in records[0].titles


def test_baselines_are_ordered_as_expected(tmp_path, bench, catalogue, graph, resolver, tags):
    runs = {
        "popularity": popularity_baseline(bench, catalogue, k=10),
        "graph": graph_baseline(bench, catalogue, graph, k=10),
        "graph_safe": graph_safe_baseline(bench, catalogue, graph, tags, k=10),
        "graph_stated": graph_stated_baseline(bench, catalogue, graph, tags, _matcher(),
                                              ["", "", ""], k=10),
    }
    m = _score(tmp_path, bench, runs, resolver, tags)
    assert m["graph"]["recall@5"].value > m["popularity"]["recall@5"].value
    assert m["graph"]["ndcg@10"].value > m["popularity"]["ndcg@10"].value
    assert m["graph"]["svr@5"].value > 0
    assert m["graph_safe"]["svr@10"].value == 0.0
    assert m["graph_safe"]["unknown@10"].value == 0.0
    assert set(BASELINES) == set(runs)


def test_graph_safe_drops_unsafe_and_unknown_for_the_users_traits(bench, catalogue, graph,
                                                                  tags):
    by_id = {r.sample_id: r for r in graph_safe_baseline(bench, catalogue, graph, tags, k=10)}
    assert "Collateral (2004)" not in by_id["g1"].titles  # gore: yes
    assert "Public Enemies (2009)" not in by_id["g1"].titles  # gore: unknown
    assert by_id["g1"].titles[0] == "Thief (1981)"
    # control sample: no trait to filter on, same as the plain graph ranking
    plain = {r.sample_id: r for r in graph_baseline(bench, catalogue, graph, k=10)}
    assert by_id["c1"].titles == plain["c1"].titles


def test_graph_safe_allow_and_penalize_policies(bench, catalogue, graph, tags):
    allow = graph_safe_baseline(bench, catalogue, graph, tags, k=10, unknown_policy="allow")
    pen = graph_safe_baseline(bench, catalogue, graph, tags, k=10, unknown_policy="penalize")
    assert "Public Enemies (2009)" in allow[0].titles
    assert "Collateral (2004)" not in allow[0].titles
    assert pen[0].titles[0] == "Thief (1981)" and "Public Enemies (2009)" in pen[0].titles
    with pytest.raises(ValueError, match="policy"):
        graph_safe_baseline(bench, catalogue, graph, tags, unknown_policy="ignore")


def _matcher():
    from datagen.taxonomy import load_taxonomy
    from datagen.taxonomy.leaks import LeakMatcher

    return LeakMatcher(load_taxonomy())


def test_stated_traits_reads_plain_statements_only():
    matcher = _matcher()
    assert stated_traits("I'm very squeamish, so please nothing gory.", matcher) == ["gore"]
    assert stated_traits("I have arachnophobia. Also no gore please.", matcher) == [
        "gore", "spiders_snakes"]
    # an implicit cue names nothing: the keyword reader sees no trait
    assert stated_traits("I was the one who had to sit down during my sister's labour",
                         matcher) == []


def test_graph_stated_filters_for_what_the_user_says_not_the_hidden_traits(
        bench, catalogue, graph, tags):
    safe = {r.sample_id: r.titles for r in graph_safe_baseline(bench, catalogue, graph, tags,
                                                                k=10)}
    plain = {r.sample_id: r.titles for r in graph_baseline(bench, catalogue, graph, k=10)}
    texts = ["I'm squeamish: nothing gory, please.",  # g1 (gore) says it plainly
             "Something gripping, like the last one.",  # g2 (spiders) only hints, or not at all
             "I can't stand blood, so avoid gore."]  # c1, a control, states a preference
    got = {r.sample_id: r.titles for r in graph_stated_baseline(bench, catalogue, graph, tags,
                                                                 _matcher(), texts, k=10)}
    assert got["g1"] == safe["g1"]
    assert "Collateral (2004)" not in got["g1"]
    assert got["g2"] == plain["g2"]  # blind to a sensitivity it was not told about
    assert got["c1"] != plain["c1"] and "Collateral (2004)" not in got["c1"]
    with pytest.raises(ValueError, match="dialogues for"):
        graph_stated_baseline(bench, catalogue, graph, tags, _matcher(), texts[:2])
