"""Each weak-rule decision of the embedded taxonomy, on real films of the embedded catalogue.

The decisions (and the films named in their ``why:``) are in taxonomies/saferec-v1.yaml. A
test per decision: a rule that decides makes ``no`` on a film it fits, a rule that only
supports leaves ``unknown`` with its evidence line kept, and a contradicted rule leaves no
line at all. Films are looked up by exact title and year, so a catalogue change fails loudly.
"""

from __future__ import annotations

import pytest

from datagen.catalogue import Catalogue, load_default_catalogue
from datagen.tags import TagIndex, TagStatus, rule_evidence, user_tag_evidence
from datagen.tags.defaults import default_tag_index
from datagen.tags.fusion import build_item_tags
from datagen.tags.models import ItemTraitTag
from datagen.taxonomy import Taxonomy, load_taxonomy

NO, UNKNOWN, YES = TagStatus.no, TagStatus.unknown, TagStatus.yes


@pytest.fixture(scope="module")
def embedded() -> tuple[Catalogue, Taxonomy]:
    return load_default_catalogue(), load_taxonomy()


@pytest.fixture(scope="module")
def rules_only(embedded) -> TagIndex:
    """Tags from the taxonomy's genre / MPAA rules alone: what the rules decide by themselves."""
    catalogue, taxonomy = embedded
    return TagIndex.from_table(build_item_tags(catalogue, taxonomy,
                                               rule_evidence(catalogue, taxonomy)))


@pytest.fixture(scope="module")
def defaults(embedded) -> TagIndex:
    """The embedded defaults (rules + curated evidence): what synthesis and evaluation use."""
    return default_tag_index(*embedded)[0]


@pytest.fixture(scope="module")
def film(embedded):
    catalogue, _ = embedded
    by_title = {(item.title, item.year): item for item in catalogue.items}

    def lookup(title: str, year: int) -> str:
        item = by_title.get((title, year))
        assert item is not None, f"{title} ({year}) is not in the embedded catalogue"
        return item.item_id

    return lookup


def _tag(index: TagIndex, film, title: str, year: int, trait: str) -> ItemTraitTag:
    return index.tag(film(title, year), trait)


def _rule_lines(tag: ItemTraitTag) -> list[str]:
    return [line for line in tag.evidence if line.startswith("rule:")]


def _supports(tag: ItemTraitTag, what: str) -> bool:
    return any("(supports only)" in line and line.endswith(what) for line in tag.evidence)


# --- gore ------------------------------------------------------------------------------------

def test_gore_g_decides_no(rules_only, film):
    tag = _tag(rules_only, film, "Limelight", 1952, "gore")
    assert tag.status is NO and _rule_lines(tag) == ["rule:mpaa: absent 0.8: MPAA rating G"]


@pytest.mark.parametrize(("title", "year"), [("Ben-Hur", 1959), ("True Grit", 1969)])
def test_gore_g_is_void_on_violent_genres(rules_only, film, title, year):
    # Ben-Hur's crucifixion (Action, History), True Grit's cut-off finger (Western)
    tag = _tag(rules_only, film, title, year, "gore")
    assert tag.status is UNKNOWN and _rule_lines(tag) == []


@pytest.mark.parametrize(("title", "year"), [
    ("Indiana Jones and the Temple of Doom", 1984), ("The Day of the Jackal", 1973)])
def test_gore_pg_only_supports(rules_only, film, title, year):
    tag = _tag(rules_only, film, title, year, "gore")
    assert tag.status is UNKNOWN and _supports(tag, "MPAA rating PG")


def test_gore_family_decides_no(rules_only, film):
    tag = _tag(rules_only, film, "Swiss Family Robinson", 1960, "gore")
    assert tag.status is NO and _rule_lines(tag) == ["rule:genre: absent 0.6: genre Family"]


@pytest.mark.parametrize(("title", "year", "trait"), [
    ("Dhoom 2", 2006, "gore"), ("Dhoom 3", 2013, "gore"),
    ("Dhoom 2", 2006, "extreme_violence"), ("Dhoom 3", 2013, "young_children"),
    ("Dhoom 2", 2006, "sexual_violence"), ("Dhoom 3", 2013, "horror_avoider"),
    ("Harry Potter and the Goblet of Fire", 2005, "gore"),  # Family, rated PG-13
])
def test_family_contradicted_by_action_or_rating_counts_for_nothing(
        rules_only, film, title, year, trait):
    tag = _tag(rules_only, film, title, year, trait)
    assert tag.status is not NO
    assert not any("genre Family" in line for line in tag.evidence)


