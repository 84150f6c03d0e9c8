"""How TF Serving decodes a REST predict body against a signature: the fact SM014 reads
(request-format errors), SM005 (JSON types an input rejects) and, through the arguments it
yields, SM002 / SM003 / SM007 / SM008 / SM009.

Every rule here is TF Serving's own, read from tensorflow/serving
``tensorflow_serving/util/json_tensor.cc`` (FillPredictRequestFromJson,
FillTensorMapFromInstancesList, FillTensorMapFromInputsMap, FillTensorProto,
AddValueToTensor, IsValBase64Object; for ``:classify`` / ``:regress``
FillClassifyRegressRequestFromJson, MakeExampleFromJsonObject, AddValueToFeature; the
integer ranges are rapidjson's IsInt / IsInt64 / IsUint / IsUint64 that those call) and
``servables/tensorflow/predict_util.cc`` (a missing or empty ``signature_name`` is
``serving_default``), ``classifier.cc`` / ``regressor.cc`` (PreProcessClassification,
PreProcessRegression: which signatures those verbs can run). Nothing is decided where the
body is not known: no guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sm_lint.models.types import Signature
from sm_lint.semantics import Kind, Value

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument, JsonValue, RestRequest, Span


@dataclass(frozen=True)
class Problem:
    """A request TF Serving rejects before the model runs (HTTP 400)."""

    span: Span
    message: str


@dataclass(frozen=True)
class JsonTypeProblem:
    """JSON values of types the input's dtype does not take (AddValueToTensor)."""

    span: Span
    input: str
    dtype: str
    leaves: frozenset[str]


@dataclass
class Decoded:
    """What TF Serving makes of a body: one argument per input it fills, and its errors."""

    #: The body is not known well enough to check anything beyond ``problems``.
    opaque: bool = False
    row: bool = True
    arguments: list[Argument] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    json_types: list[JsonTypeProblem] = field(default_factory=list)
    #: Numbers TF Serving takes but the input's dtype cannot hold: stored wrapped (SM006).
    wraps: list[Problem] = field(default_factory=list)
    #: Inputs the request leaves out; None where which ones is not known.
    missing: list[str] | None = field(default_factory=list)
    #: Every place each key is written (each instance's object): a rename changes them all.
    key_spans: dict[str, list[Span]] = field(default_factory=dict)


#: A JSON value's dense shape and the JSON types of its leaves; shape None: not known.
_Tensor = tuple[tuple[int | None, ...] | None, frozenset[str]]


def decode(request: RestRequest, sig: Signature) -> Decoded:
    """Decode *request*'s body against *sig* as FillPredictRequestFromJson does (for
    ``:classify`` / ``:regress``, as FillClassifyRegressRequestFromJson)."""
    if request.verb != "predict":
        return _examples(request, sig)
    out = Decoded()
    body = request.body
    if body is None or body.kind == "unknown" or (body.kind == "object" and body.keys is None):
        out.opaque = True
        return out
    if body.kind != "object":
        out.problems.append(Problem(body.span, "the body must be a JSON object"))
        out.opaque = True
        return out
    assert body.keys is not None
    members = dict(zip(body.keys, body.items, strict=True))
    key_spans = dict(zip(body.keys, body.key_spans, strict=True))
    name = members.get("signature_name")
    if name is not None and name.kind not in ("string", "unknown"):
        out.problems.append(Problem(name.span, "'signature_name' must be a string"))
    instances, inputs = members.get("instances"), members.get("inputs")
    if instances is not None and inputs is not None:
        out.problems.append(
            Problem(key_spans["inputs"], "use only one of 'instances' (row) or 'inputs' (columnar)")
        )
        out.opaque = True
    elif instances is not None:
        _row(instances, sig, out)
    elif inputs is not None:
        out.row = False
        _columnar(inputs, sig, out)
    else:
        out.problems.append(Problem(body.span, "the body has neither 'instances' nor 'inputs'"))
        out.opaque = True
    return out


