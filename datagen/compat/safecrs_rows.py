"""Rows of the SafeCRS reference's released format, read as they are.

A released row (the reference's conversion script writes these with ``datasets``)::

    {"prompt": [{"role": "user", "content": "..."}],          # or a plain string
     "completion": [{"role": "assistant", "content": "<solution>...</solution>"}],
     "seen_titles": ["Saw (2004)", "Heat"],
     "groundtruth_with_release_year": [["Toy Story", 1995], "Up (2009)"],   # pairs or strings
     "constraints": {"Anti-gore / squeamish": true},
     "assigned_trait": "Anti-gore / squeamish",
     "assignment_reason": "User mentioned ..."}

Reddit-Movie-style rows (``prompt`` text, ``groundtruth_with_release_year`` strings, optional
``liked_with_release_year`` and ``id``) are the same model with fewer fields, so the
``reddit`` seed loader and ``datagen import safecrs`` share this one reader. Other columns a
release carries (``has_cot``, ``cot_reasoning``...) are accepted and listed in the import
report. Files: ``.jsonl``/``.ndjson`` (one object a line), ``.json`` (a list, or
``{"samples": [...]}``), ``.parquet``, or a ``datasets`` ``save_to_disk`` folder of one split.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from datagen.errors import InputError
from datagen.jsonl import iter_jsonl_objects

__all__ = [
    "ChatMessage",
    "SafeCRSRow",
    "SeedFields",
    "TitleYear",
    "iter_safecrs_rows",
    "parse_row",
    "seed_fields",
]

TitleYear = tuple[str, int | None]
_JSONL = (".jsonl", ".ndjson")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str


class SafeCRSRow(BaseModel):
    """One reference row; unknown columns are kept in ``model_extra`` (see the module doc)."""

    model_config = ConfigDict(extra="allow")

    prompt: str | list[ChatMessage]
    completion: str | list[ChatMessage] | None = None
    seen_titles: list[str] = Field(default_factory=list)
    groundtruth_with_release_year: list[str | tuple[str, int | str | None]]
    constraints: dict[str, bool | None] | None = None
    assigned_trait: str | None = None
    assignment_reason: str | None = None
    #: Reddit-Movie-style rows: liked films ("Title (Year)") and a row id
    liked_with_release_year: list[str] = Field(default_factory=list)
    id: str | int | None = None
    sample_id: str | None = None

    @field_validator("prompt")
    @classmethod
    def _non_empty(cls, value: str | list[ChatMessage]) -> str | list[ChatMessage]:
        if isinstance(value, str) and not value.strip():
            raise ValueError("expected a non-empty string or a list of chat messages")
        if isinstance(value, list) and not any(m.role == "user" for m in value):
            raise ValueError("the prompt messages have no user turn")
        return value

    @field_validator("seen_titles", "liked_with_release_year", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    def turns(self) -> list[tuple[str, str]]:
        """``(role, text)`` of the prompt's user and assistant turns (system dropped)."""
        if isinstance(self.prompt, str):
            return [("user", " ".join(self.prompt.split()))]
        return [(m.role, m.content.strip()) for m in self.prompt
                if m.role in ("user", "assistant") and m.content.strip()]

    def ground_truth(self, path: str | Path | None = None,
                     where: int | str | None = None) -> list[TitleYear | str]:
        """Ground-truth entries: ``(title, year)`` pairs as given, strings untouched.

        ``path`` / ``where`` name the row in the error for a year that is not a number.
        """
        out: list[TitleYear | str] = []
        for index, entry in enumerate(self.groundtruth_with_release_year):
            if isinstance(entry, str):
                out.append(entry)
                continue
            title, year = entry
            try:
                out.append((title, _year(year)))
            except ValueError:
                raise InputError(f"bad year {year!r} in a [title, year] pair", file=path,
                                 record=where,
                                 field=f"groundtruth_with_release_year.{index}") from None
        return out

    def completion_text(self) -> str:
        """The reference completion as text ("" when the row has none)."""
        if self.completion is None:
            return ""
        if isinstance(self.completion, str):
            return self.completion
        return "\n".join(m.content for m in self.completion if m.role == "assistant")

    def trait_names(self) -> list[str]:
        """Names the row marks as avoided: ``constraints`` set to true, then
        ``assigned_trait`` (no duplicates; "", "none" and null mean no trait)."""
        names = [name for name, on in (self.constraints or {}).items() if on]
        assigned = (self.assigned_trait or "").strip()
        if assigned and assigned.casefold() not in ("none", "null") and assigned not in names:
            names.append(assigned)
        return names

    def is_reference_format(self) -> bool:
        """True for a SafeCRS release row (messages, pairs or reference-only fields)."""
        return (not isinstance(self.prompt, str) or self.constraints is not None
                or any(not isinstance(e, str) for e in self.groundtruth_with_release_year)
                or bool(self.seen_titles) or self.assigned_trait is not None)


