"""Signatures of SavedModels the program saves itself, derived from its source.

TensorFlow's guides and most notebooks build a ``tf.Module`` or a Keras model, save it with
``tf.saved_model.save(obj, path, signatures=...)`` or ``model.export(path)``, and load it a
few cells later. This module recognises the facts such a save depends on
(``@tf.function(input_signature=[...])``, ``tf.TensorSpec``, ``get_concrete_function``,
``keras.Input`` / ``keras.Model`` / ``keras.Sequential``) as abstract values, and at each
save derives the signatures TensorFlow will write, with the naming rules measured on
TensorFlow 2.21 / Keras 3 (DESIGN.md, "Input names come from the SavedModel"). Whatever
cannot be known stays None (unknown) and is never checked. A later load of the same path
value, or of the same variable, is linked to the save (``ModelLoad.saved_by``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.dtypes import dtype_of
from sm_lint.analysis.facts import DerivedSignature, DerivedSpec, ModelSave
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Const,
    DictLit,
    DType,
    FreshPath,
    PathValue,
    QualName,
    Seq,
)

if TYPE_CHECKING:
    from sm_lint.analysis.interpreter import Env, Interpreter

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


# ------------------------------------------------------------------------- deriver
class Deriver:
    """The interpreter's helper for saves: values, saves recorded, loads linked."""

    def __init__(self, interpreter: Interpreter) -> None:
        self.interp = interpreter
        self.saves: list[ModelSave] = []
        self._tokens = 0
        # The env of the call being evaluated: a load reads its links to saves from it.
        self._env: Env = {}
        self._latest: dict[str, int] = {}
        self._classes: dict[int, cst.ClassDef] = {}

    # ----------------------------------------------------------- interpreter hooks
    def call(
        self,
        node: cst.Call,
        func: AbstractValue,
        receiver: AbstractValue | None,
        args: CallArgs,
        env: Env,
    ) -> AbstractValue | None:
        """The value of a call this module understands; None for every other call."""
        self._env = env
        if any(arg.star for arg in node.args):
            # *args / **kwargs: what the call receives is unknown, so is what it makes.
            if isinstance(func, QualName):
                return UNKNOWN if _understood(func.name) else None
            mine = (ModuleClass, Layer, KerasModel, Function, Instance)
            return UNKNOWN if isinstance(func, mine) or isinstance(receiver, mine) else None
        if isinstance(func, QualName):
            return self._function(node, func.name, args, env)
        if isinstance(func, ModuleClass):
            return Instance(func)
        if isinstance(func, Layer):
            # Flags such as return_attention_scores=True make a layer return several tensors.
            flags = [v for k, v in args.keywords.items() if k.startswith("return_")]
            single = func.single and all(v == Const(False) for v in flags)
            return KerasTensor() if single else UNKNOWN
        if isinstance(func, KerasModel):
            return KerasTensor() if func.outputs is not None and len(func.outputs) == 1 else None
        if isinstance(node.func, cst.Attribute) and receiver is not None:
            return self._method(node, receiver, node.func.attr.value, args, env)
        return None

    def attribute(self, base: AbstractValue, attr: str) -> AbstractValue:
        """``instance.fn`` for a tf.function defined on the class."""
        if isinstance(base, Instance):
            for name, value in base.cls.functions:
                if name == attr:
                    return value
        return UNKNOWN

    def function_def(
        self,
        node: cst.FunctionDef,
        decorators: Sequence[AbstractValue],
        env: Env,
        method: bool = False,
    ) -> AbstractValue:
        """A ``def`` decorated with ``tf.function`` (with or without input_signature)."""
        found: AbstractValue | None = None
        for value in decorators:
            if isinstance(value, Decorator):
                found = value
            elif isinstance(value, QualName) and value.name == "tensorflow.function":
                found = Decorator(None)
            elif not (isinstance(value, QualName) and value.name == "builtins.staticmethod"):
                return UNKNOWN  # another decorator may change anything
        if not isinstance(found, Decorator):
            return UNKNOWN
        params = [p.name.value for p in (*node.params.posonly_params, *node.params.params)]
        if node.params.star_arg is not None and not isinstance(
            node.params.star_arg, cst.MaybeSentinel
        ):
            return (
                Function(id(node), tuple(params), None, None)
                if found.signature is None
                else UNKNOWN
            )
        if method:
            params = params[1:]  # a method's first parameter is the instance, not an input
        structures: dict[str, AbstractValue] = {}
        if isinstance(found.signature, Seq) and len(found.signature.items) == len(params):
            structures = dict(zip(params, found.signature.items, strict=True))
        outputs, returns = _outputs(self.interp, node, structures, env)
        return Function(id(node), tuple(params), found.signature, outputs, returns)

    def class_value(self, node: cst.ClassDef, env: Env) -> AbstractValue:
        """A class a save can take: its tf.function methods, if everything is visible."""
        known = True
        keras = False
        functions: dict[str, AbstractValue] = {}
        self._classes[id(node)] = node
        scan = [id(node)]
        for base in node.bases:
            value = self.interp.expr(base.value, env)
            if isinstance(value, ModuleClass):
                functions.update(value.functions)
                known = known and value.known
                keras = keras or value.keras
                scan.extend(value.scan)
            elif isinstance(value, QualName) and value.name in _MODULE_BASES:
                pass
            elif isinstance(value, QualName) and value.name.startswith("keras."):
                keras, known = True, False
            else:
                known = False
        if node.keywords:
            known = False
        for statement in _body(node.body):
            if isinstance(statement, cst.FunctionDef):
                decorators = [self.interp.expr(d.decorator, env) for d in statement.decorators]
                value = self.function_def(statement, decorators, env, method=True)
                if isinstance(value, Function):
                    functions[statement.name.value] = value
                else:
                    functions.pop(statement.name.value, None)
                    if statement.decorators:
                        known = False
                hidden = statement.name.value == _DEFAULT_ATTR
                known = known and not hidden
            elif not isinstance(statement, cst.SimpleStatementLine) or any(
                not isinstance(small, (cst.Expr, cst.Pass)) for small in statement.body
            ):
                known = False  # class attributes may be functions too
        return ModuleClass(tuple(functions.items()), known, keras, tuple(scan))

    def entered(self, value: AbstractValue) -> AbstractValue:
        """What ``with value as name`` binds: a TemporaryDirectory's folder."""
        return FreshPath(value.origin, "") if isinstance(value, TempDir) else UNKNOWN

    def saved_by(self, value: AbstractValue) -> int | None:
        """The save earlier in the program that wrote the folder a load reads, if any.

        The link lives in the env, so branches and loops merge it like any value: after
        ``if c: save(a, p) else: save(b, p)`` the load of ``p`` is linked to a save whose
        signatures are unknown (never checked, never SM011)."""
        # Every loader: tf_keras' load_model reads SavedModel folders too (Keras 3 raises).
        key = path_key(value)
        link = self._env.get(_link(key)) if key is not None else None
        if link is None:
            return None
        if isinstance(link, SaveLink):
            return link.save_id
        # Which save wrote it depends on the run: the latest one stands for them all.
        latest = self.saves[self._latest[_link(key)]] if key is not None else self.saves[-1]
        unknown = replace(latest, id=len(self.saves), signatures=(), complete=False)
        self.saves.append(unknown)
        return unknown.id

    # ---------------------------------------------------------------- functions
    def _origin(self, node: cst.CSTNode, what: str) -> str:
        return self.interp.origin(node, what)

    def _function(
        self, node: cst.Call, name: str, args: CallArgs, env: Env
    ) -> AbstractValue | None:
        if name in _TENSORSPEC:
            return _spec(args)
        if name == "tensorflow.TensorShape":
            known, shape = _shape(args.get(0, "dims"))
            return _ShapeValue(known, shape)
        if name == "tensorflow.as_dtype":
            dtype = _dtype(args.get(0, "type_value"))
            return UNKNOWN if dtype is None else DType(dtype)
        if name == "tensorflow.function":
            if args.positional:
                target = args.positional[0]
                return target if isinstance(target, Function) and not args.keywords else UNKNOWN
            if set(args.keywords) - {
                "input_signature",
                "jit_compile",
                "reduce_retracing",
                "autograph",
            }:
                return UNKNOWN
            signature = args.keywords.get("input_signature")
            return Decorator(None if signature is None or signature == Const(None) else signature)
        if name in ("tensorflow.Module", "tensorflow.train.Checkpoint"):
            return Instance(ModuleClass((), not args.keywords and not args.positional))
        if name in ("tempfile.mkdtemp",):
            return FreshPath(self._origin(node, "mkdtemp"), "")
        if name == "tempfile.gettempdir":
            return FreshPath("gettempdir", "")
        if name == "tempfile.TemporaryDirectory":
            return TempDir(self._origin(node, "tempdir"))
        if name in _KERAS_INPUT:
            return self._keras_input(args)
        if name in _KERAS_MODEL:
            return _functional(args)
        if name in _SEQUENTIAL:
            return _sequential(args.get(0, "layers") if args.has(0, "layers") else Seq(()))
        if name.startswith("keras.layers.") and not name.endswith("TFSMLayer"):
            # A Lambda may return anything; other built-in layers return one tensor.
            return _layer(args, single=not name.endswith(".Lambda"))
        if name == _SAVE:
            return self._save(node, args.get(0, "obj"), args, env, "tfsave")
        if name in ("keras.models.save_model", "keras.saving.save_model"):
            return self._save(node, UNKNOWN, args, env, "other", path_index=1)
        return None

    def _method(
        self, node: cst.Call, receiver: AbstractValue, name: str, args: CallArgs, env: Env
    ) -> AbstractValue | None:
        if isinstance(receiver, Function) and name == "get_concrete_function":
            return _concrete(receiver, args)
        if isinstance(receiver, KerasModel) and name == "add" and receiver.sequential:
            owner = _key(node.func.value) if isinstance(node.func, cst.Attribute) else None
            if owner is not None and owner in env:
                env[owner] = _sequential_add(receiver, args.get(0, "layer"))
            return Const(None)
        keras = isinstance(receiver, KerasModel) or (
            isinstance(receiver, Instance) and receiver.cls.keras
        )
        if keras and name == "export":
            fmt = args.get(1, "format")
            if args.has(1, "format") and fmt != Const("tf_saved_model"):
                return Const(None)
            obj = receiver if not args.has(None, "input_signature") else UNKNOWN
            return self._save(node, obj, args, env, "export", path_index=0, keyword="filepath")
        if keras and name == "save":
            text = _text(args.get(0, "filepath"))
            if text is not None and text.endswith((".keras", ".h5", ".hdf5")):
                return Const(None)
            return self._save(node, UNKNOWN, args, env, "other", path_index=0, keyword="filepath")
        if receiver is UNKNOWN and name in ("export", "save") and args.positional:
            # A model this analysis does not know (keras.applications, a loaded model) may
            # write a SavedModel there: a later load of that path is not SM011, and unchecked.
            if path_key(args.positional[0]) is not None:
                self._save(node, UNKNOWN, args, env, "other", path_index=0, keyword="filepath")
            return UNKNOWN
        return None

    def _keras_input(self, args: CallArgs) -> AbstractValue:
        self._tokens += 1
        if (
            args.get(3, "sparse") not in (UNKNOWN, Const(None), Const(False))
            or args.has(6, "tensor")
            or args.get(7, "ragged") not in (UNKNOWN, Const(None), Const(False))
        ):
            return UNKNOWN
        if args.has(None, "optional"):
            return UNKNOWN
        name = args.get(5, "name")
        given = args.has(5, "name") and name != Const(None)
        text = _text(name) if given else None
        dtype_arg = args.get(2, "dtype")
        dtype = (
            "float32" if dtype_arg == Const(None) or not args.has(2, "dtype") else _dtype(dtype_arg)
        )
        batch_shape = args.get(4, "batch_shape")
        if args.has(4, "batch_shape") and batch_shape != Const(None):
            known, full = _shape(batch_shape)
            if not known or not full:
                return KerasInput(self._tokens, dtype, None, None, text, not given or bool(text))
            return KerasInput(self._tokens, dtype, full[1:], full[0], text, not given or bool(text))
        known, shape = _shape(args.get(0, "shape"))
        batch = args.get(1, "batch_size")
        fixed = batch.value if isinstance(batch, Const) and isinstance(batch.value, int) else None
        unknown_batch = batch not in (UNKNOWN, Const(None)) and fixed is None
        if not known or unknown_batch or (args.has(1, "batch_size") and batch is UNKNOWN):
            shape, fixed = None, None
        return KerasInput(self._tokens, dtype, shape, fixed, text, not given or bool(text))

    # --------------------------------------------------------------------- saves
    def _save(
        self,
        node: cst.Call,
        obj: AbstractValue,
        args: CallArgs,
        env: Env,
        how: str,
        path_index: int = 1,
        keyword: str = "export_dir",
    ) -> AbstractValue:
        path_node = _argument_node(node, path_index, keyword)
        path = args.get(path_index, keyword)
        key = path_key(path)
        if key is None and path_node is not None:
            target = _key(path_node)
            if target is not None and path is UNKNOWN:
                # save(obj, some_path) then load(some_path): the same variable is the link.
                path = FreshPath(self._origin(path_node, "variable"), "")
                env[target] = path
                key = path_key(path)
        if how == "tfsave":
            if (
                isinstance(obj, Instance)
                and obj.cls.known
                and any(_sets_unknown_attributes(self._classes[c]) for c in obj.cls.scan)
            ):
                obj = Instance(replace(obj.cls, known=False))
            signatures, complete = _tf_save_signatures(
                obj, args.get(2, "signatures") if args.has(2, "signatures") else None, node, env
            )
        elif how == "export":
            signatures, complete = _export_signatures(obj)
        else:
            signatures, complete = (), False
        save = ModelSave(
            id=len(self.saves),
            span=self.interp.span(path_node if path_node is not None else node),
            expr=self.interp.text(path_node) if path_node is not None else "",
            path=_text(path)
            if isinstance(path, Const)
            else (path.path if isinstance(path, PathValue) else None),
            signatures=signatures,
            complete=complete,
        )
        self.saves.append(save)
        if key is not None:
            env[_link(key)] = SaveLink(save.signatures, save.complete, save.id)
            self._latest[_link(key)] = save.id
        return Const(None)


