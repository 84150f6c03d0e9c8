"""Editor queries over an analysis: hover, completion and inlay hints.

Frontend-neutral: positions are 1-based lines and 1-based columns in code points, like the
findings. The language server converts them to and from LSP positions.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sm_lint.analysis.facts import Argument, SignatureCall, Span
from sm_lint.analysis.resolve import ModelSource
from sm_lint.api import FileAnalysis, Linter, ResolvedLoad
from sm_lint.models.types import (
    ModelSignatures,
    RestoredFunction,
    Signature,
    Structure,
    TensorSpec,
    format_shape,
)
from sm_lint.observed import Observed
from sm_lint.semantics import PYTHON_DEFAULT_DTYPE, Kind, Value, accepted_keywords, describe
from sm_lint.sources import Document, line_phrase

__all__ = [
    "Completion",
    "Hover",
    "InlayHint",
    "Span",
    "completions",
    "function_markdown",
    "hover",
    "inlay_hints",
    "signature_markdown",
]


@dataclass(frozen=True)
class Hover:
    markdown: str
    span: Span


@dataclass(frozen=True)
class Completion:
    label: str
    detail: str
    insert_text: str
    #: "input", "signature" or "output".
    kind: str
    #: The text to replace (the inside of the quotes for keys), when there is one.
    replace: Span | None = None


@dataclass(frozen=True)
class InlayHint:
    line: int
    column: int
    label: str


def _inside(span: Span, line: int, column: int) -> bool:
    if line < span.line or line > span.end_line:
        return False
    if line == span.line and column < span.column:
        return False
    return not (line == span.end_line and column > span.end_column)


def _spec(spec: TensorSpec) -> str:
    return f"{spec.dtype} {format_shape(spec.shape)}"


def signature_markdown(
    model: ModelSignatures, sig: Signature, document: Document | None = None
) -> str:
    """A Markdown table of a signature's inputs and outputs, and the model folder (for a
    model derived from the program's own save, where the save is in *document*)."""
    lines = [f"**{sig.key}** · `{model.path}` ({sig.method or 'no method'})", ""]
    if model.saved_at is not None:  # derived from the program's own save (derive.py)
        saved = line_phrase(document, model.saved_at)
        lines[0] = f"**{sig.key}** · derived from source: saved {saved}"
    for title, specs in (("input", sig.inputs), ("output", sig.outputs)):
        lines += [f"| {title} | dtype | shape |", "|---|---|---|"]
        lines += [f"| `{s.name}` | {s.dtype} | {format_shape(s.shape)} |" for s in specs.values()]
        lines.append("")
    return "\n".join(lines).rstrip()


def _call_text(fn: RestoredFunction) -> str:
    """``loaded(x, training=False)``, ``loaded.encoder.embed(tokens)``."""
    defaults = dict(
        zip(fn.arg_names[len(fn.arg_names) - len(fn.defaults) :], fn.defaults, strict=True)
    )
    params = [f"{n}={defaults[n].text()}" if n in defaults else n for n in fn.arg_names]
    if fn.varargs:
        params.append("*args")
    params += [f"{n}=..." if n in dict(fn.kwonly_defaults) else n for n in fn.kwonly]
    if fn.varkw:
        params.append("**kwargs")
    name = "loaded" if fn.path == "__call__" else f"loaded.{fn.path}"
    return f"{name}({', '.join(params)})"


def function_markdown(
    model: ModelSignatures, fn: RestoredFunction, document: Document | None = None
) -> str:
    """A restored function's parameters and the forms TensorFlow accepts: its
    input_signature, or each concrete function it was traced for (the model's object
    graph, as ``sm-lint show`` prints them)."""
    lines = [f"**{fn.path}** · `{model.path}` (restored function)", "", f"`{_call_text(fn)}`"]
    if model.saved_at is not None:
        lines[0] = (
            f"**{fn.path}** · derived from source: saved {line_phrase(document, model.saved_at)}"
        )
    if fn.input_signature is not None:
        specs = ", ".join(s.text() for s in fn.input_signature)
        lines += ["", f"input_signature: `({specs})`"]
    elif fn.concrete:
        lines += ["", "traced for:"]
        lines += [f"- `{c.text(fn.arg_names)}`" for c in fn.concrete]
    if not fn.known:
        lines += ["", "part of this function could not be read: its calls are not checked"]
    return "\n".join(lines)


