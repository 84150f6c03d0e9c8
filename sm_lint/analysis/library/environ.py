"""Environment variables (the standard library's ``os.environ`` / ``os.getenv``): a model
path read from a variable with a default, ``os.environ.get("MODEL_DIR", "models/x")``,
``os.getenv("MODEL_DIR", "models/x")`` or ``os.environ.get("MODEL_DIR") or "models/x"``, is
the default where the variable is unset: the load uses it and its findings say so."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Const, EnvDefault, PathValue

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine


def register(registry: Registry) -> None:
    registry.function("os.environ.get", "os.getenv")(_get)
    registry.boolean.append(_or)


def _text(value: AbstractValue) -> bool:
    return (isinstance(value, Const) and isinstance(value.value, str)) or isinstance(
        value, PathValue
    )


def _get(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    # os.getenv(key, default=None); os.environ.get(key, default=None) (Mapping.get)
    key = args.get(0, "key")
    if not (isinstance(key, Const) and isinstance(key.value, str)) or len(args.positional) > 2:
        return UNKNOWN
    if not args.has(1, "default"):
        return EnvDefault(key.value)
    default = args.get(1, "default")
    return EnvDefault(key.value, default) if _text(default) else UNKNOWN


def _or(word: str, left: AbstractValue, right: AbstractValue) -> AbstractValue | None:
    """``os.environ.get(NAME) or default``: where NAME is unset, the left side is None (or
    its own default): the default when that is empty."""
    if word != "or" or not isinstance(left, EnvDefault):
        return None
    given = left.default
    empty = given is None or given == Const("")
    if empty:
        return EnvDefault(left.name, right) if _text(right) else UNKNOWN
    return left  # a non-empty default is truthy: ``or`` keeps it