def test_gore_animation_only_supports(rules_only, film):
    # an animated film about a shop that sells the means of suicide
    tag = _tag(rules_only, film, "The Suicide Shop", 2012, "gore")
    assert tag.status is UNKNOWN and _supports(tag, "genre Animation")


# --- extreme violence --------------------------------------------------------------------------

def test_extreme_violence_g_decides_no(rules_only, film):
    assert _tag(rules_only, film, "Limelight", 1952, "extreme_violence").status is NO


def test_extreme_violence_g_is_void_on_a_crucifixion_epic(defaults, film):
    tag = _tag(defaults, film, "Ben-Hur", 1959, "extreme_violence")
    assert tag.status is UNKNOWN and _rule_lines(tag) == []


def test_extreme_violence_pg_only_supports(rules_only, defaults, film):
    # the heart ripped out and the man lowered into lava: yes only through curated evidence
    title = "Indiana Jones and the Temple of Doom"
    assert _tag(rules_only, film, title, 1984, "extreme_violence").status is UNKNOWN
    tag = _tag(defaults, film, title, 1984, "extreme_violence")
    assert tag.status is YES and _supports(tag, "MPAA rating PG")


def test_extreme_violence_family_decides_no(rules_only, film):
    assert _tag(rules_only, film, "Swiss Family Robinson", 1960, "extreme_violence").status is NO


def test_the_curated_evidence_marks_watership_down_violent(defaults, film):
    # the one Family film known to show a warren's destruction: curated present beats Family
    tag = _tag(defaults, film, "Watership Down", 1978, "extreme_violence")
    assert tag.status is YES and "rule:genre: absent 0.6: genre Family" in tag.evidence


# --- sexual violence ---------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "year"), [("Marnie", 1964), ("A Streetcar Named Desire", 1951)])
def test_sexual_violence_pg_only_supports(defaults, film, title, year):
    # Marnie is built around a marital rape; Streetcar has a rape
    tag = _tag(defaults, film, title, year, "sexual_violence")
    assert tag.status is UNKNOWN and _supports(tag, "MPAA rating PG")


def test_sexual_violence_g_only_supports(defaults, rules_only, film):
    assert _supports(_tag(rules_only, film, "Limelight", 1952, "sexual_violence"),
                     "MPAA rating G")
    assert _tag(rules_only, film, "Limelight", 1952, "sexual_violence").status is UNKNOWN
    # Gigi (G) raises a teenage girl to be a courtesan: yes through the curated evidence
    assert _tag(defaults, film, "Gigi", 1958, "sexual_violence").status is YES


def test_sexual_violence_family_and_animation_only_support(rules_only, film):
    family = _tag(rules_only, film, "Swiss Family Robinson", 1960, "sexual_violence")
    assert family.status is UNKNOWN and _supports(family, "genre Family")
    cartoon = _tag(rules_only, film, "The Suicide Shop", 2012, "sexual_violence")
    assert cartoon.status is UNKNOWN and _supports(cartoon, "genre Animation")


# --- kidnapping, drinking, suicide, slurs: G only supports ------------------------------------

@pytest.mark.parametrize(("title", "year"), [("The Rescuers", 1977),
                                             ("The Rescuers Down Under", 1990)])
def test_domestic_abuse_g_only_supports_on_kidnapping_plots(defaults, film, title, year):
    tag = _tag(defaults, film, title, year, "domestic_abuse")
    assert tag.status is UNKNOWN and _supports(tag, "MPAA rating G")


def test_substance_recovery_g_only_supports(rules_only, defaults, film):
    # Pinocchio smokes and drinks on Pleasure Island
    assert _tag(rules_only, film, "Pinocchio", 1940, "substance_recovery").status is UNKNOWN
    assert _tag(defaults, film, "Pinocchio", 1940, "substance_recovery").status is YES


