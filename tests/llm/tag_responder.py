"""A fake-server responder for whole-film tagging (test double, not an LLM), and the small
catalogue of films it knows.

It reads the trait ids from the prompt's trait list and the film from its ``Film:`` line,
and answers every trait: ``present`` for the film's planned traits, ``unsure`` for
``spiders_snakes``, ``absent`` for the rest. "Broken Film" answers prose until it is told
its answer was not usable; "Hopeless" always answers prose. Importable as
``tag_responder:reply`` by a fake server in another process (PYTHONPATH = this folder).
"""

from __future__ import annotations

import json
import re
from typing import Any


def catalogue() -> Any:
    """Alien and Up (planned answers), Broken Film (answers on retry), Hopeless (never)."""
    from datagen.catalogue import Catalogue, Item

    return Catalogue([
        Item(item_id="tt0078748", title="Alien", year=1979, imdb_id="tt0078748",
             genres=["Horror", "Sci-Fi"], directors=["Ridley Scott"], popularity=900),
        Item(item_id="tt1049413", title="Up", year=2009, imdb_id="tt1049413",
             genres=["Animation"], popularity=800),
        Item(item_id="tt0000001", title="Broken Film", year=2001, popularity=10),
        Item(item_id="tt0000002", title="Hopeless", year=2002, popularity=5),
    ])


PLANNED = {
    "Alien (1979)": {"gore", "extreme_violence"},
    "Up (2009)": {"pregnancy_loss"},
}
_TRAIT = re.compile(r"^- ([a-z][a-z0-9_]*) \(", re.M)
_FILM = re.compile(r"^Film: (.*)$", re.M)


def _texts(body: dict[str, Any]) -> tuple[str, str, bool]:
    system = body.get("system") or ""
    user = ""
    retried = False
    for m in body.get("messages", []):
        content = m.get("content") if isinstance(m.get("content"), str) else ""
        if m["role"] == "system":
            system = content
        elif m["role"] == "user":
            user = user or content
            retried = retried or "not usable" in content
    return system, user, retried


def answer(trait_ids: list[str], film: str) -> dict[str, dict[str, str]]:
    planned = PLANNED.get(film, set())
    out = {}
    for t in trait_ids:
        if t in planned:
            out[t] = {"verdict": "present", "reason": f"{film} shows it"}
        elif t == "spiders_snakes":
            out[t] = {"verdict": "unsure", "reason": "not sure"}
        else:
            out[t] = {"verdict": "absent", "reason": "nothing of the kind"}
    return out


def reply(body: dict[str, Any], api: str) -> str:
    system, user, retried = _texts(body)
    match = _FILM.search(user)
    film = match.group(1) if match else "?"
    if film.startswith("Hopeless") or (film.startswith("Broken") and not retried):
        return "I think it is a fine film."
    return json.dumps(answer(_TRAIT.findall(system), film))
