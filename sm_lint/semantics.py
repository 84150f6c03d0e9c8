"""How TensorFlow binds a Python value to a signature input: the one source of truth.

Every verdict here was measured by calling real loaded signatures (tensorflow 2.21);
tests/test_semantics_oracle.py re-measures each table row with real TensorFlow, so a
release that changes one is caught. Both the static analyzer and the runtime checker
decide through these functions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from sm_lint.models.types import Shape, format_shape


class Kind(str, enum.Enum):
    """What a value passed to a signature is."""

    TENSOR = "tensor"
    NDARRAY = "ndarray"  # numpy arrays and numpy scalars
    LIST = "list"  # Python lists and tuples
    SCALAR = "scalar"  # Python int, float, bool
    STRING = "string"  # Python str and bytes
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Value:
    """An abstract argument: what is known of its kind, dtype and shape (None: unknown).

    For lists and Python scalars ``dtype`` is the Python element type ("bool", "int",
    "float", "str") since TensorFlow converts those by element type, not by a dtype.
    """

    kind: Kind = Kind.UNKNOWN
    dtype: str | None = None
    shape: Shape = None
    #: A Python list whose rows differ in length: TensorFlow converts it to nothing.
    ragged: bool = False
    #: A tf.Variable: binds by keyword like a tensor, but never positionally.
    variable: bool = False
    #: For numpy string arrays: whether every string is a numeral (None: not known).
    numerals: bool | None = None

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)


UNKNOWN = Value()

FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})
COMPLEX = frozenset({"complex64", "complex128"})
SIGNED = frozenset({"int8", "int16", "int32", "int64"})
UNSIGNED = frozenset({"uint8", "uint16", "uint32", "uint64"})
INTEGERS = SIGNED | UNSIGNED
NUMERIC = FLOATS | COMPLEX | INTEGERS | {"bool"}
_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "uint8": 8, "uint16": 16}
_BITS.update({"uint32": 32, "uint64": 64})

# Python element type -> the input dtypes TensorFlow converts it to (measured; the bool row
# is irregular in TensorFlow itself).
PYTHON_ACCEPTS: dict[str, frozenset[str]] = {
    "bool": frozenset({"float16", "float32", "float64", "int32", "int64", "uint64", "bool"}),
    # A list mixing bools and ints: like bools, but not into a bool input.
    "boolint": frozenset({"float16", "float32", "float64", "int32", "int64", "uint64"}),
    "none": frozenset(),
    "int": frozenset(FLOATS | COMPLEX | INTEGERS),
    "float": frozenset(FLOATS | COMPLEX),
    "str": frozenset({"string"}),
}

#: The dtype TensorFlow gives a Python element type when no dtype is asked for.
PYTHON_DEFAULT_DTYPE = {
    "bool": "bool",
    "boolint": "int32",
    "int": "int32",
    "float": "float32",
    "str": "string",
}


class Verdict(str, enum.Enum):
    OK = "ok"
    LOSSY = "lossy"  # accepted, converted with loss
    REJECTED = "rejected"  # TensorFlow raises
    UNKNOWN = "unknown"  # not enough is known to say


def dtype_verdict(value: Value, target: str) -> Verdict:
    """Whether TensorFlow accepts *value*'s dtype for an input of dtype *target*."""
    if value.dtype is None or value.kind is Kind.UNKNOWN:
        return Verdict.UNKNOWN
    if value.kind is Kind.TENSOR:
        return Verdict.OK if value.dtype == target else Verdict.REJECTED
    if value.kind in (Kind.LIST, Kind.SCALAR, Kind.STRING):
        accepts = PYTHON_ACCEPTS.get(value.dtype)
        if accepts is None:
            return Verdict.UNKNOWN
        return Verdict.OK if target in accepts else Verdict.REJECTED
    return _numpy_verdict(value.dtype, target, value.numerals)


def _numpy_verdict(source: str, target: str, numerals: bool | None = None) -> Verdict:
    if source == target:
        return Verdict.OK
    if source == "string":
        # numpy str arrays convert to strings, to bool (truthiness), and to numbers exactly
        # when every string is a numeral, which the analysis cannot know.
        if target == "string":
            return Verdict.OK
        if target == "bool":
            return Verdict.LOSSY
        if target == "bfloat16" or numerals is False:
            return Verdict.REJECTED
        return Verdict.OK if numerals else Verdict.UNKNOWN
    if source not in NUMERIC or target not in NUMERIC:
        return Verdict.REJECTED if target == "string" and source in NUMERIC else Verdict.UNKNOWN
    return Verdict.LOSSY if is_lossy_cast(source, target) else Verdict.OK


def is_lossy_cast(source: str, target: str) -> bool:
    """True for the silent numpy casts that lose values.

    Float or complex into integers or bool, any number into bool, signed into unsigned,
    and integer narrowing to 8 or 16 bits. Float narrowing (float64 into float32) and
    int64 into int32 are not flagged: they are what most code passes on purpose.
    """
    if target == "bool":
        return source != "bool"
    if source in FLOATS | COMPLEX and target in INTEGERS:
        return True
    if source in COMPLEX and target in FLOATS:
        return True
    if source in SIGNED and target in UNSIGNED:
        return True
    if source in INTEGERS and target in INTEGERS:
        return _BITS[target] <= 16 and _BITS[target] < _BITS[source]
    return False


class ShapeProblem(str, enum.Enum):
    RANK = "rank"
    DIMENSION = "dimension"


@dataclass(frozen=True)
class ShapeMismatch:
    problem: ShapeProblem
    #: The 0-based dimension that differs, for DIMENSION problems.
    axis: int | None = None


