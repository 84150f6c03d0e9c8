"""Every spelling of a dtype in source code, mapped to TensorFlow's dtype names."""

from __future__ import annotations

from sm_lint.analysis.values import AbstractValue, Const, DType, QualName

_CANONICAL = {
    "float16": "float16",
    "half": "float16",
    "f2": "float16",
    "bfloat16": "bfloat16",
    "float32": "float32",
    "single": "float32",
    "f4": "float32",
    "float": "float32",
    "float64": "float64",
    "double": "float64",
    "f8": "float64",
    "float_": "float64",
    "longdouble": None,
    "int8": "int8",
    "i1": "int8",
    "byte": "int8",
    "int16": "int16",
    "i2": "int16",
    "short": "int16",
    "int32": "int32",
    "i4": "int32",
    "intc": "int32",
    "int64": "int64",
    "i8": "int64",
    "int_": "int64",
    "intp": "int64",
    "long": "int64",
    "longlong": "int64",
    "uint8": "uint8",
    "u1": "uint8",
    "ubyte": "uint8",
    "uint16": "uint16",
    "u2": "uint16",
    "ushort": "uint16",
    "uint32": "uint32",
    "u4": "uint32",
    "uintc": "uint32",
    "uint64": "uint64",
    "u8": "uint64",
    "uint": "uint64",
    "ulonglong": "uint64",
    "bool": "bool",
    "bool_": "bool",
    "bool8": "bool",
    "?": "bool",
    "complex64": "complex64",
    "csingle": "complex64",
    "c8": "complex64",
    "complex128": "complex128",
    "cdouble": "complex128",
    "c16": "complex128",
    "complex_": "complex128",
    "string": "string",
    "str": "string",
    "str_": "string",
    "bytes": "string",
    "bytes_": "string",
    "unicode_": "string",
    "U": "string",
    "S": "string",
}

# Python builtins used as dtypes mean different things to numpy and to TensorFlow.
_NUMPY_BUILTINS = {
    "float": "float64",
    "int": "int64",
    "bool": "bool",
    "complex": "complex128",
    "str": "string",
    "bytes": "string",
}
_TF_BUILTINS = {
    "float": "float32",
    "int": "int32",
    "bool": "bool",
    "complex": "complex128",
    "str": "string",
    "bytes": "string",
}

_DTYPE_MODULES = ("numpy.", "tensorflow.dtypes.", "tensorflow.", "tensorflow.experimental.numpy.")


def canonical(name: str) -> str | None:
    """The TensorFlow dtype name for a spelling such as ``'f4'`` or ``'<U5'``, if known."""
    text = name.strip().lstrip("<>=|")
    if text[:1] in ("U", "S") and text[1:].isdigit():
        return "string"
    return _CANONICAL.get(text)


def dtype_of(value: AbstractValue, *, numpy: bool) -> str | None:
    """The dtype an argument such as ``dtype=np.float32`` or ``'float32'`` stands for.

    *numpy* says whose defaults apply to the Python builtins (``float`` is float64 to numpy
    and float32 to TensorFlow).
    """
    if isinstance(value, DType):
        return value.name
    if isinstance(value, Const) and isinstance(value.value, str):
        return canonical(value.value)
    if isinstance(value, QualName):
        if value.name.startswith("builtins."):
            table = _NUMPY_BUILTINS if numpy else _TF_BUILTINS
            return table.get(value.name.removeprefix("builtins."))
        return qualified_dtype(value.name)
    return None


def qualified_dtype(name: str) -> str | None:
    """``numpy.float32`` / ``tensorflow.float32`` / ``tensorflow.dtypes.int64`` -> name."""
    for prefix in _DTYPE_MODULES:
        if name.startswith(prefix):
            tail = name[len(prefix) :]
            if "." not in tail:
                if prefix == "numpy." and tail in ("float", "int", "object", "str"):
                    return None  # removed numpy aliases, not dtypes
                return canonical(tail)
    return None
