"""tf.data (analysis/datasets.py): datasets made by name, their methods, ``iter``/``next``
and the elements a ``for`` loop over a dataset binds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis import datasets
from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.library import paths
from sm_lint.analysis.library.numpy import guarded
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import UNKNOWN, AbstractValue

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine


def register(registry: Registry) -> None:
    for name, handler in datasets.FUNCTIONS.items():
        registry.functions[name] = guarded(handler)
    registry.pure_names.update(datasets.FUNCTIONS)
    registry.function("builtins.iter", "builtins.next")(_step)
    registry.methods[datasets.DatasetValue] = _method
    registry.element_of = datasets.element_of


def _step(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    """``iter(dataset)`` and ``next(iterator)``."""
    if not args.positional:
        return paths.call(engine, node, name, args, env)
    first = args.positional[0]
    step = datasets.iterate(first) if name == "builtins.iter" else datasets.element_of(first)
    return step if step is not None else UNKNOWN


def _method(
    engine: Engine,
    node: cst.Call,
    receiver: datasets.DatasetValue,
    name: str,
    args: CallArgs,
    env: Env,
) -> AbstractValue:
    # ``dataset.map(f)``: f is called with the element (a user function is followed).
    return datasets.method(
        receiver,
        name,
        args,
        lambda f, items: engine.call_value(f, items, env, engine.span(node)),
    )
