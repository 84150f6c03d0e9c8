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


class ModelReadError(Exception):
    """A SavedModel could not be read. ``str(error)`` is one line naming path and reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