def _link(key: tuple[str, ...]) -> str:
    """The env key that links a folder to its save (never a Python name)."""
    return "<saved " + "\0".join(key) + ">"


def _understood(name: str) -> bool:
    """Whether ``_function`` gives a value of its own for a call of *name*."""
    return (
        name in (*_TENSORSPEC, *_KERAS_INPUT, *_KERAS_MODEL, *_SEQUENTIAL, _SAVE)
        or name.startswith(("keras.layers.", "tempfile."))
        or name
        in (
            "tensorflow.TensorShape",
            "tensorflow.as_dtype",
            "tensorflow.function",
            "tensorflow.Module",
            "tensorflow.train.Checkpoint",
            "keras.models.save_model",
            "keras.saving.save_model",
        )
    ) and not name.endswith("TFSMLayer")


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
    holder = _argument_node(node, 0, "obj")
    owner = _key(holder) if holder is not None else None
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


# ------------------------------------------------------------------ function outputs
def _outputs(
    interp: Interpreter, node: cst.FunctionDef, params: dict[str, AbstractValue], env: Env
) -> tuple[tuple[str, ...] | None, bool]:
    """The output names of a tf.function: a returned dict keeps its keys, one tensor is
    ``output_0``, a tuple or list ``output_0``, ``output_1``...; None when not known. And
    whether every return gives a value."""
    returns: list[cst.Return] = []
    assigned: dict[str, list[cst.BaseExpression | None]] = {}
    _collect(_body(node.body), returns, assigned, top=True)
    if not returns:
        return (), False
    gives = all(
        r.value is not None and not (isinstance(r.value, cst.Name) and r.value.value == "None")
        for r in returns
    )
    found: set[tuple[str, ...] | None] = set()
    for statement in returns:
        found.add(_returned(statement.value, params, assigned, env, interp, 0))
    if len(found) != 1:
        return None, gives
    return found.pop(), gives


