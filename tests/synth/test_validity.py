"""Validity statistics on hand-made tables: users not samples, starvation, shares."""

from __future__ import annotations

import pyarrow as pa

from datagen.records.sample import (
    Generation,
    GroundTruthItem,
    ItemRef,
    Sample,
    Turn,
    UserDraw,
    Verification,
    samples_to_table,
)
from datagen.synth.rundir import REJECTS_SCHEMA
from datagen.synth.validity import RunFacts, validity_stats


def _sample(sid: str, traits: list[str], *, pair: str | None = None, variant="implicit",
            liked=("a1", "b1"), gt=(("a2", 0.9), ("c1", 0.5)), attempts=1) -> Sample:
    return Sample(
        sample_id=sid, pair_id=pair, variant=variant, taxonomy_version="t@1",
        seed_source="graph_profile", seed_id=f"g:{pair or sid}", traits=traits,
        messages=[Turn(role="user", content="hi")],
        liked_items=[ItemRef(item_id=i, title=i) for i in liked],
        ground_truth=[GroundTruthItem(item_id=i, title=i, relatedness=r, unfiltered_rank=k,
                                      curated_only=i.startswith("c"))
                      for k, (i, r) in enumerate(gt, start=1)],
        generation=Generation(backend="offline", model="m", is_llm=False, prompt_version="v"),
        verification=Verification(passed=True, leak_passed=True),
        user=UserDraw(attempts=attempts, rejected=["unrelated_safe_ground_truth"] *
                      (attempts - 1), liked_no=len(liked) * len(traits)))


def _reject(sid: str, traits: list[str], attempts: int) -> dict:
    return {"sample_id": sid, "pair_id": None, "seed_id": "x", "variant": "implicit",
            "traits": traits, "stage": "ground_truth", "reason": "unrelated_safe_ground_truth",
            "error": "", "raw_output": "", "backend": "offline", "model": "m",
            "input_tokens": 0, "output_tokens": 0, "attempts": attempts,
            "attempt_reasons": ["unrelated_safe_ground_truth"] * attempts}


def test_users_are_counted_once_and_starvation_goes_to_the_scarcest_trait():
    samples = samples_to_table([
        _sample("c", []),
        *[_sample(f"g{v}", ["gore"], pair="p1", variant=v, attempts=3)
          for v in ("implicit", "explicit", "absent")],
        _sample("y", ["young_children"], liked=("a3",), gt=(("a4", 0.8),)),
    ])
    rejects = pa.Table.from_pylist([_reject("l", ["gore", "photosensitivity"], 40)],
                                   schema=REJECTS_SCHEMA)
    facts = RunFacts(safe_films={"gore": 1000, "photosensitivity": 76},
                     genres={"a1": ("Animation",), "a2": ("Family",), "a3": ("Animation",),
                             "a4": ("Animation",)},
                     strict_traits=("young_children",),
                     trait_ids=("gore", "photosensitivity", "young_children"))
    v = validity_stats(samples, rejects, facts)
    assert v["users"] == {"planned": 4, "produced": 3, "lost_at_ground_truth": 1}
    assert {k: (m["planned"], m["produced"]) for k, m in v["mix"].items()} == \
        {"0": (1, 1), "1": (2, 2), "2": (1, 0)}
    assert v["starved"] == ["photosensitivity"] and v["lost_combinations"] == \
        {"gore+photosensitivity": 1}
    gore = v["traits"]["gore"]
    assert (gore["planned"], gore["produced"], gore["lost"], gore["starved"]) == (2, 1, 1, False)
    assert gore["attempts"] == 43 and v["attempts"]["total"] == 45
    assert v["rejected_draws"] == {"unrelated_safe_ground_truth": 42}
    assert v["control_share"] == round(1 / 3, 4)
    gt = v["ground_truth"]
    assert gt["trait_users"]["items"] == 3 and gt["controls"]["items"] == 2
    assert gt["curated_only_share"] == round(1 / 3, 4)
    assert v["liked"] == {"no": 3, "unknown": 0, "yes": 0, "unknown_share": 0.0}
    fam = v["family_animation"]  # young_children aside: only the gore user counts
    assert fam["trait_users"]["users"] == 1
    assert fam["trait_users"]["liked_per_user"] == 0.5
    assert fam["trait_users"]["ground_truth_per_user"] == 0.5
    assert fam["excess_points_per_user"] == 0.0
    assert validity_stats(samples)["users"]["planned"] == 3  # without rejects