def shape_mismatch(actual: Shape, expected: Shape) -> ShapeMismatch | None:
    """How *actual* contradicts *expected*, or None where they are compatible or unknown."""
    if actual is None or expected is None:
        return None
    if len(actual) != len(expected):
        return ShapeMismatch(ShapeProblem.RANK)
    for axis, (got, want) in enumerate(zip(actual, expected, strict=True)):
        if got is not None and want is not None and got != want:
            return ShapeMismatch(ShapeProblem.DIMENSION, axis)
    return None


def binds_positionally(
    value: Value, input_count: int, positional_count: int, tf2: bool
) -> bool | None:
    """Whether a TF2/TF1 signature call accepts *positional_count* positional arguments.

    TF2 signature functions accept exactly one positional argument, and only a tf.Tensor,
    when the signature has exactly one input. TF1 models bind positional arguments of any
    kind in sorted input-name order. None when the value's kind is unknown.
    """
    if not tf2:
        return positional_count <= input_count
    if positional_count != 1 or input_count != 1 or value.variable:
        return False
    if value.kind is Kind.UNKNOWN:
        return None
    return value.kind is Kind.TENSOR


def through_keras_layer(value: Value) -> Value | None:
    """What a TFSMLayer passes on to its endpoint for *value* (measured): Keras casts float
    arrays and tensors to the layer's float32 compute dtype and hands them over positionally;
    other dtypes pass unchanged. None where TensorFlow rejects the value (lists and Python
    scalars: "Only input tensors may be passed as positional arguments")."""
    if value.kind in (Kind.LIST, Kind.SCALAR, Kind.STRING):
        return None
    if value.kind is Kind.UNKNOWN:
        return value
    dtype = "float32" if value.dtype in FLOATS else value.dtype
    return Value(Kind.TENSOR, dtype, value.shape)


def sanitized_names(name: str) -> set[str]:
    """The keyword spellings TensorFlow also accepts for an input name that is not a Python
    identifier (measured: ``x:0`` binds as ``x_0``, ``my/y`` as ``my_y``)."""
    if not name or name.isidentifier():
        return set()
    out = set()
    for text in (name, name.lower()):
        swapped = "".join(c if c.isalnum() else "_" for c in text)
        out.add(swapped if swapped[0].isalpha() else f"arg_{swapped}")
    return out


def accepted_keywords(inputs: Mapping[str, object]) -> dict[str, str]:
    """Keyword -> input name, for every spelling a signature call accepts."""
    names = {name: name for name in inputs}
    for name in inputs:
        for alias in sanitized_names(name):
            names.setdefault(alias, name)
    return names


_ELEMENT_WORDS = {
    "bool": "bool",
    "boolint": "bool/int",
    "int": "int",
    "float": "float",
    "str": "str",
}
_KIND_WORDS = {
    Kind.TENSOR: "tf.Tensor",
    Kind.NDARRAY: "numpy array",
    Kind.LIST: "list",
    Kind.SCALAR: "scalar",
    Kind.STRING: "string",
    Kind.UNKNOWN: "value",
}


def describe(value: Value) -> str:
    """``float64 numpy array (64, 5)`` style, leaving out what is unknown."""
    if value.dtype == "none":
        return "None"
    parts = []
    if value.dtype is not None:
        if value.kind in (Kind.TENSOR, Kind.NDARRAY):
            parts.append(value.dtype)
        else:
            parts.append(f"Python {_ELEMENT_WORDS.get(value.dtype, value.dtype)}")
    parts.append("tf.Variable" if value.variable else _KIND_WORDS[value.kind])
    if value.ragged:
        parts.append("(ragged)")
    elif value.shape is not None:
        parts.append(format_shape(value.shape))
    return " ".join(parts)


# TF Serving's JSON decoder (tensorflow_serving/util/json_tensor.cc, AddValueToTensor and
# FillTensorProto): which JSON leaf types an input of each dtype takes. rapidjson's IsInt /
# IsInt64 / IsUint / IsUint64 are true only for integer literals, so a JSON ``1.0`` is
# rejected by every integer input; IsNumber (float, double) takes integers and fractions;
# bool takes only true/false; string takes a string or a ``{"b64": ...}`` object. Other
# dtypes (half, bfloat16, complex) are not decoded at all ("Unimplemented").
JSON_ACCEPTS: dict[str, frozenset[str]] = {
    "float32": frozenset({"int", "float"}),
    "float64": frozenset({"int", "float"}),
    "int8": frozenset({"int"}),
    "int16": frozenset({"int"}),
    "int32": frozenset({"int"}),
    "uint8": frozenset({"int"}),
    "int64": frozenset({"int"}),
    "uint32": frozenset({"int"}),
    "uint64": frozenset({"int"}),
    "bool": frozenset({"bool"}),
    "string": frozenset({"string", "b64"}),
}

JSON_WORDS = {
    "int": "JSON integer",
    "float": "JSON number with a fraction",
    "bool": "JSON boolean",
    "string": "JSON string",
    "b64": '{"b64": ...} object',
    "null": "JSON null",
    "object": "JSON object",
}


def json_verdict(leaves: frozenset[str], target: str) -> Verdict:
    """Whether TF Serving's JSON decoder takes leaves of the JSON types *leaves* into an
    input of dtype *target* (only the types known; an empty set: nothing known)."""
    accepts = JSON_ACCEPTS.get(target)
    if not leaves:
        return Verdict.UNKNOWN
    if accepts is None:
        return Verdict.UNKNOWN if target not in NUMERIC else Verdict.REJECTED
    return Verdict.OK if leaves <= accepts else Verdict.REJECTED