def _collect(
    body: Sequence[cst.CSTNode],
    returns: list[cst.Return],
    assigned: dict[str, list[cst.BaseExpression | None]],
    top: bool,
) -> None:
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Return):
                    returns.append(small)
                elif isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            assigned.setdefault(target.target.value, []).append(
                                small.value if top else None
                            )
                        else:
                            for name in _names(target.target):
                                assigned.setdefault(name, []).append(None)
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    for name in _names(small.target):
                        assigned.setdefault(name, []).append(None)
            continue
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            assigned.setdefault(statement.name.value, []).append(None)
            continue
        if isinstance(statement, cst.For):
            for name in _names(statement.target):
                assigned.setdefault(name, []).append(None)
        for part in ("body", "orelse", "finalbody"):
            child = getattr(statement, part, None)
            if isinstance(child, cst.If):
                _collect([child], returns, assigned, False)
            elif child is not None and hasattr(child, "body"):
                inner = child.body
                _collect(
                    _body(inner) if not isinstance(inner, Sequence) else inner,
                    returns,
                    assigned,
                    False,
                )
        for handler in getattr(statement, "handlers", ()) or ():
            _collect(_body(handler.body), returns, assigned, False)


def _names(target: cst.CSTNode) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _names(e.value)]
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    return []


def _returned(
    value: cst.BaseExpression | None,
    params: dict[str, AbstractValue],
    assigned: dict[str, list[cst.BaseExpression | None]],
    env: Env,
    interp: Interpreter,
    depth: int,
) -> tuple[str, ...] | None:
    if value is None or depth > 8:
        return None
    if isinstance(value, cst.Dict):
        keys = []
        for element in value.elements:
            if not isinstance(element, cst.DictElement) or not isinstance(
                element.key, cst.SimpleString
            ):
                return None
            key = _literal(element.key)
            # Any value that is not one tensor makes the save itself fail (measured).
            if not isinstance(key, str):
                return None
            keys.append(key)
        return tuple(sorted(set(keys))) if len(set(keys)) == len(keys) and keys else None
    if isinstance(value, (cst.Tuple, cst.List)):
        if not value.elements or not all(
            isinstance(e, cst.Element)
            and _tensor(e.value, params, assigned, env, interp, depth + 1)
            for e in value.elements
        ):
            return None
        return tuple(f"output_{i}" for i in range(len(value.elements)))
    if isinstance(value, cst.Name) and value.value not in params:
        sources = assigned.get(value.value)
        if sources is not None and len(sources) == 1 and sources[0] is not None:
            return _returned(sources[0], params, assigned, env, interp, depth + 1)
    if _tensor(value, params, assigned, env, interp, depth + 1):
        return ("output_0",)
    return None


