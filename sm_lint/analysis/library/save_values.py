"""The values of saving a model from source (``tf.TensorSpec``, ``tf.function``,
``keras.Input``, Keras models and layers), and the signatures TensorFlow writes for them,
with the naming rules measured on TensorFlow 2.21 / Keras 3 (README, "Input names come from
the SavedModel"). Pure: no engine, no run state (library/saves.py uses them)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import libcst as cst

from sm_lint.analysis.dtypes import dtype_of
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import argument_node, env_key
from sm_lint.analysis.facts import DerivedSignature, DerivedSpec
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Const,
    DictLit,
    FreshPath,
    PathValue,
    Seq,
)

Shape = tuple[int | None, ...] | None

#: What Keras 3 ``model.export()`` calls an unnamed ``keras.Input`` (N is process-wide).
KERAS_TENSOR = r"keras_tensor(_[0-9]+)?"
#: Any name at all: an input whose name cannot be derived.
ANY_NAME = r".+"


# ------------------------------------------------------------------ abstract values
@dataclass(frozen=True)
class Spec(AbstractValue):
    """``tf.TensorSpec(shape, dtype, name)``: None where not known; ``named`` is False when
    a ``name=`` was given but cannot be folded."""

    dtype: str | None
    shape: Shape
    name: str | None = None
    named: bool = True


@dataclass(frozen=True)
class Decorator(AbstractValue):
    """``tf.function(input_signature=...)`` before it is applied to a function."""

    signature: AbstractValue | None


@dataclass(frozen=True)
class Function(AbstractValue):
    """A ``tf.function``; ``signature`` is its input_signature (None: it has none)."""

    node_id: int
    params: tuple[str, ...]
    signature: AbstractValue | None
    #: Output names (``()``: returns nothing), None when unknown.
    outputs: tuple[str, ...] | None
    #: Every ``return`` gives a value (not None): it has outputs even where their names are
    #: unknown, so TensorFlow may export it as the default signature.
    returns: bool = False


@dataclass(frozen=True)
class Concrete(AbstractValue):
    """``f.get_concrete_function(...)``: its inputs (None: unknown) and outputs."""

    inputs: tuple[DerivedSpec, ...] | None
    outputs: tuple[str, ...] | None
    returns: bool = False


@dataclass(frozen=True)
class ModuleClass(AbstractValue):
    """A class whose instances a save can take: its tf.functions by attribute name."""

    functions: tuple[tuple[str, AbstractValue], ...]
    #: False when the instances may hold functions this analysis cannot see.
    known: bool
    keras: bool = False
    #: The class definitions (ids) whose methods may store functions on the instance: they
    #: are read only when a save needs it (a walk over every method body is not cheap).
    scan: tuple[int, ...] = ()


@dataclass(frozen=True)
class Instance(AbstractValue):
    """An instance of a ModuleClass (``tf.Module()`` is one with no functions)."""

    cls: ModuleClass


@dataclass(frozen=True)
class KerasInput(AbstractValue):
    """``keras.Input(...)``; ``batch`` is its fixed batch size, if any."""

    token: int
    dtype: str | None
    shape: Shape
    batch: int | None
    name: str | None
    named: bool = True


@dataclass(frozen=True)
class KerasTensor(AbstractValue):
    """The output of a Keras layer: one symbolic tensor."""


@dataclass(frozen=True)
class Layer(AbstractValue):
    """A Keras layer; ``input_shape`` when it was given one (first layer of a Sequential)."""

    input_shape: Shape = None
    shaped: bool = False
    single: bool = True


@dataclass(frozen=True)
class KerasModel(AbstractValue):
    """A functional or Sequential Keras model: its inputs in TensorFlow's flattening order
    (None: unknown), and its output names (None: unknown)."""

    inputs: tuple[KerasInput, ...] | None
    outputs: tuple[str, ...] | None
    sequential: bool = False
    #: A Sequential that has layers already (a keras.Input must come first).
    started: bool = False


@dataclass(frozen=True)
class SaveLink(AbstractValue):
    """What the program saved at a folder: equal for equal signatures, so branches that
    save the same model keep the link."""

    signatures: tuple[DerivedSignature, ...]
    complete: bool
    save_id: int = field(compare=False)


@dataclass(frozen=True)
class TempDir(AbstractValue):
    """``tempfile.TemporaryDirectory()``: entering it gives a fresh folder."""

    origin: str


#: Keras' own default signature attribute: a child so named is the signature, whatever else.
_DEFAULT_ATTR = "_default_save_signature"
_TENSORSPEC = ("tensorflow.TensorSpec", "tensorflow.TensorSpec.__init__")
_SAVE = "tensorflow.saved_model.save"
_KERAS_INPUT = ("keras.Input", "keras.layers.Input")
_KERAS_MODEL = ("keras.Model", "keras.models.Model")
_SEQUENTIAL = ("keras.Sequential", "keras.models.Sequential")
_MODULE_BASES = ("tensorflow.Module", "tensorflow.train.Checkpoint", "builtins.object")

# tf functions that return one tensor: a tf.function returning their result has one output
# (``output_0``). Only these: others return tuples or ragged tensors.
_SINGLE = frozenset(
    f"tensorflow.{n}"
    for n in (
        *("matmul", "add", "multiply", "subtract", "divide", "cast", "reshape", "identity"),
        *("concat", "stack", "reduce_sum", "reduce_mean", "reduce_max", "reduce_min"),
        *("reduce_prod", "square", "sqrt", "exp", "abs", "argmax", "argmin", "expand_dims"),
        *("squeeze", "transpose", "ones_like", "zeros_like", "where", "clip_by_value"),
        *("maximum", "minimum", "tanh", "sigmoid", "pow", "round", "sign", "negative"),
        *("gather", "one_hot", "fill", "tile", "pad", "convert_to_tensor", "constant"),
        *("math.add", "math.multiply", "math.subtract", "math.divide", "math.exp"),
        *("math.log", "math.sqrt", "math.square", "math.abs", "math.reduce_sum"),
        *("math.reduce_mean", "math.reduce_max", "math.argmax", "math.sigmoid"),
        *("math.tanh", "math.softplus", "math.l2_normalize", "math.maximum", "math.minimum"),
        *("nn.relu", "nn.relu6", "nn.softmax", "nn.log_softmax", "nn.sigmoid", "nn.tanh"),
        *("nn.elu", "nn.selu", "nn.gelu", "nn.leaky_relu", "nn.softplus", "nn.silu"),
        *("nn.l2_normalize", "nn.bias_add", "nn.embedding_lookup", "nn.dropout"),
        *("strings.length", "strings.upper", "strings.lower", "strings.reduce_join"),
        *("strings.regex_replace", "strings.strip", "strings.to_number", "strings.substr"),
        *("strings.as_string", "strings.to_hash_bucket_fast", "image.resize"),
        *("image.convert_image_dtype", "image.rgb_to_grayscale", "image.flip_left_right"),
    )
)


# ------------------------------------------------------------------------- helpers
def _text(value: AbstractValue) -> str | None:
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def _shape(value: AbstractValue) -> tuple[bool, Shape]:
    """(known, shape) of a shape argument: lists, tuples, ints, None, ``tf.TensorShape``."""
    if isinstance(value, Const):
        if value.value is None:
            return True, None
        if isinstance(value.value, int) and not isinstance(value.value, bool):
            return (value.value >= 0), (value.value,)
        return False, None
    if isinstance(value, Seq):
        dims: list[int | None] = []
        for item in value.items:
            if not isinstance(item, Const):
                return False, None
            if item.value is None:
                dims.append(None)
            elif isinstance(item.value, int) and not isinstance(item.value, bool):
                if item.value < 0:
                    return False, None
                dims.append(item.value)
            else:
                return False, None
        return True, tuple(dims)
    if isinstance(value, _ShapeValue):
        return value.known, value.shape
    return False, None


@dataclass(frozen=True)
class _ShapeValue(AbstractValue):
    """``tf.TensorShape(...)``."""

    known: bool
    shape: Shape


def _dtype(value: AbstractValue) -> str | None:
    return dtype_of(value, numpy=False)


def path_key(value: AbstractValue) -> tuple[str, ...] | None:
    """What identifies a folder: its text, or a fresh folder's origin and the part below."""
    if isinstance(value, Const) and isinstance(value.value, str) and value.value:
        return ("text", posixpath.normpath(value.value))
    if isinstance(value, PathValue):
        return ("text", posixpath.normpath(value.path))
    if isinstance(value, FreshPath):
        return ("fresh", value.origin, posixpath.normpath(value.rest or "."))
    return None


