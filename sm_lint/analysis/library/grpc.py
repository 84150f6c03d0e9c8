"""TF Serving gRPC clients: a ``predict_pb2.PredictRequest`` filled in place
(``request.model_spec.name = "m"``, ``.signature_name``, ``.version.value``,
``request.inputs["x"].CopyFrom(tf.make_tensor_proto(...))``, ``request.output_filter``) and
sent with ``stub.Predict(request, timeout)`` / ``stub.Predict.future(...)``.

The request is a value the program changes in place: each change the analysis understands
gives the names holding it a new :class:`Request`; anything else done to it or to a part of
it (passed to a function, another method, an assignment not modelled) makes it unknown, and
a request some other function could reach is not checked (no false alarm from a change not
seen). At ``Predict`` the request becomes a load of the served model (the loader table's
``serving.grpc`` row, found as TF Serving finds it) and a call of its signature whose
arguments are the inputs by alias, each the TensorProto ``make_tensor_proto`` builds
(tensorflow/python/framework/tensor_util.py: its dtype and shape, as numpy infers them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.dtypes import dtype_of
from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import assigned_names, env_key, param_names
from sm_lint.analysis.facts import (
    Argument,
    ModelLoad,
    OutputAccess,
    Span,
)
from sm_lint.analysis.library import models
from sm_lint.analysis.library.models import alias_of, record_load
from sm_lint.analysis.literals import CallArgs, as_argument, shape_arg
from sm_lint.analysis.loaders import LOADERS, Loader
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Array, Const, QualName, Seq
from sm_lint.semantics import INTEGERS, Kind, Value

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

_ROW = LOADERS[Loader.SERVING_GRPC]
#: tf.make_tensor_proto and its other public names.
MAKE_TENSOR_PROTO = (
    "tensorflow.make_tensor_proto",
    "tensorflow.compat.v1.make_tensor_proto",
    "tensorflow.python.framework.tensor_util.make_tensor_proto",
    "tensorflow.contrib.util.make_tensor_proto",
)
MODEL_SPEC = "tensorflow_serving.apis.model_pb2.ModelSpec"
#: ModelSpec fields a request names its served model by (model.proto).
_SPEC_FIELDS: dict[tuple[str | None, ...], str] = {
    ("model_spec", "name"): "model",
    ("model_spec", "signature_name"): "signature",
    ("model_spec", "version", "value"): "version",
    ("model_spec", "version_label"): "label",
}
#: Message methods that read a request without changing it.
_READERS = frozenset(
    {"SerializeToString", "ByteSize", "HasField", "ListFields", "IsInitialized", "WhichOneof"}
)
_READER_FUNCTIONS = frozenset(
    f"builtins.{name}" for name in ("print", "len", "str", "repr", "isinstance", "type", "id")
)
_INT32 = range(-(2**31), 2**31)


@dataclass(frozen=True)
class TensorProto(AbstractValue):
    """What ``make_tensor_proto`` returns: a tensor's dtype and shape (kind TENSOR)."""

    value: Value


@dataclass(frozen=True)
class Request(AbstractValue):
    """A ``PredictRequest`` as far as the program filled it; ``origin`` (where it was made)
    names it. A field set to a value not known statically leaves ``known`` False."""

    origin: Span
    model: str | None = None
    model_span: Span | None = None
    model_text: str = ""
    version: int | None = None
    label: str | None = None
    signature: str = ""
    signature_span: Span | None = None
    known: bool = True
    inputs: tuple[Argument, ...] = ()
    outputs: tuple[OutputAccess, ...] = ()


@dataclass(frozen=True)
class Spec(AbstractValue):
    """A ``ModelSpec`` made with keywords: the request it would start."""

    request: Request

    @property
    def origin(self) -> Span:
        return self.request.origin


@dataclass(frozen=True)
class Part(AbstractValue):
    """A field of a request (``request.inputs``, ``request.inputs["x"]``): its path."""

    origin: Span
    path: tuple[str | None, ...]