def _tensor(
    value: cst.BaseExpression,
    params: dict[str, AbstractValue],
    assigned: dict[str, list[cst.BaseExpression | None]],
    env: Env,
    interp: Interpreter,
    depth: int,
) -> bool:
    """True when *value* is certainly one tensor (not a tuple, dict or None)."""
    if depth > 8:
        return False
    if isinstance(value, cst.Name):
        if value.value in params:
            return value.value not in assigned and isinstance(params[value.value], Spec)
        sources = assigned.get(value.value)
        return (
            sources is not None
            and len(sources) == 1
            and sources[0] is not None
            and _tensor(sources[0], params, assigned, env, interp, depth + 1)
        )
    if isinstance(value, cst.BinaryOperation):
        return any(
            _tensor(side, params, assigned, env, interp, depth + 1)
            for side in (value.left, value.right)
        ) and not any(
            isinstance(side, (cst.Tuple, cst.List, cst.Dict)) for side in (value.left, value.right)
        )
    if isinstance(value, cst.UnaryOperation):
        return _tensor(value.expression, params, assigned, env, interp, depth + 1)
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name):
        # x[...] of a plain tensor parameter; a dict or tuple parameter's item may be nested.
        name = value.value.value
        if name not in params or name in assigned or len(value.slice) != 1:
            return False
        return _item_is_spec(params[name], value.slice[0].slice)
    if isinstance(value, cst.Call):
        callee = interp.expr(value.func, dict(env)) if _plain(value.func) else UNKNOWN
        if isinstance(callee, QualName):
            return callee.name in _SINGLE
    return False


