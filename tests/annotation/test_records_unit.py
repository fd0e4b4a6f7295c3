"""Sample -> record mapping, guidelines and input handling (no server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import make_long_sample, make_sample, make_samples

from annotation.errors import TaxonomyVersionMismatchError
from annotation.push import check_sample_taxonomy
from annotation.records import (
    MAX_NAMED_DROPS,
    dropped_summary,
    ground_truth_markdown,
    payload_hash,
    record_payload,
)
from annotation.samples_io import load_samples, resolve_input
from annotation.settings import (
    MAX_GT_FILMS,
    build_guidelines,
    taxonomy_tag_of,
    traits_suggested_of,
)
from datagen.errors import ConfigError, InputError
from datagen.parquet_io import write_parquet
from datagen.records.sample import SAMPLE_SCHEMA, samples_to_table
from datagen.taxonomy import load_taxonomy


def test_payload_is_blind_by_default_and_suggests_on_request() -> None:
    s = make_sample(3, traits=("gore", "needle_phobia"))
    p = record_payload(s)
    assert p["id"] == "s00003"
    assert list(p["fields"]) == ["ground_truth", "dialogue"]  # ground truth renders first
    assert p["fields"]["dialogue"][0] == {"role": "user", "content": s.messages[0].content}
    assert p["metadata"]["generator_traits"] == ["gore", "needle_phobia"]
    assert p["metadata"]["checks_passed"] == "yes"
    assert "suggestion" not in p
    suggested = record_payload(s, suggest_traits=True)
    assert suggested["suggestion"] == {"question_name": "traits",
                                       "value": ["gore", "needle_phobia"],
                                       "agent": "offline/composer-v1"}
    assert payload_hash(p) != payload_hash(suggested)
    control = record_payload(make_sample(4, traits=()), suggest_traits=True)
    assert control["suggestion"]["value"] == ["none"]
    assert control["metadata"]["cue_strategy"] == ["none"]


def test_payload_hash_tracks_content() -> None:
    a, b = make_sample(1), make_sample(1)
    assert payload_hash(record_payload(a)) == payload_hash(record_payload(b))
    b.messages[0].content += " changed"
    assert payload_hash(record_payload(a)) != payload_hash(record_payload(b))


def test_ground_truth_first_and_the_plan_collapsed_when_blind() -> None:
    md = ground_truth_markdown(make_sample(1))
    assert md.startswith("- **#1** Film 1-1 (2001) `tt1000011`\n- **#2** Film 1-2 (2002)")
    films_end, plan = md.index("**#3**"), md.index("<details>")
    assert films_end < plan < md.index("`spiders_snakes`")  # the trait only inside the block
    assert md.rstrip().endswith("</details>")
    assert "tagged **yes** (unsafe): 1 - Arachnophobia (1990)" in md
    shown = ground_truth_markdown(make_sample(1), suggest_traits=True)
    assert "<details>" not in shown and "**Planned traits:** `spiders_snakes`" in shown
    many = ground_truth_markdown(make_sample(2, gt=MAX_GT_FILMS + 2))
    assert f"only #1-#{MAX_GT_FILMS} can be ticked" in many


def test_dropped_candidates_are_counted_per_reason_and_yes_ones_named() -> None:
    lines = dropped_summary(make_long_sample().dropped_candidates)
    assert lines[0] == "**Left out of the ground truth:** 74 candidates"
    yes, unknown = lines[2:]
    assert yes == ("- `sexual_violence` tagged **yes** (unsafe): 3 - Irreversible (2002); "
                   "The Accused (1988); Elle (2016)")
    assert unknown == "- `sexual_violence` tag **unknown**: 71"
    many_yes = [d.model_copy(update={"status": "yes", "title": f"F{i}"})
                for i, d in enumerate(make_long_sample().dropped_candidates[:8])]
    assert dropped_summary(many_yes)[2].endswith(f"F{MAX_NAMED_DROPS - 1} (1994); and 3 more")
    assert dropped_summary([]) == []


def test_blind_and_suggested_guidelines_are_marked() -> None:
    tax = load_taxonomy()
    blind, suggested = build_guidelines(tax), build_guidelines(tax, suggest_traits=True)
    assert not traits_suggested_of(blind) and "Nothing is pre-selected" in blind
    assert traits_suggested_of(suggested) and "labels are pre-selected" in suggested
    assert traits_suggested_of("made before the marker existed")  # old datasets suggested


def test_guidelines_carry_the_taxonomy_tag_and_every_trait() -> None:
    tax = load_taxonomy()
    text = build_guidelines(tax)
    assert taxonomy_tag_of(text) == tax.version_tag
    assert all(f"| `{t}` |" in text for t in tax.trait_ids)
    assert taxonomy_tag_of("no marker here") is None


def test_sample_taxonomy_check() -> None:
    tax = load_taxonomy()
    check_sample_taxonomy(make_samples(3), tax, "x.parquet")  # name@version accepted
    with pytest.raises(TaxonomyVersionMismatchError, match="record s00000: taxonomy_version"):
        check_sample_taxonomy([make_sample(0, version="saferec@0.9.0")], tax, "x.parquet")
    with pytest.raises(InputError, match="duplicate sample id"):
        check_sample_taxonomy([make_sample(1), make_sample(1)], tax, "x.parquet")


def test_load_samples_and_resolve_input(tmp_path: Path) -> None:
    path = write_parquet(samples_to_table(make_samples(4)), tmp_path / "s.parquet", SAMPLE_SCHEMA)
    assert [s.sample_id for s in load_samples(path)] == ["s00000", "s00001", "s00002", "s00003"]
    assert resolve_input(tmp_path, None, "test") == tmp_path / "splits" / "test.parquet"
    assert resolve_input(tmp_path, None, None) == tmp_path / "samples.parquet"
    with pytest.raises(ConfigError):
        resolve_input(tmp_path, path, "test")
    with pytest.raises(InputError, match="file not found"):
        load_samples(tmp_path / "missing.parquet")
