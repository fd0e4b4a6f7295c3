"""Related-items queries restricted to an allowed set: scores, walks, nearest items."""

from __future__ import annotations

import random

import numpy as np

from datagen.graph import build_graph, related_items
from datagen.graph.related import related_index
from datagen.graph.restricted import ProfileScores, top_within, walk_profile


def test_profile_scores_equal_related_items(catalogue):
    g = build_graph(catalogue)
    index = related_index(g)
    liked = [index.position["tt0000001"], index.position["tt0000003"]]
    plain = ProfileScores(index, balanced=False)
    for pos in liked:
        plain.add(pos)
    got = plain.scores()
    expected = dict(related_items(g, ["tt0000001", "tt0000003"], k=1000))
    for item_id, score in expected.items():
        assert abs(got[index.position[item_id]] - score) < 1e-9
    assert all(got[p] == 0 for p in liked)
    assert np.count_nonzero(got) == len(expected)


def test_balanced_scores_divide_each_favourite_by_its_nearest(catalogue):
    g = build_graph(catalogue)
    index = related_index(g)
    a, b = index.position["tt0000001"], index.position["tt0000003"]
    balanced = ProfileScores.of(index, [a, b]).scores()
    parts = []
    for pos, item in ((a, "tt0000001"), (b, "tt0000003")):
        ranked = related_items(g, [item], k=1000)
        assert abs(index.best_score(pos) - ranked[0][1]) < 1e-12
        parts.append({i: s / ranked[0][1] for i, s in ranked})
    for item_id in set(parts[0]) | set(parts[1]):
        pos = index.position[item_id]
        if pos in (a, b):
            continue
        want = parts[0].get(item_id, 0.0) + parts[1].get(item_id, 0.0)
        assert abs(balanced[pos] - want) < 1e-9


def test_top_within_respects_the_mask_and_breaks_ties_by_position():
    scores = np.array([0.0, 3.0, 1.0, 3.0, 2.0, -1.0])
    mask = np.array([True, True, True, False, True, True])
    assert top_within(scores, mask, 3).tolist() == [1, 4, 2]
    assert top_within(scores, None, 2).tolist() == [1, 3]
    assert top_within(scores, mask, 0).tolist() == []


def test_walks_never_leave_the_allowed_set_and_cap_unknown_films(catalogue):
    g = build_graph(catalogue)
    index = related_index(g)
    n = len(index.item_ids)
    rng = random.Random(3)
    for trial in range(200):
        allowed = np.array([rng.random() < 0.7 for _ in range(n)])
        known = allowed & np.array([rng.random() < 0.5 for _ in range(n)])
        prof = walk_profile(index, random.Random(trial), 4, allowed, start=known, known=known,
                            max_unknown=1)
        if not prof.liked:
            assert not (index.starts_mask & known).any()
            continue
        assert known[prof.liked[0]]  # starts at a known film
        assert all(allowed[p] for p in prof.liked)
        assert sum(not known[p] for p in prof.liked) <= 1
        assert len(set(prof.liked)) == len(prof.liked) <= 4
    again = walk_profile(index, random.Random(5), 3, np.ones(n, dtype=bool))
    assert again.liked == walk_profile(index, random.Random(5), 3, np.ones(n, dtype=bool)).liked


def test_nearest_items_are_the_best_related_items(catalogue):
    g = build_graph(catalogue)
    index = related_index(g)
    pos = index.position["tt0000003"]
    near, scores = index.nearest(pos)
    ranked = related_items(g, ["tt0000003"], k=len(near))
    assert [index.item_ids[p] for p in near] == [i for i, _ in ranked]
    assert np.allclose(scores, [s for _, s in ranked])
