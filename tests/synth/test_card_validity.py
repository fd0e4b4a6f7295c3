"""The dataset card's validity section: from a real run's stats.json, or from the samples."""

from __future__ import annotations

import json

from datagen.parquet_io import read_parquet
from datagen.records.sample import SAMPLE_SCHEMA
from datagen.synth.config import SynthConfig
from datagen.synth.runner import synthesize
from exports.hf_card import provenance, render_card


def test_card_reports_the_runs_validity_statistics(tmp_path, resources, taxonomy):
    cfg = SynthConfig(n=60, run_dir=tmp_path / "run", shard_size=16, progress=False)
    stats = synthesize(cfg, resources=resources).stats
    samples = read_parquet(tmp_path / "run" / "samples.parquet", SAMPLE_SCHEMA)
    splits = {"train": samples}
    from_run = render_card({"samples": {"train": samples.num_rows}},
                           provenance(splits, taxonomy, run_stats=stats))
    assert "## Dataset validity" in from_run and "stats.json" in from_run
    v = stats["validity"]
    assert f"{v['users']['planned']:,} planned" in from_run
    for trait, counts in v["traits"].items():
        if counts["planned"]:
            assert f"| {trait} | {counts['safe_films']} | {counts['planned']} |" in from_run
    assert "Starved traits" in from_run and "Liked films x own traits" in from_run
    alone = provenance(splits, taxonomy)
    assert alone["validity_from_run"] is False
    assert alone["validity"]["users"]["produced"] == v["users"]["produced"]
    assert alone["validity"]["ground_truth"] == v["ground_truth"]
    text = render_card({"samples": {"train": samples.num_rows}}, alone)
    assert "released samples" in text
    json.dumps(alone)  # JSON-able, as the card embeds it
