"""Tastes that do not give the traits away: matched controls and taste-balanced favourites.

Films known to be safe lean to family films for most traits, so trait users' favourites do
too; controls drawn from the whole catalogue would let any model tell them apart by taste.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from synth_helpers import make_resources

from datagen.catalogue import load_default_catalogue
from datagen.parquet_io import read_parquet
from datagen.records.sample import SAMPLE_SCHEMA, table_to_samples
from datagen.synth.config import SynthConfig
from datagen.synth.genres import GENRE_GROUPS, genre_group
from datagen.synth.pipeline import ControlTaste, safety_masks
from datagen.synth.runner import synthesize
from datagen.synth.users import UserSampler

FAMILY = {"Animation", "Family"}


def test_control_taste_is_seeded_sized_like_the_plan_and_feasible():
    traits = ("gore", "hate_speech", "spiders_snakes", "young_children")
    taste = ControlTaste(seed=5, traits=traits, counts=((1, 0.6), (2, 0.2)),
                         feasible=lambda ts: set(ts) != {"gore", "hate_speech"})
    drawn = [taste.of(i) for i in range(4000)]
    assert drawn == [taste.of(i) for i in range(4000)]  # per (seed, index): prefix-stable
    sizes = Counter(len(d) for d in drawn)
    assert set(sizes) == {1, 2} and 0.2 < sizes[2] / len(drawn) < 0.3  # 0.25 less infeasible
    assert ["gore", "hate_speech"] not in drawn
    assert all(d == sorted(d) and set(d) <= set(traits) for d in drawn)
    assert ControlTaste(seed=5, traits=(), counts=((1, 1.0),), feasible=bool).of(3) == []
    assert ControlTaste(seed=6, traits=traits, counts=((1, 1.0),), feasible=bool).of(3) != []
    # a new taste set every `per_set` failed draws, the same one within a block
    assert all(taste.of(9, a) == taste.of(9, 0) for a in range(taste.per_set))
    assert len({tuple(taste.of(9, a * taste.per_set)) for a in range(8)}) > 1


def test_genre_groups_are_exclusive_and_ordered():
    assert GENRE_GROUPS[genre_group(["Drama", "Family"])][0] == "animation_family"
    assert GENRE_GROUPS[genre_group(["Thriller", "Drama"])][0] == "thriller_crime"
    assert genre_group([]) == genre_group(["Noise"]) == len(GENRE_GROUPS)


def test_balanced_starts_follow_the_catalogue_genre_mix(taxonomy, small_world):
    res = make_resources(taxonomy, small_world)
    index, masks = safety_masks(res)
    users = UserSampler(index, masks, res.lookup, plan_seed=1, taste_balance=1.0)
    known = masks.safe(["gore"])
    weights = users.start_weights(["gore"], known)
    assert weights is not None and (weights[~known] == 0).all()
    groups = users._genre_groups()
    starts = index.starts_mask
    reference = np.bincount(groups[starts], minlength=len(GENRE_GROUPS) + 1)
    mass = np.bincount(groups[known & starts], weights=weights[known & starts],
                       minlength=len(GENRE_GROUPS) + 1)
    reachable = mass > 0
    # the weighted start mass of each reachable group is its catalogue share
    want = reference[reachable] / reference[reachable].sum()
    assert np.allclose(mass[reachable] / mass.sum(), want)
    off = UserSampler(index, masks, res.lookup, plan_seed=1, taste_balance=0.0)
    assert off.start_weights(["gore"], known) is None


def test_matched_controls_keep_their_taste_traits_constraints(tmp_path, taxonomy, small_world):
    res = make_resources(taxonomy, small_world)
    config = SynthConfig(n=120, run_dir=tmp_path / "run", shard_size=32, progress=False)
    synthesize(config, resources=res)
    samples = table_to_samples(read_parquet(tmp_path / "run" / "samples.parquet",
                                            SAMPLE_SCHEMA))
    controls = [s for s in samples if not s.traits]
    assert controls and all(1 <= len(s.user.taste_of) <= 2 for s in controls)
    assert all(not s.user.taste_of for s in samples if s.traits)
    for s in controls:
        for ref in s.liked_items:
            assert all(res.tags.status(ref.item_id, t).value != "yes" for t in s.user.taste_of)
        assert not s.dropped_candidates  # a control's ground truth is the unfiltered neighbourhood
        assert s.user.liked_no == s.user.liked_unknown == s.user.liked_yes == 0
    other = SynthConfig(n=120, run_dir=tmp_path / "other", shard_size=32, progress=False,
                        control_taste="catalogue")
    synthesize(other, resources=res)
    plain = table_to_samples(read_parquet(tmp_path / "other" / "samples.parquet",
                                          SAMPLE_SCHEMA))
    assert all(not s.user.taste_of for s in plain)


def _family_share(samples, genres, controls: bool) -> float:
    picked = [s for s in samples
              if (not s.traits) == controls and "young_children" not in s.traits]
    films = [r.item_id for s in picked for r in s.liked_items]
    return sum(bool(genres.get(f, set()) & FAMILY) for f in films) / len(films)


@pytest.mark.slow
def test_on_the_embedded_data_taste_does_not_tell_trait_users_from_controls(tmp_path):
    genres = {i.item_id: set(i.genres) for i in load_default_catalogue().items}
    gaps = {}
    for mode in ("matched", "catalogue"):
        run = tmp_path / mode
        synthesize(SynthConfig(n=300, seed=7, run_dir=run, progress=False,
                               control_taste=mode))
        samples = table_to_samples(read_parquet(run / "samples.parquet", SAMPLE_SCHEMA))
        gaps[mode] = (_family_share(samples, genres, controls=False)
                      - _family_share(samples, genres, controls=True))
    # measured: matched ~0.07, catalogue ~0.45 (trait users ~51% family films, controls ~4%)
    assert abs(gaps["matched"]) < 0.15
    assert gaps["catalogue"] > 0.3