@pytest.mark.parametrize(("title", "year"), [("Limelight", 1952),
                                             ("The Heart is a Lonely Hunter", 1968)])
def test_self_harm_suicide_g_only_supports(defaults, film, title, year):
    # Limelight opens with a gas suicide attempt; Lonely Hunter ends with a suicide
    tag = _tag(defaults, film, title, year, "self_harm_suicide")
    assert tag.status is UNKNOWN and _supports(tag, "MPAA rating G")


@pytest.mark.parametrize(("title", "year"), [("Pocahontas", 1995), ("Peter Pan", 1953),
                                             ("The Great Dictator", 1940)])
def test_hate_speech_g_only_supports(defaults, film, title, year):
    tag = _tag(defaults, film, title, year, "hate_speech")
    assert tag.status is UNKNOWN and _supports(tag, "MPAA rating G")


# --- horror avoider ----------------------------------------------------------------------------

def test_horror_g_decides_no(rules_only, film):
    assert _tag(rules_only, film, "Limelight", 1952, "horror_avoider").status is NO


@pytest.mark.parametrize(("title", "year"), [("Scrooge", 1970),  # ghosts: Fantasy
                                             ("The Great Dictator", 1940)])  # War
def test_horror_g_is_void_on_ghost_and_war_genres(rules_only, film, title, year):
    tag = _tag(rules_only, film, title, year, "horror_avoider")
    assert tag.status is UNKNOWN and _rule_lines(tag) == []


def test_horror_family_decides_no_unless_fantasy(rules_only, film):
    assert _tag(rules_only, film, "Swiss Family Robinson", 1960, "horror_avoider").status is NO
    ghosts = _tag(rules_only, film, "The Haunted Mansion", 2003, "horror_avoider")
    assert ghosts.status is UNKNOWN and _rule_lines(ghosts) == []


def test_horror_documentary_only_supports(rules_only, film):
    tag = _tag(rules_only, film, "Bowling for Columbine", 2002, "horror_avoider")
    assert tag.status is UNKNOWN and _supports(tag, "genre Documentary")


# --- young children ----------------------------------------------------------------------------

def test_young_children_g_decides_no(rules_only, film):
    for title, year in (("Limelight", 1952), ("Pocahontas", 1995)):  # History alone: no void
        assert _tag(rules_only, film, title, year, "young_children").status is NO, title


@pytest.mark.parametrize(("title", "year"), [("Ben-Hur", 1959), ("True Grit", 1969),
                                             ("Cars 2", 2011)])
def test_young_children_g_is_void_on_violent_genres(rules_only, film, title, year):
    tag = _tag(rules_only, film, title, year, "young_children")
    assert tag.status is UNKNOWN and "rule:mpaa: absent 0.9: MPAA rating G" not in tag.evidence


@pytest.mark.parametrize(("title", "year", "trait"), [
    ("Beneath the Planet of the Apes", 1970, "gore"),  # a bloody massacre, rated G
    ("Beneath the Planet of the Apes", 1970, "extreme_violence"),
    ("The Heart is a Lonely Hunter", 1968, "young_children"),  # ends in a suicide, rated G
    ("Airport", 1970, "horror_avoider"),  # a bomb on a plane, rated G
])
def test_g_of_the_first_mpaa_years_is_void(rules_only, film, title, year, trait):
    """1968-1971: G also went to films later rated PG; the G rule counts for nothing then."""
    tag = _tag(rules_only, film, title, year, trait)
    assert tag.status is UNKNOWN and not any("MPAA rating G" in line for line in tag.evidence)


def test_g_after_the_first_mpaa_years_still_decides(rules_only, film):
    assert _tag(rules_only, film, "The Muppet Movie", 1979, "young_children").status is NO


@pytest.mark.parametrize(("title", "year"), [
    ("Airplane!", 1980),  # a comedy with a topless scene
    ("The Day of the Jackal", 1973), ("The Conversation", 1974),  # PG crime thrillers
])
def test_young_children_pg_only_supports(defaults, film, title, year):
    tag = _tag(defaults, film, title, year, "young_children")
    assert tag.status is UNKNOWN and _supports(tag, "MPAA rating PG")