def _parameter_forms(fn: RestoredFunction, call: SignatureCall, arg: Argument) -> list[str]:
    """What the parameter *arg* binds to was declared or traced as (distinct, in order)."""
    if arg.name is not None:
        index = fn.arg_names.index(arg.name) if arg.name in fn.arg_names else None
    else:
        index = [a for a in call.arguments if a.name is None].index(arg)
    if index is None or index >= len(fn.arg_names):
        return []
    structures: list[Structure] = []
    if fn.input_signature is not None:
        if index < len(fn.input_signature):
            structures.append(fn.input_signature[index])
    else:
        structures += [c.args[index] for c in fn.concrete if index < len(c.args)]
    forms: list[str] = []
    for structure in structures:
        if structure.text() not in forms:
            forms.append(structure.text())
    return forms


def _restored_hover(
    call: SignatureCall,
    resolved: ResolvedLoad,
    fn: RestoredFunction,
    line: int,
    column: int,
    shown: Document | None,
) -> Hover:
    model = resolved.model
    assert model is not None
    for arg in call.arguments:
        if _inside(arg.span, line, column):
            positional = [a for a in call.arguments if a.name is None]
            index = positional.index(arg) if arg.name is None else None
            name = arg.name or (
                fn.arg_names[index] if index is not None and index < len(fn.arg_names) else None
            )
            text = f"**{name or 'positional argument'}**: {_value_text(arg.value)}"
            forms = _parameter_forms(fn, call, arg)
            if forms:
                how = "declared" if fn.input_signature is not None else "traced"
                text += f"\n\n{how} as " + " or ".join(f"`{f}`" for f in forms)
            return Hover(text + _origin(resolved), arg.span)
    return Hover(function_markdown(model, fn, shown) + _origin(resolved), call.func_span)


def _origin(resolved: ResolvedLoad) -> str:
    """A hover's last paragraph for a model found from a run (resolution step observed)."""
    observed = resolved.resolution.source is ModelSource.OBSERVED
    return f"\n\n{resolved.resolution.reason}" if observed else ""


def _model(analysis: FileAnalysis, load_id: int) -> ResolvedLoad | None:
    resolved = analysis.loads.get(load_id)
    return resolved if resolved is not None and resolved.model is not None else None


def _argument_spec(
    sig: Signature, call: SignatureCall, arg: Argument, tf2: bool
) -> TensorSpec | None:
    if arg.name is not None:
        target = accepted_keywords(sig.inputs).get(arg.name)
        return sig.inputs.get(target) if target else None
    positional = [a for a in call.arguments if a.name is None]
    index = positional.index(arg)
    order = sorted(sig.inputs)
    if (not tf2 or len(order) == 1) and index < len(order):
        return sig.inputs[order[index]]
    return None


def _value_text(value: Value) -> str:
    if value.kind in (Kind.LIST, Kind.SCALAR, Kind.STRING) and value.dtype is not None:
        converted = PYTHON_DEFAULT_DTYPE.get(value.dtype, value.dtype)
        return f"{describe(value)} (converted as {converted})"
    return describe(value)


def _observed_for(analysis: FileAnalysis, call: SignatureCall, arg: Argument) -> list[Observed]:
    observations = analysis.observed.get(call.id, {})
    if arg.name is not None:
        return observations.get(arg.name, [])
    index = [a for a in call.arguments if a.name is None].index(arg)
    return observations.get(f"#{index}", [])


def _short(value: Value) -> str:
    """``float64 (64, 5)``: dtype and shape only."""
    dtype = (
        value.dtype
        if value.kind in (Kind.TENSOR, Kind.NDARRAY)
        else (PYTHON_DEFAULT_DTYPE.get(value.dtype or "", value.dtype))
    )
    shape = format_shape(value.shape) if value.shape is not None else None
    return " ".join(p for p in (dtype, shape) if p) or "unknown"


