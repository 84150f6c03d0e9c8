"""Reading what sm-lint wrote earlier but anyone could have changed since (cache entries and
indexes, ``observed.json``): JSON is parsed with a size cap and Python's own depth limit,
and what it decodes to is checked against the types it must have before anything uses it.
Whatever fails is treated as absent (a cache miss), never as an error: a hand-edited or
hostile file must not make every run exit 2 until someone deletes it.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Union


def parse_json(text: str | bytes, max_bytes: int) -> Any:
    """*text* parsed, or None when it is over *max_bytes*, not JSON, or nested too deeply
    for the parser (RecursionError)."""
    if len(text) > max_bytes:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError, MemoryError):
        return None


def conforms(value: Any, hint: Any) -> bool:
    """Whether *value* has the type *hint* describes, all the way down: dataclasses field by
    field (exactly that class), unions, ``tuple[X, ...]`` and fixed tuples, lists, dicts,
    enums and the plain types (a bool is not an int here)."""
    try:
        return _conforms(value, hint)
    except RecursionError:
        return False


def _conforms(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union or origin is types.UnionType:
        return any(_conforms(value, a) for a in args)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(v, args[0]) for v in value)
        return len(value) == len(args) and all(map(_conforms, value, args))
    if origin in (list, frozenset, set):
        return isinstance(value, origin) and all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if type(value) is not hint:
            return False
        return all(_conforms(getattr(value, name), h) for name, h in _fields(hint))
    if isinstance(hint, type):
        return isinstance(value, hint)
    return False


_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """A dataclass' fields and their resolved types (resolved once per class)."""
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return found
