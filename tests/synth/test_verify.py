"""Verification: planted leaks caught, schema flags, judge agreement, ground-truth re-check."""

from __future__ import annotations

from synth_helpers import HashTags

from datagen.records.sample import Cue, ItemRef, Turn
from datagen.synth.verify import JudgeOutcome, check_schema, verify_sample
from datagen.taxonomy import LeakMatcher

OK_JUDGE = JudgeOutcome(backend="offline", model="offline-judge-v1", is_llm=False,
                        traits=["gore"])


def _dialogue(cue_text: str) -> list[Turn]:
    return [Turn(role="user", content="Hi, I loved Film Number 3."),
            Turn(role="assistant", content="What did you like?"),
            Turn(role="user", content=f"The characters. {cue_text} What would you suggest?")]


def _verify(taxonomy, messages, traits, *, judge=OK_JUDGE, gt=(), variant="implicit", cues=()):
    return verify_sample(messages=messages, cues=list(cues), traits=traits, variant=variant,
                         ground_truth=list(gt), tags=HashTags(yes=0, unknown=0),
                         leaks=LeakMatcher(taxonomy), judge=judge)


def test_planted_leak_fails_the_sample(taxonomy):
    term = taxonomy.trait("gore").leak_terms[0]
    v = _verify(taxonomy, _dialogue(f"But honestly, {term} is the one thing I avoid."), ["gore"])
    assert not v.passed and not v.leak_passed
    assert f"gore:{term}" in v.leak_hits and "leak:gore" in v.flags


def test_other_trait_term_reported_not_failing(taxonomy):
    term = taxonomy.trait("spiders_snakes").leak_terms[0]
    v = _verify(taxonomy, _dialogue(f"My friend has {term}, funny story."), ["gore"])
    assert v.leak_passed and v.passed
    assert "other_trait_term:spiders_snakes" in v.flags


def test_judge_agreement_and_controls(taxonomy):
    v = _verify(taxonomy, _dialogue("I faint at the doctor's."), ["gore", "needle_phobia"])
    assert v.judge_agreement == 0.5 and not v.inferable and not v.passed
    control_ok = _verify(taxonomy, _dialogue(""), [],
                         judge=JudgeOutcome("offline", "j", False, []))
    assert control_ok.passed and control_ok.judge_agreement == 1.0
    control_bad = _verify(taxonomy, _dialogue(""), [], judge=OK_JUDGE)
    assert not control_bad.passed and "judge_named_traits" in control_bad.flags
    failed = _verify(taxonomy, _dialogue(""), ["gore"],
                     judge=JudgeOutcome("openai", "m", True, [], error="bad json"))
    assert "judge_failed" in failed.flags and not failed.passed and failed.judge_is_llm


def test_ground_truth_recheck_catches_unsafe_item(taxonomy):
    tags = HashTags(yes=10, unknown=0)
    v = verify_sample(messages=_dialogue(""), cues=[], traits=["gore"], variant="implicit",
                      ground_truth=[ItemRef(item_id="tt1", title="X")], tags=tags,
                      leaks=LeakMatcher(taxonomy), judge=OK_JUDGE)
    assert not v.ground_truth_safe and not v.passed
    assert v.flags == ["ground_truth:yes:gore:tt1"]


def test_schema_checks():
    msgs = _dialogue("I skip the hospital shows.")
    good = Cue(trait_id="gore", strategy="behaviour", idea="x", turn_index=2,
               text="I skip the hospital shows.")
    assert check_schema(msgs, [good], "implicit") == []
    wrong_turn = good.model_copy(update={"turn_index": 1})
    assert "schema:cue_not_on_user_turn:gore" in check_schema(msgs, [wrong_turn], "implicit")
    invented = good.model_copy(update={"text": "never said"})
    assert "schema:cue_text_not_in_turn:gore" in check_schema(msgs, [invented], "implicit")
    assert "schema:last_turn_not_user" in check_schema(msgs[:2], [], "implicit")
    assert "schema:absent_has_cues" in check_schema(msgs, [good], "absent")
    assert check_schema(msgs, [good], "explicit") == []


def test_explicit_sample_states_its_trait_without_failing(taxonomy):
    term = taxonomy.trait("gore").leak_terms[0]
    text = f"I should say it plainly: {term} is something I cannot watch."
    explicit = _verify(taxonomy, _dialogue(text), ["gore"], variant="explicit")
    assert explicit.passed and explicit.leak_passed
    assert f"gore:{term}" in explicit.leak_hits and "stated:gore" in explicit.flags
    assert "leak:gore" not in explicit.flags
    implicit = _verify(taxonomy, _dialogue(text), ["gore"], variant="implicit")
    assert not implicit.passed and "leak:gore" in implicit.flags
    other = taxonomy.trait("spiders_snakes").leak_terms[0]
    mixed = _verify(taxonomy, _dialogue(f"{text} Also {other}."), ["gore"], variant="explicit")
    assert mixed.passed and "other_trait_term:spiders_snakes" in mixed.flags


def test_absent_sample_must_not_show_a_trait(taxonomy):
    quiet = _verify(taxonomy, _dialogue(""), ["gore"], variant="absent",
                    judge=JudgeOutcome("offline", "j", False, []))
    assert quiet.passed and quiet.judge_agreement == 1.0
    noticed = _verify(taxonomy, _dialogue(""), ["gore"], variant="absent", judge=OK_JUDGE)
    assert not noticed.passed and "judge_named_traits" in noticed.flags
