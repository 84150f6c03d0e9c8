"""How TensorFlow binds a call's arguments to a signature's inputs: the fact SM002, SM003
and SM004 read (which argument lands on which input, what is left over), and that the
value rules (SM005-SM008) and SM009 check argument by argument.

The binding decides nothing about findings: it records what TensorFlow would do, and each
rule unit words its own findings from it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sm_lint.models.types import Signature, TensorSpec
from sm_lint.rules.base import suggest
from sm_lint.rules.serving import Decoded, decode
from sm_lint.semantics import (
    Kind,
    Value,
    accepted_keywords,
    binds_positionally,
    through_keras_layer,
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument, RestRequest, SignatureCall


class Positional(enum.Enum):
    """What became of an argument whose binding depends on its position."""

    #: TF1: bound in sorted input-name order (works, but the order is implicit).
    TF1_ORDER = "tf1-order"
    #: TF1: more positional arguments than inputs.
    TOO_MANY = "too-many"
    #: TF2: one tf.Tensor into the only input (works, but breaks when inputs are added).
    ONLY_INPUT = "only-input"
    #: TF2: rejected ("too many positional arguments").
    REJECTED = "rejected"
    #: A keyword for an input a positional argument already took (TF1).
    ALREADY_BOUND = "already-bound"
    #: A TFSMLayer / hub.KerasLayer passes its one value to a signature of several inputs.
    LAYER_SEVERAL_INPUTS = "layer-several-inputs"
    #: A TFSMLayer / hub.KerasLayer given a value that is not an array or a tensor.
    LAYER_NOT_ARRAY = "layer-not-array"


#: The kinds TensorFlow rejects; the others bind (some with a warning).
_REJECTING = frozenset(
    {
        Positional.TOO_MANY,
        Positional.REJECTED,
        Positional.ALREADY_BOUND,
        Positional.LAYER_SEVERAL_INPUTS,
        Positional.LAYER_NOT_ARRAY,
    }
)


@dataclass(frozen=True)
class PositionalIssue:
    """One argument whose binding depends on position, and the input involved (if any)."""

    kind: Positional
    arg: Argument
    #: The input it binds to, or that it would bind to if passed by name.
    input: str | None = None
    #: No keyword arguments beside it (REJECTED: then only its kind is at fault).
    alone: bool = False

    @property
    def rejected(self) -> bool:
        """TensorFlow raises for it."""
        return self.kind in _REJECTING


@dataclass(frozen=True)
class UnknownKeyword:
    """A keyword that is not an input name, and the free input it most likely meant."""

    arg: Argument
    suggestion: str | None


@dataclass(frozen=True)
class Binding:
    """Which argument lands on which input, and what does not fit.

    An empty binding means the call is not modelled (unknown inputs, a ``__call__`` or a
    layer call taking something other than one value): nothing is checked then.
    """

    bound: tuple[tuple[Argument, TensorSpec], ...] = ()
    #: Arguments whose binding depends on position, in argument order.
    positional: tuple[PositionalIssue, ...] = ()
    unexpected: tuple[UnknownKeyword, ...] = ()
    #: Required inputs no argument fills (and no unknown keyword was taken to mean).
    unfilled: tuple[str, ...] = ()
    #: A positional argument TensorFlow rejects, which then explains the inputs left unfilled.
    rejected: bool = False
    #: A TF Serving REST request: how its body decodes (rules/serving.py).
    request: Decoded | None = None


def bind(call: SignatureCall, sig: Signature, tf2: bool) -> Binding:
    """Bind the call's arguments to inputs as TensorFlow would."""
    if not sig.inputs_known:
        return Binding()
    if call.rest is not None:
        return _bind_request(call.rest, sig)
    if call.grpc:
        return _bind_grpc(call, sig)
    # Inputs whose real name is unknown (derived from source) match a pattern instead.
    unnamed = [n for n, s in sig.inputs.items() if s.name_pattern is not None]
    names = accepted_keywords({n: s for n, s in sig.inputs.items() if n not in unnamed})
    positional = [a for a in call.arguments if a.name is None]
    keywords = [a for a in call.arguments if a.name is not None]

    if call.layer:
        return _bind_layer(call, sig, positional, keywords)
    if sig.key == "__call__":
        # loaded(x): a tf.function taking one value positionally, converted like a
        # signature's argument; keywords and anything else are not modelled.
        if len(positional) != 1 or keywords or call.opaque_arguments:
            return Binding()
        return Binding(bound=((positional[0], next(iter(sig.inputs.values()))),))

    bound: list[tuple[Argument, TensorSpec]] = []
    taken: set[str] = set()
    issues = list(_positional(sig, tf2, positional, keywords, bound, taken))
    rejected = any(issue.rejected for issue in issues)

    unexpected: list[Argument] = []
    matched: list[Argument] = []
    for arg in keywords:
        assert arg.name is not None
        target = names.get(arg.name)
        if target is None and _matches_unnamed(sig, unnamed, arg.name):
            matched.append(arg)
        elif target is None:
            unexpected.append(arg)
        elif target not in taken:
            taken.add(target)
            bound.append((arg, sig.inputs[target]))
        else:
            issues.append(PositionalIssue(Positional.ALREADY_BOUND, arg, target))
    # Each keyword that may be an unnamed input's name takes one; which one is known only
    # when there is one of each.
    for name, arg in zip(unnamed, matched, strict=False):
        taken.add(name)
        if len(unnamed) == len(matched) == 1:
            bound.append((arg, sig.inputs[name]))
    free = [n for n in sig.inputs if n not in taken and n not in unnamed]
    unknown = _suggestions(unexpected, free)
    suggested = {u.suggestion for u in unknown}
    unfilled = tuple(
        name
        for name in sig.inputs
        if name not in taken and name not in sig.optional_inputs and name not in suggested
    )
    return Binding(tuple(bound), tuple(issues), unknown, unfilled, rejected)


