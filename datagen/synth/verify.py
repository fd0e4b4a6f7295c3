"""Verification of every sample: leaks, inferability, schema, ground-truth safety.

* **leak**: the project's one :class:`~datagen.taxonomy.leaks.LeakMatcher` over all user
  turns. A term of one of the user's own traits fails an ``implicit`` or ``absent`` sample
  (``leak:<trait>``); an ``explicit`` sample states its trait on purpose, so there the hit
  is recorded (``leak_hits``, flag ``stated:<trait>``) and does not fail it. A term of
  another trait is reported (``other_trait_term:<trait>``) but never fails a sample.
* **inferability**: a judge (an LLM, or the labelled offline heuristic) names the traits it
  reads in the user turns; agreement = share of the user's traits it named. A cue-carrying
  sample (``implicit`` or ``explicit`` with traits) needs every trait named; a control or an
  ``absent`` sample must have none named.
* **schema**: turns alternate user/assistant from a user turn and end with one, cues point
  at user turns and their text occurs there, an ``absent`` sample has no cues.
* **ground truth**: every ground-truth item is re-checked against every trait: never ``yes``,
  and never ``unknown`` unless the unknown policy allows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datagen.records.sample import Cue, ItemRef, Turn, Verification, user_text
from datagen.synth.ground_truth import TagLookup, tag_status
from datagen.taxonomy.leaks import LeakMatcher, normalize_text

__all__ = ["JudgeOutcome", "check_schema", "verify_sample"]


@dataclass
class JudgeOutcome:
    backend: str
    model: str
    is_llm: bool
    traits: list[str]
    error: str | None = None


def check_schema(messages: Sequence[Turn], cues: Sequence[Cue], variant: str) -> list[str]:
    """Structural problems of a dialogue, as flags (empty = valid)."""
    flags: list[str] = []
    if not messages or messages[-1].role != "user":
        flags.append("schema:last_turn_not_user")
    for i, turn in enumerate(messages):
        if turn.role != ("user" if i % 2 == 0 else "assistant"):
            flags.append("schema:turns_not_alternating")
            break
    for cue in cues:
        if not 0 <= cue.turn_index < len(messages) or messages[cue.turn_index].role != "user":
            flags.append(f"schema:cue_not_on_user_turn:{cue.trait_id}")
        elif normalize_text(cue.text) not in normalize_text(messages[cue.turn_index].content):
            flags.append(f"schema:cue_text_not_in_turn:{cue.trait_id}")
    if variant == "absent" and cues:
        flags.append("schema:absent_has_cues")
    return flags


def _gt_flags(ground_truth: Sequence[ItemRef], traits: Sequence[str], tags: TagLookup,
              unknown_policy: str) -> list[str]:
    flags = []
    for ref in ground_truth:
        for trait in traits:
            status = tag_status(tags, ref.item_id, trait)[0]
            if status == "yes" or (status != "no" and unknown_policy != "allow"):
                flags.append(f"ground_truth:{status}:{trait}:{ref.item_id}")
    return flags


def verify_sample(
    *,
    messages: Sequence[Turn],
    cues: Sequence[Cue],
    traits: Sequence[str],
    variant: str,
    ground_truth: Sequence[ItemRef],
    tags: TagLookup,
    leaks: LeakMatcher,
    judge: JudgeOutcome,
    unknown_policy: str = "exclude",
) -> Verification:
    """All checks of one sample; ``passed`` only when every check passes."""
    hits = leaks.find(user_text(messages))
    own = sorted({t for t, _ in hits if t in traits})
    stated = own if variant in ("explicit", "acquisition") else []  # said on purpose
    own = [] if stated else own
    flags = [f"leak:{t}" for t in own] + [f"stated:{t}" for t in stated]
    flags += [f"other_trait_term:{t}" for t in sorted({t for t, _ in hits if t not in traits})]
    schema_flags = check_schema(messages, cues, variant)
    gt_flags = _gt_flags(ground_truth, traits, tags, unknown_policy)
    named = set(judge.traits)
    carries = bool(traits) and variant != "absent"
    if carries:
        agreement = len(named & set(traits)) / len(traits)
        inferable = agreement == 1.0
    else:
        agreement = 1.0 if not named else 0.0
        inferable = not named
    if judge.error:
        flags.append("judge_failed")
        inferable = False
    elif not inferable:
        flags.append("not_inferable" if carries else "judge_named_traits")
    flags += schema_flags + gt_flags
    return Verification(
        passed=not own and not schema_flags and not gt_flags and inferable,
        leak_passed=not own,
        leak_hits=[f"{t}:{term}" for t, term in hits],
        schema_valid=not schema_flags,
        judge_backend=judge.backend,
        judge_model=judge.model,
        judge_is_llm=judge.is_llm,
        judge_traits=sorted(named),
        judge_agreement=agreement,
        inferable=inferable,
        ground_truth_safe=not gt_flags,
        flags=flags,
    )