def _item_is_spec(structure: AbstractValue, index: cst.BaseSlice) -> bool:
    """``param[index]`` is one tensor: an item of a tensor, or a spec in a dict or tuple."""
    if isinstance(structure, Spec):
        return True
    if not isinstance(index, cst.Index):
        return False
    key = index.value
    if isinstance(structure, DictLit) and isinstance(key, cst.SimpleString):
        wanted = _literal(key)
        return any(k == wanted and isinstance(v, Spec) for k, v, _, _ in structure.items or ())
    if isinstance(structure, Seq) and isinstance(key, cst.Integer):
        position = _literal(key)
        return (
            isinstance(position, int)
            and 0 <= position < len(structure.items)
            and isinstance(structure.items[position], Spec)
        )
    return False


def _literal(node: cst.SimpleString | cst.Integer) -> object:
    """A literal's value; None where libcst cannot evaluate it."""
    try:
        return node.evaluated_value
    except Exception:  # libcst raises various errors for odd literals
        return None


def _plain(node: cst.BaseExpression) -> bool:
    """A dotted name (evaluating it has no side effects)."""
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and _plain(node.value)


def _sets_unknown_attributes(node: cst.ClassDef) -> bool:
    """True when a method stores on ``self`` something that may be a tf.function."""
    return any(_method_sets_unknown(m) for m in _body(node.body) if isinstance(m, cst.FunctionDef))