def _suggestions(unexpected: list[Argument], free: list[str]) -> tuple[UnknownKeyword, ...]:
    """Each unknown keyword's likely input: a close free name, or the one input left when
    there is one of each; no input is suggested twice."""
    suggested: set[str] = set()
    unknown = []
    for arg in unexpected:
        assert arg.name is not None
        candidates = [n for n in free if n not in suggested]
        close = suggest(arg.name, candidates) or (
            candidates if len(unexpected) == 1 and len(candidates) == 1 else []
        )
        target = close[0] if close else None
        if target is not None:
            suggested.add(target)
        unknown.append(UnknownKeyword(arg, target))
    return tuple(unknown)


def _matches_unnamed(sig: Signature, unnamed: list[str], keyword: str) -> bool:
    return any(re.fullmatch(sig.inputs[n].name_pattern or "", keyword) is not None for n in unnamed)


def _bind_layer(
    call: SignatureCall, sig: Signature, positional: list[Argument], keywords: list[Argument]
) -> Binding:
    """A TFSMLayer or hub.KerasLayer called on one value: Keras converts it, then calls the
    endpoint with it as the single positional argument. A hub.KerasLayer given one dict
    (recorded as keyword arguments) converts each item and passes the items by name."""
    own_call = sig.key == "__call__"  # the model's __call__: a tf.function, not a signature
    if not call.hub_layer:  # Keras binds ``inputs=`` as it binds the first positional argument
        positional = positional + [a for a in keywords if a.name == "inputs"]
        keywords = [a for a in keywords if a.name != "inputs"]
    if own_call and (
        keywords
        or any(
            a.value.kind in (Kind.LIST, Kind.STRING) or a.value.dtype == "none" for a in positional
        )
    ):
        return Binding()  # dicts, lists, strings, None: how __call__ takes them is not modelled
    if call.hub_layer and keywords and not positional:
        items = []
        for arg in keywords:
            converted_item = through_keras_layer(_hub_layer_input(arg.value))
            items.append(replace(arg, value=converted_item or Value()))
        plain = replace(call, layer=False, hub_layer=False, arguments=tuple(items))
        return bind(plain, sig, True)
    if len(positional) != 1 or keywords:
        return Binding()
    arg = positional[0]
    if not call.hub_layer and arg.structure is not None and arg.structure.kind == "dict":
        # A TFSMLayer hands a dict on as one positional argument: no signature takes it.
        issue = PositionalIssue(Positional.LAYER_NOT_ARRAY, arg)
        return Binding(positional=(issue,), rejected=True)
    if len(sig.inputs) != 1:
        if call.hub_layer and arg.value.kind is Kind.UNKNOWN:
            return Binding()  # it may be a dict of the inputs
        issue = PositionalIssue(Positional.LAYER_SEVERAL_INPUTS, arg)
        return Binding(positional=(issue,), rejected=True)
    converted = through_keras_layer(_hub_layer_input(arg.value) if call.hub_layer else arg.value)
    if converted is None:
        issue = PositionalIssue(Positional.LAYER_NOT_ARRAY, arg)
        return Binding(positional=(issue,), rejected=True)
    spec = next(iter(sig.inputs.values()))
    return Binding(bound=((replace(arg, value=converted), spec),))


