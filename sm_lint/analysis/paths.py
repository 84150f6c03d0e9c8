"""Fold path expressions to strings: literals, f-strings, os.path and pathlib."""

from __future__ import annotations

import os.path
import posixpath
from collections.abc import Callable

from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Const, FreshPath, PathValue


def as_text(value: AbstractValue) -> str | None:
    """The text of a constant str or a known Path; None otherwise."""
    if isinstance(value, Const) and isinstance(value.value, str):
        return value.value
    if isinstance(value, PathValue):
        return value.path
    if (
        isinstance(value, Const)
        and isinstance(value.value, (int, float))
        and not isinstance(value.value, bool)
    ):
        return str(value.value)
    return None


def _texts(values: list[AbstractValue]) -> list[str] | None:
    texts = [as_text(v) for v in values]
    return None if any(t is None for t in texts) else [t for t in texts if t is not None]


def _path_of(text: str) -> str:
    return posixpath.normpath(text) if text else "."


_PATH_FUNCTIONS: dict[str, Callable[[str], str]] = {
    "os.path.dirname": posixpath.dirname,
    "os.path.abspath": os.path.abspath,
    "os.path.realpath": os.path.abspath,
    "os.path.normpath": posixpath.normpath,
    "os.path.basename": posixpath.basename,
    "os.fspath": str,
}


def below(fresh: FreshPath, parts: list[AbstractValue]) -> AbstractValue:
    """A fresh folder joined with known relative parts stays a fresh folder."""
    texts = _texts(parts)
    if texts is None or any(t.startswith("/") for t in texts):
        return UNKNOWN
    return FreshPath(fresh.origin, posixpath.normpath(posixpath.join(fresh.rest, *texts)))


_FRESH_KEEP = ("os.path.abspath", "os.path.realpath", "os.path.normpath", "os.fspath")
_PATHLIB = ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath")


def call(name: str, args: CallArgs) -> AbstractValue:
    """``os.path.join(...)``, ``pathlib.Path(...)``, ``str(...)`` and friends."""
    first = args.positional[0] if args.positional else None
    if isinstance(first, FreshPath):
        if name == "os.path.join" or name in _PATHLIB:
            return below(first, args.positional[1:])
        if name in _FRESH_KEEP or name == "builtins.str":
            return first if len(args.positional) == 1 else UNKNOWN
        return UNKNOWN
    if name == "os.path.join":
        parts = _texts(args.positional)
        return Const(posixpath.join(*parts)) if parts else UNKNOWN
    if name in _PATH_FUNCTIONS:
        text = as_text(args.get(0, None))
        if text is None:
            return UNKNOWN
        return Const(_PATH_FUNCTIONS[name](text))
    if name in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath"):
        parts = _texts(args.positional) if args.positional else ["."]
        return PathValue(_path_of(posixpath.join(*parts))) if parts else UNKNOWN
    if name == "builtins.str" and len(args.positional) == 1:
        text = as_text(args.positional[0])
        return Const(text) if text is not None else UNKNOWN
    return UNKNOWN


def method(receiver: AbstractValue, name: str, args: CallArgs) -> AbstractValue:
    """Methods of known strings and Paths that keep the value known."""
    if isinstance(receiver, FreshPath):
        if name in ("resolve", "absolute", "expanduser", "as_posix") and not args.positional:
            return receiver
        return below(receiver, args.positional) if name == "joinpath" else UNKNOWN
    if isinstance(receiver, PathValue):
        if name in ("resolve", "absolute"):
            return PathValue(os.path.abspath(receiver.path))
        if name in ("expanduser",):
            return receiver
        if name == "joinpath":
            parts = _texts(args.positional)
            return PathValue(_path_of(posixpath.join(receiver.path, *parts))) if parts else UNKNOWN
        if name == "as_posix":
            return Const(receiver.path)
        return UNKNOWN
    if isinstance(receiver, Const) and isinstance(receiver.value, str):
        if name == "format":
            positional = _texts(args.positional)
            keywords = {k: as_text(v) for k, v in args.keywords.items()}
            if positional is None or any(v is None for v in keywords.values()):
                return UNKNOWN
            try:
                return Const(receiver.value.format(*positional, **keywords))
            except (IndexError, KeyError, ValueError):
                return UNKNOWN
        if name in ("strip", "rstrip", "lstrip") and not args.positional:
            return Const(getattr(receiver.value, name)())
    return UNKNOWN


def path_attribute(value: PathValue, name: str) -> AbstractValue:
    if name == "parent":
        return PathValue(_path_of(posixpath.dirname(value.path)))
    if name == "name":
        return Const(posixpath.basename(value.path))
    if name == "stem":
        return Const(posixpath.splitext(posixpath.basename(value.path))[0])
    return UNKNOWN
