"""What the ground truth rests on: slot counts by evidence kind, in the card's own section."""

from __future__ import annotations

from sample_factory import make_sample

from datagen.catalogue import Catalogue, Item
from datagen.records.sample import samples_to_table
from datagen.tags import Evidence, fuse
from datagen.tags.priority import HUMAN_SOURCE
from datagen.tags.provenance import ground_truth_provenance
from datagen.taxonomy import load_taxonomy
from exports.hf_card import provenance, render_card

GT = ("tt1049413", "tt1109624", "tt0114709")


def _tags():
    cat = Catalogue([Item(item_id=i, title=i) for i in GT])
    ev = [Evidence(item_id=GT[0], source=HUMAN_SOURCE, trait_id="animal_harm",
                   polarity="absent", confidence=1.0),
          Evidence(item_id=GT[0], source="curated:team", trait_id="animal_harm",
                   polarity="absent", confidence=0.6),
          Evidence(item_id=GT[1], source="llm:m", trait_id="animal_harm", polarity="absent",
                   confidence=0.7),
          Evidence(item_id=GT[1], source="rule:genre", trait_id="animal_harm",
                   polarity="absent", confidence=0.6)]
    return fuse(cat, load_taxonomy(), ev).table


def test_ground_truth_slots_by_the_evidence_they_rest_on():
    samples = [make_sample("s1", traits=["animal_harm"], ground_truth=list(GT)),
               make_sample("s2", traits=["animal_harm"], ground_truth=list(GT[:2])),
               make_sample("s3", traits=[], ground_truth=list(GT))]  # control: no slot
    prov = ground_truth_provenance(samples_to_table(samples), _tags())
    assert prov["slots"] == 5
    assert prov["rests_on"] == {"human": 2, "ddd_pg": 0, "llm": 2, "curated": 0, "rule": 0,
                                "none": 1}
    assert prov["with_evidence_from"] == {"human": 2, "ddd_pg": 0, "llm": 2, "curated": 2,
                                          "rule": 2}
    assert prov["status"] == {"no": 4, "unknown": 1, "yes": 0}


def test_card_has_a_ground_truth_evidence_section_only_with_tags():
    table = samples_to_table([make_sample("s1", traits=["animal_harm"],
                                          ground_truth=list(GT))])
    counts = {"sft": {"train": 1}}
    with_tags = render_card(counts, provenance({"train": table}, load_taxonomy(), _tags()))
    assert "### Ground-truth evidence" in with_tags
    assert "| human-verified (Argilla) | 1 | 1 |" in with_tags
    assert "| no evidence (unknown) | 1 | - |" in with_tags
    plain = render_card(counts, provenance({"train": table}, load_taxonomy()))
    assert "Ground-truth evidence" not in plain
