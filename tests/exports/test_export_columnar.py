"""The column-at-a-time export path gives exactly the per-example functions' records."""

from __future__ import annotations

import pytest
from sample_factory import make_corpus, make_sample

from datagen.records.sample import Turn, samples_to_table
from datagen.taxonomy import load_taxonomy
from exports.build import export_formats
from exports.common import ExportConfig, concern_phrases
from exports.gdpo import to_gdpo_table
from exports.preference import PreferenceSources, to_preference_table
from exports.safecrs import SafeCRSNames, to_safecrs_table
from exports.sft import to_sft_prompt_completion_table, to_sft_table


@pytest.mark.parametrize("cfg", [ExportConfig(list_length=2), ExportConfig(rationale=False),
                                 ExportConfig(cot=True, list_length=3)],
                         ids=["rationale", "plain", "cot"])
def test_columnar_equals_per_example(cfg, mini_catalogue, resolver):
    samples = make_corpus(40)
    samples[3] = samples[3].model_copy(update={"ground_truth": []})  # skipped everywhere
    samples[5] = samples[5].model_copy(update={"messages": [
        *samples[5].messages, Turn(role="assistant", content="Sure, one moment.")]})
    table = samples_to_table(samples)
    tax = load_taxonomy()
    phrases = concern_phrases(tax)
    sources = PreferenceSources.from_catalogue(mini_catalogue, resolver)
    fast = export_formats({"train": table}, ["sft", "sft_prompt_completion", "gdpo", "dpo",
                                             "safecrs"], cfg, taxonomy=tax, sources=sources)
    rows = table.to_pylist()
    slow = {
        "sft": to_sft_table(rows, cfg, phrases),
        "sft_prompt_completion": to_sft_prompt_completion_table(rows, cfg, phrases),
        "gdpo": to_gdpo_table(rows, cfg),
        "dpo": to_preference_table(rows, cfg, sources, phrases),
        "safecrs": to_safecrs_table(rows, cfg, phrases, SafeCRSNames.from_taxonomy(tax)),
    }
    for fmt, (expected, skipped) in slow.items():
        assert fast.tables[fmt]["train"].to_pylist() == expected.to_pylist(), fmt
        assert fast.skipped[fmt]["train"] == skipped, fmt


def test_chunking_does_not_change_results(mini_catalogue, resolver):
    from exports.build import iter_exports

    table = samples_to_table(make_corpus(30))
    sources = PreferenceSources.from_catalogue(mini_catalogue, resolver)
    whole = export_formats({"t": table}, ["sft", "dpo"], sources=sources)
    parts: dict[str, list] = {"sft": [], "dpo": []}
    for c in iter_exports({"t": table}, ["sft", "dpo"], sources=sources, chunk_rows=4):
        parts[c.format] += c.table.to_pylist()
    for fmt in parts:
        assert parts[fmt] == whole.tables[fmt]["t"].to_pylist()


def test_sample_without_user_turn_is_an_input_error():
    from datagen.errors import InputError

    bad = make_sample("no-user", messages=[Turn(role="assistant", content="Hello there!")])
    with pytest.raises(InputError, match="no-user"):
        export_formats({"train": samples_to_table([bad])}, ["sft"])
