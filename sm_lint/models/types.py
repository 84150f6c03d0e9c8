"""What sm-lint knows about a SavedModel: its signatures, as plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: A shape: None for unknown rank, else one entry per dimension (None where unknown).
Shape = tuple[int | None, ...] | None

#: The dtype of a spec whose dtype cannot be known (signatures derived from source only):
#: no dtype finding is ever made against it.
UNKNOWN_DTYPE = "?"


def format_shape(shape: Shape) -> str:
    """``(?, 5)`` style; ``<unknown rank>`` when the rank is unknown, ``()`` for a scalar."""
    if shape is None:
        return "<unknown rank>"
    dims = ", ".join("?" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a signature."""

    name: str
    dtype: str
    shape: Shape
    #: "dense", "coo_sparse" or "composite": how the tensor is encoded in the SignatureDef.
    encoding: str = "dense"
    #: Signatures derived from source only: the input's real name is not knowable (an unnamed
    #: Keras input is ``keras_tensor_N``, N from a process-wide counter); every name this
    #: regular expression matches in full may be it. ``name`` is then only for display.
    name_pattern: str | None = None

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)


@dataclass(frozen=True)
class Signature:
    """A SignatureDef: the callable ``loaded.signatures[key]``."""

    key: str
    method: str
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]
    #: Inputs that have a default value in the SignatureDef and may be left out.
    optional_inputs: frozenset[str] = frozenset()
    #: False when the inputs are not known (a signature derived from source whose specs
    #: cannot be folded): no argument of a call is checked.
    inputs_known: bool = True
    #: False when the output names are not known: results are not checked (SM010).
    outputs_known: bool = True


@dataclass(frozen=True)
class Structure:
    """A canonicalized input (or output) structure of a concrete function, as TensorFlow
    saved it: a TensorSpec, a Python value, a list, tuple or dict of structures, or
    ``other`` (a type spec, named tuple, numpy value: never compared)."""

    #: "tensor", "value" (a Python constant), "list", "tuple", "dict" or "other".
    kind: str
    spec: TensorSpec | None = None
    #: For "value": the Python constant (None, bool, int, float, str).
    value: object = None
    items: tuple[Structure, ...] = ()
    #: For "dict": the keys of ``items``, in order.
    keys: tuple[str, ...] = ()

    def text(self) -> str:
        """``float32 (?, 5)``, ``False``, ``[float32 (2,)]``, ``{'a': int32 ()}``."""
        if self.kind == "tensor" and self.spec is not None:
            return f"{self.spec.dtype} {format_shape(self.spec.shape)}"
        if self.kind == "value":
            return repr(self.value)
        if self.kind == "list":
            return "[" + ", ".join(i.text() for i in self.items) + "]"
        if self.kind == "tuple":
            inner = ", ".join(i.text() for i in self.items)
            return f"({inner},)" if len(self.items) == 1 else f"({inner})"
        if self.kind == "dict":
            pairs = (f"{k!r}: {i.text()}" for k, i in zip(self.keys, self.items, strict=True))
            return "{" + ", ".join(pairs) + "}"
        return "<other>"


@dataclass(frozen=True)
class ConcreteFunction:
    """One traced form of a restored function: its canonicalized arguments."""

    name: str
    args: tuple[Structure, ...]
    kwargs: tuple[tuple[str, Structure], ...]
    #: What it returns, or None when not recorded.
    outputs: Structure | None = None

    def text(self, arg_names: tuple[str, ...] = ()) -> str:
        """``(x: float32 (2, 3), training=False)``."""
        parts = []
        for i, arg in enumerate(self.args):
            name = arg_names[i] if i < len(arg_names) else None
            if name is None:
                parts.append(arg.text())
            elif arg.kind == "value":
                parts.append(f"{name}={arg.text()}")
            else:
                parts.append(f"{name}: {arg.text()}")
        parts.extend(f"{k}={v.text()}" for k, v in self.kwargs)
        return "(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class RestoredFunction:
    """A tf.function restored with the object (``loaded.f``, ``loaded.encoder.embed``,
    ``loaded(x)`` for ``__call__``) or a bare concrete function."""

    #: Attribute path from the root: ``__call__``, ``f``, ``encoder.embed``.
    path: str
    #: Parameter names (``self`` excluded), the Python defaults of the last ones.
    arg_names: tuple[str, ...]
    defaults: tuple[Structure, ...] = ()
    kwonly: tuple[str, ...] = ()
    kwonly_defaults: tuple[tuple[str, Structure], ...] = ()
    varargs: bool = False
    varkw: bool = False
    #: Saved with an input_signature: TensorFlow binds and converts by it.
    input_signature: tuple[Structure, ...] | None = None
    is_method: bool = False
    concrete: tuple[ConcreteFunction, ...] = ()
    #: A bare concrete function (``argument_keywords`` only), not a tf.function.
    bare: bool = False
    #: False when part of the function could not be read: no call of it is checked.
    known: bool = True


@dataclass(frozen=True)
class ModelSignatures:
    """The signatures of one SavedModel meta graph."""

    path: Path
    tags: tuple[str, ...]
    signatures: dict[str, Signature]
    #: True for models written by TF2 (they carry an object graph); False for TF1 Builder
    #: models, whose signature functions bind positional arguments in sorted name order.
    tf2: bool = True
    source_file: str = field(default="saved_model.pb", compare=False)
    #: False when the set of signature keys is not fully known (a model the program saves
    #: itself, where part of the save cannot be derived): an absent key is not a finding.
    complete: bool = True
    #: For a model derived from source: the line of the save in the analysed program.
    saved_at: int | None = field(default=None, compare=False)
    #: The root object's ``__call__`` as a one-input signature keyed "__call__" (outputs not
    #: known), when every concrete function of it takes one tensor of one dtype; else None.
    call: Signature | None = None
    #: The restored functions reachable from the root object, by attribute path
    #: (``__call__``, ``f``, ``encoder.embed``); empty for TF1 models.
    functions: dict[str, RestoredFunction] = field(default_factory=dict, compare=False)
    #: Whether the loaded object can be called (``loaded(x)``; ``hub.KerasLayer(h)`` without
    #: ``signature=``): its root object has a ``__call__``. A TF1 model (no object graph)
    #: loads as an object that is not callable. None where not known.
    root_callable: bool | None = field(default=None, compare=False)
    #: A TF1 Hub format module (``tfhub_module.pb`` beside saved_model.pb): tensorflow_hub
    #: loads it with tags ``[]`` and ``hub.KerasLayer`` calls its ``default`` signature.
    hub_v1: bool = field(default=False, compare=False)


class ModelReadError(Exception):
    """A SavedModel could not be read. ``str(error)`` is one line naming path and reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
