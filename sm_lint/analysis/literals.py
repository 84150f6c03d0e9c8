"""Turn abstract values into argument facts: literals, shapes and Python element types."""

from __future__ import annotations

from dataclasses import dataclass, field

from sm_lint.analysis.values import UNKNOWN, AbstractValue, Array, Const, Seq
from sm_lint.models.types import Shape
from sm_lint.semantics import PYTHON_DEFAULT_DTYPE, Kind, Value

#: numpy's dtype for a Python element type.
NUMPY_DEFAULT_DTYPE = {
    "bool": "bool",
    "boolint": "int64",
    "int": "int64",
    "float": "float64",
    "str": "string",
}


@dataclass
class CallArgs:
    """The evaluated arguments of a call."""

    positional: list[AbstractValue] = field(default_factory=list)
    keywords: dict[str, AbstractValue] = field(default_factory=dict)

    def get(self, index: int | None, name: str | None) -> AbstractValue:
        if name is not None and name in self.keywords:
            return self.keywords[name]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        return UNKNOWN

    def has(self, index: int | None, name: str | None) -> bool:
        return (name is not None and name in self.keywords) or (
            index is not None and index < len(self.positional)
        )


def python_element_type(value: object) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (str, bytes)):
        return "str"
    return None


def _merge_element_types(types: set[str]) -> str | None:
    if len(types) == 1:
        return next(iter(types))
    if types == {"int", "float"}:
        return "float"
    if types == {"bool", "int"}:
        return "boolint"  # measured: converts like a bool list, except into bool
    return None


def literal(value: AbstractValue) -> tuple[str | None, Shape] | None:
    """(Python element type, shape) of a constant or nested list/tuple of constants.

    None when *value* is not such a literal; a ragged literal has unknown shape.
    """
    if isinstance(value, Const):
        etype = python_element_type(value.value)
        return None if etype is None else (etype, ())
    if not isinstance(value, Seq):
        return None
    if not value.items:
        return (None, (0,))
    parts = [literal(item) for item in value.items]
    if any(p is None for p in parts):
        return None
    types = {p[0] for p in parts if p is not None and p[0] is not None}
    shapes = {p[1] for p in parts if p is not None}
    etype = _merge_element_types(types) if types else None
    if len(shapes) == 1:
        inner = next(iter(shapes))
        shape: Shape = None if inner is None else (len(value.items), *inner)
    else:
        shape = None
    return etype, shape


def as_argument(value: AbstractValue) -> Value:
    """What a value is when passed straight to a signature function."""
    if isinstance(value, Array):
        return value.value
    if isinstance(value, Const):
        if value.value is None:
            return Value(Kind.SCALAR, "none", ())
        etype = python_element_type(value.value)
        if etype == "str":
            return Value(Kind.STRING, "str", ())
        if etype is not None:
            return Value(Kind.SCALAR, etype, ())
        return Value()
    info = literal(value)
    if info is not None:
        return Value(Kind.LIST, info[0], info[1], ragged=_ragged(value))
    if isinstance(value, Seq) and value.items and all(isinstance(i, Array) for i in value.items):
        # A list of arrays converts by stacking; its dtype conversion is not modelled.
        stacked = stack_shapes([as_array(i, numpy=True) for i in value.items], 0)
        return Value(Kind.LIST, None, stacked.shape if stacked is not None else None)
    return Value()


def _ragged(value: AbstractValue) -> bool:
    """True for a nested list literal whose rows have different lengths or depths."""
    if not isinstance(value, Seq) or not value.items:
        return False
    infos = [literal(item) for item in value.items]
    shapes = {info[1] if info is not None else None for info in infos}
    if len(shapes) > 1:
        return True
    return any(_ragged(item) for item in value.items)


#: numpy dtypes a list of numpy arrays keeps when TensorFlow converts it.
_KEPT_IN_LISTS = frozenset({"float16", "float32", "float64", "bool"})


def as_array(value: AbstractValue, *, numpy: bool) -> Value:
    """What ``np.array(value)`` (numpy=True) or ``tf.constant(value)`` makes of *value*."""
    kind = Kind.NDARRAY if numpy else Kind.TENSOR
    if isinstance(value, Array):
        return Value(
            kind,
            value.value.dtype
            if value.value.kind in (Kind.TENSOR, Kind.NDARRAY)
            else _default(value.value.dtype, numpy),
            value.value.shape,
        )
    info = literal(value)
    if info is not None:
        numerals = _numerals(value) if numpy and info[0] == "str" else None
        return Value(kind, _default(info[0], numpy), info[1], numerals=numerals)
    if isinstance(value, Seq):
        stacked = stack_shapes([as_array(item, numpy=numpy) for item in value.items], 0)
        if stacked is not None:
            dtype = stacked.dtype if numpy else tensor_list_dtype(value.items, stacked.dtype)
            return Value(kind, dtype, stacked.shape)
    return Value(kind)


