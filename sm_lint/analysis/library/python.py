"""Python's builtins that fold: ``len`` of a known list, tuple or dict."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.library import paths
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Const, DictLit, Seq

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine


def register(registry: Registry) -> None:
    registry.function("builtins.len")(_len)


def _len(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    if len(args.positional) != 1:
        return paths.call(engine, node, name, args, env)
    sized = args.positional[0]
    if isinstance(sized, Seq):
        return Const(len(sized.items))
    if isinstance(sized, DictLit) and sized.items is not None:
        return Const(len(sized.items))
    return UNKNOWN