# ------------------------------------------------------------------ value builders
def _spec(args: CallArgs) -> AbstractValue:
    known, shape = _shape(args.get(0, "shape"))
    dtype_arg = args.get(1, "dtype")
    dtype = "float32" if not args.has(1, "dtype") else _dtype(dtype_arg)
    name = args.get(2, "name")
    if not args.has(2, "name") or name == Const(None):
        return Spec(dtype, shape if known else None)
    text = _text(name)
    return Spec(dtype, shape if known else None, text, text is not None)


def _layer(args: CallArgs, single: bool) -> AbstractValue:
    single = single and all(
        args.keywords.get(flag, Const(False)) == Const(False)
        for flag in ("return_state", "return_attention_scores")
    )
    if "input_shape" in args.keywords:
        known, shape = _shape(args.keywords["input_shape"])
        if known and shape is not None and not {"dtype", "batch_size"} & set(args.keywords):
            return Layer(shape, True, single)
        return UNKNOWN
    if {"input_dim", "batch_input_shape"} & set(args.keywords):
        return UNKNOWN
    return Layer(single=single)


def _output_names(value: AbstractValue) -> tuple[str, ...] | None:
    if isinstance(value, KerasTensor):
        return ("output_0",)
    if (
        isinstance(value, Seq)
        and value.items
        and all(isinstance(i, KerasTensor) for i in value.items)
    ):
        return tuple(f"output_{i}" for i in range(len(value.items)))
    if (
        isinstance(value, DictLit)
        and value.items
        and all(isinstance(i[1], KerasTensor) for i in value.items)
    ):
        return tuple(sorted(i[0] for i in value.items))
    return None


