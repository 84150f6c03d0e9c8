"""PIL (Pillow) images: ``Image.open``, ``.convert(mode)``, ``.resize((w, h))`` and the
array ``np.array(img)`` / ``np.asarray(img)`` makes of one.

Measured with Pillow 13 and numpy 2 (tests/test_pipelines_oracle.py re-measures each): the
array's dtype and channels follow the image's mode (RGB: uint8 (h, w, 3), L and P: uint8
(h, w), ...). ``Image.open`` reads the mode from the file (16-bit PNGs are ``I;16``, TIFFs
may be ``F``): its array's dtype and rank are unknown until a ``convert``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.dtypes import dtype_of
from sm_lint.analysis.engine.hooks import FunctionHook, Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import env_key
from sm_lint.analysis.literals import CallArgs, int_const
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Array, Const, Seq
from sm_lint.semantics import Kind, Value

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

#: A mode's array: its dtype and its channels (None: a 2-D array).
MODES: dict[str, tuple[str, int | None]] = {
    "RGB": ("uint8", 3),
    "RGBA": ("uint8", 4),
    "L": ("uint8", None),
    "P": ("uint8", None),
    "1": ("bool", None),
    "I": ("int32", None),
    "F": ("float32", None),
}

#: Methods that return a new image of the same mode and size.
_SAME = frozenset({"copy", "filter"})


@dataclass(frozen=True)
class PilImage(AbstractValue):
    """A PIL image: its mode and channels (*bands*) where known, and its height and width."""

    mode: str | None = None
    bands: int | None = None
    height: int | None = None
    width: int | None = None

    def array(self, dtype: str | None = None) -> Value:
        """What ``np.array(image)`` makes of it (``dtype=`` given: that dtype)."""
        known = MODES.get(self.mode) if self.mode is not None else None
        if known is None:
            return Value(Kind.NDARRAY, dtype, None)
        mode_dtype, channels = known
        size = (self.height, self.width)
        return Value(
            Kind.NDARRAY, dtype or mode_dtype, size if channels is None else (*size, channels)
        )


def with_mode(mode: str | None, height: int | None = None, width: int | None = None) -> PilImage:
    """An image of *mode* (its channels from the mode table)."""
    known = MODES.get(mode) if mode is not None else None
    bands = None if known is None else (known[1] or 1)
    return PilImage(mode if known is not None else None, bands, height, width)


def size_of(value: AbstractValue) -> tuple[int | None, int | None] | None:
    """PIL's ``(width, height)`` argument as (height, width); None when it is not a pair."""
    if isinstance(value, Seq) and len(value.items) == 2:
        width, height = (int_const(item) for item in value.items)
        return height, width
    return None


def register(registry: Registry) -> None:
    registry.functions["PIL.Image.open"] = _open
    registry.methods[PilImage] = _method
    registry.entered[PilImage] = lambda image: image  # with Image.open(p) as img
    registry.never_none.append(PilImage)
    for name in ("numpy.array", "numpy.asarray"):
        registry.functions[name] = _to_array(registry.functions[name])


def _open(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    return PilImage()


def _method(
    engine: Engine, node: cst.Call, receiver: PilImage, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    if name == "convert" and args.has(0, "mode"):
        mode = args.get(0, "mode")
        if isinstance(mode, Const) and isinstance(mode.value, str):
            return with_mode(mode.value, receiver.height, receiver.width)
        return PilImage(None, None, receiver.height, receiver.width)
    if name == "resize" and args.has(0, "size"):
        size = size_of(args.get(0, "size")) or (None, None)
        return PilImage(receiver.mode, receiver.bands, *size)
    if name in _SAME:
        return receiver
    # thumbnail, putalpha, draft, paste...: the image may have changed in place.
    if isinstance(node.func, cst.Attribute):
        key = env_key(node.func.value)
        if key is not None and key in env:
            env[key] = PilImage()
    return UNKNOWN


def _to_array(numpy_hook: FunctionHook) -> FunctionHook:
    """``np.array(image)`` / ``np.asarray(image)``; numpy's own hook for anything else."""

    def hook(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
        image = args.get(0, "object" if name == "numpy.array" else "a")
        if not isinstance(image, PilImage):
            return numpy_hook(engine, node, name, args, env)
        dtype = dtype_of(args.get(1, "dtype"), numpy=True) if args.has(1, "dtype") else None
        if args.has(1, "dtype") and dtype is None:
            return Array(Value(Kind.NDARRAY))
        return Array(image.array(dtype))

    return hook
