"""Arithmetic on arrays and tensors: the result's dtype (NumPy 2 / NEP 50 promotion, and
TensorFlow's convert-to-the-tensor's-dtype rule) and its broadcast shape.

Only what is certain is known: a combination that raises at run time, or whose dtype the
rules below do not settle, gives an unknown dtype (or an unknown value), never a guess.
"""

from __future__ import annotations

from sm_lint.analysis.values import UNKNOWN, AbstractValue, Array, Const
from sm_lint.models.types import Shape
from sm_lint.semantics import Kind, Value

_INTS = {"int8": 1, "int16": 2, "int32": 4, "int64": 8}
_UINTS = {"uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8}
_FLOATS = {"float16": 2, "float32": 4, "float64": 8}
_SIGNED_BY_SIZE = {1: "int8", 2: "int16", 4: "int32", 8: "int64"}
_FLOAT_BY_SIZE = {2: "float16", 4: "float32", 8: "float64"}
#: The smallest float that holds every value of an integer of this many bytes.
_FLOAT_FOR_INT = {1: "float16", 2: "float32", 4: "float64", 8: "float64"}

#: TensorFlow's true division of integer tensors (measured, tensorflow 2.21).
_TF_INT_DIVISION = {
    "int8": "float32",
    "uint8": "float32",
    "int16": "float32",
    "uint16": "float32",
    "int32": "float64",
    "int64": "float64",
}

#: The operators handled; others give an unknown dtype.
OPERATORS = ("+", "-", "*", "/")


def promote(a: str, b: str) -> str | None:
    """numpy's result dtype for two arrays (or numpy scalars) of dtypes *a* and *b*."""
    if a == b:
        return a
    if a == "bool":
        return b if b in _INTS or b in _UINTS or b in _FLOATS else None
    if b == "bool":
        return promote(b, a)
    if a in _FLOATS and b in _FLOATS:
        return _FLOAT_BY_SIZE[max(_FLOATS[a], _FLOATS[b])]
    if a in _FLOATS or b in _FLOATS:
        f, i = (a, b) if a in _FLOATS else (b, a)
        size = _INTS.get(i) or _UINTS.get(i)
        if size is None:
            return None
        return _FLOAT_BY_SIZE[max(_FLOATS[f], _FLOATS[_FLOAT_FOR_INT[size]])]
    if a in _INTS and b in _INTS:
        return _SIGNED_BY_SIZE[max(_INTS[a], _INTS[b])]
    if a in _UINTS and b in _UINTS:
        return max((a, b), key=lambda d: _UINTS[d])
    if a in _UINTS and b in _INTS:
        a, b = b, a
    if a in _INTS and b in _UINTS:
        if _INTS[a] > _UINTS[b]:
            return a
        return "float64" if _UINTS[b] == 8 else _SIGNED_BY_SIZE[_UINTS[b] * 2]
    return None


def promote_weak(array: str, scalar: object) -> str | None:
    """NEP 50: a Python scalar takes the array's dtype, except that a Python int makes a
    bool array int64 and a Python float makes an integer or bool array float64."""
    if isinstance(scalar, bool):
        return array if array == "bool" or array in {**_INTS, **_UINTS, **_FLOATS} else None
    if isinstance(scalar, int):
        if array == "bool":
            return "int64"
        return array if array in _INTS or array in _UINTS or array in _FLOATS else None
    if isinstance(scalar, float):
        if array == "bool" or array in _INTS or array in _UINTS:
            return "float64"
        return array if array in _FLOATS else None
    return None


def broadcast(a: Shape, b: Shape) -> Shape | None:
    """The broadcast shape; ``None`` inside for an unknown dimension. Raises ValueError
    when the shapes cannot broadcast."""
    if a is None or b is None:
        return None
    out: list[int | None] = []
    for i in range(1, max(len(a), len(b)) + 1):
        p = a[-i] if i <= len(a) else 1
        q = b[-i] if i <= len(b) else 1
        if p == q:
            out.append(p)
        elif p == 1:
            out.append(q)
        elif q == 1:
            out.append(p)
        elif p is None or q is None:
            # The unknown one is 1 or equal to the other, else the operation raises.
            out.append(q if p is None else p)
        else:
            raise ValueError(f"cannot broadcast {a} with {b}")
    return tuple(reversed(out))


def _numeric_const(value: AbstractValue) -> object | None:
    if isinstance(value, Const) and isinstance(value.value, (bool, int, float)):
        return value.value
    return None


def binary(op: str, left: AbstractValue, right: AbstractValue) -> AbstractValue:
    """``left op right`` where at least one side is an array or tensor."""
    if op not in OPERATORS:
        return UNKNOWN
    if isinstance(left, Array) and isinstance(right, Array):
        return _arrays(op, left.value, right.value)
    if isinstance(left, Array) and _numeric_const(right) is not None:
        return _with_scalar(op, left.value, _numeric_const(right))
    if isinstance(right, Array) and _numeric_const(left) is not None:
        return _with_scalar(op, right.value, _numeric_const(left))
    return UNKNOWN


def _divided(op: str, dtype: str | None) -> str | None:
    """True division makes integer and bool results float64 (numpy)."""
    if op == "/" and dtype is not None and dtype not in _FLOATS:
        return "float64"
    return dtype


def _fits(number: int, dtype: str) -> bool:
    """*number* converts to an integer tensor of *dtype* (else TensorFlow raises)."""
    bits: int = 8 * (_INTS.get(dtype) or _UINTS[dtype])
    if dtype in _UINTS:
        return 0 <= number < 1 << bits
    return -(1 << (bits - 1)) <= number < 1 << (bits - 1)


def _with_scalar(op: str, array: Value, scalar: object) -> AbstractValue:
    if array.kind is Kind.NDARRAY:
        if array.dtype == "bool" and op == "-" and isinstance(scalar, bool):
            return UNKNOWN  # numpy raises for boolean subtraction
        dtype = promote_weak(array.dtype, scalar) if array.dtype is not None else None
        return Array(Value(Kind.NDARRAY, _divided(op, dtype), array.shape))
    if array.kind is Kind.TENSOR and not array.variable:
        # TensorFlow converts the scalar to the tensor's dtype (a float into an integer
        # tensor raises); integer true division changes the dtype (_TF_INT_DIVISION).
        dtype = array.dtype
        exact = dtype is not None and not isinstance(scalar, bool)
        if (
            op == "/"
            and dtype in _TF_INT_DIVISION
            and exact
            and isinstance(scalar, int)
            and _fits(scalar, dtype)
        ):
            return Array(Value(Kind.TENSOR, _TF_INT_DIVISION[dtype], array.shape))
        if dtype in _INTS or dtype in _UINTS:
            exact = exact and isinstance(scalar, int) and op != "/"
        elif dtype not in _FLOATS:
            exact = False
        return Array(Value(Kind.TENSOR, dtype if exact else None, array.shape))
    return UNKNOWN


def _arrays(op: str, a: Value, b: Value) -> AbstractValue:
    try:
        shape = broadcast(a.shape, b.shape)
    except ValueError:
        return UNKNOWN
    if a.kind is Kind.NDARRAY and b.kind is Kind.NDARRAY:
        dtype = promote(a.dtype, b.dtype) if a.dtype and b.dtype else None
        if dtype == "bool" and op == "-":
            return UNKNOWN
        return Array(Value(Kind.NDARRAY, _divided(op, dtype), shape))
    if a.kind is Kind.TENSOR and b.kind is Kind.TENSOR:
        same = a.dtype is not None and a.dtype == b.dtype
        if same and (a.dtype in _FLOATS or (op != "/" and a.dtype in {**_INTS, **_UINTS})):
            return Array(Value(Kind.TENSOR, a.dtype, shape))
        if same and op == "/" and a.dtype in _TF_INT_DIVISION:
            return Array(Value(Kind.TENSOR, _TF_INT_DIVISION[a.dtype], shape))
        return Array(Value(Kind.TENSOR, None, shape))
    if {a.kind, b.kind} == {Kind.TENSOR, Kind.NDARRAY}:
        # TensorFlow converts the numpy side to the tensor's dtype, in either order
        # (measured: np.float64(0.5) * float32 tensor is float32).
        tensor = a if a.kind is Kind.TENSOR else b
        dtype = tensor.dtype if not tensor.variable else None
        if op == "/" and dtype not in _FLOATS:
            dtype = None
        return Array(Value(Kind.TENSOR, dtype, shape))
    return UNKNOWN
