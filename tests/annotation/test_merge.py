"""Majority verdicts, their merge into samples, and the pull report (no server)."""

from __future__ import annotations

import json
from pathlib import Path

from factories import make_sample

from annotation.merge import Vote, decide, merge_verdicts
from annotation.pull import PullResult, question_agreement
from annotation.report import build_report, write_report


def _v(user: str, cue: str = "yes", gt: str = "yes", nat: int = 4,
       traits: tuple[str, ...] = ("gore",), offending: tuple[str, ...] = (),
       correction: str = "") -> Vote:
    return Vote(user=user, cue_implicit=cue, gt_safe=gt, naturalness=nat, traits=list(traits),
                offending_films=list(offending), correction=correction)


def test_accepted_when_majorities_and_median_hold() -> None:
    rv = decide("s1", [_v("a"), _v("b"), _v("c", cue="no", nat=2)], min_submitted=2)
    assert rv.verdict == "accepted"
    assert (rv.votes, rv.cue_implicit_yes, rv.gt_safe_yes, rv.naturalness_median) == (3, 2, 3, 4)
    assert rv.traits == ["gore"]


def test_pending_below_min_submitted() -> None:
    rv = decide("s1", [_v("a")], min_submitted=2)
    assert (rv.verdict, rv.votes, rv.agreement) == ("pending", 1, None)
    assert decide("s1", [], min_submitted=1).verdict == "pending"


def test_tie_is_rejected() -> None:
    assert decide("s1", [_v("a"), _v("b", gt="no")], 2).verdict == "rejected"
    assert decide("s1", [_v("a"), _v("b", cue="no")], 2).verdict == "rejected"


def test_unsure_is_not_yes_and_low_naturalness_rejects() -> None:
    assert decide("s1", [_v("a", gt="unsure"), _v("b", gt="unsure")], 2).verdict == "rejected"
    assert decide("s1", [_v("a", nat=2), _v("b", nat=3)], 2).verdict == "rejected"  # median 2.5
    assert decide("s1", [_v("a", nat=3), _v("b", nat=3)], 2).verdict == "accepted"


def test_record_agreement_and_majority_traits() -> None:
    votes = [_v("a", traits=("gore", "needle_phobia")), _v("b", traits=("gore",)),
             _v("c", traits=("gore", "needle_phobia"))]
    rv = decide("s1", votes, 2)
    assert rv.traits == ["gore", "needle_phobia"]
    # cue: all agree (1.0), gt: all agree (1.0), trait sets: 1 of 3 pairs agree (1/3)
    assert rv.agreement == (1.0 + 1.0 + 1 / 3) / 3
    none_votes = [_v("a", traits=("none",)), _v("b", traits=("none",))]
    assert decide("s2", none_votes, 2).traits == []


def test_merge_sets_human_and_names_offending_films() -> None:
    s1, s2 = make_sample(1), make_sample(2)
    votes = [_v("a", gt="no", offending=("film2",), correction="film 2 has a spider scene"),
             _v("b", gt="no", offending=("film2",))]
    merged, matched = merge_verdicts([s1, s2], {s1.sample_id: decide(s1.sample_id, votes, 2)})
    assert matched == 1
    h = merged[0].human
    assert h is not None and h.verdict == "rejected" and h.votes == 2 and h.agreement == 1.0
    assert "offending: Film 1-2 (2002)" in h.notes
    assert "a: film 2 has a spider scene" in h.notes
    assert merged[1].human is None and merged[1] == s2


def test_question_agreement_and_report(tmp_path: Path) -> None:
    votes = {
        "s1": [_v("a"), _v("b")],
        "s2": [_v("a", cue="no", nat=2), _v("b", nat=3)],
        "s3": [_v("a")],
    }
    per_q, per_trait = question_agreement(votes, ["gore", "needle_phobia", "none"])
    assert per_q["cue_implicit"].units == 2 and per_q["cue_implicit"].percent == 0.5
    assert per_q["naturalness"].level == "ordinal"
    assert per_trait["gore"].alpha is None and per_trait["gore"].percent == 1.0
    result = PullResult(dataset="d", workspace="w", min_submitted=2, records=3,
                        verdicts={k: decide(k, v, 2) for k, v in votes.items()},
                        agreement=per_q, trait_agreement=per_trait, annotators={"a": 3, "b": 2})
    rep = build_report(result, input_path=Path("in.parquet"), out_path=Path("out.parquet"),
                       matched=3, unmatched=[])
    assert rep["verdicts"] == {"accepted": 1, "rejected": 1, "pending": 1}
    js, md = write_report(rep, tmp_path / "r.json")
    assert json.loads(js.read_text())["agreement"]["cue_implicit"]["percent"] == 0.5
    text = md.read_text()
    assert "| cue_implicit | nominal |" in text and "accepted 1, rejected 1, pending 1" in text
