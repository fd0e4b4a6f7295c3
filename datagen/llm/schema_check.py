"""A small JSON Schema checker for the subset structured outputs use.

Servers differ in what they enforce, so the probe (and the fake server that stands in for
constrained decoding in tests) must check an answer against the schema it was sent. The
subset is what OpenAI's strict mode, llama.cpp grammars, vLLM guided decoding and Anthropic
tool schemas all accept: ``type`` (one or a list), ``properties``, ``required``,
``additionalProperties: false``, ``items``, ``minItems`` / ``maxItems``, ``enum``, ``const``.
Keywords outside it are ignored (never a false failure). The tasks' parsers still validate
every answer with pydantic; this only decides whether a server honours a schema.
"""

from __future__ import annotations

from typing import Any

__all__ = ["schema_errors"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}


def _type_ok(expected: str, value: Any) -> bool:
    if expected in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(expected, (object,)))


def schema_errors(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    """Every violation of ``schema`` by ``value``, as ``"<path>: <what>"`` (empty = conforms)."""
    errors: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        if not any(_type_ok(name, value) for name in names):
            return [f"{path}: expected {' or '.join(names)}, got {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum'][:8]!r}")
    if isinstance(value, dict):
        errors += _object_errors(schema, value, path)
    elif isinstance(value, list):
        errors += _array_errors(schema, value, path)
    return errors


def _object_errors(schema: dict[str, Any], value: dict[str, Any], path: str) -> list[str]:
    props: dict[str, Any] = schema.get("properties", {})
    errors = [f"{path}: missing {name!r}" for name in schema.get("required", [])
              if name not in value]
    if schema.get("additionalProperties") is False:
        errors += [f"{path}: unexpected key {name!r}" for name in value if name not in props]
    for name, sub in props.items():
        if name in value:
            errors += schema_errors(sub, value[name], f"{path}.{name}")
    return errors


def _array_errors(schema: dict[str, Any], value: list[Any], path: str) -> list[str]:
    errors: list[str] = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{path}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: more than {schema['maxItems']} items")
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            errors += schema_errors(items, item, f"{path}[{i}]")
    return errors
