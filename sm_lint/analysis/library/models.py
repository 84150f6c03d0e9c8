"""Models loaded and called, whatever library loads them: the loads, signature lookups,
signature calls (context-free and under a caller's arguments) and the facts of their
arguments. library/saved_model.py and library/hub.py register the ways to reach them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis import functions, paths
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import argument_node
from sm_lint.analysis.facts import (
    Argument,
    CallSite,
    LayerOptions,
    ModelLoad,
    OutputAccess,
    Passed,
    RestRequest,
    SignatureCall,
    SignatureLookup,
    Span,
)
from sm_lint.analysis.library import saves
from sm_lint.analysis.library.save_values import KerasInput
from sm_lint.analysis.literals import CallArgs, as_argument
from sm_lint.analysis.loaders import LOADERS, Loader, handle_loaders
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Array,
    CallResult,
    Const,
    DictLit,
    EnvDefault,
    Handle,
    ModelRef,
    QualName,
    Seq,
    SignatureFn,
)
from sm_lint.semantics import Kind, Value

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

#: The key of a call of the model's own ``__call__`` (``hub.KerasLayer(handle)``).
CALL_KEY = "__call__"
HUB_LOADERS = handle_loaders()
#: Env keys of the cache settings a program put in ``os.environ`` start with this.
ENVIRON = "os.environ:"


def alias_of(env: Env, module: str) -> str | None:
    """The module-level name bound to *module* (``tf`` for tensorflow), if any."""
    for name, value in env.items():
        if value == QualName(module) and "." not in name:
            return name
    return None


def text_or_none(value: AbstractValue) -> str | None:
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def model_load(
    engine: Engine,
    node: cst.Call,
    loader: Loader,
    args: CallArgs,
    env: Env,
    layer: LayerOptions | None = None,
) -> AbstractValue:
    """A load of a model by *loader*: its ModelLoad recorded (once per place), a ModelRef;
    the path and tags arguments are where the loader table's row says; *layer*: the
    options of a ``hub.KerasLayer``."""
    spec = LOADERS[loader]
    at, keyword = spec.path.position, spec.path.keyword
    path_node = argument_node(node, at, keyword)
    value = args.get(at, keyword)
    tag_param = spec.tags
    tags_value = (
        args.get(tag_param.position, tag_param.keyword) if tag_param is not None else UNKNOWN
    )
    unset: tuple[str, ...] = ()
    if isinstance(value, EnvDefault) and value.default is not None:
        # the path where the variable is unset (the load says so)
        unset, value = (value.name,), value.default
    path = paths.as_text(value)
    if isinstance(value, Handle):  # load(hub.resolve(h)), load(kagglehub.model_download(h))
        loader, path = value.via, value.handle
    tags: tuple[str, ...] | None = None
    if isinstance(tags_value, Seq) and all(
        isinstance(t, Const) and isinstance(t.value, str) for t in tags_value.items
    ):
        tags = tuple(str(t.value) for t in tags_value.items if isinstance(t, Const))
    elif isinstance(tags_value, Const) and isinstance(tags_value.value, str):
        tags = (tags_value.value,)
    settings = tuple(
        (key[len(ENVIRON) :], text_or_none(value))
        for key, value in sorted(env.items())
        if key.startswith(ENVIRON) and loader in HUB_LOADERS
    )
    load = ModelLoad(
        id=len(engine.state.loads),
        span=engine.span(path_node if path_node is not None else node),
        expr=engine.text(path_node) if path_node is not None else "",
        path=path,
        literal=isinstance(path_node, (cst.SimpleString, cst.ConcatenatedString)),
        loader=loader,
        tags=tags,
        saved_by=saves.saved_by(engine, value, env),
        environ=settings,
        layer_options=layer,
        unset=unset,
    )
    return ModelRef(record_load(engine, load))


def record_load(engine: Engine, load: ModelLoad) -> int:
    """Record *load* (made with the next id); its id, or that of the same load met before."""
    # A body analysed again (a method, once per calling context) loads the same model
    # from the same place: one load, not one per analysis.
    key = replace(load, id=0)
    known = engine.state.load_ids.get(key)
    if known is not None:
        return known
    engine.state.load_ids[key] = load.id
    engine.state.loads.append(load)
    return load.id


def request_call(
    engine: Engine,
    node: cst.Call,
    load_id: int,
    key: str,
    key_span: Span,
    arguments: tuple[Argument, ...] = (),
    rest: RestRequest | None = None,
    grpc: bool = False,
    tf_alias: str | None = None,
) -> None:
    """A request to a model server at *node* (library/grpc.py, library/vertex.py): the
    lookup of signature *key* and a call of it, sent as *rest* or *grpc* say."""
    engine.state.lookups.append(SignatureLookup(load_id, key, key_span))
    engine.state.calls[id(node)] = SignatureCall(
        id=id(node),
        load_id=load_id,
        key=key,
        span=engine.span(node),
        func_span=engine.span(node.func),
        arguments=arguments,
        opaque_arguments=False,
        tf_alias=tf_alias,
        rest=rest,
        grpc=grpc,
    )


def lookup(
    engine: Engine, load_id: int, key: AbstractValue, key_node: cst.CSTNode
) -> AbstractValue:
    if not (isinstance(key, Const) and isinstance(key.value, str)):
        return UNKNOWN
    engine.state.lookups.append(SignatureLookup(load_id, key.value, engine.span(key_node)))
    return SignatureFn(load_id, key.value)


def signature_call(
    engine: Engine, node: cst.Call, func: SignatureFn, env: Env, opaque: bool
) -> AbstractValue:
    # CPython objects are 8-aligned: id(node) + 1..3 (MAX_CHOICES) is no other node's id.
    call_id = id(node) + engine.state.alternative
    structured = _structured(func)
    hub_arguments = hub_layer_arguments(engine, node, env) if func.hub_layer else None
    if func.hub_layer and hub_arguments is None:
        return UNKNOWN
    if engine.contextual:
        context_call(engine, node, func, env, opaque, hub_arguments)
    elif call_id in engine.state.seen_calls:
        if engine.state.recording is not None:
            engine.state.recording.impure = True  # met before: what it depends on is not recorded
    else:
        engine.state.seen_calls.add(call_id)
        arguments: list[Argument] = hub_arguments or []
        if not func.hub_layer:
            for arg in node.args:
                arguments.extend(argument_facts(engine, arg, env, structured, func.layer))
        if func.output_key is not None:
            # The layer returns result[output_key] (ValueError when it is not an output).
            engine.state.add_output(call_id, OutputAccess(func.output_key, engine.span(node)))
        engine.state.calls[call_id] = SignatureCall(
            id=call_id,
            load_id=func.load_id,
            key=func.key,
            span=engine.span(node),
            func_span=engine.span(node.func),
            arguments=tuple(arguments),
            opaque_arguments=opaque,
            layer=func.layer,
            tf_alias=alias_of(env, "tensorflow"),
            hub_layer=func.hub_layer,
            function=func.function,
        )
    if func.output_key is not None:
        return Array(Value(Kind.TENSOR))
    if func.function is not None:
        # The keys it is indexed with are checked (SM010); its values are not read.
        return UNKNOWN if func.layer else CallResult(call_id, restored=True)
    return CallResult(call_id)


def _structured(func: SignatureFn) -> bool:
    """Whether the call's arguments keep their structure: a restored function's, and a
    TFSMLayer's (its endpoint may be a restored function taking a list or a dict)."""
    return (func.function is not None or func.layer) and not func.hub_layer