_PYTHON_TENSOR_DTYPES = {"float": "float32", "int": "int32", "bool": "bool"}


def _hub_layer_input(value: Value) -> Value:
    """A hub.KerasLayer (tf_keras) converts Python and numpy numbers to tensors before the
    signature sees them (measured: 1.0 becomes a float32 scalar tensor); strings and lists
    stay as they are."""
    if value.kind is Kind.SCALAR and value.dtype not in ("none", "str"):
        dtype = _PYTHON_TENSOR_DTYPES.get(value.dtype or "", value.dtype)
        return Value(Kind.TENSOR, dtype, value.shape)
    return value


def _positional(
    sig: Signature,
    tf2: bool,
    positional: list[Argument],
    keywords: list[Argument],
    bound: list[tuple[Argument, TensorSpec]],
    taken: set[str],
) -> list[PositionalIssue]:
    """Bind the positional arguments (TF1: in sorted input-name order; TF2: one tensor into
    the only input) and say what each depends on or why it is rejected."""
    if not positional:
        return []
    order = sorted(sig.inputs)
    if not tf2:
        issues = []
        for arg, name in zip(positional, order, strict=False):
            taken.add(name)
            bound.append((arg, sig.inputs[name]))
            issues.append(PositionalIssue(Positional.TF1_ORDER, arg, name))
        issues.extend(PositionalIssue(Positional.TOO_MANY, a) for a in positional[len(order) :])
        return issues
    verdict = binds_positionally(positional[0].value, len(sig.inputs), len(positional), tf2)
    if verdict is not False and not keywords:
        name = order[0]
        taken.add(name)
        bound.append((positional[0], sig.inputs[name]))
        return [PositionalIssue(Positional.ONLY_INPUT, positional[0], name)]
    # The one input the argument would take by name, when there is exactly one of each.
    only = order[0] if len(sig.inputs) == 1 and len(positional) == 1 else None
    return [
        PositionalIssue(Positional.REJECTED, arg, only, alone=not keywords) for arg in positional
    ]


def _bind_request(request: RestRequest, sig: Signature) -> Binding:
    """A TF Serving body: inputs by their exact names (no sanitised spellings)."""
    decoded = decode(request, sig)
    if decoded.opaque:
        return Binding(request=decoded)
    bound = [(a, sig.inputs[a.name]) for a in decoded.arguments if a.name in sig.inputs]
    free = [n for n in (decoded.missing or ())]
    unexpected = []
    for arg in decoded.arguments:
        if arg.name not in sig.inputs:
            assert arg.name is not None
            close = suggest(arg.name, free)
            unexpected.append(UnknownKeyword(arg, close[0] if close else None))
    taken = {u.suggestion for u in unexpected}
    unfilled = tuple(n for n in free if n not in taken)
    return Binding(tuple(bound), (), tuple(unexpected), unfilled, request=decoded)


def _bind_grpc(call: SignatureCall, sig: Signature) -> Binding:
    """A gRPC PredictRequest: its inputs by their exact aliases (predict_util.cc
    VerifyRequestInputsSize, tensorflow/cc/saved_model/util.cc GetInputValues: an alias not
    in the signature is rejected, an input without a default value must be sent)."""
    bound = tuple((a, sig.inputs[a.name]) for a in call.arguments if a.name in sig.inputs)
    sent = {a.name for a in call.arguments}
    free = [n for n in sig.inputs if n not in sent]
    unknown = _suggestions([a for a in call.arguments if a.name not in sig.inputs], free)
    suggested = {u.suggestion for u in unknown}
    unfilled = tuple(n for n in free if n not in sig.optional_inputs and n not in suggested)
    return Binding(bound, (), unknown, () if call.opaque_arguments else unfilled)