def _row(value: JsonValue, sig: Signature, out: Decoded) -> None:
    names = list(sig.inputs)
    if value.kind == "unknown":
        out.opaque = True
        return
    if value.kind != "array":
        out.problems.append(Problem(value.span, "'instances' must be a list"))
        out.opaque = True
        return
    count = value.shape[0] if value.summarised and value.shape else len(value.items)
    if (value.summarised and value.shape is not None and count == 0) or (
        not value.summarised and not value.items
    ):
        out.problems.append(Problem(value.span, "'instances' is an empty list"))
        out.opaque = True
        return
    if value.summarised:  # a list of plain values
        if len(names) != 1:
            out.problems.append(_plain(value.span, "instances", names))
            out.opaque = True
            return
        shape, leaves = _tensor(value)
        _add(out, names[0], sig, value.span, shape, leaves, value)
        return
    first = value.items[0]
    if first.kind == "unknown" or (first.kind == "object" and first.keys is None):
        out.opaque = True
        return
    objects = first.kind == "object" and not _b64(first)
    if not objects and len(names) > 1:
        if first.kind == "object":  # a b64 value first: which input it goes to is not modelled
            out.opaque = True
            return
        out.problems.append(_plain(value.span, "instances", names))
        out.opaque = True
        return
    if not objects:
        shapes: list[tuple[JsonValue, _Tensor]] = []
        for index, item in enumerate(value.items):
            if item.kind == "object" and not _b64(item):
                out.problems.append(
                    Problem(item.span, f"instance {index} is an object, the first is not")
                )
                out.opaque = True
                return
            shapes.append((item, _tensor(item)))
        shape, leaves = _stack(shapes, names[0], out)
        _add(out, names[0], sig, value.span, shape, leaves, value)
        return
    per_input: dict[str, list[tuple[JsonValue, _Tensor]]] = {}
    first_key: dict[str, tuple[Span, Span]] = {}
    present: set[str] | None = None
    for index, item in enumerate(value.items):
        if item.kind != "object" or _b64(item):
            if item.kind == "unknown":
                out.opaque = True
                return
            out.problems.append(
                Problem(item.span, f"instance {index} is not an object, the first is")
            )
            out.opaque = True
            return
        if item.keys is None:
            out.missing = None
            continue
        keys = set(item.keys)
        present = keys if present is None else present & keys
        for key, member, key_span in zip(item.keys, item.items, item.key_spans, strict=True):
            per_input.setdefault(key, []).append((member, _tensor(member)))
            first_key.setdefault(key, (key_span, member.span))
            out.key_spans.setdefault(key, []).append(key_span)
    for key, tensors in per_input.items():
        key_span, value_span = first_key[key]
        if key not in sig.inputs:
            out.arguments.append(_argument(key, Value(), key_span, value_span))
            continue
        shape, leaves = _stack(tensors, key, out)
        numbers = [n for member, _ in tensors for n in _ints(member)]
        _add(out, key, sig, value_span, shape, leaves, value, key_span, ints=numbers)
    if out.missing is not None:
        out.missing = [n for n in names if present is None or n not in present]


def _columnar(value: JsonValue, sig: Signature, out: Decoded) -> None:
    names = list(sig.inputs)
    if value.kind == "unknown":
        out.opaque = True
        return
    if value.kind != "object" or _b64(value):
        if len(names) != 1:
            out.problems.append(_plain(value.span, "inputs", names))
            out.opaque = True
            return
        shape, leaves = _tensor(value)
        _add(out, names[0], sig, value.span, shape, leaves, value, batch=False)
        return
    if value.keys is None:
        out.missing = None
        out.opaque = True
        return
    members = {k: (v, s) for k, v, s in zip(value.keys, value.items, value.key_spans, strict=True)}
    out.key_spans = {k: [s] for k, (_, s) in members.items()}
    # Extra keys are ignored (FillTensorMapFromInputsMap looks up each input only).
    for name in names:
        if name in members:
            member, key_span = members[name]
            shape, leaves = _tensor(member)
            _add(out, name, sig, member.span, shape, leaves, member, key_span, batch=False)
    out.missing = [n for n in names if n not in members]
    if out.missing:
        from sm_lint.rules.base import suggest

        # TF Serving looks up each input and ignores other keys; a key close to a missing
        # input is the misspelling the request fails for (reported as one, with its rename).
        for key, (member, key_span) in members.items():
            if key not in sig.inputs and suggest(key, out.missing):
                out.arguments.append(_argument(key, Value(), key_span, member.span))


def _plain(span: Span, key: str, names: list[str]) -> Problem:
    return Problem(
        span,
        f"'{key}' is a plain list, but the signature has {len(names)} inputs "
        f"({', '.join(names)}): send {'a list of objects' if key == 'instances' else 'an object'}"
        " keyed by the input names",
    )