def context_call(
    engine: Engine,
    node: cst.Call,
    func: SignatureFn,
    env: Env,
    opaque: bool,
    hub_arguments: list[Argument] | None = None,
) -> None:
    """A signature call inside a function analysed under one caller's arguments."""
    sites: tuple[CallSite, ...] = engine.frames[-1].sites
    arguments: list[Argument] = list(hub_arguments or [])
    structured = _structured(func)
    if not func.hub_layer:
        for arg in node.args:
            arguments.extend(argument_facts(engine, arg, env, structured, func.layer))
    call = SignatureCall(
        id=id(node),
        load_id=func.load_id,
        key=func.key,
        span=engine.span(node),
        func_span=engine.span(node.func),
        arguments=tuple(arguments),
        opaque_arguments=opaque,
        layer=func.layer,
        context=sites,
        hub_layer=func.hub_layer,
        function=func.function,
    )
    # One call per distinct set of facts: the first caller that leads to them is named.
    bucket = engine.state.context_calls.setdefault(id(node), [])
    if engine.state.recording is not None:
        engine.state.recording.buckets.setdefault(id(node), tuple(bucket))
    known = (call.load_id, call.key, call.opaque_arguments, call.arguments)
    if len(bucket) < functions.MAX_CONTEXT_CALLS_PER_SITE and not any(
        (c.load_id, c.key, c.opaque_arguments, c.arguments) == known for c in bucket
    ):
        bucket.append(call)
        if engine.state.recording is not None:
            engine.state.recording.context_calls.append((id(node), call))


