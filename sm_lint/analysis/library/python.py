"""Python's builtins that fold: ``len`` of a known list, tuple or dict; ``[x] * n``."""

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


#: At most this many items come of ``[x] * n`` (more: unknown).
MAX_REPEATED = 4096


def register(registry: Registry) -> None:
    registry.function("builtins.len")(_len)
    # First: a list times an int is repetition, before any array library reads operands.
    registry.binary.insert(0, _repeat)


def _repeat(symbol: str, left: AbstractValue, right: AbstractValue) -> AbstractValue | None:
    """``[0.0] * 6`` (or ``6 * [0.0]``): the list repeated, while it stays small."""
    if symbol != "*":
        return None
    seq, count = (left, right) if isinstance(left, Seq) else (right, left)
    if not (isinstance(seq, Seq) and isinstance(count, Const)):
        return None
    n = count.value
    if isinstance(n, bool) or not isinstance(n, int):
        return None
    if len(seq.items) * max(n, 0) > MAX_REPEATED:
        return UNKNOWN
    return Seq(seq.items * max(n, 0), seq.is_tuple)


def _len(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    if len(args.positional) != 1:
        return paths.call(engine, node, name, args, env)
    sized = args.positional[0]
    if isinstance(sized, Seq):
        return Const(len(sized.items))
    if isinstance(sized, DictLit) and sized.items is not None:
        return Const(len(sized.items))
    return UNKNOWN
