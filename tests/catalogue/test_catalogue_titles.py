"""normalize_title / title_key / split_title_year: the one definition of title equality."""

from __future__ import annotations

import pytest

from datagen.catalogue.titles import (
    article_free_key,
    display_title,
    normalize_title,
    split_bare_year,
    split_title_year,
    title_key,
)

SAME_TITLE = [
    ("Amélie", "amelie"),
    ("Schindler’s List", "Schindlers List"),
    ("Schindler's List", "SCHINDLER‘S LIST"),
    ("Spider-Man", "Spiderman"),
    ("Spider-Man", "Spider Man"),
    ("Spider–Man", "Spider—Man"),
    ("Mr. & Mrs. Smith", "Mr and Mrs Smith"),
    ("Alien³", "Alien 3"),
    ("Rocky II", "Rocky 2"),
    ("Star Wars: Episode IV – A New Hope", "Star Wars Episode 4 - A New Hope"),
    ("Dark Knight, The", "The Dark Knight"),
    ("Boot, Das", "Das Boot"),
    ("Samouraï, Le", "Le Samourai"),
    ("Avventura, L'", "L’Avventura"),
    ("  The   Dark Knight ", "the dark knight!"),
]

DIFFERENT_TITLES = [
    ("Rocky II", "Rocky III"),
    ("Ocean's 11", "Ocean's Eleven"),
    ("Alien", "Aliens"),
    ("The Dark Knight", "The Dark Knight Rises"),
    ("I, Robot", "1 Robot"),
]


@pytest.mark.parametrize(("a", "b"), SAME_TITLE)
def test_same_title_same_key(a: str, b: str) -> None:
    assert title_key(a) == title_key(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT_TITLES)
def test_different_titles_differ(a: str, b: str) -> None:
    assert title_key(a) != title_key(b)


def test_normalize_title_is_readable_ascii() -> None:
    assert normalize_title("Dark Knight, The") == "the dark knight"
    assert normalize_title("Amélie") == "amelie"
    assert normalize_title("Spider-Man") == normalize_title("Spiderman") == "spiderman"
    assert normalize_title("Schindler’s List") == "schindlers list"


def test_lone_i_only_becomes_1_in_sequel_position() -> None:
    assert normalize_title("I, Robot") == "i robot"
    assert normalize_title("I Am Legend") == "i am legend"
    assert normalize_title("Star Wars: Episode I – The Phantom Menace").startswith(
        "star wars episode 1 ")
    assert normalize_title("Part I") == "part 1"


def test_article_free_key_drops_english_and_elided_articles_only() -> None:
    assert article_free_key("The Dark Knight") == article_free_key("Dark Knight")
    assert article_free_key("A Quiet Place") == "quietplace"
    assert article_free_key("L'Avventura") == "avventura"
    assert article_free_key("Die Hard") == "diehard"
    assert article_free_key("The") == "the"


def test_display_title_moves_trailing_article_only() -> None:
    assert display_title("Dark Knight, The") == "The Dark Knight"
    assert display_title("Good, the Bad and the Ugly, The") == "The Good, the Bad and the Ugly"
    assert display_title("Mother, Jugs & Speed") == "Mother, Jugs & Speed"
    assert display_title("Avventura, L'") == "L'Avventura"


@pytest.mark.parametrize(("text", "expected"), [
    ("The Dark Knight (2008)", ("The Dark Knight", 2008)),
    ("The Dark Knight [2008]", ("The Dark Knight", 2008)),
    ("The Dark Knight, 2008", ("The Dark Knight", 2008)),
    ("Headhunter  (2009)", ("Headhunter", 2009)),
    ("Heat (1995 film)", ("Heat", 1995)),
    ("The Dark Knight 2008", ("The Dark Knight 2008", None)),
    ("2001: A Space Odyssey", ("2001: A Space Odyssey", None)),
    ("Blade Runner 2049", ("Blade Runner 2049", None)),
    ("1984", ("1984", None)),
    ("(2008)", ("(2008)", None)),
])
def test_split_title_year(text: str, expected: tuple[str, int | None]) -> None:
    assert split_title_year(text) == expected


def test_split_bare_year_is_the_fallback_reading() -> None:
    assert split_bare_year("The Dark Knight 2008") == ("The Dark Knight", 2008)
    assert split_bare_year("1984") == ("1984", None)