def hover(
    analysis: FileAnalysis, line: int, column: int, document: Document | None = None
) -> Hover | None:
    """What to show at a position: an argument's value against its input, a signature
    table on a lookup or call, an output's spec on ``result["key"]``. Lines are named as
    *document* (default: the analysed one) shows them: in a notebook, by cell."""
    facts = analysis.facts
    shown = document if document is not None else analysis.document
    if facts is None:
        return None
    for call in facts.calls:
        resolved = _model(analysis, call.load_id)
        if resolved is None or resolved.model is None or not _inside(call.span, line, column):
            continue
        model = resolved.model
        if call.function is not None:
            fn = model.functions.get(call.function)
            if fn is None:
                continue
            return _restored_hover(call, resolved, fn, line, column, shown)
        sig = model.signatures.get(call.key)
        if sig is None:
            continue
        if call.rest is not None:
            payload = _payload_hover(sig, call, line, column)
            if payload is not None:
                return payload
        for arg in call.arguments:
            if _inside(arg.span, line, column):
                spec = _argument_spec(sig, call, arg, model.tf2)
                name = arg.name or "positional argument"
                text = f"**{name}**: {_value_text(arg.value)}"
                if spec is not None:
                    text += f"\n\nexpects `{spec.name}`: {_spec(spec)}"
                for seen in _observed_for(analysis, call, arg):
                    times = "once" if seen.count == 1 else f"{seen.count} times"
                    kind = describe(Value(seen.value.kind))
                    text += f"\n\nobserved at run time: {_short(seen.value)} ({kind}, {times})"
                return Hover(text + _origin(resolved), arg.span)
        return Hover(signature_markdown(model, sig, shown) + _origin(resolved), call.func_span)
    for call in facts.calls:
        resolved = _model(analysis, call.load_id)
        if resolved is None or resolved.model is None:
            continue
        sig = resolved.model.signatures.get(call.key)
        for access in call.outputs:
            if sig is not None and _inside(access.span, line, column):
                spec = sig.outputs.get(access.key)
                text = (
                    f"output **{access.key}**: {_spec(spec)}"
                    if spec is not None
                    else f"`{sig.key}` has no output {access.key!r}"
                )
                return Hover(text, access.span)
    for lookup in facts.lookups:
        resolved = _model(analysis, lookup.load_id)
        if resolved is None or resolved.model is None or not _inside(lookup.span, line, column):
            continue
        sig = resolved.model.signatures.get(lookup.key)
        if sig is not None:
            markdown = signature_markdown(resolved.model, sig, shown)
            return Hover(markdown + _origin(resolved), lookup.span)
        keys = ", ".join(f"`{k}`" for k in resolved.model.signatures)
        return Hover(
            f"`{resolved.model.path}` has no signature {lookup.key!r}; it has {keys}", lookup.span
        )
    return None


def _payload_hover(sig: Signature, call: SignatureCall, line: int, column: int) -> Hover | None:
    """On a key of a TF Serving body (``{"instances": [{"x": ...}]}``): the input it fills,
    and what the request sends for it, as TF Serving decodes it."""
    from sm_lint.rules.serving import decode

    assert call.rest is not None
    decoded = decode(call.rest, sig)
    body = call.rest.body
    for arg in decoded.arguments:
        assert arg.name is not None
        keys = decoded.key_spans.get(arg.name, [])
        where = next((k for k in keys if _inside(k, line, column)), None)
        if where is None and _inside(arg.span, line, column):
            where = arg.span
        if where is None or (body is not None and where == body.span):
            continue  # a JSON text's keys have no place of their own
        spec = sig.inputs.get(arg.name)
        if spec is None:
            text = f"**{arg.name}** is not an input of `{sig.key}`"
        else:
            text = f"**{arg.name}**: {_spec(spec)} (input of `{sig.key}`)"
            if arg.value.shape is not None:
                axis = " (the first axis counts the instances)" if decoded.row else ""
                text += f"\n\nthis request sends shape {format_shape(arg.value.shape)}{axis}"
        return Hover(text, where)
    return None


