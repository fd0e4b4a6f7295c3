"""Human inferability and its intervals, on samples whose votes are counted by hand."""

from __future__ import annotations

import random

import pytest
from factories import make_sample

from annotation.agreement import krippendorff_alpha
from annotation.inferability import inferability_report, sample_inferability
from annotation.intervals import binary_alpha, bootstrap_alpha, wilson
from annotation.merge import Vote, answered_traits, decide, merge_verdicts
from annotation.report import inferability_lines
from datagen.records.sample import HumanVerdict, Sample, TraitVote


def _annotated(i: int, traits: tuple[str, ...], votes: dict[str, int], answers: int,
               judge: list[str], *, cues: bool = True) -> Sample:
    s = make_sample(i, traits=traits)
    human = HumanVerdict(verdict="accepted", votes=answers,
                         trait_votes=[TraitVote(trait=t, votes=n) for t, n in votes.items()])
    update = {"human": human,
              "verification": s.verification.model_copy(update={"judge_traits": judge})}
    if not cues:
        update["cues"] = []
    return s.model_copy(update=update)


def _fixture() -> list[Sample]:
    """4 gore records (named by 2, 2, 1, 0 of 2), 2 controls, 1 cue-less variant, 1 unseen."""
    return [
        _annotated(0, ("gore",), {"gore": 2}, 2, ["gore"]),
        _annotated(1, ("gore",), {"gore": 2}, 2, ["gore"]),
        _annotated(2, ("gore",), {"gore": 1, "none": 1}, 2, ["gore"]),
        _annotated(3, ("gore",), {"none": 2}, 2, []),
        _annotated(4, (), {"none": 2}, 2, []),
        _annotated(5, (), {"none": 1, "gore": 1}, 2, ["gore"]),
        _annotated(6, ("gore",), {"none": 2}, 2, [], cues=False),  # the cue-less variant
        make_sample(7),  # never annotated
    ]


def test_human_and_judge_side_by_side() -> None:
    rep = inferability_report(_fixture(), traits_suggested=False)
    assert rep.records == 7 and rep.traits_suggested is False
    gore = rep.per_trait["gore"]
    assert (gore.human.share, gore.human.n, gore.human.answers) == (5 / 8, 4, 8)
    assert (gore.human.low, gore.human.high) == pytest.approx(wilson(5 / 8, 4))
    assert gore.judge.share == 3 / 4 and gore.judge.n == 4
    # majority named on records 0, 1 only (1 of 2 is no majority); judge agrees on 0, 1, 3
    assert gore.judge_vs_majority.share == 3 / 4
    units = [[True, True], [True, True], [True, False], [False, False]]
    assert gore.agreement.alpha == pytest.approx(krippendorff_alpha(units))
    assert gore.agreement.percent == pytest.approx(3 / 4) and gore.agreement.units == 4
    # controls: record 4, 5 and the cue-less variant 6; gore ticked once in 6 answers
    assert gore.false_positive_human is not None and gore.false_positive_human.share == 1 / 6
    assert gore.false_positive_judge is not None and gore.false_positive_judge.share == 1 / 3
    assert rep.controls is not None
    assert (rep.controls.human.share, rep.controls.human.n) == (1 / 6, 3)
    assert rep.controls.judge.share == 1 / 3 and rep.controls.judge_vs_majority.share == 2 / 3
    assert list(rep.per_strategy) == ["life_event"] and list(rep.per_variant) == ["implicit"]
    assert rep.overall is not None and rep.overall.human.share == 5 / 8


def test_headline_rows_count_implicit_cues_only_and_failed_judges_are_left_out() -> None:
    """An explicit sample states the trait: it stays out of overall / per trait / strategy
    and shows in its own variant row. A failed judge call is no verdict, not "not named"."""
    base = _fixture()
    explicit = _annotated(8, ("gore",), {"gore": 2}, 2, ["gore"])
    explicit = explicit.model_copy(update={"variant": "explicit"})
    failed = _annotated(9, ("gore",), {"gore": 2}, 2, [])
    failed = failed.model_copy(update={"verification": failed.verification.model_copy(
        update={"flags": ["judge_failed"]})})
    rep = inferability_report([*base, explicit, failed], traits_suggested=False)
    gore = rep.per_trait["gore"]
    # human: the 4 implicit records of the fixture plus the failed-judge one (named by both)
    assert (gore.human.share, gore.human.n) == (7 / 10, 5)
    assert (gore.judge.share, gore.judge.n) == (3 / 4, 4)  # the failed call is not counted
    assert set(rep.per_variant) == {"implicit", "explicit"}
    plain = rep.per_variant["explicit"].human
    assert (plain.share, plain.n) == (1.0, 1)
    assert rep.judge_failed == 1 and rep.judge.endswith(("(not an LLM)", "(LLM)"))
    text = "\n".join(inferability_lines(rep.model_dump()))
    assert "all implicit cues" in text and "1 records whose judge call failed" in text


