"""Small SafeRec samples built by hand for the annotation tests (no synthesis needed)."""

from __future__ import annotations

from datagen.records.sample import (
    Cue,
    DroppedCandidate,
    Generation,
    ItemRef,
    Sample,
    Turn,
    Verification,
)
from datagen.taxonomy import load_taxonomy

__all__ = ["make_long_sample", "make_sample", "make_samples"]

#: ``name@version`` of the embedded taxonomy (what the annotation loop checks samples against)
TAXONOMY_VERSION = f"saferec@{load_taxonomy().version}"


def make_sample(i: int, *, traits: tuple[str, ...] = ("spiders_snakes",),
                version: str = TAXONOMY_VERSION, gt: int = 3, text: str = "") -> Sample:
    """Sample number ``i``: a short dialogue, ``gt`` ground-truth films, one dropped film."""
    user = text or (f"Hi! After that camping trip where something crawled into my sleeping bag "
                    f"I jump at every shadow. Something cosy for tonight? (#{i})")
    cues = [Cue(trait_id=t, strategy="life_event", idea="camping trip", turn_index=0, text=user)
            for t in traits]
    return Sample(
        sample_id=f"s{i:05d}",
        taxonomy_version=version,
        seed_source="graph_profile",
        seed_id=f"seed{i}",
        traits=list(traits),
        cues=cues,
        messages=[
            Turn(role="user", content=user),
            Turn(role="assistant", content="Sure - what did you enjoy recently?"),
            Turn(role="user", content="Paddington 2 was lovely, and Amelie."),
        ],
        liked_items=[ItemRef(item_id="tt4468740", title="Paddington 2", year=2017)],
        ground_truth=[ItemRef(item_id=f"tt{1000000 + i * 10 + k}", title=f"Film {i}-{k}",
                              year=2000 + k) for k in range(1, gt + 1)],
        dropped_candidates=[DroppedCandidate(
            item_id="tt0099052", title="Arachnophobia", year=1990, trait_id="spiders_snakes",
            status="yes", score=0.9, reason="unsafe:spiders_snakes (ddd 0.92)")],
        generation=Generation(backend="offline", model="composer-v1", is_llm=False,
                              prompt_version="p1"),
        verification=Verification(passed=True, leak_passed=True, judge_agreement=1.0,
                                  flags=["judge_offline"]),
    )


def make_samples(n: int, **kw) -> list[Sample]:
    out = []
    for i in range(n):
        traits = () if i % 5 == 4 else ("spiders_snakes",) if i % 2 else ("gore", "needle_phobia")
        out.append(make_sample(i, traits=traits, **kw))
    return out


def make_long_sample(i: int = 7) -> Sample:
    """A record as long as real ones: 9 turns and 74 dropped candidates (71 unknown, 3 yes)."""
    base = make_sample(i, traits=("sexual_violence",), text=(
        "Long week. I moved cities after everything with my ex last year and I still sleep "
        "with the hall light on. A friend says I should watch films again, something warm?"))
    turns = [base.messages[0]]
    for k in range(4):
        turns.append(Turn(role="assistant", content=(
            f"Happy to help! A few questions first, part {k}: what did you enjoy lately, and "
            "do you prefer something light or something absorbing? ") * 3))
        turns.append(Turn(role="user", content=(
            f"Paddington 2 was lovely, and Amelie too; nothing heavy please ({k}). ") * 3))
    unknown = [DroppedCandidate(item_id=f"tt9{k:06d}", title=f"Untagged Film {k}",
                                year=1990 + k % 30, trait_id="sexual_violence",
                                status="unknown", score=0.4, reason="unknown:sexual_violence")
               for k in range(71)]
    unsafe = [DroppedCandidate(item_id=f"tt8{k:06d}", title=title, year=year,
                               trait_id="sexual_violence", status="yes", score=0.9,
                               reason="unsafe:sexual_violence (ddd 0.95)")
              for k, (title, year) in enumerate([("Irreversible", 2002), ("The Accused", 1988),
                                                 ("Elle", 2016)])]
    return base.model_copy(update={"messages": turns, "dropped_candidates": unknown + unsafe})
