"""Keras' image utilities: ``keras.utils.load_img`` (a PIL image, library/pil.py) and
``keras.utils.img_to_array``, with their ``keras.preprocessing.image`` and ``tf.keras``
aliases.

Measured with Keras 3 and Pillow 13 (tests/test_pipelines_oracle.py re-measures each):
``load_img`` converts to the ``color_mode``'s mode ("rgb": RGB, "rgba": RGBA; "grayscale"
keeps 16- and 32-bit modes, so only its one channel is known) and resizes to
``target_size`` (height, width; also with ``keep_aspect_ratio``, which crops first);
``img_to_array`` gives an array of rank 3, float32 (Keras'
default floatx) unless ``dtype=``, channels last unless ``data_format="channels_first"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.dtypes import dtype_of
from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.library.pil import PilImage, with_mode
from sm_lint.analysis.literals import CallArgs, shape_arg
from sm_lint.analysis.values import AbstractValue, Array, Const
from sm_lint.semantics import Kind, Value

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

_PLACES = ("keras.utils", "keras.preprocessing.image", "keras.utils.image_utils")
_COLOR_MODES = {"rgb": "RGB", "rgba": "RGBA"}


def register(registry: Registry) -> None:
    for place in _PLACES:
        registry.functions[f"{place}.load_img"] = _load_img
        registry.functions[f"{place}.img_to_array"] = _img_to_array


def _load_img(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    if len(args.positional) > 1 or "grayscale" in args.keywords:
        # tf_keras' load_img takes ``grayscale`` second: positions differ from Keras 3's.
        return PilImage()
    color = args.keywords.get("color_mode", Const("rgb"))
    target = args.keywords.get("target_size", Const(None))
    if isinstance(target, Const) and target.value is None:
        height, width = None, None
    else:
        size = shape_arg(target)
        height, width = size if size is not None and len(size) == 2 else (None, None)
    if not isinstance(color, Const) or not isinstance(color.value, str):
        return PilImage(None, None, height, width)
    if color.value == "grayscale":
        return PilImage(None, 1, height, width)
    return with_mode(_COLOR_MODES.get(color.value), height, width)


def _img_to_array(
    engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    image = args.get(0, "img")
    dtype = dtype_of(args.get(2, "dtype"), numpy=True) if args.has(2, "dtype") else "float32"
    if args.has(2, "dtype") and args.get(2, "dtype") == Const(None):
        dtype = "float32"
    layout = args.get(1, "data_format") if args.has(1, "data_format") else Const(None)
    if not isinstance(image, PilImage) or layout not in (
        Const(None),
        Const("channels_last"),
        Const("channels_first"),
    ):
        return Array(Value(Kind.NDARRAY, dtype, None))
    dims = (image.height, image.width)
    if layout == Const("channels_first"):
        return Array(Value(Kind.NDARRAY, dtype, (image.bands, *dims)))
    return Array(Value(Kind.NDARRAY, dtype, (*dims, image.bands)))
