"""numpy and TensorFlow's array functions (analysis/arrays.py, analysis/arith.py): calls by
qualified name, ``np.float32(...)``, array methods, attributes, indexing and arithmetic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis import arith, arrays
from sm_lint.analysis.engine.hooks import FunctionHook, Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Array, DType, Generator
from sm_lint.semantics import Kind, Value

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

#: What a shape computation with odd numbers may raise: the value is then unknown.
FAILURES = (TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError)


def register(registry: Registry) -> None:
    for name, handler in arrays.FUNCTIONS.items():
        registry.functions[name] = guarded(handler)
    registry.pure_names.update(arrays.FUNCTIONS)
    registry.value_calls[DType] = _dtype_call
    registry.pure_types.append(DType)
    registry.methods[Array] = _array_method
    registry.methods[Generator] = _generator_method
    registry.attributes[Array] = lambda base, attr: arrays.array_attribute(base.value, attr)
    registry.subscripts[Array] = lambda engine, node, base, index: arrays.subscript(
        base.value, index
    )
    registry.binary.append(_arithmetic)
    registry.negate = _negate
    registry.never_none.append(Array)


def guarded(handler: arrays.Handler) -> FunctionHook:
    """*handler* as a function hook: what it cannot compute is unknown."""

    def call(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
        try:
            return handler(args)
        except FAILURES:
            return UNKNOWN

    return call


def _dtype_call(
    engine: Engine,
    node: cst.Call,
    func: DType,
    args: CallArgs,
    opaque: bool,
    env: Env,
    held: bool,
) -> AbstractValue | None:
    """``np.float32(1.5)``, ``np.dtype("float32")`` (not a dtype an instance holds)."""
    return None if held else arrays.dtype_call(func.name, args)


def _array_method(
    engine: Engine, node: cst.Call, receiver: Array, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    try:
        return arrays.array_method(receiver.value, name, args)
    except FAILURES:
        return UNKNOWN


def _generator_method(
    engine: Engine, node: cst.Call, receiver: Generator, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    return arrays.generator_method(name, args)


def _arithmetic(symbol: str, left: AbstractValue, right: AbstractValue) -> AbstractValue | None:
    if isinstance(left, Array) or isinstance(right, Array):
        return arith.binary(symbol, left, right)
    return None


def _negate(operand: AbstractValue) -> AbstractValue:
    if (
        isinstance(operand, Array)
        and operand.value.kind in (Kind.NDARRAY, Kind.TENSOR)
        and operand.value.dtype not in (None, "bool")
    ):
        return Array(Value(operand.value.kind, operand.value.dtype, operand.value.shape))
    return UNKNOWN
