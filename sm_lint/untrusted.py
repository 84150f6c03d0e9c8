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
from collections.abc import Callable
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
        return _checker(hint)(value)
    except RecursionError:
        return False


Check = Callable[[Any], bool]

#: Each hint's check, made once per process: a warm run checks every cached finding, and
#: reading the hint again for each value cost more than the check itself.
_CHECKS: dict[Any, Check] = {}


def _checker(hint: Any) -> Check:
    try:
        found = _CHECKS.get(hint)
    except TypeError:  # an unhashable hint (a Literal of a list): made each time
        return _make(hint)
    if found is None:
        found = _CHECKS[hint] = _make(hint)
    return found


def _make(hint: Any) -> Check:
    if hint is Any:
        return lambda value: True
    if hint is None or hint is type(None):
        return lambda value: value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union or origin is types.UnionType:
        return _any_of(args)
    if origin is tuple:
        return _tuple(args)
    if origin in (list, frozenset, set):
        return _collection(origin, args[0])
    if origin is dict:
        return _mapping(args[0], args[1])
    if origin is typing.Literal:
        return lambda value: value in args
    if hint is bool:
        return lambda value: isinstance(value, bool)
    if hint is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint)
    if isinstance(hint, type):
        return lambda value: isinstance(value, hint)
    return lambda value: False


def _any_of(args: tuple[Any, ...]) -> Check:
    checks = [_checker(a) for a in args]
    return lambda value: any(check(value) for check in checks)


def _tuple(args: tuple[Any, ...]) -> Check:
    if len(args) == 2 and args[1] is Ellipsis:
        item = _checker(args[0])
        return lambda value: isinstance(value, tuple) and all(map(item, value))
    checks = [_checker(a) for a in args]

    def fixed(value: Any) -> bool:
        if not isinstance(value, tuple) or len(value) != len(checks):
            return False
        return all(check(v) for check, v in zip(checks, value, strict=True))

    return fixed


def _collection(origin: type[Any], arg: Any) -> Check:
    item = _checker(arg)
    return lambda value: isinstance(value, origin) and all(map(item, value))


def _mapping(key_hint: Any, value_hint: Any) -> Check:
    key, item = _checker(key_hint), _checker(value_hint)
    return lambda value: (
        isinstance(value, dict) and all(key(k) and item(v) for k, v in value.items())
    )


def _dataclass(cls: type) -> Check:
    # The fields' checks are made on first use: a field may name its own class.
    fields: list[tuple[str, Check]] | None = None

    def check(value: Any) -> bool:
        nonlocal fields
        if type(value) is not cls:
            return False
        if fields is None:
            fields = [(name, _checker(h)) for name, h in _fields(cls)]
        return all(field(getattr(value, name)) for name, field in fields)

    return check


_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """A dataclass' fields and their resolved types (resolved once per class)."""
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return found
