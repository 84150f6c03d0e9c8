"""SavedModel reading and discovery, without importing TensorFlow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sm_lint.models.types import (
    ModelReadError,
    ModelSignatures,
    Shape,
    Signature,
    TensorSpec,
    format_shape,
)

if TYPE_CHECKING:
    from sm_lint.models.discovery import discover_models
    from sm_lint.models.reader import clear_cache, read_signatures, resolve_model_dir

__all__ = [
    "ModelReadError",
    "ModelSignatures",
    "Shape",
    "Signature",
    "TensorSpec",
    "clear_cache",
    "discover_models",
    "format_shape",
    "read_signatures",
    "resolve_model_dir",
]

_READER = ("clear_cache", "read_signatures", "resolve_model_dir")


def __getattr__(name: str) -> Any:
    # The reader imports protobuf: loaded on first use, so what needs only the types (the
    # rule catalogue, which `sm-lint --version` and a warm run read) stays light.
    if name in _READER:
        from sm_lint.models import reader

        return getattr(reader, name)
    if name == "discover_models":
        from sm_lint.models.discovery import discover_models

        return discover_models
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