def inlay_hints(analysis: FileAnalysis) -> list[InlayHint]:
    """The inferred dtype and shape after each argument of a signature call."""
    hints: list[InlayHint] = []
    if analysis.facts is None:
        return hints
    for call in analysis.facts.calls:
        if call.alternatives and call.alternatives[0] != call.id:
            continue  # a model loaded in branches: its calls share the arguments
        for arg in call.arguments:
            value = arg.value
            if value.kind is Kind.UNKNOWN or (value.dtype is None and value.shape is None):
                continue
            parts = []
            if value.dtype is not None:
                parts.append(
                    value.dtype
                    if value.kind in (Kind.TENSOR, Kind.NDARRAY)
                    else PYTHON_DEFAULT_DTYPE.get(value.dtype, value.dtype)
                )
            if value.shape is not None:
                parts.append(format_shape(value.shape))
            hints.append(
                InlayHint(
                    arg.value_span.end_line, arg.value_span.end_column, f": {' '.join(parts)}"
                )
            )
    return hints


# Text inserted at the cursor to make a half-typed line parse, tried after the computed
# closing of what is open there (see _repairs).
_REPAIRS = ("", ")", '")', '"]', "']", "')", "]", "=None)", "None)")
_CLOSING = {"(": ")", "[": "]", "{": "}"}