def _year(value: int | str | None) -> int | None:
    """An int year; None for a missing one; ValueError for text that is not a number."""
    if value is None or value == "":
        return None
    return int(str(value).strip())


def _json_rows(path: Path) -> Iterator[tuple[int | str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable JSON file ({exc.__class__.__name__})",
                         file=path) from exc
    if isinstance(data, dict) and isinstance(data.get("samples"), list):
        data = data["samples"]
    if not isinstance(data, list):
        raise InputError('expected a JSON list of rows or {"samples": [...]}', file=path)
    for index, obj in enumerate(data):
        yield f"item {index}", obj


def _table_rows(path: Path) -> Iterator[tuple[int | str, Any]]:
    if path.is_dir():
        rows = _dataset_folder_rows(path)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(path).to_pylist()
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", file=path) from exc
    for index, obj in enumerate(rows):
        yield f"row {index}", obj


def _dataset_folder_rows(path: Path) -> list[dict[str, Any]]:
    """A ``datasets`` ``save_to_disk`` folder of one split (the reference's release)."""
    import datasets

    try:
        data = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"not a datasets save_to_disk folder ({exc})", file=path) from exc
    if isinstance(data, datasets.DatasetDict):
        raise InputError(f"a folder of splits ({', '.join(data)}): give one split's folder, "
                         f"e.g. {path / next(iter(data))}", file=path)
    return data.to_list()  # type: ignore[union-attr]


def iter_safecrs_rows(path: str | Path) -> Iterator[tuple[int | str, dict[str, Any]]]:
    """``(line number or "row i", raw object)`` for every row of a file or dataset folder."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".parquet":
        source = _table_rows(path)
    elif suffix in _JSONL:
        source = iter_jsonl_objects(path)  # type: ignore[assignment]
    elif suffix == ".json":
        source = _json_rows(path)
    else:
        raise InputError("unknown format; use .jsonl, .json, .parquet or a datasets folder",
                         file=path)
    for where, obj in source:
        if not isinstance(obj, dict):
            raise InputError("a row must be an object", file=path, record=where)
        yield where, obj


def parse_row(obj: dict[str, Any], path: str | Path, where: int | str) -> SafeCRSRow:
    """Validate one raw row; errors name the file, the row and the field."""
    try:
        return SafeCRSRow.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise InputError(err["msg"], file=path, record=where, field=field) from None


class SeedFields(BaseModel):
    """What a seed needs from one row: the user's words and the films."""

    model_config = ConfigDict(extra="forbid")

    source: str  # "reddit" | "safecrs"
    row_id: str | None
    user_turns: list[str]
    recommended: list[str]  # "Title (Year)" strings, ready for the resolver
    liked: list[str]


def _display(entry: TitleYear | str) -> str:
    if isinstance(entry, str):
        return entry
    title, year = entry
    return f"{title} ({year})" if year else title


def seed_fields(obj: dict[str, Any], path: str | Path, where: int | str) -> SeedFields:
    """One row (Reddit-Movie or SafeCRS format) -> the parts a seed is made of.

    The liked films are ``liked_with_release_year``, else the reference's ``seen_titles``
    (the films the user named in the post).
    """
    row = parse_row(obj, path, where)
    turns = [text for role, text in row.turns() if role == "user"]
    raw_id = row.id if row.id is not None else row.sample_id
    return SeedFields(
        source="safecrs" if row.is_reference_format() else "reddit",
        row_id=str(raw_id) if raw_id is not None else None,
        user_turns=turns,
        recommended=[_display(e) for e in row.ground_truth(path, where)],
        liked=list(row.liked_with_release_year or row.seen_titles),
    )
