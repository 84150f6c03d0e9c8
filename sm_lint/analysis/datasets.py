"""``tf.data`` pipelines: the element a Dataset yields (its element spec), through
``from_tensor_slices`` / ``from_tensors``, ``batch``, ``unbatch``, ``map`` of a known
function and the methods that keep elements as they are.

Elements are tensors (as ``tf.convert_to_tensor`` makes them), a tuple of elements, or
unknown; a dimension that varies between elements (the last, smaller batch) is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sm_lint.analysis.literals import CallArgs, as_array, int_const
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Array, Const, Seq
from sm_lint.semantics import Kind, Value


@dataclass(frozen=True)
class DatasetValue(AbstractValue):
    """A ``tf.data.Dataset`` whose element is *element*."""

    element: AbstractValue


@dataclass(frozen=True)
class IteratorValue(AbstractValue):
    """``iter(dataset)`` or ``dataset.as_numpy_iterator()``: yields *element*."""

    element: AbstractValue


#: Methods whose result yields the same elements.
_SAME_ELEMENTS = frozenset(
    {"shuffle", "prefetch", "repeat", "cache", "take", "skip", "with_options", "shard"}
)
#: ``(function, elements) -> what it returns``: the interpreter calls a user function.
CallFunction = Callable[[AbstractValue, list[AbstractValue]], AbstractValue]


def _tensor(value: AbstractValue) -> AbstractValue:
    """A component as tf.data stores it: converted to a tensor (tuples stay structure)."""
    if isinstance(value, Seq) and value.is_tuple:
        return Seq(tuple(_tensor(item) for item in value.items), is_tuple=True)
    converted = as_array(value, numpy=False)
    if converted.dtype is None and converted.shape is None:
        return UNKNOWN
    return Array(converted)


def _map_leaves(value: AbstractValue, leaf: Callable[[Value], Value | None]) -> AbstractValue:
    if isinstance(value, Seq) and value.is_tuple:
        return Seq(tuple(_map_leaves(item, leaf) for item in value.items), is_tuple=True)
    if isinstance(value, Array):
        result = leaf(value.value)
        return Array(result) if result is not None else UNKNOWN
    return UNKNOWN


def _slice(value: Value) -> Value | None:
    if value.shape is None or not value.shape:
        return Value(Kind.TENSOR, value.dtype, None) if value.dtype is not None else None
    return Value(Kind.TENSOR, value.dtype, value.shape[1:])


def from_tensor_slices(args: CallArgs) -> AbstractValue:
    return DatasetValue(_map_leaves(_tensor(args.get(0, "tensors")), _slice))


def from_tensors(args: CallArgs) -> AbstractValue:
    return DatasetValue(_tensor(args.get(0, "tensors")))


FUNCTIONS: dict[str, Callable[[CallArgs], AbstractValue]] = {
    "tensorflow.data.Dataset.from_tensor_slices": from_tensor_slices,
    "tensorflow.data.Dataset.from_tensors": from_tensors,
}


def method(
    dataset: DatasetValue, name: str, args: CallArgs, call_function: CallFunction
) -> AbstractValue:
    """What ``dataset.name(*args)`` returns."""
    element = dataset.element
    if name in _SAME_ELEMENTS:
        return dataset
    if name == "batch":
        size = int_const(args.get(0, "batch_size"))
        drop = args.get(1, "drop_remainder")
        fixed = size if isinstance(drop, Const) and drop.value is True else None

        def batched(v: Value) -> Value:
            return Value(Kind.TENSOR, v.dtype, None if v.shape is None else (fixed, *v.shape))

        return DatasetValue(_map_leaves(element, batched))
    if name == "unbatch":
        return DatasetValue(_map_leaves(element, _slice))
    if name == "map":
        function = args.get(0, "map_func")
        items = list(element.items) if isinstance(element, Seq) else [element]
        return DatasetValue(_tensor(call_function(function, items)))
    if name == "as_numpy_iterator":
        return IteratorValue(_map_leaves(element, lambda v: Value(Kind.NDARRAY, v.dtype, v.shape)))
    return UNKNOWN


def iterate(value: AbstractValue) -> AbstractValue | None:
    """``iter(value)``: an iterator over a dataset's elements (None: not a dataset)."""
    if isinstance(value, DatasetValue):
        return IteratorValue(value.element)
    if isinstance(value, IteratorValue):
        return value
    return None


def element_of(value: AbstractValue) -> AbstractValue | None:
    """What ``for x in value`` / ``next(value)`` binds (None: not a dataset or iterator)."""
    if isinstance(value, (DatasetValue, IteratorValue)):
        return value.element
    return None