def _functional(args: CallArgs) -> AbstractValue:
    inputs = args.get(0, "inputs")
    outputs = _output_names(args.get(1, "outputs"))
    flat: tuple[KerasInput, ...] | None = None
    if isinstance(inputs, KerasInput):
        flat = (inputs,)
    elif isinstance(inputs, Seq) and all(isinstance(i, KerasInput) for i in inputs.items):
        flat = tuple(i for i in inputs.items if isinstance(i, KerasInput))
    elif isinstance(inputs, DictLit) and inputs.items is not None:
        ordered = sorted(inputs.items, key=lambda item: item[0])
        if all(isinstance(item[1], KerasInput) for item in ordered):
            flat = tuple(item[1] for item in ordered if isinstance(item[1], KerasInput))
    if flat is not None and (not flat or len({i.token for i in flat}) != len(flat)):
        flat = None
    return KerasModel(flat, outputs)


def _sequential(layers: AbstractValue) -> AbstractValue:
    if not isinstance(layers, Seq):
        return UNKNOWN
    model: AbstractValue = KerasModel(None, ("output_0",), sequential=True)
    for item in layers.items:
        if not isinstance(model, KerasModel):
            return UNKNOWN
        model = _sequential_add(model, item)
    return model


def _sequential_add(model: KerasModel, layer: AbstractValue) -> AbstractValue:
    """A Sequential after ``add(layer)``: its input is set by a first ``keras.Input`` or a
    first layer given ``input_shape``; a layer this analysis does not know may return
    anything, so the outputs become unknown."""
    if isinstance(layer, KerasInput):
        return UNKNOWN if model.started else replace(model, inputs=(layer,), started=True)
    if isinstance(layer, Layer) and layer.shaped:
        if model.started:
            return UNKNOWN
        spec = KerasInput(0, "float32", layer.input_shape, None, None, True)
        return replace(model, inputs=(spec,), started=True)
    if isinstance(layer, Layer) and layer.single:
        return replace(model, started=True)
    return replace(model, outputs=None, started=True) if model.started else UNKNOWN


