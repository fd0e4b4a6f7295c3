"""Per-variant metrics and paired differences; acquisition figures from prediction traces."""

from __future__ import annotations

import pytest

from datagen.evaluate import evaluate_predictions, load_split, to_markdown
from datagen.evaluate.prediction_meta import AcquisitionTrace, PredictionMeta
from datagen.evaluate.predictions import PredictionRecord, PredictionSet

SAFE = ["Heat (1995)", "Up (2009)"]  # tagged no for spiders_snakes
HALF = ["Heat (1995)", "Arachnophobia (1990)"]  # one of two tagged yes
BAD = ["Arachnophobia (1990)", "Spider-Man (2002)"]  # both tagged yes


def _split(tmp_path, make_sample, write_split, users=10, drop_explicit_of=()):
    samples = []
    for u in range(users):
        for variant in ("explicit", "implicit", "absent"):
            if variant == "explicit" and u in drop_explicit_of:
                continue
            s = make_sample(f"s{u}-{variant}", traits=["spiders_snakes"],
                            liked=["tt0000002"], ground_truth=["tt0000001", "tt0000004"])
            samples.append(s.model_copy(update={"variant": variant, "pair_id": f"p{u}",
                                                "seed_id": f"seed-p{u}"}))
    samples.append(make_sample("control", ground_truth=["tt0000001"]))
    write_split(tmp_path, samples)
    return load_split(tmp_path, "test")


def _pset(split, answers, tmp_path, name="m"):
    records = {sid: PredictionRecord(sample_id=sid, titles=tuple(answers(sid)))
               for sid in split.sample_ids}
    return PredictionSet(name=name, path=tmp_path / f"{name}.jsonl", records=records)


def _answers(sid: str) -> list[str]:
    """SVR per user differs a lot (odd users worse), the paired gap is always 0.5."""
    if sid == "control":
        return SAFE
    user, variant = int(sid[1:].split("-")[0]), sid.split("-")[1]
    odd = user % 2
    return {"explicit": [SAFE, HALF], "implicit": [HALF, BAD],
            "absent": [BAD, BAD]}[variant][odd]


def test_every_metric_per_variant_and_paired_differences(tmp_path, make_sample, write_split,
                                                         resolver, tags):
    split = _split(tmp_path, make_sample, write_split)
    report = evaluate_predictions(split, [_pset(split, _answers, tmp_path)], resolver, tags,
                                  resamples=400, seed=3)
    model = report.models[0]
    assert list(model.by_variant) == ["explicit", "implicit", "absent"]
    svr = {v: g.metrics["svr@5"] for v, g in model.by_variant.items()}
    assert svr["explicit"].value == pytest.approx(0.25)
    assert svr["implicit"].value == pytest.approx(0.75)
    assert svr["absent"].value == pytest.approx(1.0)
    assert svr["implicit"].high - svr["implicit"].low > 0.1  # users vary: a wide interval
    diffs = {(d.minuend, d.subtrahend): d for d in model.variant_differences}
    assert list(diffs) == [("explicit", "implicit"), ("explicit", "absent"),
                           ("implicit", "absent")]
    gap = diffs[("explicit", "implicit")].metrics["svr@5"]
    # the gap is the same for every pair: paired resampling gives a zero-width interval
    assert gap.value == pytest.approx(-0.5) and gap.low == pytest.approx(-0.5)
    assert gap.high == pytest.approx(-0.5) and gap.n == 10
    assert diffs[("explicit", "implicit")].n_pairs == 10
    assert "## Per context variant" in to_markdown(report)
    assert "explicit - implicit (10 pairs)" in to_markdown(report)


def test_pairs_missing_a_variant_are_left_out(tmp_path, make_sample, write_split, resolver,
                                              tags):
    split = _split(tmp_path, make_sample, write_split, drop_explicit_of=(0, 3))
    report = evaluate_predictions(split, [_pset(split, _answers, tmp_path)], resolver, tags,
                                  resamples=50)
    diffs = {(d.minuend, d.subtrahend): d.n_pairs for d in report.models[0].variant_differences}
    assert diffs == {("explicit", "implicit"): 8, ("explicit", "absent"): 8,
                     ("implicit", "absent"): 10}


def test_splits_without_variants_have_no_variant_tables(tmp_path, make_sample, write_split,
                                                        resolver, tags):
    write_split(tmp_path, [make_sample("a", traits=["gore"], ground_truth=["tt0000001"]),
                           make_sample("b", ground_truth=["tt0000004"])])
    split = load_split(tmp_path, "test")
    report = evaluate_predictions(split, [_pset(split, lambda s: SAFE, tmp_path)], resolver,
                                  tags, resamples=20)
    assert report.models[0].by_variant == {} and report.models[0].variant_differences == []
    assert "Per context variant" not in to_markdown(report)


def test_acquisition_traces_become_metrics(tmp_path, make_sample, write_split, resolver,
                                           tags):
    split = _split(tmp_path, make_sample, write_split, users=4)

    def trace(sid: str) -> AcquisitionTrace:
        asked = 0 if sid.endswith("explicit") else 2
        revealed = ["spiders_snakes"] if sid.endswith("absent") else []
        return AcquisitionTrace(budget=3, questions=asked, revealed=revealed,
                                user="offline-user-v1")

    records = {sid: PredictionRecord(sample_id=sid, titles=tuple(SAFE), meta=PredictionMeta(
        mode="acquisition", acquisition=trace(sid))) for sid in split.sample_ids}
    pset = PredictionSet(name="acq", path=tmp_path / "acq.jsonl", records=records)
    report = evaluate_predictions(split, [pset], resolver, tags, resamples=50)
    model = report.models[0]
    assert model.overall.metrics["questions_per_dialogue"].value == pytest.approx(18 / 13)
    assert model.by_variant["explicit"].metrics["asked_rate"].value == 0.0
    assert model.by_variant["absent"].metrics["revealed_rate"].value == 1.0
    assert model.control is not None
    assert model.control.metrics["revealed_rate"].value is None  # nothing to reveal
    assert "revealed_rate" in to_markdown(report)
