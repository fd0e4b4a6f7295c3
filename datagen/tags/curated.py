"""Curated per-film trigger evidence (source ``curated:<name>``) from a small JSON Lines file.

No openly licensed per-film DoesTheDogDie or Parents Guide data exists, so without user files
the embedded setup only has the taxonomy's genre / MPAA rules, which never say "no" for most
traits. The package ships ``taxonomies/evidence/curated-movies-v2.jsonl``: one line per film,
the traits it clearly contains (``present``) and the traits it clearly does not
(``absent``); anything not listed stays unknown. The file was written with LLM assistance
from general film knowledge and is not human-verified (see taxonomies/evidence/README.md),
which is why its confidences are modest and it can be switched off
(``datagen tags build --no-curated``).

Line format::

    {"imdb_id": "tt0468569", "title": "The Dark Knight", "year": 2008,
     "present": ["gore", "disaster_accident"], "absent": ["spiders_snakes"]}
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from datagen.errors import InputError
from datagen.jsonl import iter_jsonl_objects, validate_line
from datagen.tags.evidence import EvidenceBatch, empty_evidence, evidence_frame
from datagen.tags.ids import CatalogueLike, attach_item_ids
from datagen.taxonomy.models import Taxonomy

__all__ = [
    "ABSENT_CONFIDENCE",
    "CURATED_DETAIL",
    "CURATED_FILE",
    "CURATED_SOURCE",
    "PRESENT_CONFIDENCE",
    "CuratedFilm",
    "default_curated_path",
    "load_curated",
]

#: evidence source of the shipped file
CURATED_SOURCE = "curated:saferec-movies-v2"
#: confidence of a "present" line: >= the default unsafe threshold 0.66, so it makes "yes"
PRESENT_CONFIDENCE = 0.7
#: confidence of an "absent" line: >= absent_min_confidence 0.5, so it makes "no" unless
#: present evidence >= present_blocks_no says otherwise
ABSENT_CONFIDENCE = 0.6
CURATED_DETAIL = "curated (assistant-written from general film knowledge; not human-verified)"
#: file name of the shipped curated evidence inside the ``taxonomies.evidence`` package
CURATED_FILE = "curated-movies-v2.jsonl"


class CuratedFilm(BaseModel):
    """One line of a curated evidence file."""

    model_config = ConfigDict(extra="forbid")

    imdb_id: str = Field(pattern=r"^tt\d{7,9}$")
    title: str = Field(min_length=1)
    year: int | None = None
    present: list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)


def default_curated_path() -> Path:
    """Path of the shipped curated evidence (package data of ``taxonomies.evidence``)."""
    return Path(str(resources.files("taxonomies.evidence").joinpath(CURATED_FILE)))


def load_curated(
    path: str | Path | None = None,
    catalogue: CatalogueLike | None = None,
    taxonomy: Taxonomy | None = None,
    *,
    source: str = CURATED_SOURCE,
) -> EvidenceBatch:
    """Read a curated evidence file into ``trait_id`` evidence rows.

    ``path`` None reads the shipped file. Trait ids are checked against ``taxonomy`` (default:
    the embedded one); films not in ``catalogue`` are counted in ``unmatched``, not fatal.
    Malformed lines, unknown trait ids, a trait listed twice or both present and absent, and
    a film listed twice raise one-line :class:`InputError` naming file, line and field.
    """
    path = Path(path) if path is not None else default_curated_path()
    if taxonomy is None:
        from datagen.taxonomy import load_taxonomy

        taxonomy = load_taxonomy()
    films = _read_films(path, set(taxonomy.trait_ids))
    rows = [
        _row(film.imdb_id, trait_id, polarity, source)
        for film in films
        for polarity, traits in (("present", film.present), ("absent", film.absent))
        for trait_id in traits
    ]
    schema = pl.Schema({"imdb_id": pl.String(), **empty_evidence().drop("item_id").schema})
    df, unmatched = attach_item_ids(pl.DataFrame(rows, schema=schema), catalogue)
    return EvidenceBatch(
        source=source,
        frame=evidence_frame(df.drop("imdb_id")),
        rows_read=len(films),
        file=str(path),
        unmatched=unmatched,
    )


def _row(imdb_id: str, trait_id: str, polarity: str, source: str) -> dict[str, Any]:
    confidence = PRESENT_CONFIDENCE if polarity == "present" else ABSENT_CONFIDENCE
    return {
        "imdb_id": imdb_id, "source": source, "topic_id": None, "pg_category": None,
        "trait_id": trait_id, "polarity": polarity, "confidence": confidence,
        "severity": None, "yes_votes": None, "no_votes": None, "detail": CURATED_DETAIL,
    }


def _read_films(path: Path, trait_ids: set[str]) -> list[CuratedFilm]:
    if not path.is_file():
        raise InputError("file not found", file=path)
    films: list[CuratedFilm] = []
    seen: dict[str, int] = {}
    for line_no, obj in iter_jsonl_objects(path):
        film = _parse_line(obj, path, line_no, trait_ids)
        if film.imdb_id in seen:
            raise InputError(f"film already listed on line {seen[film.imdb_id]}",
                             file=path, record=line_no, field="imdb_id")
        seen[film.imdb_id] = line_no
        films.append(film)
    return films


def _parse_line(
    obj: dict[str, object], path: Path, line_no: int, trait_ids: set[str]
) -> CuratedFilm:
    film = validate_line(CuratedFilm, obj, path, line_no)
    for name in ("present", "absent"):
        listed = getattr(film, name)
        for trait_id in listed:
            if trait_id not in trait_ids:
                raise InputError(f"unknown trait id {trait_id!r}", file=path, record=line_no,
                                 field=name)
        if len(set(listed)) != len(listed):
            raise InputError("a trait is listed twice", file=path, record=line_no, field=name)
    both = sorted(set(film.present) & set(film.absent))
    if both:
        raise InputError(f"trait {both[0]!r} is both present and absent", file=path,
                         record=line_no, field="absent")
    return film
