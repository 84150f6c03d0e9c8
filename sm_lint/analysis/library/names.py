"""How the libraries name things: the aliases of one API (``tf.compat.v2``, ``tf.keras``,
``tf_keras``) mapped to one spelling, and the constants and dtypes known by name."""

from __future__ import annotations

from sm_lint.analysis.dtypes import qualified_dtype
from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.loaders import LOADERS
from sm_lint.analysis.values import AbstractValue, Const, DType, QualName

#: Modules whose spelling says which Keras a loading function is (tf_keras and tf.keras
#: may read SavedModel folders, Keras 3 refuses them): kept as written, with the loader
#: table's functions in them; their other names are Keras' as usual.
_KEPT = frozenset(
    (
        *(
            f"{package}.{module}"
            for package in ("tf_keras", "tensorflow.keras", "tensorflow.python.keras")
            for module in ("models", "saving")
        ),
        *(name for row in LOADERS.values() for name in row.functions),
    )
)

_ALIASES = (
    # The loader table's aliases of its loading functions, exactly.
    *((alias, row.functions[0]) for row in LOADERS.values() for alias in row.aliases),
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.compat.v2", "tensorflow"),
    ("tensorflow.keras.", "keras."),
    ("tensorflow.python.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("tensorflow_hub.", "tensorflow_hub."),
)

_SERVING_KEY = "DEFAULT_SERVING_SIGNATURE_DEF_KEY"
_CONSTANTS: dict[str, object] = {
    f"tensorflow.saved_model.{_SERVING_KEY}": "serving_default",
    f"tensorflow.saved_model.signature_constants.{_SERVING_KEY}": "serving_default",
    f"tensorflow.compat.v1.saved_model.{_SERVING_KEY}": "serving_default",
    f"tensorflow.compat.v1.saved_model.signature_constants.{_SERVING_KEY}": "serving_default",
    "tensorflow.saved_model.SERVING": "serve",
    "tensorflow.saved_model.tag_constants.SERVING": "serve",
    "tensorflow.compat.v1.saved_model.tag_constants.SERVING": "serve",
    "tensorflow.newaxis": None,
    "numpy.newaxis": None,
}


def normalize(name: str) -> str:
    """Map aliases (``tensorflow.compat.v2``, ``tensorflow.keras``) to one spelling."""
    if name in _KEPT:
        return name
    for old, new in _ALIASES:
        if name == old or name.startswith(old):
            return new + name[len(old) :]
    return name


def qualify(name: str) -> AbstractValue:
    """The value an imported or dotted name stands for."""
    name = normalize(name)
    if name in _CONSTANTS:
        return Const(_CONSTANTS[name])
    dtype = qualified_dtype(name)
    if dtype is not None and not name.startswith("numpy.random"):
        return DType(dtype)
    return QualName(name)


def register(registry: Registry) -> None:
    registry.qualify = qualify
