"""Seeds: whose tastes a synthetic user has, from real dialogues or from the graph.

A :class:`Seed` is one user's starting point: liked films (catalogue items), the films real
people recommended to them (when the seed is a real dialogue), and the user's own turns (for
rewriting). Three sources:

* ``redial``: ReDial JSONL (``@id`` mentions resolved through ``movies_with_mentions.csv`` and
  the project's one :class:`~datagen.catalogue.resolver.TitleResolver`);
* ``reddit``: Reddit-Movie-style JSONL, one object a line with ``prompt`` (the user's post)
  and ``groundtruth_with_release_year`` (list of ``"Title (Year)"``), optional ``id`` and
  ``liked_with_release_year`` (see docs/synthesis.md); the SafeCRS reference's released rows
  are accepted as they are (``prompt`` as messages, ``[title, year]`` pairs, ``seen_titles``;
  also as .json, .parquet or a ``datasets`` folder), read by :mod:`datagen.compat.safecrs_rows`;
* ``graph``: no seed list; the pipeline draws a preference profile from the attribute graph
  for each user and that user's traits (:mod:`datagen.synth.users`).
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from datagen.errors import InputError
from datagen.jsonl import iter_jsonl_objects
from datagen.records.sample import ItemRef

__all__ = [
    "Resolver",
    "Seed",
    "load_reddit_seeds",
    "load_redial_seeds",
    "seed_pick",
]

_MENTION = re.compile(r"@(\d+)")


class Resolver(Protocol):
    def resolve(self, text: str, year: int | None = None) -> Any: ...


class Seed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed_id: str
    source: str  # "graph_profile" | "redial" | "reddit"
    liked: list[ItemRef] = Field(default_factory=list)
    #: films real people recommended to this user (ground-truth candidates); empty for graph
    recommended: list[ItemRef] = Field(default_factory=list)
    genres: list[str] = Field(default_factory=list)
    #: the user's own turns in the seed dialogue, titles written out ("Title (Year)")
    user_turns: list[str] = Field(default_factory=list)
    unresolved: list[str] = Field(default_factory=list)


def _ref(match: Any) -> ItemRef | None:
    if match is None or not getattr(match, "item_id", None):
        return None
    return ItemRef(item_id=match.item_id, title=match.title or match.query, year=match.year)


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise InputError("file not found", file=path)
    yield from iter_jsonl_objects(path)


def _redial_movie_names(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise InputError("ReDial movie list not found", file=path)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"movieId", "movieName"} <= set(reader.fieldnames):
            raise InputError("expected columns movieId, movieName", file=path, field="movieId")
        return {row["movieId"]: " ".join(row["movieName"].split()) for row in reader}


def _answer(questions: Any, movie_id: str, key: str) -> int | None:
    if isinstance(questions, dict) and isinstance(questions.get(movie_id), dict):
        value = questions[movie_id].get(key)
        return value if isinstance(value, int) else None
    return None


def _merged_user_turns(obj: dict[str, Any], names: dict[str, str]) -> list[str]:
    """The initiator's messages, consecutive ones merged, ``@id`` written as titles."""
    initiator = obj.get("initiatorWorkerId")
    turns: list[str] = []
    last_sender = None
    for msg in obj.get("messages", []):
        text = _MENTION.sub(lambda m: names.get(m.group(1), "that movie"), str(msg.get("text", "")))
        sender = msg.get("senderWorkerId")
        if sender == initiator:
            if last_sender == initiator and turns:
                turns[-1] = f"{turns[-1]} {text}"
            else:
                turns.append(text)
        last_sender = sender
    return [t.strip() for t in turns if t.strip()]


def load_redial_seeds(
    path: str | Path, resolver: Resolver, movies_csv: str | Path | None = None
) -> list[Seed]:
    """ReDial dialogues -> seeds. Liked = mentions the initiator liked (``liked == 1``, the
    initiator's answer, else the respondent's) and did not get suggested; recommended =
    mentions the respondent suggested that the initiator did not dislike."""
    path = Path(path)
    movies_path = Path(movies_csv) if movies_csv else path.parent / "movies_with_mentions.csv"
    names = _redial_movie_names(movies_path)
    resolved: dict[str, ItemRef | None] = {}
    seeds: list[Seed] = []
    for lineno, obj in _read_jsonl(path):
        mentions = obj.get("movieMentions")
        if not isinstance(mentions, dict) or "messages" not in obj:
            raise InputError("missing movieMentions/messages", file=path, record=lineno,
                             field="movieMentions")
        liked: list[ItemRef] = []
        recommended: list[ItemRef] = []
        unresolved: list[str] = []
        for movie_id in mentions:
            name = names.get(movie_id) or " ".join(str(mentions[movie_id] or "").split())
            if movie_id not in resolved:
                resolved[movie_id] = _ref(resolver.resolve(name)) if name else None
            ref = resolved[movie_id]
            if ref is None:
                unresolved.append(name or f"@{movie_id}")
                continue
            ini, res = obj.get("initiatorQuestions"), obj.get("respondentQuestions")
            like = _answer(ini, movie_id, "liked")
            like = _answer(res, movie_id, "liked") if like is None else like
            suggested = (_answer(res, movie_id, "suggested") or _answer(ini, movie_id, "suggested"))
            if suggested == 1 and like != 0:
                recommended.append(ref)
            elif suggested != 1 and like == 1:
                liked.append(ref)
        seeds.append(Seed(
            seed_id=f"redial:{obj.get('conversationId', lineno)}", source="redial",
            liked=liked, recommended=recommended, unresolved=unresolved,
            user_turns=_merged_user_turns(obj, names),
        ))
    return seeds


def load_reddit_seeds(path: str | Path, resolver: Resolver) -> list[Seed]:
    """Reddit-Movie-style or SafeCRS rows -> seeds (recommended = resolved ground truth)."""
    from datagen.compat.safecrs_rows import iter_safecrs_rows, seed_fields

    path = Path(path)
    seeds: list[Seed] = []
    for lineno, obj in iter_safecrs_rows(path):
        fields = seed_fields(obj, path, lineno)
        gt, liked_titles = fields.recommended, fields.liked
        unresolved: list[str] = []

        def refs(texts: Sequence[str], unresolved: list[str] = unresolved) -> list[ItemRef]:
            out: list[ItemRef] = []
            for text in texts:
                ref = _ref(resolver.resolve(text))
                if ref is None:
                    unresolved.append(text)
                elif ref.item_id not in {r.item_id for r in out}:
                    out.append(ref)
            return out

        seeds.append(Seed(
            seed_id=f"{fields.source}:{fields.row_id or lineno}", source=fields.source,
            liked=refs(liked_titles), recommended=refs(gt), unresolved=unresolved,
            user_turns=fields.user_turns,
        ))
    return seeds


@lru_cache(maxsize=8)
def _seed_order(plan_seed: int, n_seeds: int) -> tuple[int, ...]:
    order = list(range(n_seeds))
    random.Random(f"{plan_seed}:seeds").shuffle(order)
    return tuple(order)


def seed_pick(plan_seed: int, index: int, attempt: int, n_seeds: int) -> int:
    """Which real seed draw ``attempt`` of user ``index`` takes (depends on nothing else, so
    plans are prefix-stable). First draws walk one seeded permutation of the seed list (every
    seed once before any repeats); redraws pick a seed by hash."""
    if attempt == 0:
        return _seed_order(plan_seed, n_seeds)[index % n_seeds]
    digest = hashlib.sha256(f"redraw:{plan_seed}:{index}:{attempt}".encode()).hexdigest()
    return int(digest[:12], 16) % n_seeds
