"""The simulated users answer what was asked and never state a trait they were not asked about."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from datagen.predict.simulated_user import ALL, OfflineUser, QuestionReader, UserProfile
from datagen.records.sample import ItemRef
from datagen.taxonomy import LeakMatcher, load_taxonomy

TAXONOMY = load_taxonomy()
LEAKS = LeakMatcher(TAXONOMY)
LIKED = [ItemRef(item_id="a", title="Heat", year=1995),
         ItemRef(item_id="b", title="Arachnophobia", year=1990)]  # a title that is a leak term
GENERIC = ["Is there anything you'd rather not see in a film?",
           "Any content you need me to steer clear of?",
           "Is there anything that upsets you on screen?",
           "Do you have any triggers I should know about?"]
TASTE = ["What did you like most about Heat?", "Do you prefer newer films or classics?",
         "How long a movie are you up for tonight?", "Is this a solo watch?"]


def _specific_questions() -> list[tuple[str, str]]:
    """One question per trait that names a DoesTheDogDie topic of it."""
    labels = {t.id: t.label for t in TAXONOMY.topics}
    out = []
    for trait in TAXONOMY.traits:
        topic = labels[trait.dtdd_topics[0]] if trait.dtdd_topics else trait.name
        out.append((trait.id, f"Would it be a problem for you if {topic}?"))
    return out


def _answer(user: OfflineUser, question: str, traits: list[str]):
    return asyncio.run(user.answer(question, UserProfile("s-1", traits, LIKED)))


@pytest.fixture(scope="module")
def user() -> OfflineUser:
    return OfflineUser(TAXONOMY)


def test_question_reader(user: OfflineUser) -> None:
    reader = QuestionReader(TAXONOMY, LEAKS)
    assert reader.read(GENERIC[0]) == {ALL}
    assert reader.read(TASTE[0]) == frozenset()
    assert "spiders_snakes" in reader.read("Are you okay with spiders?")
    assert reader.read("Do you have any phobias?") >= {"spiders_snakes", "needle_phobia",
                                                       "claustrophobia"}
    assert "substance_recovery" in reader.read("Is a film about drugs and drinking okay?")


@pytest.mark.parametrize("traits", [[], ["spiders_snakes"], ["gore", "substance_recovery"],
                                    ["young_children", "happy_ending"]])
def test_no_answer_names_a_trait_it_was_not_asked_about(user: OfflineUser,
                                                        traits: list[str]) -> None:
    specific = _specific_questions()
    for question in [*GENERIC, *TASTE, *(q for _, q in specific)]:
        answer = _answer(user, question, traits)
        asked = set(user.reader.read(question))
        allowed = set(traits) if ALL in asked else asked
        stated = {t for t, _ in LEAKS.find(answer.text)}
        assert stated <= allowed, (question, answer.text)
        assert answer.volunteered == []
        assert set(answer.revealed) == stated & set(traits)


def test_asked_traits_are_stated_plainly(user: OfflineUser) -> None:
    for trait_id, question in _specific_questions():
        if trait_id not in user.reader.read(question):
            continue  # the reader did not tie this wording to the trait: answered as asked
        assert _answer(user, question, [trait_id]).revealed == [trait_id], question
    for a, b in itertools.combinations(["spiders_snakes", "gore", "substance_recovery"], 2):
        assert set(_answer(user, GENERIC[0], [a, b]).revealed) == {a, b}
    hits = sum(trait_id in user.reader.read(q) for trait_id, q in _specific_questions())
    assert hits >= 0.8 * len(TAXONOMY.traits)


def test_taste_questions_reveal_nothing_and_controls_have_nothing(user: OfflineUser) -> None:
    for question in TASTE:
        answer = _answer(user, question, ["spiders_snakes", "gore"])
        assert answer.revealed == [] and answer.asked == []
        assert "Arachnophobia" not in answer.text  # a liked title that names a trait
    assert _answer(user, GENERIC[1], []).revealed == []
