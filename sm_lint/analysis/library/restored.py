"""Restored functions: calls of the object ``tf.saved_model.load`` / ``hub.load`` return
(``detect_fn(x)``, ``loaded(x, training=False)``) and of its functions and its children's
(``loaded.f(x)``, ``loaded.encoder.embed(x)``). Each is recorded as a call with its function
path and the structure of every argument (lists, tuples and dicts of values, Python
constants), which the rules match against the traced concrete functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis import paths
from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.library import models
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.loaders import restored_loaders
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    ModelRef,
    RestoredFn,
    SignatureFn,
)

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

_RESTORED = frozenset(restored_loaders())
#: Attributes of a restored object or function that are not restored functions.
_NOT_FUNCTIONS = frozenset(
    {
        "signatures",
        "prune",
        "get_concrete_function",
        "concrete_functions",
        "python_function",
        "function_spec",
        "input_signature",
        "variables",
        "trainable_variables",
        "non_trainable_variables",
        "graph",
        "tensorflow_version",
        "tensorflow_git_version",
        "initializer",
        "asset_paths",
        "submodules",
        "name_scope",
        "with_name_scope",
        # A restored variable's (``loaded.v.numpy()``) and a tensor's own methods.
        "numpy",
        "assign",
        "assign_add",
        "assign_sub",
        "read_value",
        "value",
        "shape",
        "dtype",
    }
)


def register(registry: Registry) -> None:
    registry.value_calls[ModelRef] = _call
    registry.value_calls[RestoredFn] = _call
    registry.attributes[RestoredFn] = _attribute
    registry.methods[ModelRef] = _method
    registry.methods[RestoredFn] = _method
    registry.pure_types.append(RestoredFn)
    registry.never_none.append(RestoredFn)


def attribute(base: ModelRef, attr: str) -> AbstractValue:
    """``loaded.<attr>`` other than ``signatures``: a path into the object graph."""
    return UNKNOWN if attr in _NOT_FUNCTIONS else RestoredFn(base.load_id, attr)


def _attribute(base: RestoredFn, attr: str) -> AbstractValue:
    return UNKNOWN if attr in _NOT_FUNCTIONS else RestoredFn(base.load_id, f"{base.path}.{attr}")


def _call(
    engine: Engine,
    node: cst.Call,
    func: ModelRef | RestoredFn,
    args: CallArgs,
    opaque: bool,
    env: Env,
    held: bool,
) -> AbstractValue | None:
    """``loaded(x)`` (the object's own ``__call__``), ``loaded.f(x)``,
    ``loaded.encoder.embed(x)``; not for a model an instance holds."""
    if held or engine.state.loader(func.load_id) not in _RESTORED:
        return None
    path = func.path if isinstance(func, RestoredFn) else models.CALL_KEY
    fn = SignatureFn(func.load_id, path, function=path)
    return models.signature_call(engine, node, fn, env, opaque)


def _method(
    engine: Engine,
    node: cst.Call,
    receiver: AbstractValue,
    name: str,
    args: CallArgs,
    env: Env,
) -> AbstractValue:
    """``loaded.f(x)``, ``loaded.encoder.embed(x)``: the function at that path, called."""
    assert isinstance(receiver, (ModelRef, RestoredFn))
    func = (
        attribute(receiver, name) if isinstance(receiver, ModelRef) else _attribute(receiver, name)
    )
    if not isinstance(func, RestoredFn):
        return paths.method(receiver, name, args)
    opaque = any(arg.star for arg in node.args)
    result = _call(engine, node, func, args, opaque, env, False)
    return UNKNOWN if result is None else result