def _concrete(function: Function, args: CallArgs) -> AbstractValue:
    if not args.positional and not args.keywords:
        if function.signature is None:
            return UNKNOWN
        return Concrete(
            _inputs(function.params, function.signature), function.outputs, function.returns
        )
    if function.signature is not None:
        # Arguments that fit the input_signature give its concrete function; others raise.
        inputs = _inputs(function.params, function.signature)
        return Concrete(inputs, function.outputs, function.returns)
    structures: list[AbstractValue] = []
    for index, param in enumerate(function.params):
        if index < len(args.positional):
            if param in args.keywords:
                return Concrete(None, function.outputs, function.returns)
            structures.append(args.positional[index])
        elif param in args.keywords:
            structures.append(args.keywords[param])
        else:
            return Concrete(None, function.outputs, function.returns)
    if len(args.positional) > len(function.params) or set(args.keywords) - set(function.params):
        return Concrete(None, function.outputs, function.returns)
    inputs = _inputs(function.params, Seq(tuple(structures)))
    return Concrete(inputs, function.outputs, function.returns)


def _flatten(value: AbstractValue, out: list[Spec]) -> bool:
    """tf.nest order: dicts by sorted key, sequences in order; False when not all known."""
    if isinstance(value, Spec):
        out.append(value)
        return True
    if isinstance(value, Seq):
        return all(_flatten(item, out) for item in value.items)
    if isinstance(value, DictLit) and value.items is not None:
        return all(_flatten(item[1], out) for item in sorted(value.items, key=lambda i: i[0]))
    return False


def _inputs(params: Sequence[str], signature: AbstractValue) -> tuple[DerivedSpec, ...] | None:
    """The flattened, named inputs of *params* bound to *signature* (a list of structures).

    An unnamed spec takes its parameter's name, the next ones ``name_1``, ``name_2`` ... in
    flattening order; a clash with any other name makes every name unknown."""
    if not isinstance(signature, Seq) or len(signature.items) != len(params):
        return None
    leaves: list[tuple[str, Spec]] = []
    for param, structure in zip(params, signature.items, strict=True):
        flat: list[Spec] = []
        if not _flatten(structure, flat):
            return None
        leaves.extend((param, spec) for spec in flat)
    names: list[str | None] = []
    counters: dict[str, int] = {}
    for param, spec in leaves:
        if spec.name is not None or not spec.named:
            given = spec.name if spec.named else None
            names.append(given if given is not None and given.isidentifier() else None)
            continue
        count = counters.get(param, 0)
        counters[param] = count + 1
        names.append(param if count == 0 else f"{param}_{count}")
    known = [n for n in names if n is not None]
    clash = len(set(known)) != len(known) or len(known) != len(names)
    specs = []
    for index, ((_, spec), name) in enumerate(zip(leaves, names, strict=True)):
        if clash:
            specs.append(DerivedSpec(name or f"input_{index}?", spec.dtype, spec.shape, ANY_NAME))
        else:
            assert name is not None
            specs.append(DerivedSpec(name, spec.dtype, spec.shape))
    return _unique_display(specs)


def _unique_display(specs: list[DerivedSpec]) -> tuple[DerivedSpec, ...]:
    seen: set[str] = set()
    out = []
    for spec in specs:
        name, n = spec.name, 1
        while name in seen:
            n += 1
            name = f"{spec.name} ({n})"
        seen.add(name)
        out.append(
            spec
            if name == spec.name
            else DerivedSpec(name, spec.dtype, spec.shape, spec.name_pattern)
        )
    return tuple(out)


def _signature_of(key: str, value: AbstractValue) -> DerivedSignature | None:
    """A signatures= entry: a tf.function with an input_signature, or a concrete function."""
    if isinstance(value, Function):
        if value.signature is None:
            return None  # TensorFlow raises: nothing is saved
        return DerivedSignature(key, _inputs(value.params, value.signature), value.outputs)
    if isinstance(value, Concrete):
        return DerivedSignature(key, value.inputs, value.outputs)
    return DerivedSignature(key, None, None)


def _tf_save_signatures(
    obj: AbstractValue, signatures: AbstractValue | None, node: cst.Call, env: Env
) -> tuple[tuple[DerivedSignature, ...], bool]:
    if signatures is not None and signatures != Const(None):
        if isinstance(signatures, DictLit):
            if signatures.items is None:
                return (), False
            found = [_signature_of(k, v) for k, v, _, _ in signatures.items]
            if any(f is None for f in found):
                return (), False
            return tuple(f for f in found if f is not None), True
        if isinstance(signatures, (Function, Concrete)):
            one = _signature_of("serving_default", signatures)
            return ((one,), True) if one is not None else ((), False)
        return (), False
    if isinstance(obj, KerasModel):
        return _keras_signatures(obj, ("serving_default",), export=False), obj.inputs is not None
    if isinstance(obj, Instance) and not obj.cls.keras:
        return _default_signature(obj, node, env)
    return (), False


