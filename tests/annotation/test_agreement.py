"""Krippendorff's alpha and percent agreement against textbook and hand-computed values."""

from __future__ import annotations

import pytest

from annotation.agreement import krippendorff_alpha, pairable_units, percent_agreement

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4-coder, 12-unit
# example with missing values. Published: nominal .743, ordinal .815, interval .849.
_CODERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
TEXTBOOK = [list(unit) for unit in zip(*_CODERS, strict=True)]


@pytest.mark.parametrize(("level", "expected"),
                         [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_textbook_example(level: str, expected: float) -> None:
    assert krippendorff_alpha(TEXTBOOK, level) == pytest.approx(expected, abs=5e-4)


def test_hand_computed_binary() -> None:
    # units yes/yes, yes/no, no/no, no/no: o_yy=2, o_yn=o_ny=1, o_nn=4; n_y=3, n_n=5, n=8
    # alpha = 1 - (n-1) * (o_yn+o_ny) / (2 n_y n_n) = 1 - 7*2/30
    units = [["y", "y"], ["y", "n"], ["n", "n"], ["n", "n"]]
    assert krippendorff_alpha(units) == pytest.approx(1 - 14 / 30)
    assert percent_agreement(units) == pytest.approx(0.75)


def test_perfect_agreement_and_systematic_disagreement() -> None:
    assert krippendorff_alpha([["a", "a"], ["b", "b"], ["a", "a"]]) == pytest.approx(1.0)
    # every unit split: observed disagreement exceeds chance -> alpha below 0
    alpha = krippendorff_alpha([["a", "b"], ["b", "a"], ["a", "b"]])
    assert alpha is not None and alpha < 0
    assert percent_agreement([["a", "b"], ["b", "a"]]) == 0.0


def test_undefined_cases_return_none() -> None:
    assert krippendorff_alpha([["yes", "yes"], ["yes", "yes"]]) is None  # no variation
    assert percent_agreement([["yes", "yes"], ["yes", "yes"]]) == 1.0
    assert krippendorff_alpha([["a"], ["b", None]]) is None  # nothing pairable
    assert percent_agreement([["a"], []]) is None


def test_ordinal_penalizes_far_disagreements_more_than_near_ones() -> None:
    # the same values overall, paired differently: nominal alpha cannot tell them apart
    near = [[1, 2], [4, 5], [3, 3]]
    far = [[1, 5], [4, 2], [3, 3]]
    a_near, a_far = krippendorff_alpha(near, "ordinal"), krippendorff_alpha(far, "ordinal")
    assert a_near is not None and a_far is not None and a_near > a_far
    # nominal does not see the distance
    assert krippendorff_alpha(near) == pytest.approx(krippendorff_alpha(far))


def test_pairable_units_drop_missing() -> None:
    assert pairable_units([[1, None, 2], [None, 3], [4, 4]]) == [[1, 2], [4, 4]]


def test_unknown_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown level"):
        krippendorff_alpha([[1, 2], [2, 2]], "ratio")  # type: ignore[arg-type]
