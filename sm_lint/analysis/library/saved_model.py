"""TensorFlow's and Keras' own ways to a SavedModel: ``tf.saved_model.load``, Keras
``load_model``, ``keras.layers.TFSMLayer``; ``loaded.signatures[key]`` / ``.get(key)``, calls
of signature functions and the outputs read from their results."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis import paths
from sm_lint.analysis.engine.hooks import FunctionHook, Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import argument_node
from sm_lint.analysis.facts import OutputAccess, SignatureLookup
from sm_lint.analysis.library import models, restored
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.loaders import LOADERS, Loader
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Array,
    CallResult,
    Const,
    ModelRef,
    SignatureFn,
    SignaturesRef,
)
from sm_lint.semantics import Kind, Value

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

_TFSM = LOADERS[Loader.TFSM_LAYER]


def register(registry: Registry) -> None:
    for loader in (Loader.SAVED_MODEL, Loader.KERAS, Loader.TF_KERAS):
        for name in LOADERS[loader].functions:
            registry.functions[name] = _loader(loader)
            registry.pure_names.add(name)
    registry.function(*_TFSM.functions)(tfsm_layer)
    registry.attributes[ModelRef] = _model_attribute
    registry.subscripts[SignaturesRef] = _signature_lookup
    registry.subscripts[CallResult] = _output
    registry.methods[SignaturesRef] = _signatures_method
    registry.value_calls[SignatureFn] = _signature_call
    registry.pure_types.append(SignatureFn)
    registry.never_none.extend((SignatureFn, ModelRef))


def _loader(loader: Loader) -> FunctionHook:
    def load(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
        return models.model_load(engine, node, loader, args, env)

    return load


def tfsm_layer(
    engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    """``TFSMLayer(path, call_endpoint="serve")``: a load and the endpoint's signature."""
    ref = models.model_load(engine, node, Loader.TFSM_LAYER, args, env)
    assert isinstance(ref, ModelRef)
    assert _TFSM.endpoint is not None
    at, keyword = _TFSM.endpoint.position, _TFSM.endpoint.keyword
    endpoint = args.get(at, keyword) if args.has(at, keyword) else Const(_TFSM.default_endpoint)
    if isinstance(endpoint, Const) and isinstance(endpoint.value, str):
        key_node = argument_node(node, at, keyword) or node
        engine.state.lookups.append(
            SignatureLookup(ref.load_id, endpoint.value, engine.span(key_node))
        )
        return SignatureFn(ref.load_id, endpoint.value, layer=True)
    return UNKNOWN


def _model_attribute(base: ModelRef, attr: str) -> AbstractValue:
    return SignaturesRef(base.load_id) if attr == "signatures" else restored.attribute(base, attr)


def _signature_lookup(
    engine: Engine, node: cst.Subscript, base: SignaturesRef, index: AbstractValue
) -> AbstractValue:
    key_node = node.slice[0].slice if len(node.slice) == 1 else node
    return models.lookup(engine, base.load_id, index, key_node)


def _output(
    engine: Engine, node: cst.Subscript, base: CallResult, index: AbstractValue
) -> AbstractValue:
    if isinstance(index, Const) and isinstance(index.value, str):
        access = OutputAccess(index.value, engine.span(node.slice[0].slice))
        engine.state.add_output(base.call_id, access)
    return UNKNOWN if base.restored else Array(Value(Kind.TENSOR))


def _signatures_method(
    engine: Engine, node: cst.Call, receiver: SignaturesRef, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    if name == "get":
        key_node = argument_node(node, 0, "key") or node
        return models.lookup(engine, receiver.load_id, args.get(0, "key"), key_node)
    return paths.method(receiver, name, args)


def _signature_call(
    engine: Engine,
    node: cst.Call,
    func: SignatureFn,
    args: CallArgs,
    opaque: bool,
    env: Env,
    held: bool,
) -> AbstractValue:
    return models.signature_call(engine, node, func, env, opaque)