def _method_sets_unknown(method: cst.FunctionDef) -> bool:
    params = [*method.params.posonly_params, *method.params.params]
    if not params:
        return False
    me = params[0].name.value
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            nonlocal found
            for target in node.targets:
                if (
                    isinstance(target.target, cst.Attribute)
                    and isinstance(target.target.value, cst.Name)
                    and target.target.value.value == me
                ):
                    found = found or not _harmless(node.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            nonlocal found
            if isinstance(node.target, cst.Attribute):
                found = found or node.value is None or not _harmless(node.value)

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            if isinstance(node.func, cst.Name) and node.func.value == "setattr":
                found = True

    method.body.visit(Finder())
    return found


def _harmless(value: cst.BaseExpression) -> bool:
    """A value stored on self that cannot be a tf.function: a literal, or a call of
    something other than ``tf.function`` / ``get_concrete_function``."""
    if isinstance(value, (cst.SimpleString, cst.Integer, cst.Float, cst.List, cst.Dict, cst.Tuple)):
        return "function" not in cst.Module([]).code_for_node(value)
    if isinstance(value, cst.Call):
        return "function" not in cst.Module([]).code_for_node(value.func)
    return False


# The interpreter's own helpers (imported late: the interpreter imports this module).
def _body(node: cst.BaseSuite | cst.CSTNode) -> Sequence[cst.CSTNode]:
    from sm_lint.analysis import interpreter

    return interpreter._body(node)


def _key(node: cst.BaseExpression) -> str | None:
    from sm_lint.analysis import interpreter

    return interpreter._key(node)


def _argument_node(node: cst.Call, index: int, keyword: str) -> cst.BaseExpression | None:
    from sm_lint.analysis import interpreter

    return interpreter._argument_node(node, index, keyword)
