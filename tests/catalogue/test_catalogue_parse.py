"""extract_titles: title strings out of messy model output."""

from __future__ import annotations

import pytest

from datagen.catalogue import TitleResolver
from datagen.catalogue.parse import extract_titles

LIST_REPLY = """Here are some movies you might enjoy:

1. The Dark Knight (2008) - a gripping superhero crime drama.
2) **Inception** (2010): mind-bending heist.
3. *Heat* (1995)
- "Schindler's List" (1993) – because you liked historical dramas
* Spider-Man (2002)
• Amélie (2001) — whimsical and warm

I hope you enjoy these!"""


def test_numbered_and_bulleted_list_with_reasons() -> None:
    assert extract_titles(LIST_REPLY) == [
        "The Dark Knight (2008)", "Inception (2010)", "Heat (1995)",
        "Schindler's List (1993)", "Spider-Man (2002)", "Amélie (2001)",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("The Dark Knight (2008)\nInception (2010)\nHeat (1995)",
     ["The Dark Knight (2008)", "Inception (2010)", "Heat (1995)"]),
    ("The Dark Knight (2008), Inception (2010) and Heat (1995)",
     ["The Dark Knight (2008)", "Inception (2010)", "Heat (1995)"]),
    ("Heat, Ronin, The Insider", ["Heat", "Ronin", "The Insider"]),
    ("I'd recommend Inception (2010) and The Dark Knight (2008). Both are great.",
     ["Inception (2010)", "The Dark Knight (2008)"]),
    ("Based on your love of Heat (1995), try Inception (2010) tonight.",
     ["Heat (1995)", "Inception (2010)"]),
    ('You should watch **Heat** or "Ronin" tonight.', ["Heat", "Ronin"]),
    ("1. Star Wars: Episode IV – A New Hope (1977)\n2. Mother, Jugs & Speed (1976)\n"
     "3. Up - a touching story about grief and adventure",
     ["Star Wars: Episode IV – A New Hope (1977)", "Mother, Jugs & Speed (1976)", "Up"]),
    ("Sure! Here are a few options.\n1. Arrival\n2. Contact: a thoughtful film about first "
     "contact\n3. Star Wars: Episode IV – A New Hope",
     ["Arrival", "Contact", "Star Wars: Episode IV – A New Hope"]),
    ("1. **The Shawshank Redemption (1994)** - hope.\n2. __Up__ (2009)",
     ["The Shawshank Redemption (1994)", "Up (2009)"]),
    ("1. Heat [1995]\n2. Heat [1995]", ["Heat (1995)"]),
    ("(1) Jaws\n(2) Jaws 2", ["Jaws", "Jaws 2"]),
    ("Here are 3 movies: Heat, Ronin, and The Insider.", ["Heat", "Ronin", "The Insider"]),
    ("I loved it, honestly, it was great.", []),
    ("- **Inception (2010)**: A mind-bending heist.", ["Inception (2010)"]),
    ("### Picks\n1. Alien: a terrifying sci-fi horror\n2. Star Wars: A New Hope",
     ["Alien", "Star Wars: A New Hope"]),
    ("You might like: Heat (1995), Ronin (1998).", ["Heat (1995)", "Ronin (1998)"]),
    ("Mother, Jugs & Speed (1976)", ["Mother, Jugs & Speed (1976)"]),
    ("", []),
    ("No recommendations today, sorry.", []),
    ("Inception", ["Inception"]),
    # titles that start like prose fillers stay whole in lists and emphasis (owner H)
    ("1. **Watch It (1993)** - a great pick\n2. Maybe Baby (2000)\n3. Try and Get Me! (1950)",
     ["Watch It (1993)", "Maybe Baby (2000)", "Try and Get Me! (1950)"]),
    ("Maybe Heat (1995)? Or try **Watch It**.", ["Heat (1995)"]),
])
def test_shapes(text: str, expected: list[str]) -> None:
    assert extract_titles(text) == expected


def test_extracted_titles_resolve(resolver: TitleResolver) -> None:
    ids = [m.imdb_id for m in resolver.resolve_many(extract_titles(LIST_REPLY))]
    assert ids == ["tt0468569", "tt1375666", "tt0113277", "tt0108052", "tt0145487",
                   "tt0211915"]
    assert [m.imdb_id for m in resolver.resolve_text(LIST_REPLY)] == ids


def test_repeated_lines_give_the_same_titles() -> None:
    first = extract_titles(LIST_REPLY)
    assert extract_titles(LIST_REPLY) == first and first is not extract_titles(LIST_REPLY)