def _default_signature(
    obj: Instance, node: cst.Call, env: Env
) -> tuple[tuple[DerivedSignature, ...], bool]:
    """``tf.saved_model.save(module, path)`` without ``signatures=``: TensorFlow exports the
    one child tf.function that has an input_signature (or concrete function) and returns
    something; with none or several, no signature at all. Children this analysis cannot see
    matter only when it sees no candidate: with one, an unseen other would leave the model
    with no signatures, and then every call fails anyway."""
    known = obj.cls.known
    children: list[AbstractValue] = [v for _, v in obj.cls.functions]
    holder = argument_node(node, 0, "obj")
    owner = env_key(holder) if holder is not None else None
    if owner is None:
        known = False
    else:
        for name, value in env.items():
            if name.startswith(owner + ".") and "." not in name[len(owner) + 1 :]:
                if name.endswith("." + _DEFAULT_ATTR):
                    return (), False
                if isinstance(value, (Function, Concrete)):
                    children.append(value)
                elif not isinstance(value, (Const, Seq, DictLit)) and not _data(value):
                    known = False
    certain: list[AbstractValue] = []
    maybe: list[AbstractValue] = []
    for child in children:
        if isinstance(child, Function) and child.signature is None:
            continue  # without an input_signature a tf.function is never exported by default
        outputs = child.outputs if isinstance(child, (Function, Concrete)) else None
        returns = isinstance(child, (Function, Concrete)) and child.returns
        if outputs or (outputs is None and returns):
            certain.append(child)
        elif outputs is None:
            maybe.append(child)
    if len(certain) >= 2:
        return (), True
    chosen = certain or (maybe if len(maybe) == 1 and known else [])
    if len(chosen) == 1 and len(certain) + len(maybe) <= 2:
        one = _signature_of("serving_default", chosen[0])
        return ((one,), True) if one is not None else ((), False)
    if not certain and not maybe and known:
        return (), True
    return (), False


def _data(value: AbstractValue) -> bool:
    """Values that are certainly not functions (arrays, tensors, Variables, paths)."""
    from sm_lint.analysis.values import Array, PathValue

    return isinstance(value, (Array, PathValue, FreshPath, KerasModel, Layer))


def _export_signatures(obj: AbstractValue) -> tuple[tuple[DerivedSignature, ...], bool]:
    if isinstance(obj, KerasModel):
        return _keras_signatures(obj, ("serve", "serving_default"), export=True), True
    return (), False


def _keras_signatures(
    model: KerasModel, keys: tuple[str, ...], export: bool
) -> tuple[DerivedSignature, ...]:
    """Measured: ``export`` keeps keras.Input names (unnamed: ``keras_tensor_N``) and frees
    the batch dimension; ``tf.saved_model.save`` names them ``inputs``, ``inputs_1``, ...
    and keeps a fixed batch size."""
    inputs: tuple[DerivedSpec, ...] | None = None
    if model.inputs is not None:
        specs = []
        for index, item in enumerate(model.inputs):
            shape = None if item.shape is None else (None if export else item.batch, *item.shape)
            if not export:
                specs.append(
                    DerivedSpec("inputs" if index == 0 else f"inputs_{index}", item.dtype, shape)
                )
            elif item.name is not None and item.name.isidentifier():
                specs.append(DerivedSpec(item.name, item.dtype, shape))
            elif item.name is None and item.named:
                specs.append(DerivedSpec("keras_tensor_N", item.dtype, shape, KERAS_TENSOR))
            else:
                specs.append(DerivedSpec(f"input_{index}?", item.dtype, shape, ANY_NAME))
        names = [s.name for s in specs if s.name_pattern is None]
        inputs = None if len(set(names)) != len(names) else _unique_display(specs)
    return tuple(DerivedSignature(key, inputs, model.outputs) for key in keys)
