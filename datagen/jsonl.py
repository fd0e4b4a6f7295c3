"""The one JSON Lines reader: numbered objects out, one-line errors for bad lines.

Every loader of a ``.jsonl`` input (evidence, curated tags, predictions, seed dialogues)
reads through :func:`iter_jsonl_objects`, so a malformed line is reported the same way
everywhere: file, line number and, for schema errors, the field
(:func:`validation_input_error`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from datagen.errors import InputError

__all__ = ["iter_jsonl_objects", "validate_line", "validation_input_error"]

M = TypeVar("M", bound=BaseModel)


def iter_jsonl_objects(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield ``(line_number, object)`` for each non-blank line; blank lines are skipped."""
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                msg = getattr(exc, "msg", None) or exc.args[0]
                raise InputError(f"not valid JSON ({msg})", file=path, record=line_no) from exc
            if not isinstance(obj, dict):
                raise InputError("each line must be a JSON object", file=path, record=line_no)
            yield line_no, obj


def validation_input_error(exc: ValidationError, path: Path, line_no: int) -> InputError:
    """The first pydantic error of a record as a one-line :class:`InputError`."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or None
    return InputError(err["msg"], file=path, record=line_no, field=where)


def validate_line(model: type[M], obj: dict[str, object], path: Path, line_no: int) -> M:
    """Validate one JSON Lines object into ``model`` or raise the one-line error."""
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise validation_input_error(exc, path, line_no) from exc
