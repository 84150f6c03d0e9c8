"""Abstract values the interpreter tracks for names, attributes and expressions."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from sm_lint.analysis.loaders import Loader
from sm_lint.semantics import Value


class AbstractValue:
    """Base of every abstract value; ``UNKNOWN`` is the bottom everything falls back to."""


@dataclass(frozen=True)
class Unknown(AbstractValue):
    pass


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Const(AbstractValue):
    """A Python constant known at analysis time: str, bytes, int, float, bool, None."""

    value: object


@dataclass(frozen=True)
class Seq(AbstractValue):
    """A list or tuple literal whose items are abstract values."""

    items: tuple[AbstractValue, ...]
    is_tuple: bool = False


@dataclass(frozen=True)
class DictLit(AbstractValue):
    """A dict with constant string keys (None when not all keys are known). Each item is
    (key, value, the node spanning the entry, the value's node)."""

    items: tuple[tuple[str, AbstractValue, cst.CSTNode, cst.BaseExpression], ...] | None


@dataclass(frozen=True)
class Array(AbstractValue):
    """A tensor, numpy array, list or scalar whose kind/dtype/shape are (partly) known."""

    value: Value


@dataclass(frozen=True)
class DType(AbstractValue):
    name: str


@dataclass(frozen=True)
class QualName(AbstractValue):
    """An imported object such as ``numpy.random.rand`` (normalised qualified name)."""

    name: str


@dataclass(frozen=True)
class EnvDefault(AbstractValue):
    """``os.environ.get(NAME, default)``, ``os.getenv(NAME, default)``, ``os.environ.get(NAME)
    or default``: the text where NAME is unset (*default*: a text Const or a PathValue;
    None while no default is known). Only a model load uses it, saying so; anything built
    from it is unknown."""

    name: str
    default: AbstractValue | None = None


@dataclass(frozen=True)
class PathValue(AbstractValue):
    """A ``pathlib.Path`` whose text is known."""

    path: str


@dataclass(frozen=True)
class FreshPath(AbstractValue):
    """A folder the program creates at run time (``tempfile.mkdtemp()``), or the folder a
    save wrote through a variable whose text is unknown, and ``rest`` below it. Its text is
    never known; it identifies the folder so a load can be linked to the save."""

    origin: str
    rest: str


@dataclass(frozen=True)
class Generator(AbstractValue):
    """A numpy random Generator (``np.random.default_rng()``)."""


@dataclass(frozen=True)
class Handle(AbstractValue):
    """The local folder ``hub.resolve(h)`` or ``kagglehub.model_download(h)`` returns, known
    by its handle; ``via`` is the loader that resolves it (a handle loader of the table)."""

    handle: str
    via: Loader


@dataclass(frozen=True)
class ModelRef(AbstractValue):
    """A loaded SavedModel; ``load_id`` indexes the load site recorded by the interpreter."""

    load_id: int


@dataclass(frozen=True)
class SignaturesRef(AbstractValue):
    """``loaded.signatures``."""

    load_id: int


@dataclass(frozen=True)
class SignatureFn(AbstractValue):
    """``loaded.signatures[key]``, or a TFSMLayer's endpoint (``layer=True``), or a
    ``hub.KerasLayer(h, signature=key)`` (``hub_layer=True``; with ``output_key``, a call
    returns that one output)."""

    load_id: int
    key: str
    layer: bool = False
    hub_layer: bool = False
    output_key: str | None = None
    #: A restored function (``loaded.f``, the object's own ``__call__``): its path.
    function: str | None = None


@dataclass(frozen=True)
class RestoredFn(AbstractValue):
    """``loaded.f`` / ``loaded.encoder.embed``: an attribute path on a restored object (a
    restored function when the model has one there; a child object, a variable or a
    method of the loaded object otherwise)."""

    load_id: int
    path: str


@dataclass(frozen=True)
class CallResult(AbstractValue):
    """What a signature call returns (a dict of output tensors); ``call_id`` indexes it.
    ``restored``: a restored function's call, whose outputs' values are not read."""

    call_id: int
    restored: bool = False


@dataclass(frozen=True)
class SliceValue(AbstractValue):
    """A slice ``a:b:c``; ``known`` is False when a bound is not a constant."""

    lower: int | None
    upper: int | None
    step: int | None
    known: bool

    def length(self, size: int | None) -> int | None:
        if not self.known or size is None or self.step == 0:
            return None
        return len(range(size)[slice(self.lower, self.upper, self.step)])


#: The most models one value may be one of (more: unknown).
MAX_CHOICES = 4
#: Values a branch may choose between: each is one loaded model (or a part of it).
_CHOOSABLE = (ModelRef, SignaturesRef, SignatureFn, RestoredFn)


@dataclass(frozen=True)
class Choice(AbstractValue):
    """One of a few models (or the same part of each), as branches loaded them:
    ``if a: m = load(A) else: m = load(B)``. The options are of one class, in order."""

    options: tuple[AbstractValue, ...]


def _options(value: AbstractValue) -> tuple[AbstractValue, ...]:
    return value.options if isinstance(value, Choice) else (value,)


def choose(options: tuple[AbstractValue, ...]) -> AbstractValue:
    """The value that is one of *options* (unknown when there are too many)."""
    unique = tuple(dict.fromkeys(options))
    if len(unique) == 1:
        return unique[0]
    if len(unique) > MAX_CHOICES:
        return UNKNOWN
    return Choice(unique)


def join(a: AbstractValue, b: AbstractValue) -> AbstractValue:
    """The value known after two branches: kept only where both agree (for arrays, the
    kind, dtype and each dimension separately); two models are a choice of both."""
    if a == b:
        return a
    options = _options(a) + _options(b)
    if all(isinstance(o, _CHOOSABLE) for o in options) and len({type(o) for o in options}) == 1:
        return choose(options)
    if isinstance(a, Array) and isinstance(b, Array) and a.value.kind == b.value.kind:
        x, y = a.value, b.value
        shape = None
        if x.shape is not None and y.shape is not None and len(x.shape) == len(y.shape):
            shape = tuple(p if p == q else None for p, q in zip(x.shape, y.shape, strict=True))
        return Array(Value(x.kind, x.dtype if x.dtype == y.dtype else None, shape))
    return UNKNOWN
