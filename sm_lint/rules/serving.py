"""How TF Serving decodes a REST predict body against a signature: the fact SM014 reads
(request-format errors), SM005 (JSON types an input rejects) and, through the arguments it
yields, SM002 / SM003 / SM007 / SM008 / SM009.

Every rule here is TF Serving's own, read from tensorflow/serving
``tensorflow_serving/util/json_tensor.cc`` (FillPredictRequestFromJson,
FillTensorMapFromInstancesList, FillTensorMapFromInputsMap, FillTensorProto,
AddValueToTensor, IsValBase64Object) and ``servables/tensorflow/predict_util.cc`` (a missing
or empty ``signature_name`` is ``serving_default``). Nothing is decided where the body is
not known: no guessing.
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
    #: Inputs the request leaves out; None where which ones is not known.
    missing: list[str] | None = field(default_factory=list)


#: A JSON value's dense shape and the JSON types of its leaves; shape None: not known.
_Tensor = tuple[tuple[int | None, ...] | None, frozenset[str]]


def decode(request: RestRequest, sig: Signature) -> Decoded:
    """Decode *request*'s body against *sig* as FillPredictRequestFromJson does."""
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
    for key, tensors in per_input.items():
        key_span, value_span = first_key[key]
        if key not in sig.inputs:
            out.arguments.append(_argument(key, Value(), key_span, value_span))
            continue
        shape, leaves = _stack(tensors, key, out)
        _add(out, key, sig, value_span, shape, leaves, value, key_span)
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
    # Extra keys are ignored (FillTensorMapFromInputsMap looks up each input only).
    for name in names:
        if name in members:
            member, key_span = members[name]
            shape, leaves = _tensor(member)
            _add(out, name, sig, member.span, shape, leaves, member, key_span, batch=False)
    out.missing = [n for n in names if n not in members]


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
) -> None:
    if not batch and _ragged(node):
        out.problems.append(Problem(node.span, f"input {name!r}: a list of uneven nesting"))
        shape = None
    spec = sig.inputs.get(name)
    if spec is not None and leaves:
        from sm_lint.semantics import Verdict, json_verdict

        if json_verdict(leaves, spec.dtype) is Verdict.REJECTED:
            out.json_types.append(JsonTypeProblem(span, name, spec.dtype, leaves))
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
