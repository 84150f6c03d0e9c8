"""Paths and text (analysis/paths.py): ``os.path``/``pathlib`` calls and methods, fresh
temporary folders and what lies below them, f-strings folded to text, ``path / "name"``."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis import paths as path_values
from sm_lint.analysis.engine.hooks import Piece, Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Const, FreshPath, PathValue

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine


def register(registry: Registry) -> None:
    # The last word on any function and method no other library claims.
    registry.function_fallbacks.append(call)
    registry.method_fallback = method
    registry.attributes[PathValue] = path_values.path_attribute
    registry.binary.append(_divide)
    registry.fstring = fstring
    registry.text_sizes[PathValue] = lambda value: len(value.path)
    registry.never_none.append(PathValue)


def call(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    return path_values.call(name, args)


def method(
    engine: Engine, node: cst.Call, receiver: AbstractValue, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    return path_values.method(receiver, name, args)


def _divide(symbol: str, left: AbstractValue, right: AbstractValue) -> AbstractValue | None:
    if symbol != "/":
        return None
    if isinstance(left, PathValue):
        text = path_values.as_text(right)
        return PathValue(str(PurePosixPath(left.path) / text)) if text is not None else UNKNOWN
    if isinstance(left, FreshPath):
        return path_values.below(left, [right])
    return None


def fstring(pieces: list[Piece]) -> AbstractValue:
    """An f-string's text where every part is known; below a fresh folder when it starts
    with one (``f"{folder}/model"``)."""
    parts: list[str] = []
    known = True
    fresh: FreshPath | None = None
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(piece)
            continue
        value, plain = piece
        if isinstance(value, FreshPath) and not parts and fresh is None:
            fresh = value
            continue
        text = path_values.as_text(value)
        if text is None or not plain:
            known = False
        else:
            parts.append(text)
    if fresh is not None:
        text = "".join(parts)
        if not known or text[:1] not in ("/", ""):
            return UNKNOWN
        return path_values.below(fresh, [Const(text[1:])] if text else [])
    return Const("".join(parts)) if known else UNKNOWN