def tensor_list_dtype(items: tuple[AbstractValue, ...], dtype: str | None) -> str | None:
    """The dtype TensorFlow gives a list of arrays (``tf.constant([a, b])``, ``tf.stack``):
    a list of numpy arrays only converts as nested numbers, integer arrays to int32 or int64
    by their values (measured, tensorflow 2.21: uint8 and int64 arrays of zeros give int32);
    a tensor among them keeps the items' dtype."""
    values = [item.value for item in items if isinstance(item, Array)]
    if any(v.kind is Kind.TENSOR for v in values):
        return dtype
    if any(v.kind is Kind.NDARRAY and v.dtype not in _KEPT_IN_LISTS for v in values):
        return None
    return dtype


def _numerals(value: AbstractValue) -> bool | None:
    """Whether every string in a literal parses as a number (numpy converts those)."""
    if isinstance(value, Seq):
        results = [_numerals(item) for item in value.items]
        if False in results:
            return False
        return None if None in results else True
    if isinstance(value, Const) and isinstance(value.value, (str, bytes)):
        try:
            float(value.value)
        except ValueError:
            return False
        return True
    return None


def _default(etype: str | None, numpy: bool) -> str | None:
    if etype is None:
        return None
    return (NUMPY_DEFAULT_DTYPE if numpy else PYTHON_DEFAULT_DTYPE).get(etype)


def stack_shapes(values: list[Value], axis: int) -> Value | None:
    """The dtype and shape of stacking *values* along a new *axis* (None if unknown)."""
    if not values:
        return None
    dtypes = {v.dtype for v in values}
    dtype = next(iter(dtypes)) if len(dtypes) == 1 else None
    shapes = {v.shape for v in values}
    if len(shapes) != 1 or None in shapes:
        return Value(values[0].kind, dtype, None)
    first = values[0].shape
    inner: list[int | None] = list(first or ())
    if axis < 0:
        axis += len(inner) + 1
    if not 0 <= axis <= len(inner):
        return Value(values[0].kind, dtype, None)
    inner.insert(axis, len(values))
    return Value(values[0].kind, dtype, tuple(inner))


def concat_shapes(values: list[Value], axis: int) -> Value | None:
    """The dtype and shape of concatenating *values* along *axis*."""
    if not values:
        return None
    dtypes = {v.dtype for v in values}
    dtype = next(iter(dtypes)) if len(dtypes) == 1 else None
    if any(v.shape is None for v in values):
        return Value(values[0].kind, dtype, None)
    ranks = {len(v.shape or ()) for v in values}
    if len(ranks) != 1:
        return Value(values[0].kind, dtype, None)
    rank = ranks.pop()
    if axis < 0:
        axis += rank
    if not 0 <= axis < rank:
        return Value(values[0].kind, dtype, None)
    out: list[int | None] = []
    for i in range(rank):
        dims = [v.shape[i] for v in values if v.shape is not None]
        if i == axis:
            out.append(None if None in dims else sum(d for d in dims if d is not None))
        else:
            known = {d for d in dims if d is not None}
            out.append(known.pop() if len(known) == 1 else None)
    return Value(values[0].kind, dtype, tuple(out))


def shape_arg(value: AbstractValue) -> Shape:
    """A shape argument such as ``5``, ``(64, 5)`` or ``[None, 3]``; None if unknown."""
    if (
        isinstance(value, Const)
        and isinstance(value.value, int)
        and not isinstance(value.value, bool)
    ):
        return (value.value,)
    if isinstance(value, Seq):
        dims: list[int | None] = []
        for item in value.items:
            if isinstance(item, Const) and (
                item.value is None
                or (isinstance(item.value, int) and not isinstance(item.value, bool))
            ):
                dims.append(item.value if isinstance(item.value, int) else None)
            else:
                dims.append(None)
        return tuple(dims)
    return None


def int_const(value: AbstractValue) -> int | None:
    if (
        isinstance(value, Const)
        and isinstance(value.value, int)
        and not isinstance(value.value, bool)
    ):
        return value.value
    return None


def number_const(value: AbstractValue) -> float | None:
    if (
        isinstance(value, Const)
        and isinstance(value.value, (int, float))
        and not isinstance(value.value, bool)
    ):
        return float(value.value)
    return None
