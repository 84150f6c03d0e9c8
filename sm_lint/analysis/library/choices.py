"""A model loaded in branches (``if a: m = load(A) else: m = load(B)``): a value that is
one of a few models (values.Choice). Its attributes, lookups and calls are each option's;
a call records one call per possible model, grouped by ``alternatives`` (api.py reports a
group's errors only where every possible model rejects the call)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.engine.hooks import Registry, by_type
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    CallResult,
    Choice,
    ModelRef,
    RestoredFn,
    SignatureFn,
    SignaturesRef,
    choose,
    join,
)

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine


#: What a model's attribute, lookup or call may be that is still one per model.
_PARTS = (ModelRef, SignaturesRef, SignatureFn, RestoredFn)


def register(registry: Registry) -> None:
    # The option types' hooks are read when used: every library has registered by then.
    def attribute(base: Choice, attr: str) -> AbstractValue:
        return _each(
            base, lambda o: _hook(registry.attributes, o, registry.attribute_fallback)(o, attr)
        )

    def subscript(
        engine: Engine, node: cst.Subscript, base: Choice, index: AbstractValue
    ) -> AbstractValue:
        if all(isinstance(o, CallResult) for o in base.options):
            # one output of the call of each possible model: each access recorded
            results = [
                registry.subscripts[CallResult](engine, node, o, index) for o in base.options
            ]
            value = results[0]
            for other in results[1:]:
                value = join(value, other)
            return value
        return _grouped(engine, base, lambda o: _subscript(registry, engine, node, o, index))

    def method(
        engine: Engine, node: cst.Call, receiver: Choice, name: str, args: CallArgs, env: Env
    ) -> AbstractValue:
        def one(option: AbstractValue) -> AbstractValue:
            hook = by_type(registry.methods, option) or registry.method_fallback
            assert hook is not None
            return hook(engine, node, option, name, args, env)

        return _grouped(engine, base=receiver, each=one, node=node)

    def call(
        engine: Engine,
        node: cst.Call,
        func: Choice,
        args: CallArgs,
        opaque: bool,
        env: Env,
        held: bool,
    ) -> AbstractValue | None:
        def one(option: AbstractValue) -> AbstractValue:
            hook = by_type(registry.value_calls, option)
            result = hook(engine, node, option, args, opaque, env, held) if hook else None
            return UNKNOWN if result is None else result

        return _grouped(engine, base=func, each=one, node=node)

    registry.attributes[Choice] = attribute
    registry.subscripts[Choice] = subscript
    registry.methods[Choice] = method
    registry.value_calls[Choice] = call
    registry.pure_types.append(Choice)
    registry.never_none.append(Choice)


def _hook(
    table: dict[type, Callable[..., AbstractValue]],
    option: AbstractValue,
    fallback: Callable[..., AbstractValue] | None,
) -> Callable[..., AbstractValue]:
    hook = by_type(table, option) or fallback
    assert hook is not None
    return hook


def _subscript(
    registry: Registry,
    engine: Engine,
    node: cst.Subscript,
    option: AbstractValue,
    index: AbstractValue,
) -> AbstractValue:
    hook = by_type(registry.subscripts, option)
    return hook(engine, node, option, index) if hook is not None else UNKNOWN


def _each(base: Choice, each: Callable[[AbstractValue], AbstractValue]) -> AbstractValue:
    """The choice of what *each* gives for every option; unknown unless every option
    gives a model's part."""
    options = tuple(each(o) for o in base.options)
    if not all(isinstance(o, _PARTS) for o in options):
        return UNKNOWN
    return choose(options)


def _grouped(
    engine: Engine,
    base: Choice,
    each: Callable[[AbstractValue], AbstractValue],
    node: cst.CSTNode | None = None,
) -> AbstractValue:
    """*each* applied to every option, the lookups and calls it records grouped: the calls
    (at *node*) get ids of their own, and each knows its siblings."""
    if node is not None and engine.contextual:
        # One caller's analysis records calls ungrouped: the call on its own has each model.
        return UNKNOWN
    state = engine.state
    lookups_before = len(state.lookups)
    results: list[AbstractValue] = []
    call_ids: list[int] = []
    for i, option in enumerate(base.options):
        state.alternative = i
        try:
            results.append(each(option))
        finally:
            state.alternative = 0
        if node is not None and id(node) + i in state.calls:
            call_ids.append(id(node) + i)
    new = state.lookups[lookups_before:]
    if new:
        loads = tuple(lookup.load_id for lookup in new)
        if len(new) != len(base.options):
            loads += (-1,)  # a model without this lookup: never every model's verdict
        state.lookups[lookups_before:] = [replace(lookup, alternatives=loads) for lookup in new]
    if len(call_ids) == len(base.options):
        for call_id in call_ids:
            state.calls[call_id] = replace(state.calls[call_id], alternatives=tuple(call_ids))
    else:
        # not every model's call was recorded: its verdict cannot be every model's
        for call_id in call_ids:
            state.calls[call_id] = replace(state.calls[call_id], alternatives=(call_id, -1))
    if all(isinstance(r, (CallResult, *_PARTS)) for r in results):
        return choose(tuple(results))
    value = results[0]
    for other in results[1:]:
        value = join(value, other)
    return value
