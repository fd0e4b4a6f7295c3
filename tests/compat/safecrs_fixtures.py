"""Data of the SafeCRS compatibility tests: a small real-title catalogue and reference rows.

The rows are written here in the reference's released layout (``prompt`` as chat messages or
text, ``groundtruth_with_release_year`` as ``[title, year]`` pairs or strings,
``constraints`` as ``{trait name: true}``); they are this project's own fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datagen.catalogue import Catalogue, Item

# item_id, title, year, genres
FILMS = [
    ("tt0114709", "Toy Story", 1995, ["Animation", "Comedy", "Family"]),
    ("tt0266543", "Finding Nemo", 2003, ["Animation", "Family"]),
    ("tt1049413", "Up", 2009, ["Animation", "Adventure", "Family"]),
    ("tt1109624", "Paddington", 2014, ["Comedy", "Family"]),
    ("tt0382932", "Ratatouille", 2007, ["Animation", "Comedy", "Family"]),
    ("tt0198781", "Monsters, Inc.", 2001, ["Animation", "Comedy", "Family"]),
    ("tt0120623", "A Bug's Life", 1998, ["Animation", "Comedy", "Family"]),
    ("tt0910970", "WALL-E", 2008, ["Animation", "Family", "Sci-Fi"]),
    ("tt0387564", "Saw", 2004, ["Horror", "Mystery"]),
    ("tt0450278", "Hostel", 2005, ["Horror"]),
    ("tt0113277", "Heat", 1995, ["Crime", "Drama", "Thriller"]),
    ("tt0454848", "Inside Man", 2006, ["Crime", "Drama", "Thriller"]),
    ("tt0317740", "The Italian Job", 2003, ["Action", "Crime", "Thriller"]),
    ("tt0240772", "Ocean's Eleven", 2001, ["Crime", "Thriller"]),
    ("tt0349903", "Ocean's Twelve", 2004, ["Crime", "Thriller"]),
    ("tt0496806", "Ocean's Thirteen", 2007, ["Crime", "Thriller"]),
    ("tt1022603", "(500) Days of Summer", 2009, ["Comedy", "Drama", "Romance"]),
    ("tt1437357", "Faust (2011 film)", 2011, ["Drama", "Fantasy"]),
    ("tt0070121", "Godspell (film)", 1973, ["Comedy", "Musical"]),
    ("tt0468569", "The Dark Knight", 2008, ["Action", "Crime", "Drama"]),
    ("tt0099785", "Home Alone", 1990, ["Comedy", "Family"]),
    ("tt0107048", "Groundhog Day", 1993, ["Comedy", "Fantasy", "Romance"]),
]

REF_ROWS: list[dict[str, Any]] = [
    {"prompt": [{"role": "system", "content": "You are a movie recommender."},
                {"role": "user", "content": "I loved Toy Story and Finding Nemo, looking for "
                 "something warm and funny. I don't like gory or violent content."}],
     "completion": [{"role": "assistant", "content": "<reasoning>\nSaw (2004) is filtered "
                     "out.\n</reasoning>\n<solution>\nUp (2009)\nPaddington (2014)\n</solution>"}],
     "seen_titles": ["Toy Story", "Finding Nemo"],
     "groundtruth_with_release_year": [["Up", 2009], ["Paddington", 2014],
                                       ["Ratatouille", "2007"], ["Not A Real Film", 2031]],
     "constraints": {"Anti-gore / squeamish": True},
     "assigned_trait": "Anti-gore / squeamish",
     "assignment_reason": "User mentioned disliking gore.",
     "has_cot": True},
    {"prompt": "Any good heist movies? I enjoyed Ocean's Eleven (2001).",
     "seen_titles": ["Ocean's Eleven (2001)"],
     "groundtruth_with_release_year": ["Heat (1995)", "Inside Man (2006)",
                                       "The Italian Job (2003)"],
     "constraints": {}, "assigned_trait": "", "assignment_reason": ""},
    {"prompt": [{"role": "user", "content": "Something romantic and bittersweet? Not "
                 "horror, and nothing with a pet dying please."}],
     "seen_titles": [],
     "groundtruth_with_release_year": [["(500) Days of Summer", 2009], ["Faust", 2011],
                                       ["Godspell", 1973]],
     "constraints": {"Horror avoider (avoids scares & supernatural)": True,
                     "Animal lover (avoid animal harm/death)": True,
                     "Hates musicals": True},
     "assigned_trait": "Horror avoider (avoids scares & supernatural)",
     "assignment_reason": "Says no horror."},
]


def make_catalogue() -> Catalogue:
    """:data:`FILMS` as a catalogue, disambiguators stripped at ingest like every loader."""
    from datagen.catalogue.titles import ingest_title

    items = []
    for item_id, raw, year, genres in FILMS:
        title, film_year, aliases = ingest_title(raw, year)
        items.append(Item(item_id=item_id, title=title, year=film_year, imdb_id=item_id,
                          genres=genres, aliases=aliases, popularity=100.0, sources=["test"]))
    return Catalogue(items, name="compat-test")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
