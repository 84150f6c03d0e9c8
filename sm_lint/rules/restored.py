"""How TensorFlow binds a call of a restored function (``loaded(x)``, ``loaded.f(x)``),
measured with tensorflow 2.21 (docs/design.md, "Calling a restored function";
tests/test_oracle_restored.py re-measures every row):

- the arguments bind to the function's Python parameters first: too many positional
  arguments, an unknown keyword, a keyword repeating a positional argument or a missing
  required argument raise TypeError;
- saved with an ``input_signature``: each value is converted to its TensorSpec as a
  signature's argument is (numpy arrays and Python values cast, a tf.Tensor's dtype
  exact), and the shape is checked for tensors too ("Can not cast TensorSpec");
- saved without: the canonicalized call (defaults filled in) must match one of the traced
  concrete functions: a tensor's or numpy array's dtype exactly and its shape compatible,
  Python lists converted with the spec's dtype as a hint, Python values (``training=``)
  equal (``==``) to the traced value (a tensor never is), lists, tuples and dicts of the same
  kind, length and keys; else ValueError "Could not find matching concrete function".

Only what TensorFlow certainly rejects is a rejection: whatever is not known may match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sm_lint.models.types import ModelSignatures, RestoredFunction, Structure
from sm_lint.semantics import (
    Kind,
    Value,
    Verdict,
    describe,
    dtype_verdict,
    shape_mismatch,
    through_keras_layer,
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument, Passed, SignatureCall, Span


@dataclass(frozen=True)
class Rejection:
    """Why TensorFlow rejects the call, and where to point (None: the whole call)."""

    reason: str
    span: Span | None = None


def reject(
    call: SignatureCall, function: RestoredFunction | None, model: ModelSignatures
) -> Rejection | None:
    """The reason TensorFlow certainly rejects *call* of *function* (None: the model has no
    function at the call's path), or None."""
    if function is None:
        if call.function == "__call__" and not call.layer and model.root_callable is False:
            kind = "a TF1 Hub format module" if model.hub_v1 else "a model"
            graph = "" if model.tf2 else " (it has no object graph)"
            return Rejection(
                f"the loaded object is not callable: {kind} saved without a __call__{graph}; "
                f'TypeError "object is not callable". Call a signature: '
                f"loaded.signatures[key](...) (signatures: {', '.join(model.signatures)})"
            )
        return None
    if not function.known or function.bare or call.opaque_arguments:
        return None
    if call.layer:
        return _reject_layer(call, function)
    if function.varargs or function.varkw or function.kwonly:
        return None
    names = function.arg_names
    positional = [a for a in call.arguments if a.name is None]
    keywords = [a for a in call.arguments if a.name is not None]
    if len(positional) > len(names):
        extra = positional[len(names)]
        return Rejection(
            f"too many positional arguments: {callable_name(function)} takes {len(names)} "
            f"({', '.join(names) or 'none'})",
            extra.span,
        )
    bound: dict[str, Argument] = dict(zip(names, positional, strict=False))
    for arg in keywords:
        assert arg.name is not None
        if arg.name not in names:
            return Rejection(
                f"unexpected keyword argument {arg.name!r}: {callable_name(function)} takes "
                f"{', '.join(names) or 'no arguments'}",
                arg.keyword_span or arg.span,
            )
        if arg.name in bound:
            return Rejection(
                f"multiple values for argument {arg.name!r} of {callable_name(function)}: a "
                "positional argument already binds it",
                arg.keyword_span or arg.span,
            )
        bound[arg.name] = arg
    required = names[: len(names) - len(function.defaults)]
    missing = [n for n in required if n not in bound]
    if missing:
        return Rejection(
            f"missing a required argument {missing[0]!r} of {callable_name(function)} "
            f"({', '.join(names)})"
        )
    defaults = dict(zip(names[len(required) :], function.defaults, strict=True))
    canonical: list[tuple[str, Passed | Structure]] = []
    for name in names:
        given = bound.get(name)
        if given is None:
            canonical.append((name, defaults[name]))
        elif given.structure is None:
            return None
        else:
            canonical.append((name, given.structure))
    if function.input_signature is not None:
        return _against_signature(function, canonical)
    return _against_traces(function, canonical)


def callable_name(function: RestoredFunction) -> str:
    """How a message names the function: ``loaded(...)``, ``loaded.encoder.embed(...)``."""
    return "loaded(...)" if function.path == "__call__" else f"loaded.{function.path}(...)"


def _against_signature(
    function: RestoredFunction, canonical: list[tuple[str, Passed | Structure]]
) -> Rejection | None:
    signature = function.input_signature or ()
    if len(signature) != len(canonical):
        return None
    for (name, got), spec in zip(canonical, signature, strict=True):
        if spec.kind != "tensor" or spec.spec is None or isinstance(got, Structure):
            continue
        value = got.value
        if got.kind == "dict":
            return Rejection(
                f"argument {name!r} is a dict, which the input_signature's "
                f"{spec.spec.dtype} {_shape(spec.spec.shape)} does not accept"
            )
        if got.kind == "const" and got.const is None:
            continue  # None for a tensor: not measured
        wanted = spec.spec
        if dtype_verdict(value, wanted.dtype) is Verdict.REJECTED:
            return Rejection(
                f"argument {name!r} is a {describe(value)}, which the input_signature's "
                f"{wanted.dtype} {_shape(wanted.shape)} does not accept"
            )
        if value.kind is not Kind.UNKNOWN and shape_mismatch(value.shape, wanted.shape):
            return Rejection(
                f"argument {name!r} is a {describe(value)}, whose shape the input_signature's "
                f'{wanted.dtype} {_shape(wanted.shape)} does not accept ("Can not cast '
                'TensorSpec")'
            )
    return None


def _shape(shape: object) -> str:
    from sm_lint.models.types import format_shape

    return format_shape(shape)  # type: ignore[arg-type]


def _against_traces(
    function: RestoredFunction, canonical: list[tuple[str, Passed | Structure]]
) -> Rejection | None:
    if not function.concrete:
        return None
    for concrete in function.concrete:
        if concrete.kwargs or len(concrete.args) != len(canonical):
            return None  # a form not modelled: it may match
        if not any(
            _differs(got, want) for (_, got), want in zip(canonical, concrete.args, strict=True)
        ):
            return None
    forms = "; ".join(c.text(function.arg_names) for c in function.concrete)
    got = ", ".join(f"{name}={_passed_text(value)}" for name, value in canonical)
    return Rejection(
        f"no traced form of {callable_name(function)} accepts ({got}): it was saved without an "
        f'input_signature and traced only for {forms}; TensorFlow raises "Could not find '
        'matching concrete function to call loaded from the SavedModel"'
    )


def _passed_text(value: Passed | Structure) -> str:
    if isinstance(value, Structure):
        return value.text()
    if value.kind == "const":
        return repr(value.const)
    if value.kind in ("list", "tuple") and any(i.kind != "const" for i in value.items):
        inner = ", ".join(_passed_text(i) for i in value.items)
        return f"[{inner}]" if value.kind == "list" else f"({inner},)"
    if value.kind == "dict":
        pairs = ", ".join(
            f"{k!r}: {_passed_text(i)}" for k, i in zip(value.keys, value.items, strict=True)
        )
        return "{" + pairs + "}"
    return describe(value.value) if value.value.kind is not Kind.UNKNOWN else "?"


def _differs(got: Passed | Structure, want: Structure) -> bool:
    """True when *got* certainly does not match the traced *want*."""
    if isinstance(got, Structure):  # a default value, as saved
        return got.kind == "value" and want.kind == "value" and got.value != want.value
    if want.kind == "tensor" and want.spec is not None:
        return _leaf_differs(got, want)
    if want.kind == "value":
        if got.kind == "const":
            return bool(got.const != want.value)
        return got.kind == "leaf" and got.value.kind is Kind.TENSOR
    if want.kind in ("list", "tuple"):
        if got.kind in ("list", "tuple"):
            if got.kind != want.kind or len(got.items) != len(want.items):
                return True
            return any(_differs(g, w) for g, w in zip(got.items, want.items, strict=True))
        if got.kind in ("dict", "const"):
            return True
        return got.kind == "leaf" and got.value.kind in (Kind.TENSOR, Kind.NDARRAY)
    if want.kind == "dict":
        if got.kind == "dict":
            if set(got.keys) != set(want.keys):
                return True
            by_key = dict(zip(got.keys, got.items, strict=True))
            return any(_differs(by_key[k], w) for k, w in zip(want.keys, want.items, strict=True))
        if got.kind in ("list", "tuple", "const"):
            return True
        return got.kind == "leaf" and got.value.kind in (Kind.TENSOR, Kind.NDARRAY)
    return False


def _leaf_differs(got: Passed, want: Structure) -> bool:
    """A value where a TensorSpec was traced: a tensor's or numpy array's dtype must be the
    spec's and its shape compatible; a Python value or list converts with the spec's dtype
    as a hint, so only its shape is certain."""
    assert want.spec is not None
    value: Value = got.value
    if got.kind == "dict":
        return True  # a dict is no tensor: nothing converts it
    if got.kind == "const" and got.const is None:
        return False  # not measured
    if value.kind in (Kind.TENSOR, Kind.NDARRAY):
        if value.dtype is not None and value.dtype != want.spec.dtype:
            return True
        return shape_mismatch(value.shape, want.spec.shape) is not None
    if value.kind in (Kind.LIST, Kind.SCALAR) and not value.ragged:
        return shape_mismatch(value.shape, want.spec.shape) is not None
    return False


def _reject_layer(call: SignatureCall, function: RestoredFunction) -> Rejection | None:
    """A TFSMLayer whose endpoint is a restored function saved with an input_signature of
    one argument (``serve`` of a Keras export): Keras passes the layer's one input
    (positional or ``inputs=``) as that argument, float arrays and tensors cast to float32
    at every level of a list or dict (measured); the structure must be the signature's."""
    signature = function.input_signature
    given = [a for a in call.arguments if a.name in (None, "inputs")]
    if len(given) != 1 or len(call.arguments) != 1 or given[0].structure is None:
        return None
    required = len(function.arg_names) - len(function.defaults)
    if required > 1 and not (function.varargs or function.varkw):
        return Rejection(
            f"TFSMLayer endpoint {function.path!r} is a restored function of {required} "
            f"required arguments ({', '.join(function.arg_names)}), and the layer passes it "
            'one (TypeError "missing a required argument")',
            given[0].value_span,
        )
    if signature is None or len(signature) != 1 or len(function.arg_names) != 1:
        return None
    problem = _layer_mismatch(given[0].structure, signature[0])
    if problem is None:
        return None
    return Rejection(
        f"TFSMLayer endpoint {function.path!r} is a restored function that takes "
        f"{signature[0].text()}: {problem}",
        given[0].value_span,
    )


def _layer_mismatch(got: Passed, want: Structure) -> str | None:
    """Why *got*, after Keras' conversion, certainly does not fit *want*, or None."""
    if want.kind == "tensor" and want.spec is not None:
        if got.kind in ("list", "tuple", "dict"):
            return f"a {got.kind} was passed where a tensor is expected"
        if got.kind != "leaf" or got.value.kind not in (Kind.TENSOR, Kind.NDARRAY):
            return None  # Python values: their conversion was not measured
        value = through_keras_layer(got.value)
        if value is None:
            return None
        if dtype_verdict(value, want.spec.dtype) is Verdict.REJECTED:
            cast = "" if value.dtype == got.value.dtype else f" (Keras casts it to {value.dtype})"
            return f"{describe(got.value)}{cast} is not {want.spec.dtype}"
        if shape_mismatch(value.shape, want.spec.shape) is not None:
            return f"{describe(got.value)} does not fit {want.text()}"
        return None
    if want.kind in ("list", "tuple"):
        if got.kind == "dict" or (
            got.kind == "leaf" and got.value.kind in (Kind.TENSOR, Kind.NDARRAY)
        ):
            return f"a {'dict' if got.kind == 'dict' else 'single tensor'} was passed"
        if got.kind not in ("list", "tuple"):
            return None
        if got.kind != want.kind:
            return f"a {got.kind} was passed, where TensorFlow matches a {want.kind} exactly"
        if len(got.items) != len(want.items):
            return f"{len(got.items)} items were passed, not {len(want.items)}"
        for index, (item, spec) in enumerate(zip(got.items, want.items, strict=True)):
            problem = _layer_mismatch(item, spec)
            if problem is not None:
                return f"item {index}: {problem}"
        return None
    if want.kind == "dict":
        if got.kind in ("list", "tuple") or (
            got.kind == "leaf" and got.value.kind in (Kind.TENSOR, Kind.NDARRAY)
        ):
            return f"a {'single tensor' if got.kind == 'leaf' else got.kind} was passed"
        if got.kind != "dict":
            return None
        if set(got.keys) != set(want.keys):
            return f"keys {sorted(got.keys)} were passed, not {sorted(want.keys)}"
        by_key = dict(zip(got.keys, got.items, strict=True))
        for key, spec in zip(want.keys, want.items, strict=True):
            problem = _layer_mismatch(by_key[key], spec)
            if problem is not None:
                return f"item {key!r}: {problem}"
    return None