def _open_at(text: str) -> tuple[str, list[str]]:
    """What is still open at the end of *text*: the string's quote ("" when none) and the
    brackets, innermost last. Comments are skipped; a one-line string ends at its line."""
    quote, brackets, i, n = "", [], 0, len(text)
    while i < n:
        char = text[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                quote, i = "", i + len(quote)
                continue
            if char in "\r\n" and len(quote) == 1:
                quote = ""
            i += 1
            continue
        if char == "#":
            while i < n and text[i] not in "\r\n":
                i += 1
            continue
        if char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            i += len(quote)
            continue
        if char in _CLOSING:
            brackets.append(char)
        elif char in ")]}" and brackets and _CLOSING[brackets[-1]] == char:
            brackets.pop()
        i += 1
    return quote, brackets


def _repairs(source: str, line: int, column: int) -> Iterator[str]:
    """The texts to try for a completion at (*line*, *column*) of half-typed code: the
    text itself; the string and brackets open at the cursor closed there (keeping what
    follows on the line when it closes them itself, as an editor's auto-inserted quote and
    bracket do); the same as the header of a block; then fixed insertions."""
    yield source
    lines = source.splitlines(keepends=True)
    if not 1 <= line <= len(lines):
        return
    before, current, after = "".join(lines[: line - 1]), lines[line - 1], "".join(lines[line:])
    head, rest = current[: column - 1], current[column - 1 :]
    quote, brackets = _open_at(before + head)
    closing = quote + "".join(_CLOSING[b] for b in reversed(brackets))
    body = rest.rstrip("\r\n")
    ending = rest[len(body) :] or "\n"
    texts = []
    if closing:
        # What the editor already closed after the cursor is not closed twice.
        kept = next(k for k in range(len(closing), -1, -1) if body.startswith(closing[:k]))
        for middle in (closing + body[kept:], closing):
            texts += [before + head + middle + ending + after]
            texts += [before + head + middle + ": pass" + ending + after]
    for repair in _REPAIRS[1:]:
        texts.append(before + head + repair + rest + after)
    yield from dict.fromkeys(t for t in texts if t != source)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def completions(
    linter: Linter, source: str, path: str | Path | None, line: int, column: int
) -> list[Completion]:
    """Input names inside a signature call, keys inside ``.signatures["``, output keys
    inside ``result["``. Half-typed code (an unclosed string, subscript or call) is
    repaired at the cursor before analysis."""
    # Python's own parser rules out the repairs that cannot parse, cheaply (and the text as
    # it is, complete, needs no repair); the analysis (whose parser may accept more) is the
    # judge when it rules out them all.
    rejected = []
    for text in _repairs(source, line, column):
        if not _parses(text):
            rejected.append(text)
            continue
        analysis = linter.analyze_source(text, path)
        if analysis.facts is not None:
            return _completions(analysis, line, column)
    for text in rejected:
        analysis = linter.analyze_source(text, path)
        if analysis.facts is not None:
            return _completions(analysis, line, column)
    return []


def _key_items(keys: dict[str, str], span: Span, kind: str) -> list[Completion]:
    inner = Span(
        span.line, span.column + 1, span.end_line, max(span.column + 1, span.end_column - 1)
    )
    return [Completion(key, detail, key, kind, inner) for key, detail in keys.items()]


def _completions(analysis: FileAnalysis, line: int, column: int) -> list[Completion]:
    facts = analysis.facts
    assert facts is not None
    # A TF Serving request without signature_name looks its signature up at the whole call.
    requests = {call.span for call in facts.calls if call.rest is not None}
    for lookup in facts.lookups:
        resolved = _model(analysis, lookup.load_id)
        if (
            lookup.span not in requests
            and resolved is not None
            and resolved.model is not None
            and _inside(lookup.span, line, column)
        ):
            keys = {
                k: ", ".join(f"{n} {_spec(s)}" for n, s in sig.inputs.items())
                for k, sig in resolved.model.signatures.items()
            }
            return _key_items(keys, lookup.span, "signature")
    for call in facts.calls:
        resolved = _model(analysis, call.load_id)
        if resolved is None or resolved.model is None:
            continue
        sig = resolved.model.signatures.get(call.key)
        if sig is None:
            continue
        for access in call.outputs:
            if _inside(access.span, line, column):
                return _key_items(
                    {n: _spec(s) for n, s in sig.outputs.items()}, access.span, "output"
                )
        if call.rest is not None:
            if _inside(call.span, line, column):
                return _payload_items(sig, call, line, column)
            continue
        if _inside(call.span, line, column) and not (line, column) <= (
            call.func_span.end_line,
            call.func_span.end_column,
        ):
            if any(_inside(a.value_span, line, column) for a in call.arguments):
                return []
            return _input_items(sig, call)
    return []


def _input_items(sig: Signature, call: SignatureCall) -> list[Completion]:
    names = accepted_keywords(sig.inputs)
    passed = {names.get(a.name) for a in call.arguments if a.name is not None}
    items = []
    for name, spec in sig.inputs.items():
        if name in passed:
            continue
        insert = f"{name}=" if name.isidentifier() else f"**{{{json.dumps(name)}: }}"
        items.append(Completion(name, _spec(spec), insert, "input"))
    return items


def _payload_items(sig: Signature, call: SignatureCall, line: int, column: int) -> list[Completion]:
    """Input names inside an instance object of a TF Serving row body, or inside its
    columnar ``inputs`` object: the names not yet there."""
    assert call.rest is not None
    body = call.rest.body
    if body is None or body.kind != "object" or body.keys is None:
        return []
    containers = []
    for key, item in zip(body.keys, body.items, strict=True):
        if key == "instances" and item.kind == "array" and not item.summarised:
            containers += [i for i in item.items if i.kind in ("object", "unknown")]
        elif key == "inputs" and item.kind in ("object", "unknown"):
            containers.append(item)
    for box in containers:
        # A JSON text's values all span the text: no place to complete in.
        if box.span == body.span or not _inside(box.span, line, column):
            continue
        if any(_inside(v.span, line, column) for v in box.items):
            return []
        typed = [
            (key, span)
            for key, span in zip(box.keys or (), box.key_spans, strict=True)
            if _inside(span, line, column)
        ]
        inside_key = typed[0][1] if typed else None
        # The key being typed may become any name; the other keys are taken.
        present = set(box.keys or ()) - {key for key, _ in typed}
        items = []
        for name, spec in sig.inputs.items():
            if name in present:
                continue
            if inside_key is not None:
                inner = Span(
                    inside_key.line,
                    inside_key.column + 1,
                    inside_key.end_line,
                    max(inside_key.column + 1, inside_key.end_column - 1),
                )
                items.append(Completion(name, _spec(spec), name, "input", inner))
            elif box.kind == "unknown":  # ``{""}`` while typing: the cursor is in the quotes
                items.append(Completion(name, _spec(spec), name, "input"))
            else:
                items.append(Completion(name, _spec(spec), f"{json.dumps(name)}: ", "input"))
        return items
    return []