def test_per_sample_inferability_and_trait_votes_from_votes() -> None:
    votes = [Vote(user="a", traits=answered_traits(["gore", "none"]), cue_implicit="yes"),
             Vote(user="b", traits=["none"], cue_implicit="yes")]
    assert votes[0].traits == ["gore"]  # "none" next to a trait is dropped
    rv = decide("s00000", votes, 2)
    assert rv.trait_votes == {"gore": 1, "none": 1}
    s = make_sample(0, traits=("gore",))
    [merged], matched = merge_verdicts([s], {"s00000": rv}, traits_suggested=False)
    assert matched == 1 and merged.human is not None
    assert merged.human.inferability == 0.5 and merged.human.traits_suggested is False
    assert [(v.trait, v.votes) for v in merged.human.trait_votes] == [("gore", 1), ("none", 1)]
    two = make_sample(1, traits=("gore", "needle_phobia"))
    assert sample_inferability(two, {"gore": 2, "needle_phobia": 1}, 2) == 3 / 4
    assert sample_inferability(make_sample(2, traits=()), {"none": 2}, 2) is None


def test_report_markdown_says_blind_or_suggested() -> None:
    blind = inferability_report(_fixture(), traits_suggested=False).model_dump()
    text = "\n".join(inferability_lines(blind))
    assert "blind: annotators answered from the dialogue alone" in text
    assert "| gore | 4 | 0.62 [" in text and "Controls (no cue in the dialogue, 3 records)" in text
    suggested = inferability_report(_fixture(), traits_suggested=True).model_dump()
    assert "not inference" in "\n".join(inferability_lines(suggested))
    assert inferability_lines(inferability_report([]).model_dump()) == ["No annotated record yet."]


def test_wilson_interval_known_values() -> None:
    assert wilson(0.5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    low, high = wilson(1.0, 5)
    assert low == pytest.approx(0.5655, abs=1e-4) and high == 1.0
    assert wilson(0.0, 20)[0] == 0.0


def test_binary_alpha_is_krippendorff_alpha() -> None:
    rng = random.Random(3)
    for _ in range(50):
        units = [[rng.random() < 0.7 for _ in range(rng.choice([1, 2, 3, 5]))]
                 for _ in range(rng.randint(2, 30))]
        want = krippendorff_alpha(units)
        got = binary_alpha([sum(u) for u in units], [len(u) for u in units])
        assert (got is None and want is None) or got == pytest.approx(want)


def test_bootstrap_alpha_is_deterministic_and_brackets_the_estimate() -> None:
    rng = random.Random(5)
    truth = [rng.random() < 0.5 for _ in range(200)]
    units = [[t if rng.random() < 0.85 else not t for _ in range(3)] for t in truth]
    yes, m = [sum(u) for u in units], [3] * len(units)
    alpha = binary_alpha(yes, m)
    interval = bootstrap_alpha(yes, m)
    assert interval == bootstrap_alpha(yes, m) and alpha is not None and interval is not None
    assert interval[0] < alpha < interval[1] and interval[1] - interval[0] < 0.3
    assert bootstrap_alpha([2, 2], [2, 2]) is None  # no variation: nothing to resample
    assert bootstrap_alpha([1], [2]) is None


def test_dataset_card_shows_human_inferability_and_never_pools_modes() -> None:
    from datagen.records.sample import samples_to_table
    from exports.hf_card import provenance, render_card

    samples = _fixture()
    blind = [s.model_copy(update={"human": s.human.model_copy(update={"traits_suggested": False})})
             if s.human else s for s in samples]
    suggested = [s.model_copy(update={"sample_id": f"x{s.sample_id}", "human": s.human.model_copy(
        update={"traits_suggested": True, "trait_votes": [TraitVote(trait="gore", votes=2)]})})
        for s in samples if s.human]
    prov = provenance({"train": samples_to_table(blind + suggested), "test": samples_to_table([])})
    inf = prov["human_inferability"]
    assert inf["traits_suggested"] is False and inf["records"] == 7  # the blind ones only
    assert inf["per_trait"]["gore"]["human"]["share"] == 5 / 8
    card = render_card({"sft": {"train": 15, "test": 0}}, prov)
    assert "### Human inferability (annotators vs the inferability judge)" in card
    assert "| gore | 4 | 0.62 [" in card
    none = provenance({"train": samples_to_table([make_sample(1)])})
    assert none["human_inferability"] is None
    assert "Human inferability" not in render_card({"sft": {"train": 1}}, none)
