"""Fold path expressions to strings: literals, f-strings, os.path and pathlib."""

from __future__ import annotations

import os.path
import posixpath
import re
import string
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


#: The longest text a folding operation may make. Checked before the operation runs: a
#: format width or a join of long parts must never allocate what a file asks for.
MAX_TEXT = 4096


def _texts(values: list[AbstractValue]) -> list[str] | None:
    """The texts of *values*, or None when one is unknown or together they are too long."""
    texts = [as_text(v) for v in values]
    if any(t is None for t in texts):
        return None
    known = [t for t in texts if t is not None]
    return known if sum(map(len, known)) <= MAX_TEXT else None


# A format spec for a str argument: [[fill]align][sign][z][#][0][width][grouping][.precision][s]
_STR_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>[0-9]*)[,_]?(?:\.[0-9]+)?s?", re.S)


def _format(template: str, positional: list[str], keywords: dict[str, str]) -> str | None:
    """``template.format(...)`` for str arguments, None unless every field is plain.

    A plain field is ``{}``, ``{0}`` or ``{name}`` with an optional ``!s`` and a format spec
    without nested fields: attribute access (``{0.__class__}``) and indexing (``{0[1]}``)
    are never evaluated, and widths are bounded before anything is formatted.
    """
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return None
    pieces: list[str] = []
    size = 0
    auto = 0
    manual = False
    for literal, name, spec, conversion in fields:
        pieces.append(literal)
        size += len(literal)
        if name is None:
            continue
        if conversion not in (None, "s") or (spec and "{" in spec):
            return None
        value: str | None
        if name == "":
            if manual:
                return None
            value = positional[auto] if auto < len(positional) else None
            auto += 1
        elif name.isascii() and name.isdigit():
            if auto:
                return None  # Python refuses to mix automatic and manual numbering
            manual = True
            index = int(name)
            value = positional[index] if index < len(positional) else None
        elif name.isidentifier():
            value = keywords.get(name)
        else:
            return None
        match = _STR_SPEC.fullmatch(spec or "")
        if value is None or match is None or int(match["width"] or 0) > MAX_TEXT:
            return None
        try:
            piece = format(value, spec or "")
        except ValueError:
            return None
        pieces.append(piece)
        size += len(piece)
        if size > MAX_TEXT:
            return None
    return "".join(pieces)


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
            text = _format(
                receiver.value, positional, {k: v for k, v in keywords.items() if v is not None}
            )
            return UNKNOWN if text is None else Const(text)
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
