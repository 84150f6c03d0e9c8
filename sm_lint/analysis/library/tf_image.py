"""tf.io and tf.image: reading files, decoding images, resizing and converting them.

Measured with tensorflow 2.21 (tests/test_pipelines_oracle.py re-measures each):

- ``tf.io.read_file(path)``: a string scalar tensor;
- ``decode_png`` / ``decode_jpeg``: uint8 (``dtype=`` for png), rank 3, the channels those of
  ``channels=`` (0 or absent: the file's, unknown); ``decode_image`` gives rank 4 for an
  animated GIF unless ``expand_animations=False``: its rank is unknown otherwise;
- ``tf.image.resize(images, size)``: the batch and channels kept, height and width from
  *size* (not with ``preserve_aspect_ratio``); float32 whatever the input's dtype, except
  with the nearest-neighbour method, which keeps the input's dtype;
- ``tf.image.convert_image_dtype(image, dtype)``: *dtype*, the shape kept.
"""

from __future__ import annotations

from sm_lint.analysis.arrays import Handler
from sm_lint.analysis.dtypes import dtype_of
from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.library.numpy import guarded
from sm_lint.analysis.literals import CallArgs, as_array, int_const, shape_arg
from sm_lint.analysis.values import AbstractValue, Array, Const, QualName
from sm_lint.semantics import Kind, Value

TENSOR = Kind.TENSOR

#: tf.image.ResizeMethod's values (the strings ``method=`` also takes).
_METHODS = frozenset(
    {"bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"}
)
_METHOD_NAMES = {
    "BILINEAR": "bilinear",
    "NEAREST_NEIGHBOR": "nearest",
    "BICUBIC": "bicubic",
    "AREA": "area",
    "LANCZOS3": "lanczos3",
    "LANCZOS5": "lanczos5",
    "GAUSSIAN": "gaussian",
    "MITCHELLCUBIC": "mitchellcubic",
}


def _tensor(dtype: str | None, shape: tuple[int | None, ...] | None) -> Array:
    return Array(Value(TENSOR, dtype, shape))


def _read_file(args: CallArgs) -> AbstractValue:
    return _tensor("string", ())


def _decode(dtype_index: int | None, animated: bool) -> Handler:
    """decode_png / decode_jpeg (rank 3) and decode_image (rank 3 or 4: *animated*)."""

    def handler(args: CallArgs) -> AbstractValue:
        channels = int_const(args.get(1, "channels")) if args.has(1, "channels") else 0
        dtype = "uint8"
        if dtype_index is not None and args.has(dtype_index, "dtype"):
            dtype = dtype_of(args.get(dtype_index, "dtype"), numpy=False) or ""
        expand = args.get(4, "expand_animations")
        if animated and not (isinstance(expand, Const) and expand.value is False):
            return _tensor(dtype or None, None)
        return _tensor(dtype or None, (None, None, channels or None))

    return handler


def _method(value: AbstractValue) -> str | None:
    """The resize method a ``method=`` argument names, or None when not known."""
    if isinstance(value, Const) and isinstance(value.value, str) and value.value in _METHODS:
        return value.value
    if isinstance(value, QualName):
        head, _, tail = value.name.rpartition(".")
        if head == "tensorflow.image.ResizeMethod":
            return _METHOD_NAMES.get(tail)
    return None


def _resize(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "images"), numpy=False)
    method = _method(args.get(2, "method")) if args.has(2, "method") else "bilinear"
    # Nearest-neighbour keeps the input's dtype; every other method gives float32.
    dtype = None if method is None else source.dtype if method == "nearest" else "float32"
    size = shape_arg(args.get(1, "size"))
    keep = args.get(3, "preserve_aspect_ratio")
    exact = not args.has(3, "preserve_aspect_ratio") or (
        isinstance(keep, Const) and keep.value is False
    )
    if source.shape is None or len(source.shape) not in (3, 4):
        return _tensor(dtype, None)
    dims = list(source.shape)
    if size is not None and len(size) == 2 and exact:
        dims[-3], dims[-2] = size
    else:
        dims[-3], dims[-2] = None, None
    return _tensor(dtype, tuple(dims))


def _convert_image_dtype(args: CallArgs) -> AbstractValue:
    source = as_array(args.get(0, "image"), numpy=False)
    return _tensor(dtype_of(args.get(1, "dtype"), numpy=False), source.shape)


FUNCTIONS: dict[str, Handler] = {
    "tensorflow.io.read_file": _read_file,
    "tensorflow.io.decode_jpeg": _decode(None, False),
    "tensorflow.image.decode_jpeg": _decode(None, False),
    "tensorflow.io.decode_png": _decode(2, False),
    "tensorflow.image.decode_png": _decode(2, False),
    "tensorflow.io.decode_image": _decode(2, True),
    "tensorflow.image.decode_image": _decode(2, True),
    "tensorflow.image.resize": _resize,
    "tensorflow.image.convert_image_dtype": _convert_image_dtype,
}


def register(registry: Registry) -> None:
    for name, handler in FUNCTIONS.items():
        registry.functions[name] = guarded(handler)
    registry.pure_names.update(FUNCTIONS)
