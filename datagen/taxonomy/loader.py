"""Load a taxonomy YAML file into a validated, versioned :class:`Taxonomy`.

Validation has two layers: pydantic checks each field's type and range, then
:mod:`datagen.taxonomy.checks` checks what spans records (unknown or duplicate ids, leak terms
inside cues, too few cue strategies). Any problem becomes one :class:`InputError` line naming
the file, the trait or topic, and the field, with the YAML line where it can be found.

The content hash is the sha256 of the canonical JSON of the parsed YAML (sorted keys), so
comments and formatting do not change it but any change of content does.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from datagen.errors import InputError
from datagen.taxonomy.checks import check_against_dtdd, check_taxonomy
from datagen.taxonomy.models import Taxonomy

__all__ = ["DEFAULT_TAXONOMY", "content_hash", "default_taxonomy_path", "load_taxonomy"]

#: File name of the embedded taxonomy inside the ``taxonomies`` package.
DEFAULT_TAXONOMY = "saferec-v1.yaml"
_LOADER_FIELDS = ("content_hash", "source_path")


def default_taxonomy_path() -> Path:
    """Path of the embedded taxonomy (package data of the ``taxonomies`` package)."""
    return Path(str(resources.files("taxonomies").joinpath(DEFAULT_TAXONOMY)))


def content_hash(data: Any) -> str:
    """sha256 hex digest of the canonical JSON of parsed taxonomy content."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_taxonomy(path: str | Path | None = None, *,
                  topics_path: str | Path | None = None) -> Taxonomy:
    """Read, validate and hash a taxonomy file (``None`` = the embedded default).

    ``topics_path`` optionally names a DoesTheDogDie ``topics.json`` to check the taxonomy's
    topic ids, labels and categories against. Raises :class:`InputError` on any problem.
    """
    file_path = Path(path) if path is not None else default_taxonomy_path()
    file = str(file_path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file ({exc})", file=file) from None
    raw = _parse_yaml(text, file)
    for key in _LOADER_FIELDS:
        if key in raw:
            raise InputError("is set by the loader and must not be in the file", file=file,
                             record="taxonomy", field=key)
    try:
        tax = Taxonomy.model_validate(
            {**raw, "content_hash": content_hash(raw), "source_path": file})
    except ValidationError as exc:
        raise _validation_error(exc, raw, text, file) from None
    try:
        check_taxonomy(tax, file)
        if topics_path is not None:
            check_against_dtdd(tax, topics_path, file)
    except InputError as exc:
        raise _with_line(exc, raw, text) from None
    return tax


#: libyaml's C parser when PyYAML was built with it (about 10x faster), else pure Python.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that rejects a mapping key given twice (PyYAML keeps the last silently)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str, file: str) -> dict[str, Any]:
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"malformed YAML: {problem}", file=file, record=line) from None
    if not isinstance(raw, dict):
        raise InputError("the file must hold a YAML mapping (name, version, topics, traits)",
                         file=file)
    return raw


def _validation_error(exc: ValidationError, raw: dict[str, Any], text: str,
                      file: str) -> InputError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    record, field = _describe_loc(loc, raw)
    message = first["msg"].removeprefix("Value error, ")
    line = _line_of(text, loc)
    if line is not None:
        message += f" (line {line})"
    return InputError(message, file=file, record=record, field=field)


def _describe_loc(loc: tuple[Any, ...], raw: dict[str, Any]) -> tuple[str, str | None]:
    """Turn a pydantic location into ("trait 'gore'", "cues[3].text")."""
    if len(loc) >= 2 and loc[0] in ("traits", "topics") and isinstance(loc[1], int):
        items = raw.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) else None
        key = item.get("id") if isinstance(item, dict) else None
        kind = "trait" if loc[0] == "traits" else "topic"
        record = f"{kind} {key!r}" if key is not None else f"{kind} #{loc[1]}"
        return record, _field_path(loc[2:]) or "(the whole record)"
    return "taxonomy", _field_path(loc) or None


def _field_path(parts: tuple[Any, ...]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _with_line(exc: InputError, raw: dict[str, Any], text: str) -> InputError:
    """Add the YAML line of a cross-check error's field, when it can be found."""
    loc = _loc_of(exc, raw)
    line = _line_of(text, loc) if loc else None
    if line is None:
        return exc
    return InputError(f"{exc.reason} (line {line})", file=exc.file, record=exc.record,
                      field=exc.field)


def _loc_of(exc: InputError, raw: dict[str, Any]) -> tuple[Any, ...] | None:
    """Rebuild the YAML location of a cross-check error from its record and field."""
    if not isinstance(exc.record, str) or exc.field is None:
        return None
    kind, _, ident = exc.record.partition(" ")
    section = {"trait": "traits", "topic": "topics"}.get(kind)
    items = raw.get(section) if section else None
    if not isinstance(items, list):
        return None
    index = _index_of(items, ident)
    if index is None:
        return None
    field = exc.field
    if section == "topics" and field.startswith("topics["):
        field = field.split(".", 1)[1]
    parts: list[Any] = [section, index]
    for piece in field.replace("]", "").split("."):
        name, *subs = piece.split("[")
        parts.append(name)
        parts.extend(int(s) for s in subs)
    return tuple(parts)


def _index_of(items: list[Any], ident: str) -> int | None:
    if ident.startswith("#") and ident[1:].isdigit():
        return int(ident[1:])
    found = None  # the last match: for a duplicate id that is the offending record
    for index, item in enumerate(items):
        if isinstance(item, dict) and ident in (repr(item.get("id")), str(item.get("id"))):
            found = index
    return found


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """1-based YAML line of the node at ``loc`` (or its nearest existing parent)."""
    try:
        node = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(part):
                return value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None
