"""SavedModel reading and discovery, without importing TensorFlow."""

from sm_lint.models.discovery import discover_models
from sm_lint.models.reader import clear_cache, read_signatures, resolve_model_dir
from sm_lint.models.types import (
    ModelReadError,
    ModelSignatures,
    Shape,
    Signature,
    TensorSpec,
    format_shape,
)

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
