"""TF Hub and Kaggle: ``hub.load``, ``hub.KerasLayer``, ``hub.resolve``,
``kagglehub.model_download``, and the cache
settings a program puts in ``os.environ`` before it loads (where the libraries look)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.engine.hooks import FunctionHook, Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import argument_node
from sm_lint.analysis.facts import LayerOptions, SignatureLookup
from sm_lint.analysis.library import models
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.loaders import CACHE_SETTINGS, LOADERS, Loader
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Const,
    DictLit,
    DType,
    Handle,
    ModelRef,
    QualName,
    SignatureFn,
)

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

_HUB = LOADERS[Loader.HUB]
#: Functions that return a local model folder known by its handle -> the loader resolving it.
HANDLE_FUNCTIONS = {name: row.loader for row in LOADERS.values() for name in row.handle_functions}


def register(registry: Registry) -> None:
    registry.function(*_HUB.functions)(_load)
    registry.pure_names.update(_HUB.functions)
    registry.function(*_HUB.layers)(hub_layer)
    registry.function(*LOADERS[Loader.HUB_MODULE].functions)(_module)
    for name, via in HANDLE_FUNCTIONS.items():
        registry.functions[name] = _handle_function(via)
    registry.setting = setting


def _load(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    return models.model_load(engine, node, Loader.HUB, args, env)


def _module(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    """``hub.Module(handle)``: the TF1 API, recorded as a load (SM017 says whether the
    installed tensorflow_hub still has it); what it returns is not followed."""
    models.model_load(engine, node, Loader.HUB_MODULE, args, env)
    return UNKNOWN


def _handle_function(via: Loader) -> FunctionHook:
    def handle(
        engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env
    ) -> AbstractValue:
        return handle_value(via, args)

    return handle


def handle_value(via: Loader, args: CallArgs) -> AbstractValue:
    """``hub.resolve(h)`` / ``kagglehub.model_download(h)`` with a known handle: the folder
    the library returns for it (kagglehub's ``path=`` / ``output_dir=`` are not modelled)."""
    handle = args.get(0, "handle")
    if via is Loader.KAGGLEHUB and any(
        args.get(i, k) not in (UNKNOWN, Const(None)) for i, k in ((1, "path"), (None, "output_dir"))
    ):
        return UNKNOWN
    if isinstance(handle, Const) and isinstance(handle.value, str):
        return Handle(handle.value, via)
    return UNKNOWN


def keyword_constant(args: CallArgs, name: str) -> object:
    """A keyword argument's constant value: None when it is not passed, UNKNOWN when it is
    not a constant."""
    if not args.has(None, name):
        return None
    value = args.get(None, name)
    return value.value if isinstance(value, Const) else UNKNOWN


def setting(
    engine: Engine, container: AbstractValue, target: cst.Subscript, env: Env
) -> str | None:
    """The env key for ``os.environ[NAME] = ...`` when NAME is a hub or kagglehub setting."""
    if container != QualName("os.environ"):
        return None
    index = engine.index(target.slice, env)
    if isinstance(index, Const) and index.value in CACHE_SETTINGS:
        return f"{models.ENVIRON}{index.value}"
    return None


def hub_layer(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    """``hub.KerasLayer(h, signature=..., output_key=... | signature_outputs_as_dict=True)``:
    a load, and a callable signature when the layer calls one (without ``signature=`` it
    calls the model's ``__call__``, which signature_def does not describe)."""
    ref = models.model_load(engine, node, Loader.HUB, args, env, layer_options(engine, node, args))
    assert isinstance(ref, ModelRef)
    signature = args.get(None, "signature")
    if args.has(None, "dtype") and args.get(None, "dtype") != DType("float32"):
        return UNKNOWN  # Keras casts float inputs to the layer's dtype: float32 by default
    plain = not any(
        args.has(None, k) for k in ("signature", "output_key", "signature_outputs_as_dict")
    )
    if plain and len(args.positional) <= 1 and not args.has(None, "arguments"):
        # The model's own __call__ (the reader knows it for one-tensor functions).
        return SignatureFn(ref.load_id, models.CALL_KEY, True, True, function=models.CALL_KEY)
    key, as_dict = (
        keyword_constant(args, "output_key"),
        keyword_constant(args, "signature_outputs_as_dict"),
    )
    simple = len(args.positional) <= 1 and not args.has(None, "arguments")
    if not args.has(None, "signature") and simple and (as_dict is True) != isinstance(key, str):
        # The model's __call__, whose result the layer indexes, or (a TF1 Hub format
        # module) its ``default`` signature: which one is the model's (rules/run.py).
        return SignatureFn(
            ref.load_id,
            models.CALL_KEY,
            True,
            True,
            key if isinstance(key, str) and as_dict is not True else None,
            function=models.CALL_KEY,
        )
    if not (isinstance(signature, Const) and isinstance(signature.value, str)):
        return UNKNOWN
    key_node = argument_node(node, -1, "signature") or node
    engine.state.lookups.append(
        SignatureLookup(ref.load_id, signature.value, engine.span(key_node))
    )
    if len(args.positional) > 1 or args.get(None, "arguments") not in (UNKNOWN, Const(None)):
        return UNKNOWN  # extra keyword arguments for the signature: not modelled
    # TensorFlow demands exactly one of them (ValueError otherwise).
    if as_dict in (None, False) and isinstance(key, str):
        return SignatureFn(ref.load_id, signature.value, True, True, key)
    if as_dict is True and key is None:
        return SignatureFn(ref.load_id, signature.value, True, True)
    return UNKNOWN


def layer_options(engine: Engine, node: cst.Call, args: CallArgs) -> LayerOptions | None:
    """The options tensorflow_hub checks when the layer is built, where all are known
    (None otherwise: ``*args`` / ``**kwargs``, a value not a constant)."""
    if any(arg.star for arg in node.args) or len(args.positional) > 3:
        return None  # handle, trainable, arguments: the rest are keyword-only
    signature, key, as_dict = (
        keyword_constant(args, name)
        for name in ("signature", "output_key", "signature_outputs_as_dict")
    )
    if signature is UNKNOWN or key is UNKNOWN or as_dict is UNKNOWN:
        return None
    if not (signature is None or isinstance(signature, str)):
        return None
    extra = args.get(2, "arguments") if args.has(2, "arguments") else None
    keys = (
        tuple(key for key, *_ in extra.items)
        if isinstance(extra, DictLit) and extra.items is not None
        else None
    )
    return LayerOptions(signature or None, key is not None, bool(as_dict), engine.span(node), keys)