def register(registry: Registry) -> None:
    for name in _ROW.functions:
        registry.functions[name] = _request
    registry.functions[MODEL_SPEC] = _model_spec
    for name in MAKE_TENSOR_PROTO:
        registry.functions[name] = _make_tensor_proto
        registry.pure_names.add(name)
    registry.attributes[Request] = _attribute
    registry.attributes[Part] = _attribute
    registry.subscripts[Part] = _item
    registry.intercepts.append(_call)
    registry.stores.append(_store)
    registry.never_none.extend((Request, Part, TensorProto))


def _request(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    """``PredictRequest()``, or ``PredictRequest(model_spec=ModelSpec(...))``; with any
    other argument, not followed."""
    request = Request(engine.span(node))
    if not node.args:
        return request
    spec = args.get(None, "model_spec")
    if len(node.args) != 1 or not isinstance(spec, Spec):
        return UNKNOWN
    return replace(spec.request, origin=request.origin)


def _model_spec(
    engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    """``model_pb2.ModelSpec(name=..., signature_name=..., version_label=...)``."""
    request = Request(engine.span(node))
    for arg in node.args:
        keyword = arg.keyword.value if arg.keyword is not None else None
        field = _SPEC_FIELDS.get(("model_spec", keyword)) if keyword != "version" else None
        value = args.get(None, keyword) if keyword is not None else UNKNOWN
        text = value.value if isinstance(value, Const) else None
        if field is None or arg.star or not isinstance(text, str):
            return Spec(replace(request, known=False))
        span = engine.span(arg.value)
        if field == "model":
            request = replace(
                request, model=text, model_span=span, model_text=engine.text(arg.value)
            )
        elif field == "signature":
            request = replace(request, signature=text, signature_span=span)
        else:
            request = replace(request, label=text)
    return Spec(request)


def _attribute(base: Request | Part, attr: str) -> AbstractValue:
    path = base.path if isinstance(base, Part) else ()
    return Part(base.origin, (*path, attr))


def _item(engine: Engine, node: cst.Subscript, base: Part, index: AbstractValue) -> AbstractValue:
    key = index.value if isinstance(index, Const) and isinstance(index.value, str) else None
    return Part(base.origin, (*base.path, key))


# ---------------------------------------------------------------- changes in place
def _holder(engine: Engine, node: cst.BaseExpression, env: Env) -> tuple[str, Request] | None:
    """The env name holding the request *node* (``request`` or ``self.request``) is."""
    key = env_key(node)
    held = env.get(key) if key is not None else None
    return (key, held) if key is not None and isinstance(held, Request) else None


def _forget(env: Env, origin: Span) -> None:
    """The request made at *origin* changed in a way not followed: unknown wherever held."""
    for key, value in list(env.items()):
        if isinstance(value, (Request, Part, Spec)) and value.origin == origin:
            env[key] = UNKNOWN


def _update(env: Env, key: str, old: Request, new: Request) -> None:
    """*key* holds the changed request; other names holding an equal one may be aliases or
    copies (which is not known): unknown."""
    _forget(env, old.origin)
    env[key] = new


def _chain(node: cst.BaseExpression) -> tuple[cst.BaseExpression, list[cst.CSTNode]]:
    """``request.model_spec.name`` -> (``request``, [the Attribute / Subscript nodes])."""
    steps: list[cst.CSTNode] = []
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        steps.append(node)
        node = node.value
    return node, steps[::-1]


def _rooted(
    engine: Engine, target: cst.BaseExpression, env: Env
) -> tuple[str, Request | Part | Spec, tuple[str | None, ...]] | None:
    """The name holding a request (or a part of one) that *target* is under, and the path
    from it (attribute names; item keys, None where not constant)."""
    root, steps = _chain(target)
    candidates: list[tuple[cst.BaseExpression, list[cst.CSTNode]]] = [(root, steps)]
    if steps and isinstance(steps[0], cst.Attribute):  # self.request.inputs[...]
        first = steps[0]
        assert isinstance(first, cst.Attribute)
        candidates.insert(0, (first, steps[1:]))
    for base, rest in candidates:
        key = env_key(base)
        held = env.get(key) if key is not None else None
        if key is None or not isinstance(held, (Request, Part, Spec)):
            continue
        path: list[str | None] = []
        for step in rest:
            if isinstance(step, cst.Attribute):
                path.append(step.attr.value)
            else:
                assert isinstance(step, cst.Subscript)
                index = engine.index(step.slice, env) if len(step.slice) == 1 else UNKNOWN
                text = index.value if isinstance(index, Const) else None
                path.append(text if isinstance(text, str) else None)
        return key, held, tuple(path)
    return None


def _store(engine: Engine, target: cst.BaseExpression, value: AbstractValue, env: Env) -> None:
    """``request.model_spec.name = "m"`` and the other ModelSpec fields; any other write
    into a request makes it unknown."""
    found = _rooted(engine, target, env)
    if found is None:
        return
    key, held, path = found
    field = _SPEC_FIELDS.get(path) if isinstance(held, Request) else None
    if field is None or not isinstance(held, Request):
        _forget(env, held.origin)
        return
    text = value.value if isinstance(value, Const) else None
    if field == "version":
        number = text if isinstance(text, int) and not isinstance(text, bool) else None
        new = replace(held, version=number, known=held.known and number is not None)
    elif not isinstance(text, str):
        new = replace(held, known=False)
    elif field == "model":
        span = engine.span(target)
        new = replace(held, model=text, model_span=span, model_text=engine.text(target))
    elif field == "signature":
        new = replace(held, signature=text, signature_span=engine.span(target))
    else:
        new = replace(held, label=text)
    _update(env, key, held, new)


def _call(
    engine: Engine,
    node: cst.Call,
    func: AbstractValue,
    receiver: AbstractValue | None,
    args: CallArgs,
    env: Env,
) -> AbstractValue | None:
    """Calls that take a request or a part of one: ``Predict``, ``inputs[k].CopyFrom``,
    ``output_filter.append``, readers; any other makes the request unknown."""
    given = (*args.positional, *args.keywords.values())
    taken = [v for v in given if isinstance(v, Request)]
    parts = isinstance(receiver, (Request, Part, Spec)) or any(
        isinstance(v, (Part, Spec)) for v in given
    )
    if not taken and not parts:
        return None
    if isinstance(func, QualName) and func.name in _ROW.functions:
        return None  # PredictRequest(model_spec=spec)
    method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
    predict = method == "Predict" or (
        method == "future"
        and isinstance(node.func, cst.Attribute)
        and isinstance(node.func.value, cst.Attribute)
        and node.func.value.attr.value == "Predict"
    )
    sent = args.get(0, "request")
    if predict and isinstance(sent, Request):
        _predict(engine, node, sent, args, env)
        return UNKNOWN
    if isinstance(receiver, (Request, Part)) and method in _READERS and not taken:
        return None
    if isinstance(func, QualName) and func.name in _READER_FUNCTIONS:
        return None
    if (
        isinstance(receiver, Part)
        and isinstance(node.func, cst.Attribute)
        and not taken
        and _change(engine, node, receiver, method, args, env)
    ):
        return Const(None)
    for value in (receiver, *given):
        if isinstance(value, (Request, Part, Spec)):
            _forget(env, value.origin)
    return None


def _change(
    engine: Engine, node: cst.Call, part: Part, method: str | None, args: CallArgs, env: Env
) -> bool:
    """``request.inputs[k].CopyFrom(proto)``, ``request.output_filter.append(k)`` /
    ``.extend([...])`` on a request held by a name: the request with the change."""
    assert isinstance(node.func, cst.Attribute)
    found = _rooted(engine, node.func.value, env)
    if found is None or not isinstance(found[1], Request) or found[1].origin != part.origin:
        return False
    key, held, path = found
    assert isinstance(held, Request)
    if method == "CopyFrom" and len(path) == 2 and path[0] == "inputs" and path[1] is not None:
        alias = path[1]
        sent = args.get(0, "other")
        value = sent.value if isinstance(sent, TensorProto) else Value()
        where = node.func.value
        alias_node = (
            where.slice[0].slice.value
            if isinstance(where, cst.Subscript) and isinstance(where.slice[0].slice, cst.Index)
            else where
        )
        value_node = node.args[0].value if node.args else node
        argument = Argument(
            name=alias,
            value=value,
            span=engine.span(alias_node),
            value_span=engine.span(value_node),
            value_text="",
            proto=True,
        )
        inputs = (*(a for a in held.inputs if a.name != alias), argument)
        _update(env, key, held, replace(held, inputs=inputs))
        return True
    if path == ("output_filter",) and method in ("append", "extend") and node.args:
        given = args.get(0, "value" if method == "append" else "elem_seq")
        items = [given] if method == "append" else list(getattr(given, "items", None) or [])
        if not isinstance(given, Seq) and method == "extend":
            return False
        if not all(isinstance(i, Const) and isinstance(i.value, str) for i in items):
            return False
        given_node = node.args[0].value
        spans = [engine.span(given_node)] * len(items)
        if isinstance(given_node, (cst.List, cst.Tuple)) and len(given_node.elements) == len(items):
            # each name at its own place: a name given twice is two accesses, not one
            spans = [engine.span(element.value) for element in given_node.elements]
        added = tuple(
            OutputAccess(str(i.value), span)
            for i, span in zip(items, spans, strict=True)
            if isinstance(i, Const)
        )
        _update(env, key, held, replace(held, outputs=held.outputs + added))
        return True
    return False


# ---------------------------------------------------------------- the request sent
def _predict(engine: Engine, node: cst.Call, request: Request, args: CallArgs, env: Env) -> None:
    """``stub.Predict(request)``: a load of the served model and a call of its signature."""
    if engine.contextual or id(node) in engine.state.seen_calls:
        return
    if not request.known or request.model is None or request.model_span is None:
        return  # which model (or version, or signature) is not known statically
    if request.label is not None:
        return  # which version a label names is the server's configuration
    arg = node.args[0].value if node.args else node
    name = env_key(arg)
    # Held by an attribute (``self.request``), any method may fill it: not followed.
    if name is None or "." in name or _reachable_elsewhere(engine, name):
        return
    engine.state.seen_calls.add(id(node))
    where = f"/versions/{request.version}" if request.version is not None else ""
    load = ModelLoad(
        id=len(engine.state.loads),
        span=request.model_span,
        expr=request.model_text,
        # The served model, named as the REST API's path names it (resolve.py's serving step).
        path=f"/v1/models/{request.model}{where}:predict",
        literal=False,
        loader=Loader.SERVING_GRPC,
    )
    key = request.signature or "serving_default"  # predict_util.cc: empty is the default
    for access in request.outputs:
        engine.state.add_output(id(node), access)
    models.request_call(
        engine,
        node,
        record_load(engine, load),
        key,
        request.signature_span or engine.span(node),
        request.inputs,
        grpc=True,
        tf_alias=alias_of(env, "tensorflow"),
    )


def _reachable_elsewhere(engine: Engine, name: str) -> bool:
    """Another function (or one nested in this one) could change the request held by
    *name* where this analysis does not see it: it names *name* without binding it."""
    current = engine.frames[-1].function if engine.frames else None
    scope: cst.CSTNode = current if current is not None else engine.module
    if current is not None and name not in _bound_in(current):
        scope = engine.module  # a global: any function may reach it

    found = False

    class Visitor(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return self._function(node)

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return self._function(node)

        def _function(self, node: cst.FunctionDef | cst.Lambda) -> bool:
            nonlocal found
            if node is current:
                return True
            if name in _free_names(node):
                found = True
            return False

    scope.visit(Visitor())
    return found


def _bound_in(function: cst.FunctionDef | cst.Lambda) -> set[str]:
    names = set(param_names(function.params))
    if isinstance(function, cst.FunctionDef):
        names |= assigned_names(function.body)
    return names


def _free_names(function: cst.FunctionDef | cst.Lambda) -> set[str]:
    """Names *function* (with what it nests) uses without binding them itself."""
    used: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            used.add(node.value)

    function.body.visit(Names())
    return used - _bound_in(function)


# ---------------------------------------------------------------- make_tensor_proto
def _make_tensor_proto(
    engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    """``make_tensor_proto(values, dtype=None, shape=None)`` (tensor_util.py): numpy arrays
    and tensors keep their dtype (``dtype=`` casts them); Python values convert as
    ``np.array`` does, float64 then stored as float32 and int64 as int32 when no value is
    lost; ``shape=`` is the proto's shape (at least as many elements as given). Where the
    call itself would raise, or a part is not known, that part stays unknown."""
    values = args.get(0, "values")
    if isinstance(values, TensorProto):
        return values  # returned as it is; dtype and shape are ignored
    value = as_argument(values)
    if value.ragged or value.dtype == "none":
        return TensorProto(Value(Kind.TENSOR))
    asked = args.get(1, "dtype")
    dtype = _dtype(values, value, dtype_of(asked, numpy=False) if args.has(1, "dtype") else "")
    shape = value.shape
    if args.has(2, "shape"):
        shape = _proto_shape(value.shape, shape_arg(args.get(2, "shape")), args)
    return TensorProto(Value(Kind.TENSOR, dtype, shape))


def _proto_shape(
    values: tuple[int | None, ...] | None, given: tuple[int | None, ...] | None, args: CallArgs
) -> tuple[int | None, ...] | None:
    """``shape=``: the proto's shape, where the client does not raise: more elements than
    it holds, ``verify_shape=True`` with another shape, ``allow_broadcast=True`` with
    another number of elements (but one)."""
    if given is None or None in given:
        return None
    verify, broadcast = _flag(args, 3, "verify_shape"), _flag(args, 4, "allow_broadcast")
    known = values is not None and None not in values
    if verify is None or broadcast is None or ((verify or broadcast) and not known):
        return None
    if values is None:
        return given
    if verify and values != given:
        return None
    if broadcast and values not in ((1,), ()) and _size(values) != _size(given):
        return None
    if known and _size(values) > _size(given):
        return None  # "Too many elements provided"
    return given


def _flag(args: CallArgs, index: int, name: str) -> bool | None:
    """A boolean argument: False when not given, None when not known."""
    if not args.has(index, name):
        return False
    value = args.get(index, name)
    return bool(value.value) if isinstance(value, Const) else None


def _size(shape: tuple[int | None, ...]) -> int:
    size = 1
    for dim in shape:
        size *= dim or 0
    return size


_PYTHON_PROTO_DTYPES = {"float": "float32", "bool": "bool", "str": "string"}


def _dtype(values: AbstractValue, value: Value, asked: str | None) -> str | None:
    """The proto's dtype: *asked* ("" when no dtype= is given, None when unknown)."""
    python = value.kind in (Kind.LIST, Kind.SCALAR, Kind.STRING)
    if asked is None:
        return None
    if asked:
        if python and value.dtype is not None:
            # _AssertCompatible: a float into an integer or bool dtype, a string into a
            # number (and the reverse) raise in the client.
            if value.dtype == "str" and asked != "string":
                return None
            if value.dtype != "str" and asked == "string":
                return None
            if value.dtype == "float" and (asked in INTEGERS or asked == "bool"):
                return None
        elif value.kind is Kind.NDARRAY and value.dtype == "string" and asked != "string":
            return None  # numerals or not: not known
        return asked
    if value.kind in (Kind.TENSOR, Kind.NDARRAY):
        return value.dtype
    if not python or value.dtype is None:
        return None
    if value.dtype in ("int", "boolint"):
        return "int32" if _small_ints(values) else None
    return _PYTHON_PROTO_DTYPES.get(value.dtype)


def _small_ints(value: AbstractValue) -> bool:
    """Every integer of a literal is known and fits int32 (numpy's int64 is then stored
    as int32)."""
    if isinstance(value, Const):
        return isinstance(value.value, bool) or (
            isinstance(value.value, int) and value.value in _INT32
        )
    if isinstance(value, Seq):
        return all(_small_ints(item) for item in value.items)
    return isinstance(value, Array) and value.value.dtype == "bool"