def _b64(value: JsonValue) -> bool:
    """IsValBase64Object: an object whose only key is ``b64``, holding a string."""
    return (
        value.kind == "object"
        and value.keys == ("b64",)
        and value.items[0].kind in ("string", "unknown")
    )


def _tensor(value: JsonValue) -> _Tensor:
    """GetDenseTensorShape (sizes along the first elements) and the leaves' JSON types;
    shape None where it is not known or where FillTensorProto rejects the nesting (that
    is reported by :func:`_stack` / :func:`_add` through ``nested_problem``)."""
    if value.summarised:
        leaves = frozenset(value.leaf.split("+")) if value.leaf else frozenset()
        return value.shape, leaves
    if value.kind == "array":
        if not value.items:
            return (0,), frozenset()
        parts = [_tensor(item) for item in value.items]
        leaves = frozenset().union(*(p[1] for p in parts))
        shapes = {p[0] for p in parts}
        if len(shapes) != 1 or None in shapes:
            return None, leaves
        inner = next(iter(shapes))
        assert inner is not None
        return (len(value.items), *inner), leaves
    if value.kind == "object":
        return (), frozenset({"b64" if _b64(value) else "object"})
    if value.kind == "unknown":
        return None, frozenset()
    return (), frozenset({value.kind})


#: AddValueToTensor: the integers each dtype takes from a JSON number (rapidjson's IsInt
#: for int8/int16/int32/uint8, IsInt64, IsUint, IsUint64); any other is "not of expected
#: type". int8/int16/uint8 then keep the int32 as it is (Tensor::FromProto casts it).
_INT_RANGE = {
    **dict.fromkeys(("int8", "int16", "int32", "uint8"), (-(2**31), 2**31 - 1)),
    "int64": (-(2**63), 2**63 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}


def _ints(value: JsonValue) -> list[int]:
    """The known integer leaves' extremes (each node's smallest and largest)."""
    if value.ints is not None:
        return list(value.ints)
    if value.summarised or value.kind != "array":
        return []
    return [n for item in value.items for n in _ints(item)]


def _range_problem(name: str, dtype: str, span: Span, numbers: list[int]) -> Problem | None:
    """A known integer leaf outside what AddValueToTensor takes into *dtype*."""
    limits = _INT_RANGE.get(dtype)
    if limits is None:
        return None
    low, high = limits
    bad = [n for n in numbers if not low <= n <= high]
    if not bad:
        return None
    taken = "int32 values" if dtype in ("int8", "int16", "uint8") else "values"
    return Problem(
        span,
        f"input {name!r} is {dtype}: TF Serving's JSON decoder rejects {bad[0]} "
        f"(it takes {taken} from {low} to {high})",
    )


#: The dtypes AddValueToTensor fills from an int32 (``int_val``): Tensor::FromProto then
#: casts each to the dtype, keeping its low bits.
_NARROW = {"int8": (8, True), "int16": (16, True), "uint8": (8, False)}


def _wrap_problem(name: str, dtype: str, span: Span, numbers: list[int]) -> Problem | None:
    """A known integer TF Serving takes into *dtype* but stores as another number."""
    if dtype not in _NARROW:
        return None
    bits, signed = _NARROW[dtype]
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    for number in numbers:
        if not low <= number <= high:
            stored = number % 2**bits
            stored -= 2**bits if signed and stored > high else 0
            return Problem(
                span,
                f"input {name!r} is {dtype} ({low} to {high}): TF Serving takes {number} and "
                f"stores it as {stored}, keeping its low {bits} bits",
            )
    return None


def _ragged(value: JsonValue) -> bool:
    """FillTensorProto rejects it: lists of different sizes or depths at one level."""
    if value.summarised or value.kind != "array" or not value.items:
        return False
    parts = [_tensor(item) for item in value.items]
    if any(p[0] is None for p in parts):
        return any(_ragged(item) for item in value.items)
    return len({p[0] for p in parts}) > 1


def _stack(tensors: list[tuple[JsonValue, _Tensor]], name: str, out: Decoded) -> _Tensor:
    """Instances of one input: each the same shape (AddInstanceItem), batched on axis 0."""
    leaves = frozenset().union(*(t[1] for _, t in tensors))
    known = [(item, t[0]) for item, t in tensors if t[0] is not None]
    for item, _ in tensors:
        if _ragged(item):
            out.problems.append(Problem(item.span, f"input {name!r}: a list of uneven nesting"))
            return None, leaves
    if len(known) != len(tensors):
        return None, leaves
    first = known[0][1]
    for index, (item, shape) in enumerate(known):
        if shape != first:
            out.problems.append(
                Problem(
                    item.span,
                    f"instance {index} of input {name!r} has shape {_fmt(shape)}, "
                    f"instance 0 {_fmt(first)}: every instance must have the same shape",
                )
            )
            return None, leaves
    assert first is not None
    return (len(tensors), *first), leaves


def _add(
    out: Decoded,
    name: str,
    sig: Signature,
    span: Span,
    shape: tuple[int | None, ...] | None,
    leaves: frozenset[str],
    node: JsonValue,
    key_span: Span | None = None,
    batch: bool = True,
    ints: list[int] | None = None,
) -> None:
    """The decoded argument *name* (*ints*: its known integer leaves where *node* holds
    other inputs' values too)."""
    if not batch and _ragged(node):
        out.problems.append(Problem(node.span, f"input {name!r}: a list of uneven nesting"))
        shape = None
    spec = sig.inputs.get(name)
    if spec is not None and leaves:
        from sm_lint.semantics import Verdict, json_verdict

        if json_verdict(leaves, spec.dtype) is Verdict.REJECTED:
            out.json_types.append(JsonTypeProblem(span, name, spec.dtype, leaves))
        elif "int" in leaves:
            numbers = _ints(node) if ints is None else ints
            problem = _range_problem(name, spec.dtype, span, numbers)
            if problem is not None:
                out.problems.append(problem)
            else:
                wrap = _wrap_problem(name, spec.dtype, span, numbers)
                if wrap is not None:
                    out.wraps.append(wrap)
    out.arguments.append(_argument(name, Value(Kind.LIST, None, shape), key_span or span, span))


def _argument(name: str, value: Value, key_span: Span, value_span: Span) -> Argument:
    from sm_lint.analysis.facts import Argument, Span

    distinct = (key_span.line, key_span.column) != (value_span.line, value_span.column)
    whole = Span(key_span.line, key_span.column, value_span.end_line, value_span.end_column)
    return Argument(
        name=name,
        value=value,
        span=whole if distinct else value_span,
        value_span=value_span,
        value_text="",
        from_dict=distinct,
    )


def _fmt(shape: tuple[int | None, ...] | None) -> str:
    from sm_lint.models.types import format_shape

    return format_shape(shape)


# ------------------------------------------------------------------ :classify and :regress
#: What each verb needs of the signature, with TF Serving's default flags (the method-name
#: check off): classifier.cc PreProcessClassification, regressor.cc PreProcessRegression.
_VERB_NEEDS = {
    "classify": "one input named 'inputs' (serialized tf.Example strings) and one or two "
    "outputs, among them 'classes' or 'scores'",
    "regress": "one input named 'inputs' (serialized tf.Example strings) and one output "
    "named 'outputs'",
}


def verb_fits(verb: str, sig: Signature) -> bool | None:
    """Whether TF Serving can run *sig* for ``:classify`` / ``:regress`` (None: the
    signature is not fully known). With ``--enable_signature_method_name_check`` the
    method name must match too, but that flag is off by default."""
    if not (sig.inputs_known and sig.outputs_known):
        return None
    if list(sig.inputs) != ["inputs"]:
        return False
    if verb == "classify":
        return len(sig.outputs) in (1, 2) and bool({"classes", "scores"} & set(sig.outputs))
    return list(sig.outputs) == ["outputs"]


def _examples(request: RestRequest, sig: Signature) -> Decoded:
    """FillClassifyRegressRequestFromJson, then whether the signature can serve the verb."""
    out = Decoded(opaque=True, missing=None)
    body = request.body
    if body is None or body.kind == "unknown":
        return out
    if body.kind != "object":
        out.problems.append(Problem(body.span, "the body must be a JSON object"))
        return out
    if body.keys is not None:
        members = dict(zip(body.keys, body.items, strict=True))
        name = members.get("signature_name")
        if name is not None and name.kind not in ("string", "unknown"):
            out.problems.append(Problem(name.span, "'signature_name' must be a string"))
        context = members.get("context")
        if context is not None:
            _example(context, "'context'", out)
        examples = members.get("examples")
        if examples is None:
            out.problems.append(
                Problem(body.span, f"a :{request.verb} body needs an 'examples' list")
            )
        elif examples.kind == "array":
            _examples_list(examples, out)
        elif examples.kind != "unknown":
            out.problems.append(Problem(examples.span, "'examples' must be a list"))
    if verb_fits(request.verb, sig) is False:
        inputs = ", ".join(sig.inputs) or "none"
        outputs = ", ".join(sig.outputs) or "none"
        out.problems.append(
            Problem(
                body.span,
                f":{request.verb} needs a signature with {_VERB_NEEDS[request.verb]}; "
                f"{sig.key!r} has inputs ({inputs}) and outputs ({outputs}): "
                "send it to :predict",
            )
        )
    return out


def _examples_list(examples: JsonValue, out: Decoded) -> None:
    if examples.summarised:
        if examples.shape is not None and examples.shape[:1] == (0,):
            out.problems.append(Problem(examples.span, "'examples' is an empty list"))
        elif examples.shape is not None or examples.leaf:
            out.problems.append(Problem(examples.span, "each example must be a JSON object"))
        return
    if not examples.items:
        out.problems.append(Problem(examples.span, "'examples' is an empty list"))
    for index, example in enumerate(examples.items):
        _example(example, f"example {index}", out)


#: AddValueToFeature: the feature list each JSON type goes to (bool: int64; an integer
#: beyond int64 and uint64 is a double to rapidjson: float).
_FEATURE_KIND = {
    "int": "int64",
    "double": "float",
    "bool": "int64",
    "float": "float",
    "string": "bytes",
    "b64": "bytes",
}


def _example(value: JsonValue, what: str, out: Decoded) -> None:
    """MakeExampleFromJsonObject: an object of features, each a value or a flat list of
    values of one feature kind (no null, no nested list, no object but ``{"b64": ...}``)."""
    if value.kind == "unknown":
        return
    if value.kind != "object":  # {"b64": ...} too is an object: a feature named b64
        out.problems.append(Problem(value.span, f"{what} must be a JSON object"))
        return
    if value.keys is None:
        return
    for key, feature in zip(value.keys, value.items, strict=True):
        leaves = _feature_leaves(feature)
        if leaves is None:
            continue
        if "uint64" in leaves:
            out.problems.append(
                Problem(
                    feature.span,
                    f"feature {key!r} of {what} holds an integer from 2**63 to 2**64 - 1: "
                    "TF Serving's decoder takes only int64 integers",
                )
            )
            continue
        bad = leaves - set(_FEATURE_KIND)
        if bad:
            kind = "list" if "array" in bad else "null" if "null" in bad else "object"
            out.problems.append(Problem(feature.span, f"feature {key!r} of {what} holds a {kind}"))
            continue
        kinds = {_FEATURE_KIND[leaf] for leaf in leaves}
        if len(kinds) > 1:
            out.problems.append(
                Problem(
                    feature.span,
                    f"feature {key!r} of {what} mixes {' and '.join(sorted(kinds))} values: "
                    "a feature's values are all of one kind",
                )
            )


def _feature_leaves(feature: JsonValue) -> set[str] | None:
    """The JSON types of a feature's values (a list's elements; nested lists show as
    ``array``); None where not known."""
    if feature.summarised:
        if feature.shape is None:
            return None
        leaves = set(feature.leaf.split("+")) if feature.leaf else set()
        if "int" in leaves and feature.ints is not None:
            low, high = feature.ints
            kinds = {_int_kind(low), _int_kind(high)}
            if "uint64" in kinds:
                return {"uint64"}
            if low < -(2**63) and high >= 2**64:
                return None  # which integers between the extremes are int64: not known
            leaves = (leaves - {"int"}) | kinds
        return leaves | ({"array"} if len(feature.shape) > 1 else set())
    items = feature.items if feature.kind == "array" else (feature,)
    out: set[str] = set()
    for item in items:
        if item.kind == "unknown" or (item.kind == "object" and item.keys is None):
            return None
        if item.kind == "int" and item.ints is not None:
            out.add(_int_kind(item.ints[0]))
        else:
            out.add("b64" if _b64(item) else item.kind)
    return out


def _int_kind(number: int) -> str:
    """rapidjson's reading of a JSON integer as AddValueToFeature sorts it: int64
    (``int``), ``uint64`` (rejected) or, beyond both, a ``double``."""
    if -(2**63) <= number < 2**63:
        return "int"
    return "uint64" if 0 <= number < 2**64 else "double"
