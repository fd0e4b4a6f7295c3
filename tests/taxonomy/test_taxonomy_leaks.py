"""The one leak check: normalization, word boundaries, inflections, taxonomy-wide matcher."""

from __future__ import annotations

import re

import pytest

from datagen.taxonomy import LeakMatcher, find_leaks, load_taxonomy, normalize_text
from datagen.taxonomy.leaks import term_forms, term_pattern, trait_name_terms


@pytest.fixture(scope="module")
def matcher() -> LeakMatcher:
    return LeakMatcher(load_taxonomy())


def test_normalization() -> None:
    assert normalize_text("  I’m SCARED — of “Spiders”!! ") == "im scared of spiders"
    assert normalize_text("Café\tnaïve\nself-harm") == "cafe naive self harm"
    assert normalize_text("ＡＲＡＣＨＮＯＰＨＯＢＩＡ") == "arachnophobia"  # full-width letters
    assert normalize_text("snake_case...and,commas") == "snake case and commas"
    assert normalize_text("I`m fine") == "im fine"


@pytest.mark.parametrize(("text", "term"), [
    ("I'm scared of spiders", "scared of spiders"),
    ("honestly, SCARED OF SPIDER stuff", "scared of spiders"),
    ("scared-of-spiders club", "scared of spiders"),
    ("No gore, please!", "gore"),
    ("too much GORE.", "gore"),
    ("all the gores", "gore"),
    ("I’m in recovery", "i'm in recovery"),
    ("Im in recovery now", "i'm in recovery"),
    ("my selfharm scars", "self harm"),
    ("self-harm", "self harm"),
    ("two injuries", "injury"),
    ("an injury", "injuries"),
    ("the Arachnophóbia thing", "arachnophobia"),
])
def test_positives(text: str, term: str) -> None:
    assert find_leaks(text, [term]) == [term]


@pytest.mark.parametrize(("text", "term"), [
    ("Edward Gorey drawings", "gore"),
    ("we hiked the gorge", "gore"),
    ("those spidery legs of the table", "spider"),
    ("a spiderweb", "spider"),
    ("therapist", "rape"),
    ("grapes and drapes", "rape"),
    ("sobering news", "sober"),
    ("I'm not scared of heights", "scared of spiders"),
])
def test_negatives(text: str, term: str) -> None:
    assert find_leaks(text, [term]) == []


def test_a_name_equal_to_a_term_still_matches() -> None:
    # Word matching cannot tell Al Gore from gore; the check errs on the side of a leak.
    assert find_leaks("Al Gore's documentary", ["gore"]) == ["gore"]


def test_find_leaks_keeps_order_and_dedupes() -> None:
    text = "no spiders and no gore"
    assert find_leaks(text, ["gore", "no spiders", "gore", "rape"]) == ["gore", "no spiders"]
    assert find_leaks(text, []) == []


def test_empty_term_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty after normalization"):
        find_leaks("anything", ["?!"])


def test_regex_form_agrees_with_lookup() -> None:
    texts = ["scared of spider", "scaredof spiders", "so scared of spiders", "spidery",
             "self harm", "selfharm", "self harms", "the dog dies", "the dogs die"]
    for term in ("scared of spiders", "self harm", "the dog dies"):
        pattern = re.compile(term_pattern(term))
        for text in texts:
            norm = normalize_text(text)
            assert bool(pattern.search(norm)) == bool(find_leaks(text, [term])), (term, text)
    assert "scared of spider" in term_forms("scared of spiders")


def test_matcher_finds_pairs_across_traits(matcher: LeakMatcher) -> None:
    text = "I’m in recovery, I have arachnophobia, and please: no gore!"
    hits = matcher.find(text)
    assert ("substance_recovery", "i'm in recovery") in hits
    assert ("spiders_snakes", "arachnophobia") in hits
    assert ("gore", "gore") in hits
    assert hits == sorted(hits)
    assert matcher.find(text, trait_ids=["gore"]) == [("gore", "gore")]
    assert matcher.has_leak(text) and not matcher.has_leak("a calm evening with friends")


def test_trait_names_and_ids_count_as_leaks(matcher: LeakMatcher) -> None:
    tax = load_taxonomy()
    assert "needle phobia" in trait_name_terms(tax.trait("needle_phobia"))
    assert "squeamish" in trait_name_terms(tax.trait("gore"))
    assert ("needle_phobia", "needle phobia") in matcher.find("my needle-phobia is bad")
    assert ("photosensitivity", "motion sickness") in matcher.find("I get motion sickness")
    plain = LeakMatcher(tax, include_names=False)
    assert "needle phobia" in plain.terms("needle_phobia")  # also listed as a leak term
    assert "horror avoider" not in plain.terms("horror_avoider")
    assert "horror avoider" in matcher.terms("horror_avoider")


def test_implicit_cues_do_not_match(matcher: LeakMatcher) -> None:
    assert matcher.find("we just said goodbye to our old labrador last month") == []
    assert matcher.find("I volunteer at a shelter on weekends") == []
    assert matcher.find("My partner loves Spider-Man") == []  # not a leak term on its own
