"""Sample factory for split and export tests: realistic SafeRec samples built in code.

``make_sample`` builds one :class:`Sample` (a short movie-recommendation dialogue with an
implicit cue, ground truth, dropped candidates); ``mini_catalogue`` is a small catalogue of
real films (IMDb ids, years, popularity) that the project's resolver runs on
(``mini_catalogue()``; the fixtures in conftest.py wrap it).
"""

from __future__ import annotations

import random

from datagen.catalogue import Catalogue
from datagen.catalogue.models import Item
from datagen.records.sample import (
    Cue,
    DroppedCandidate,
    Generation,
    HumanVerdict,
    ItemRef,
    Sample,
    Turn,
    Verification,
)

FILMS: list[tuple[str, str, int, list[str], float]] = [
    ("tt0468569", "The Dark Knight", 2008, ["Action", "Crime"], 2900.0),
    ("tt1049413", "Up", 2009, ["Animation", "Adventure"], 1100.0),
    ("tt0113277", "Heat", 1995, ["Crime", "Thriller"], 700.0),
    ("tt1109624", "Paddington", 2014, ["Comedy", "Family"], 300.0),
    ("tt0099052", "Arachnophobia", 1990, ["Comedy", "Horror"], 90.0),
    ("tt0108052", "Schindler's List", 1993, ["Drama", "History"], 1400.0),
    ("tt0145487", "Spider-Man", 2002, ["Action", "Adventure"], 850.0),
    ("tt6644200", "A Quiet Place", 2018, ["Horror", "Sci-Fi"], 600.0),
    ("tt0114709", "Toy Story", 1995, ["Animation", "Family"], 1050.0),
    ("tt0266543", "Finding Nemo", 2003, ["Animation", "Family"], 1100.0),
    ("tt0822832", "Marley & Me", 2008, ["Comedy", "Drama"], 150.0),
    ("tt0050798", "Old Yeller", 1957, ["Drama", "Family"], 20.0),
    ("tt0081505", "The Shining", 1980, ["Horror"], 1050.0),
    ("tt0078748", "Alien", 1979, ["Horror", "Sci-Fi"], 900.0),
    ("tt0211915", "Amélie", 2001, ["Comedy", "Romance"], 780.0),
    ("tt1375666", "Inception", 2010, ["Action", "Sci-Fi"], 2600.0),
    ("tt0120338", "Titanic", 1997, ["Drama", "Romance"], 1250.0),
    ("tt4468740", "Paddington 2", 2017, ["Comedy", "Family"], 90.0),
    ("tt0073195", "Jaws", 1975, ["Adventure", "Thriller"], 640.0),
    ("tt0332280", "The Notebook", 2004, ["Drama", "Romance"], 600.0),
]

_TOPICS = ["heist films", "slow burn mysteries", "animated adventures", "space operas",
           "courtroom dramas", "road trip comedies", "sports underdog stories", "period romances"]
_VERBS = ["loved", "enjoyed", "rewatched", "could not stop thinking about", "adored"]


def ref(item_id: str) -> ItemRef:
    """An ItemRef of one film of :data:`FILMS`."""
    for fid, title, year, _g, _p in FILMS:
        if fid == item_id:
            return ItemRef(item_id=fid, title=title, year=year)
    raise KeyError(item_id)


_DETAILS = (
    "the soundtrack stayed with me for days and I keep humming it at work",
    "my book club keeps arguing about the ending so we might watch it together",
    "I usually fall asleep during long films unless the pacing is really tight",
    "subtitles are fine, I watched a lot of French and Korean cinema in college",
    "we have a projector in the garden now that the nights are warmer",
    "honestly the cast matters more to me than the plot most of the time",
    "I grew up on VHS tapes from the library so older stuff is welcome",
    "my flatmate picks the snacks and I pick the film, that is the deal",
    "nothing longer than two hours please, I have an early shift tomorrow",
    "I like when the city itself feels like a character in the story",
    "bonus points if the dialogue is witty and nobody explains the twist",
    "the last thing we watched was way too loud and chaotic for me",
)


