"""The embedded taxonomy: loads, has the contracted traits and keeps the reference facts."""

from __future__ import annotations

import json
from pathlib import Path

from datagen.taxonomy import LeakMatcher, default_taxonomy_path, load_taxonomy
from datagen.taxonomy.models import PG_CATEGORIES

TRAIT_IDS = [
    "animal_harm", "spiders_snakes", "gore", "extreme_violence", "sexual_violence",
    "child_harm", "domestic_abuse", "substance_recovery", "self_harm_suicide", "mental_health",
    "medical_trauma", "needle_phobia", "claustrophobia", "photosensitivity", "hate_speech",
    "lgbtq_respect", "pregnancy_loss", "disaster_accident", "happy_ending", "horror_avoider",
    "young_children",
]
MPAA = {"G", "PG", "PG-13", "R", "NC-17", "M/PG", "GP", "M", "X"}
GENRES = {"Drama", "Comedy", "Romance", "Action", "Crime", "Thriller", "Horror", "Documentary",
          "Sci-Fi", "Fantasy", "Adventure", "Musical", "Biography", "Mystery", "War", "Family",
          "Animation", "Western", "Sport", "History", "Music"}


def test_embedded_file_is_package_data_and_validates() -> None:
    path = default_taxonomy_path()
    assert path.name == "saferec-v1.yaml" and path.is_file()
    tax = load_taxonomy()
    assert tax.name == "saferec" and tax.version == "1.2.0" and tax.domain == "movies"
    assert len(tax.content_hash) == 64
    assert tax.version_tag == f"saferec@1.2.0+{tax.content_hash[:12]}"
    assert tax.source_path == str(path)


def test_the_21_contracted_trait_ids_in_order() -> None:
    assert load_taxonomy().trait_ids == TRAIT_IDS


def test_topics_match_the_dtdd_topic_list(shared_data: Path) -> None:
    tax = load_taxonomy(topics_path=shared_data / "dtdd" / "topics.json")
    used = {i for t in tax.traits for i in t.dtdd_topics}
    assert used == {t.id for t in tax.topics}, "every listed topic is used by some trait"


def test_reference_traits_keep_their_topics_and_weights(shared_data: Path) -> None:
    reference = json.loads(
        (shared_data / "reference" / "saferec_20_traits.json").read_text(encoding="utf-8"))
    tax = load_taxonomy()
    by_ref = {t.reference_name: t for t in tax.traits if t.reference_name}
    assert len(reference["traits"]) == 20 and len(by_ref) == 20
    for ref in reference["traits"]:
        trait = by_ref[ref["name"]]
        ref_topics = {q["dtdd_topic_id"] for q in ref["avoid_dtdd"]} - {None}
        assert ref_topics <= set(trait.dtdd_topics), trait.id
        expected = {c: w for c, w in zip(PG_CATEGORIES, ref["parents_guide_weights"],
                                         strict=True) if w}
        assert trait.pg_weights == expected, trait.id
    assert tax.trait("young_children").reference_name is None


def test_cue_banks_are_rich_and_leak_free() -> None:
    tax = load_taxonomy()
    matcher = LeakMatcher(tax)
    texts = [c.text for t in tax.traits for c in t.cues]
    assert len(texts) == len(set(texts)), "no cue is used twice"
    for trait in tax.traits:
        assert len(trait.cues) >= 8, trait.id
        assert len({c.strategy for c in trait.cues}) >= 3, trait.id
        assert len(trait.leak_terms) >= 5, trait.id
        assert all(term == term.lower() for term in trait.leak_terms), trait.id
        for cue in trait.cues:
            assert matcher.find(cue.text) == [], (trait.id, cue.text)
            assert trait.id.replace("_", " ") not in cue.text.lower()


def test_weak_rules_use_catalogue_vocabulary_and_can_say_no() -> None:
    tax = load_taxonomy()
    for trait in tax.traits:
        assert trait.weak_rules, trait.id
        for rule in trait.weak_rules:
            if rule.kind == "mpaa":
                assert rule.value in MPAA, (trait.id, rule.value)
            if rule.kind == "genre":
                assert rule.value in GENRES, (trait.id, rule.value)
    absent = [t.id for t in tax.traits if any(r.polarity == "absent" for r in t.weak_rules)]
    assert len(absent) >= 8


def test_young_children_rules_follow_the_mpaa_ratings() -> None:
    rules = {(r.kind, r.value): r for r in load_taxonomy().trait("young_children").weak_rules}
    assert rules[("mpaa", "G")].polarity == "absent"
    assert rules[("mpaa", "PG")].polarity == "absent"
    for rating in ("R", "NC-17", "X"):
        assert rules[("mpaa", rating)].polarity == "present"
        assert rules[("mpaa", rating)].weight >= 0.9
    assert load_taxonomy().trait("young_children").family.value == "child_safety"


def test_horror_and_gore_keep_the_defended_rules() -> None:
    tax = load_taxonomy()
    horror = {(r.kind, r.value, r.polarity): r.weight
              for r in tax.trait("horror_avoider").weak_rules}
    assert horror[("genre", "Horror", "present")] == 0.8
    gore = {(r.kind, r.value, r.polarity): r.weight for r in tax.trait("gore").weak_rules}
    assert gore[("mpaa", "G", "absent")] == 0.8