def argument_facts(
    engine: Engine, arg: cst.Arg, env: Env, structured: bool = False, layer: bool = False
) -> Iterable[Argument]:
    """The facts of one argument; *structured*: with its structure (restored functions);
    *layer*: the input of a Keras layer, where ``keras.Input``s count."""
    if arg.star == "*":
        return []
    value = engine.expr(arg.value, env)
    if layer:
        value = symbolic(value)
    if arg.star == "**":
        if not (isinstance(value, DictLit) and value.items is not None):
            return []
        facts = []
        for key, item, entry, value_node in value.items:
            facts.append(
                Argument(
                    name=key,
                    value=as_argument(item),
                    span=engine.span(entry),
                    value_span=engine.span(value_node),
                    value_text=engine.text(value_node),
                    keyword_span=None,
                    from_dict=True,
                    structure=passed(item) if structured else None,
                )
            )
        return facts
    return [
        Argument(
            name=arg.keyword.value if arg.keyword is not None else None,
            value=as_argument(value),
            span=engine.span(arg) if arg.keyword is not None else engine.span(arg.value),
            value_span=engine.span(arg.value),
            value_text=engine.text(arg.value),
            keyword_span=engine.span(arg.keyword) if arg.keyword is not None else None,
            structure=passed(value) if structured else None,
        )
    ]


def symbolic(value: AbstractValue) -> AbstractValue:
    """``keras.Input``s (also in a list or tuple) as the tensors a layer sees when the
    model is built: the batch free unless fixed; the dtype left unknown. Measured: a shape
    that does not fit is rejected by either layer; the dtype is checked by a TFSMLayer
    endpoint that is a restored function, not by one that is a signature, nor by a
    hub.KerasLayer given a tf_keras Input (a Keras 3 Input it rejects, whatever it is)."""
    if isinstance(value, KerasInput):
        shape = None if value.shape is None else (value.batch, *value.shape)
        return Array(Value(Kind.TENSOR, None, shape))
    if isinstance(value, Seq):
        return replace(value, items=tuple(symbolic(item) for item in value.items))
    return value


def hub_layer_arguments(engine: Engine, node: cst.Call, env: Env) -> list[Argument] | None:
    """A hub.KerasLayer call's input: one value (``training=`` aside), or one dict whose
    items the layer passes to the signature by name. None for any other call."""
    args = [a for a in node.args if not (a.keyword and a.keyword.value == "training")]
    # Keras binds ``inputs=`` as it binds the first positional argument.
    if len(args) != 1 or args[0].star or not _input_argument(args[0]):
        return None
    value = engine.expr(args[0].value, env)
    if not isinstance(value, DictLit):
        return [
            replace(fact, name=None, keyword_span=None)
            for fact in argument_facts(engine, args[0], env, layer=True)
        ]
    if value.items is None:
        return None
    return [
        Argument(
            name=key,
            value=as_argument(symbolic(item)),
            span=engine.span(entry),
            value_span=engine.span(value_node),
            value_text=engine.text(value_node),
            from_dict=True,
        )
        for key, item, entry, value_node in value.items
    ]


def _input_argument(arg: cst.Arg) -> bool:
    """The layer's input: positional, or ``inputs=`` (Keras binds it as the first)."""
    return arg.keyword is None or arg.keyword.value == "inputs"


#: How deep a literal's structure is kept.
_MAX_DEPTH = 6


def passed(value: AbstractValue, depth: int = 0) -> Passed:
    """The structure of an argument as TensorFlow's nest sees it."""
    if isinstance(value, Const) and (
        value.value is None or isinstance(value.value, (bool, int, float, str))
    ):
        return Passed("const", as_argument(value), const=value.value)
    if depth < _MAX_DEPTH and isinstance(value, Seq):
        items = tuple(passed(item, depth + 1) for item in value.items)
        return Passed("tuple" if value.is_tuple else "list", as_argument(value), items=items)
    if depth < _MAX_DEPTH and isinstance(value, DictLit) and value.items is not None:
        keys = tuple(key for key, *_ in value.items)
        if len(set(keys)) == len(keys):
            items = tuple(passed(item, depth + 1) for _, item, *_ in value.items)
            return Passed("dict", as_argument(value), items=items, keys=keys)
    return Passed("leaf", as_argument(value))