def dialogue(rng: random.Random, cue: str) -> list[Turn]:
    """A 3-turn dialogue whose words vary with ``rng`` (so unrelated samples differ)."""
    topic, verb = rng.choice(_TOPICS), rng.choice(_VERBS)
    liked = rng.sample(FILMS, 2)
    d1, d2, d3 = rng.sample(_DETAILS, 3)
    return [
        Turn(role="user", content=f"Hey, I {verb} {liked[0][1]} and I'm in the mood "
             f"for more {topic}; {d1}. Also {liked[1][1]}, {d2}."),
        Turn(role="assistant", content=f"Nice picks! Do you want something recent or are "
             f"classics fine? Anything like {liked[rng.randint(0, 1)][1]}?"),
        Turn(role="user", content=f"Classics are fine, {d3}. {cue} Something for a "
             f"{rng.choice(['Friday', 'Sunday', 'weeknight'])} evening with "
             f"{rng.choice(['my sister', 'a friend', 'my partner', 'nobody'])}."),
    ]


def make_sample(
    sample_id: str,
    *,
    seed_id: str | None = None,
    traits: list[str] | None = None,
    pair_id: str | None = None,
    rng_seed: int | None = None,
    messages: list[Turn] | None = None,
    ground_truth: list[str] = ("tt1049413", "tt1109624", "tt0114709"),
    unsafe: list[tuple[str, str]] = (("tt0050798", "animal_harm"),),
    unknown: list[tuple[str, str]] = (("tt0822832", "animal_harm"),),
    liked: list[str] = ("tt0266543",),
    passed: bool = True,
    human: str | None = None,
) -> Sample:
    """One realistic sample; everything not given is derived from ``sample_id``."""
    traits = ["animal_harm"] if traits is None else traits
    rng = random.Random(rng_seed if rng_seed is not None else sample_id)
    cue_text = ("We had to put our old dog down last month, so I'm a bit fragile."
                if traits else "I just want something fun.")
    msgs = messages or dialogue(rng, cue_text)
    dropped = [
        DroppedCandidate(item_id=i, title=ref(i).title, year=ref(i).year, trait_id=t,
                         status="yes", score=0.9, reason=f"unsafe:{t} (ddd 0.90)")
        for i, t in unsafe
    ] + [
        DroppedCandidate(item_id=i, title=ref(i).title, year=ref(i).year, trait_id=t,
                         status="unknown", score=0.4, reason=f"unknown:{t}")
        for i, t in unknown
    ]
    return Sample(
        sample_id=sample_id,
        pair_id=pair_id,
        taxonomy_version="saferec@1.0.0+b4f021a70ebe",
        seed_source="graph_profile",
        seed_id=seed_id or f"seed-{sample_id}",
        traits=traits,
        cues=[Cue(trait_id=t, strategy="life_event", idea="lost a pet", turn_index=2,
                  text=cue_text) for t in traits],
        messages=msgs,
        liked_items=[ref(i) for i in liked],
        ground_truth=[ref(i) for i in ground_truth],
        dropped_candidates=dropped if traits else [],
        generation=Generation(backend="offline", model="offline-composer", is_llm=False,
                              prompt_version="v1", seed=7, raw_output="{}"),
        verification=Verification(passed=passed, leak_passed=True, judge_backend="offline",
                                  judge_model="offline-judge", judge_traits=list(traits),
                                  judge_agreement=1.0, inferable=bool(traits)),
        human=HumanVerdict(verdict=human, votes=2, agreement=1.0) if human else None,
    )


def make_corpus(n: int, *, seed: int = 0) -> list[Sample]:
    """``n`` varied samples over several trait sets, controls, shared seeds and pairs."""
    rng = random.Random(seed)
    trait_sets = [["animal_harm"], ["spiders_snakes"], ["gore"], ["animal_harm", "gore"], []]
    out = []
    for i in range(n):
        traits = trait_sets[i % len(trait_sets)]
        seed_id = f"seed-{rng.randint(0, n // 3)}"
        pair = f"pair-{i // 2}" if i % 7 in (0, 1) else None
        out.append(make_sample(f"s{i:05d}", seed_id=seed_id, traits=traits, pair_id=pair,
                               unsafe=[("tt0050798", traits[0])] if traits else [],
                               unknown=[("tt0822832", traits[-1])] if traits else []))
    return out


def mini_catalogue() -> Catalogue:
    """A catalogue of :data:`FILMS`."""
    return Catalogue(
        [Item(item_id=i, imdb_id=i, title=t, year=y, genres=g, popularity=p)
         for i, t, y, g, p in FILMS],
        name="mini",
    )
