"""What numpy and TensorFlow constructors and array methods return (kind, dtype, shape)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from sm_lint.analysis.dtypes import dtype_of
from sm_lint.analysis.literals import (
    CallArgs,
    as_array,
    concat_shapes,
    int_const,
    literal,
    number_const,
    shape_arg,
    stack_shapes,
    tensor_list_dtype,
)
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Array,
    Const,
    DType,
    Generator,
    Seq,
    SliceValue,
)
from sm_lint.models.types import Shape
from sm_lint.semantics import Kind, Value

Handler = Callable[[CallArgs], AbstractValue]

ND, TENSOR = Kind.NDARRAY, Kind.TENSOR


def _product(dims: Iterable[int]) -> int:
    total = 1
    for dim in dims:
        total *= dim
    return total


def _array(kind: Kind, dtype: str | None, shape: Shape) -> Array:
    return Array(Value(kind, dtype, shape))


def _value(v: AbstractValue) -> Value | None:
    return v.value if isinstance(v, Array) else None


def _sizes(args: CallArgs) -> Shape:
    """``np.random.rand(64, 5)``: each positional argument is a dimension."""
    dims = [int_const(a) for a in args.positional]
    return tuple(dims)


def _size_kw(args: CallArgs, index: int) -> Shape:
    """A ``size=`` argument (scalar output when absent)."""
    if not args.has(index, "size"):
        return ()
    value = args.get(index, "size")
    if isinstance(value, Const) and value.value is None:
        return ()
    return shape_arg(value)


def _filled(kind: Kind, default: str) -> Handler:
    """np.zeros/ones/empty(shape, dtype) and tf.zeros/ones(shape, dtype)."""

    def handler(args: CallArgs) -> AbstractValue:
        given = args.get(1, "dtype")
        dtype = dtype_of(given, numpy=kind is ND) if args.has(1, "dtype") else default
        return _array(kind, dtype, shape_arg(args.get(0, "shape")))

    return handler


def _full(kind: Kind) -> Handler:
    def handler(args: CallArgs) -> AbstractValue:
        shape = shape_arg(args.get(0, "shape" if kind is ND else "dims"))
        fill = args.get(1, "fill_value" if kind is ND else "value")
        if args.has(2, "dtype"):
            dtype = dtype_of(args.get(2, "dtype"), numpy=kind is ND)
        else:
            dtype = as_array(fill, numpy=kind is ND).dtype
        return _array(kind, dtype, shape)

    return handler


def _like(kind: Kind) -> Handler:
    def handler(args: CallArgs) -> AbstractValue:
        source = as_array(args.get(0, "a" if kind is ND else "input"), numpy=kind is ND)
        dtype = (
            dtype_of(args.get(1, "dtype"), numpy=kind is ND)
            if args.has(1, "dtype")
            else source.dtype
        )
        return _array(kind, dtype, source.shape)

    return handler


def _np_array(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "object"), numpy=True)
    if args.has(1, "dtype"):
        return _array(ND, dtype_of(args.get(1, "dtype"), numpy=True), source.shape)
    return Array(source)


def _np_random_floats(args: CallArgs) -> AbstractValue:
    return _array(ND, "float64", _sizes(args))


def _np_random_size(index: int) -> Handler:
    def handler(args: CallArgs) -> AbstractValue:
        return _array(ND, "float64", _size_kw(args, index))

    return handler


def _np_random_sample(args: CallArgs) -> AbstractValue:
    return _array(ND, "float64", _size_kw(args, 0))


def _np_randint(args: CallArgs) -> AbstractValue:
    dtype = dtype_of(args.get(3, "dtype"), numpy=True) if args.has(3, "dtype") else "int64"
    return _array(ND, dtype, _size_kw(args, 2))


def _arange(kind: Kind) -> Handler:
    def handler(args: CallArgs) -> AbstractValue:
        nums = [number_const(a) for a in args.positional[:3]]
        names = ("start", "stop", "step") if kind is ND else ("start", "limit", "delta")
        for i, name in enumerate(names):
            if name in args.keywords:
                while len(nums) <= i:
                    nums.append(None)
                nums[i] = number_const(args.keywords[name])
        floats = any(
            isinstance(a, Const) and isinstance(a.value, float)
            for a in [*args.positional[:3], *(args.keywords.get(n, UNKNOWN) for n in names)]
        )
        if args.has(3, "dtype"):
            dtype = dtype_of(args.get(3, "dtype"), numpy=kind is ND)
        else:
            dtype = (
                ("float64" if floats else "int64")
                if kind is ND
                else ("float32" if floats else "int32")
            )
        length: int | None = None
        if len(nums) == 1 and nums[0] is not None:
            length = max(0, math.ceil(nums[0]))
        elif len(nums) >= 2 and None not in nums[:2]:
            start, stop = nums[0] or 0.0, nums[1] or 0.0
            step = nums[2] if len(nums) > 2 else 1.0
            if step:
                length = max(0, math.ceil((stop - start) / step))
        return _array(kind, dtype, (length,))

    return handler


def _linspace(args: CallArgs) -> AbstractValue:
    num = int_const(args.get(2, "num")) if args.has(2, "num") else 50
    dtype = dtype_of(args.get(5, "dtype"), numpy=True) if args.has(5, "dtype") else "float64"
    return _array(ND, dtype, (num,))


def _eye(args: CallArgs) -> AbstractValue:
    n = int_const(args.get(0, "N"))
    m = int_const(args.get(1, "M")) if args.has(1, "M") and args.get(1, "M") != Const(None) else n
    dtype = dtype_of(args.get(3, "dtype"), numpy=True) if args.has(3, "dtype") else "float64"
    return _array(ND, dtype, (n, m))


def _items(value: AbstractValue, numpy: bool) -> list[Value] | None:
    if isinstance(value, Seq):
        return [as_array(item, numpy=numpy) for item in value.items]
    return None


def _stack(kind: Kind, axis_default: int = 0) -> Handler:
    def handler(args: CallArgs) -> AbstractValue:
        given = args.get(0, "arrays" if kind is ND else "values")
        items = _items(given, kind is ND)
        axis = int_const(args.get(1, "axis")) if args.has(1, "axis") else axis_default
        if items is None or axis is None:
            return _array(kind, None, None)
        result = stack_shapes(items, axis)
        if result is None:
            return _array(kind, None, None)
        if kind is TENSOR and isinstance(given, Seq):
            return _array(kind, tensor_list_dtype(given.items, result.dtype), result.shape)
        return _array(kind, result.dtype, result.shape)

    return handler


def _concat(kind: Kind, axis_default: int | None = 0) -> Handler:
    def handler(args: CallArgs) -> AbstractValue:
        items = _items(args.get(0, "arrays" if kind is ND else "values"), kind is ND)
        axis = int_const(args.get(1, "axis")) if args.has(1, "axis") else axis_default
        if items is None or axis is None:
            return _array(kind, None, None)
        result = concat_shapes(items, axis)
        return (
            _array(kind, None, None) if result is None else _array(kind, result.dtype, result.shape)
        )

    return handler


def _vstack(args: CallArgs) -> AbstractValue:
    items = _items(args.get(0, "tup"), True)
    if items is None:
        return _array(ND, None, None)
    items = [
        Value(v.kind, v.dtype, (1, *v.shape)) if v.shape is not None and len(v.shape) == 1 else v
        for v in items
    ]
    result = concat_shapes(items, 0)
    return _array(ND, None, None) if result is None else _array(ND, result.dtype, result.shape)


def _hstack(args: CallArgs) -> AbstractValue:
    items = _items(args.get(0, "tup"), True)
    if items is None:
        return _array(ND, None, None)
    axis = 0 if all(v.shape is not None and len(v.shape) == 1 for v in items) else 1
    result = concat_shapes(items, axis)
    return _array(ND, None, None) if result is None else _array(ND, result.dtype, result.shape)


def expand_dims(value: Value, axis: int | None) -> Value:
    if value.shape is None or axis is None:
        return Value(value.kind, value.dtype, None)
    dims = list(value.shape)
    position = axis if axis >= 0 else axis + len(dims) + 1
    if not 0 <= position <= len(dims):
        return Value(value.kind, value.dtype, None)
    dims.insert(position, 1)
    return Value(value.kind, value.dtype, tuple(dims))


def squeeze(value: Value, axis: AbstractValue) -> Value:
    if value.shape is None:
        return value
    if isinstance(axis, Const) and axis.value is None:
        if None in value.shape:
            return Value(value.kind, value.dtype, None)
        return Value(value.kind, value.dtype, tuple(d for d in value.shape if d != 1))
    axes = (
        [int_const(axis)]
        if int_const(axis) is not None
        else [int_const(a) for a in (axis.items if isinstance(axis, Seq) else ())]
    )
    if not axes or None in axes:
        return Value(value.kind, value.dtype, None)
    rank = len(value.shape)
    drop = {a % rank for a in axes if a is not None} if rank else set()
    return Value(
        value.kind, value.dtype, tuple(d for i, d in enumerate(value.shape) if i not in drop)
    )


def reshape(value: Value, shape: Shape, kind: Kind | None = None) -> Value:
    """Reshape with one ``-1`` inferred where the element count is known."""
    kind = kind or value.kind
    if shape is None:
        return Value(kind, value.dtype, None)
    if -1 in shape:
        known: list[int] = [d for d in shape if d is not None and d != -1]
        total = None
        if value.shape is not None and None not in value.shape:
            total = _product(d for d in value.shape if d is not None)
        missing: int | None = None
        if total is not None and None not in shape and shape.count(-1) == 1 and _product(known):
            missing = total // _product(known)
        shape = tuple(missing if d == -1 else d for d in shape)
    return Value(kind, value.dtype, shape)


def transpose(value: Value, axes: AbstractValue = UNKNOWN) -> Value:
    if value.shape is None:
        return value
    if isinstance(axes, Seq):
        order = [int_const(a) for a in axes.items]
        if None in order or sorted(o for o in order if o is not None) != list(
            range(len(value.shape))
        ):
            return Value(value.kind, value.dtype, None)
        return Value(value.kind, value.dtype, tuple(value.shape[o] for o in order if o is not None))
    if axes == UNKNOWN or (isinstance(axes, Const) and axes.value is None):
        return Value(value.kind, value.dtype, tuple(reversed(value.shape)))
    return Value(value.kind, value.dtype, None)


def _unary(
    kind: Kind | None, transform: Callable[[Value, CallArgs], Value], name: str = "a"
) -> Handler:
    def handler(args: CallArgs) -> AbstractValue:
        source = as_array(args.get(0, name), numpy=kind is ND)
        result = transform(source, args)
        return Array(Value(kind or source.kind, result.dtype, result.shape))

    return handler


def _tf_constant(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "value"), numpy=False)
    dtype = (
        dtype_of(args.get(1, "dtype"), numpy=False)
        if args.has(1, "dtype") and args.get(1, "dtype") != Const(None)
        else source.dtype
    )
    shape = source.shape
    if args.has(2, "shape") and args.get(2, "shape") != Const(None):
        shape = shape_arg(args.get(2, "shape"))
    return _array(TENSOR, dtype, shape)


def _tf_convert(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "value"), numpy=False)
    if args.has(1, "dtype") and args.get(1, "dtype") != Const(None):
        return _array(TENSOR, dtype_of(args.get(1, "dtype"), numpy=False), source.shape)
    return Array(source)


def _tf_random(args: CallArgs) -> AbstractValue:
    """tf.random.normal/uniform/truncated_normal(shape, a, b, dtype, ...): dtype is 4th."""
    dtype = dtype_of(args.get(3, "dtype"), numpy=False) if args.has(3, "dtype") else "float32"
    return _array(TENSOR, dtype, shape_arg(args.get(0, "shape")))


def _tf_cast(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "x"), numpy=False)
    return _array(TENSOR, dtype_of(args.get(1, "dtype"), numpy=False), source.shape)


def _tf_range(args: CallArgs) -> AbstractValue:
    return _arange(TENSOR)(args)


def _tf_variable(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "initial_value"), numpy=False)
    dtype = (
        dtype_of(args.get(None, "dtype"), numpy=False) if args.has(None, "dtype") else source.dtype
    )
    return Array(Value(TENSOR, dtype, source.shape, variable=True))


def _np_scalar(dtype: str) -> Handler:
    def handler(args: CallArgs) -> AbstractValue:
        source = args.get(0, None)
        info = literal(source)
        shape = info[1] if info is not None else (() if not args.positional else None)
        return _array(ND, dtype, shape)

    return handler


def _rng(args: CallArgs) -> AbstractValue:
    return Generator()


def _tf_expand(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "input"), numpy=False)
    result = expand_dims(source, int_const(args.get(1, "axis")))
    return _array(TENSOR, result.dtype, result.shape)


def _tf_reshape(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "tensor"), numpy=False)
    result = reshape(source, shape_arg(args.get(1, "shape")), TENSOR)
    return Array(result)


def _tf_squeeze(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "input"), numpy=False)
    return Array(squeeze(source, args.get(1, "axis") if args.has(1, "axis") else Const(None)))


def _tf_transpose(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "a"), numpy=False)
    return Array(transpose(source, args.get(1, "perm")))


FUNCTIONS: dict[str, Handler] = {
    "numpy.random.rand": _np_random_floats,
    "numpy.random.randn": _np_random_floats,
    "numpy.random.random": _np_random_sample,
    "numpy.random.random_sample": _np_random_sample,
    "numpy.random.ranf": _np_random_sample,
    "numpy.random.sample": _np_random_sample,
    "numpy.random.uniform": _np_random_size(2),
    "numpy.random.normal": _np_random_size(2),
    "numpy.random.standard_normal": _np_random_size(0),
    "numpy.random.randint": _np_randint,
    "numpy.random.default_rng": _rng,
    "numpy.zeros": _filled(ND, "float64"),
    "numpy.ones": _filled(ND, "float64"),
    "numpy.empty": _filled(ND, "float64"),
    "numpy.full": _full(ND),
    "numpy.zeros_like": _like(ND),
    "numpy.ones_like": _like(ND),
    "numpy.empty_like": _like(ND),
    "numpy.full_like": _like(ND),
    "numpy.array": _np_array,
    "numpy.asarray": _np_array,
    "numpy.ascontiguousarray": _np_array,
    "numpy.arange": _arange(ND),
    "numpy.linspace": _linspace,
    "numpy.eye": _eye,
    "numpy.identity": _eye,
    "numpy.stack": _stack(ND),
    "numpy.concatenate": _concat(ND),
    "numpy.vstack": _vstack,
    "numpy.row_stack": _vstack,
    "numpy.hstack": _hstack,
    "numpy.expand_dims": _unary(ND, lambda v, a: expand_dims(v, int_const(a.get(1, "axis")))),
    "numpy.squeeze": _unary(
        ND, lambda v, a: squeeze(v, a.get(1, "axis") if a.has(1, "axis") else Const(None))
    ),
    "numpy.reshape": _unary(
        ND,
        lambda v, a: reshape(
            v, shape_arg(a.get(1, "newshape") if a.has(1, "newshape") else a.get(1, "shape"))
        ),
    ),
    "numpy.transpose": _unary(ND, lambda v, a: transpose(v, a.get(1, "axes"))),
    "tensorflow.constant": _tf_constant,
    "tensorflow.convert_to_tensor": _tf_convert,
    "tensorflow.zeros": _filled(TENSOR, "float32"),
    "tensorflow.ones": _filled(TENSOR, "float32"),
    "tensorflow.fill": _full(TENSOR),
    "tensorflow.zeros_like": _like(TENSOR),
    "tensorflow.ones_like": _like(TENSOR),
    "tensorflow.random.normal": _tf_random,
    "tensorflow.random.uniform": _tf_random,
    "tensorflow.random.truncated_normal": _tf_random,
    "tensorflow.cast": _tf_cast,
    "tensorflow.dtypes.cast": _tf_cast,
    "tensorflow.expand_dims": _tf_expand,
    "tensorflow.reshape": _tf_reshape,
    "tensorflow.squeeze": _tf_squeeze,
    "tensorflow.transpose": _tf_transpose,
    "tensorflow.stack": _stack(TENSOR),
    "tensorflow.concat": _concat(TENSOR, None),
    "tensorflow.range": _tf_range,
    "tensorflow.Variable": _tf_variable,
}


def dtype_call(dtype: str, args: CallArgs) -> AbstractValue:
    """Calling a dtype: ``np.float32(1.5)`` makes a numpy scalar (or array, from a list)."""
    return _np_scalar(dtype)(args)


def _np_dtype(args: CallArgs) -> AbstractValue:
    name = dtype_of(args.get(0, "dtype"), numpy=True)
    return DType(name) if name is not None else UNKNOWN


FUNCTIONS["numpy.dtype"] = _np_dtype


def generator_method(name: str, args: CallArgs) -> AbstractValue:
    """``rng.random(...)``, ``rng.normal(...)``, ``rng.integers(...)`` on a numpy Generator."""
    if name in ("random", "standard_normal"):
        return _array(ND, "float64", _size_kw(args, 0))
    if name in ("normal", "uniform"):
        return _array(ND, "float64", _size_kw(args, 2))
    if name == "integers":
        return _array(ND, "int64", _size_kw(args, 2))
    return UNKNOWN


def array_method(value: Value, name: str, args: CallArgs) -> AbstractValue:
    """``x.astype(...)``, ``x.reshape(...)``, ``x.numpy()`` and friends."""
    numpy = value.kind is ND
    if name == "astype" and numpy:
        return _array(ND, dtype_of(args.get(0, "dtype"), numpy=True), value.shape)
    if name == "reshape" and value.kind in (ND, TENSOR):
        if len(args.positional) > 1:
            shape: Shape = tuple(int_const(a) for a in args.positional)
        else:
            shape = shape_arg(args.get(0, "shape"))
        return Array(reshape(value, shape))
    if name == "numpy" and value.kind is TENSOR:
        return _array(ND, value.dtype, value.shape)
    if name == "transpose":
        axes = Seq(tuple(args.positional)) if len(args.positional) > 1 else args.get(0, "axes")
        return Array(transpose(value, axes))
    if name == "squeeze" and numpy:
        return Array(squeeze(value, args.get(0, "axis") if args.has(0, "axis") else Const(None)))
    if name == "copy" and numpy:
        return Array(value)
    if name == "tolist" and numpy:
        # Nested Python lists of Python numbers (what json.dumps writes as JSON numbers).
        return Array(Value(Kind.LIST, _python_element(value.dtype), value.shape))
    if name == "flatten" and numpy:
        if value.shape is not None and None not in value.shape:
            return _array(ND, value.dtype, (_product(d for d in value.shape if d is not None),))
        return _array(ND, value.dtype, (None,))
    return UNKNOWN


def array_attribute(value: Value, name: str) -> AbstractValue:
    if name == "T" and value.kind in (ND, TENSOR):
        return Array(transpose(value))
    if name == "ndim" and value.kind in (ND, TENSOR) and value.shape is not None:
        return Const(len(value.shape))
    if name == "shape" and value.kind is ND and value.shape is not None:
        # numpy's shape is a tuple of ints (a tensor's is a TensorShape: left unknown).
        return Seq(tuple(Const(d) if d is not None else UNKNOWN for d in value.shape), True)
    return UNKNOWN


def subscript(value: Value, index: AbstractValue) -> AbstractValue:
    """Indexing with integers, constant slices and ``None``/``np.newaxis``."""
    if value.kind not in (ND, TENSOR):
        return UNKNOWN
    parts = index.items if isinstance(index, Seq) and index.is_tuple else (index,)
    if value.shape is None:
        return _array(value.kind, value.dtype, None)
    dims = list(value.shape)
    out: list[int | None] = []
    position = 0
    for part in parts:
        if isinstance(part, Const) and part.value is None:
            out.append(1)
        elif int_const(part) is not None:
            position += 1
        elif isinstance(part, SliceValue):
            if position >= len(dims):
                return _array(value.kind, value.dtype, None)
            out.append(part.length(dims[position]))
            position += 1
        elif isinstance(part, Const) and part.value is Ellipsis:
            rest = len([p for p in parts if isinstance(p, SliceValue) or int_const(p) is not None])
            keep = len(dims) - rest
            out.extend(dims[position : position + keep])
            position += keep
        else:
            return _array(value.kind, value.dtype, None)
    if position > len(dims):
        return _array(value.kind, value.dtype, None)
    out.extend(dims[position:])
    return _array(value.kind, value.dtype, tuple(out))


def _python_element(dtype: str | None) -> str | None:
    """The Python element type ``ndarray.tolist()`` gives for a numpy dtype."""
    if dtype is None:
        return None
    if dtype == "bool":
        return "bool"
    if dtype.startswith(("int", "uint")):
        return "int"
    if dtype.startswith("float"):
        return "float"
    return "str" if dtype == "string" else None