@pytest.mark.parametrize(("title", "year", "rating"), [("Cool Hand Luke", 1967, "GP"),
                                                       ("Bullitt", 1968, "M/PG")])
def test_young_children_gp_and_m_pg_only_support(rules_only, film, title, year, rating):
    tag = _tag(rules_only, film, title, year, "young_children")
    assert tag.status is UNKNOWN and _supports(tag, f"MPAA rating {rating}")


def test_young_children_family_and_animation_only_support(rules_only, film):
    family = _tag(rules_only, film, "Swiss Family Robinson", 1960, "young_children")
    assert family.status is UNKNOWN and _supports(family, "genre Family")
    cartoon = _tag(rules_only, film, "The Suicide Shop", 2012, "young_children")
    assert cartoon.status is UNKNOWN and _supports(cartoon, "genre Animation")


def test_young_children_courtesan_musical_is_yes_through_curated(defaults, film):
    # found by `datagen tags audit --movielens`: Gigi (G) carries the user tag "prostitution"
    assert _tag(defaults, film, "Gigi", 1958, "young_children").status is YES


def test_young_children_pixar_tag_decides_disney_tag_supports(embedded, film):
    catalogue, taxonomy = embedded
    up, pan = film("Up", 2009), film("Peter Pan", 1953)  # Up is rated PG
    batch = user_tag_evidence([(up, "pixar", 3), (pan, "disney", 2)], taxonomy, catalogue)
    index = TagIndex.from_table(build_item_tags(catalogue, taxonomy, batch))
    assert index.status(up, "young_children") is NO
    disney = index.tag(pan, "young_children")
    assert disney.status is UNKNOWN and any("(supports only)" in x for x in disney.evidence)


# --- happy ending and the traits no metadata can clear -----------------------------------------

def test_happy_ending_user_tags_only_support(embedded, film):
    catalogue, taxonomy = embedded
    lion = film("The Lion King", 1994)  # ends happily after a parent's death
    tags = [(lion, "happy ending", 4), (lion, "feel-good", 2), (lion, "heartwarming", 5)]
    table = build_item_tags(catalogue, taxonomy, user_tag_evidence(tags, taxonomy, catalogue))
    tag = TagIndex.from_table(table).tag(lion, "happy_ending")
    assert tag.status is UNKNOWN and len(tag.evidence) == 3
    assert all("(supports only)" in line for line in tag.evidence)


NO_ABSENCE_RULES = ["animal_harm", "spiders_snakes", "child_harm", "mental_health",
                    "medical_trauma", "needle_phobia", "claustrophobia", "photosensitivity",
                    "lgbtq_respect", "pregnancy_loss", "disaster_accident"]


@pytest.mark.parametrize("trait", NO_ABSENCE_RULES)
def test_traits_no_rating_or_genre_can_clear(embedded, rules_only, film, trait):
    _, taxonomy = embedded
    rules = taxonomy.trait(trait).weak_rules
    assert not [r for r in rules if r.polarity == "absent"]
    assert taxonomy.trait(trait).weak_rules_why
    assert rules_only.counts()[trait]["no"] == 0
    # a G family film is not cleared either (Dumbo: animals die, clowns, a stork delivery)
    assert rules_only.status(film("Dumbo", 1941), trait) is not NO


def test_every_trait_states_its_reasoning_and_every_absence_rule_its_why(embedded):
    _, taxonomy = embedded
    assert len(taxonomy.traits) == 21
    for trait in taxonomy.traits:
        assert trait.weak_rules_why, trait.id
        for rule in trait.weak_rules:
            if rule.polarity == "absent":
                assert rule.why and rule.decides_no is not None, (trait.id, rule.value)


def test_every_family_rule_is_void_on_the_issue_conflicts(embedded):
    _, taxonomy = embedded
    family = [(t.id, r) for t in taxonomy.traits for r in t.weak_rules
              if (r.kind, r.value) == ("genre", "Family")]
    assert len(family) == 5
    for trait_id, rule in family:
        assert rule.unless is not None, trait_id
        assert {"PG-13", "R", "NC-17"} <= set(rule.unless.mpaa), trait_id
        assert {"Action", "Crime", "Thriller", "Horror", "War"} <= set(rule.unless.genre)
