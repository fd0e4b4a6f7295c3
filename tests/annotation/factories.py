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

__all__ = ["make_sample", "make_samples"]

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
