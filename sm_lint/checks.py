"""The rules: each a small function from analysis facts and a signature to findings."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from sm_lint.analysis.facts import Argument, ModelLoad, SignatureCall, SignatureLookup, Span
from sm_lint.diagnostics import RULES, Applicability, Diagnostic, Edit, Fix, Related, Severity
from sm_lint.models.types import (
    UNKNOWN_DTYPE,
    ModelSignatures,
    Signature,
    TensorSpec,
    format_shape,
)
from sm_lint.semantics import (
    Kind,
    ShapeProblem,
    Value,
    Verdict,
    accepted_keywords,
    binds_positionally,
    describe,
    dtype_verdict,
    shape_mismatch,
    through_keras_layer,
)
from sm_lint.sources.document import Document


@dataclass(frozen=True)
class Context:
    """What every rule needs to word a finding: where, which model, names for fixes."""

    path: str
    model: str | None
    tf_alias: str | None = None
    np_alias: str | None = None
    #: The analysed document, to name a notebook's cells (positions are the program's).
    document: Document | None = None


def _finding(
    ctx: Context,
    code: str,
    span: Span,
    message: str,
    signature: str | None = None,
    fix: Fix | None = None,
    severity: Severity | None = None,
) -> Diagnostic:
    return Diagnostic(
        path=ctx.path,
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        code=code,
        severity=severity or RULES[code].severity,
        message=message,
        model=ctx.model,
        signature=signature,
        fix=fix,
    )


def _replace(
    span: Span, text: str, description: str, applicability: Applicability = Applicability.SAFE
) -> Fix:
    edit = Edit(span.line, span.column, span.end_line, span.end_column, text)
    return Fix(description, (edit,), applicability)


def _rename(span: Span, text: str, description: str) -> Fix:
    """A name chosen by similarity (or because it is the only one left): a guess, so an
    unsafe fix."""
    return _replace(span, text, description, Applicability.UNSAFE)


def _spec(spec: TensorSpec) -> str:
    if spec.dtype == UNKNOWN_DTYPE:
        return "" if spec.shape is None else f"? {format_shape(spec.shape)}"
    return f"{spec.dtype} {format_shape(spec.shape)}"


def _inputs_list(sig: Signature) -> str:
    return ", ".join(f"{name} {_spec(spec)}" for name, spec in sig.inputs.items()) or "none"


def _suggest(name: str, choices: list[str]) -> list[str]:
    return difflib.get_close_matches(name, choices, n=3, cutoff=0.5)


def _keyword_for(name: str) -> str:
    return f"{name}=" if name.isidentifier() else json.dumps(name)


# ---------------------------------------------------------------- model loads
def check_model_load(
    ctx: Context, load: ModelLoad, error: str | None, found: bool
) -> Iterator[Diagnostic]:
    """SM012 for an unreadable model, SM011 for a literal path that leads nowhere."""
    if error is not None:
        yield _finding(ctx, "SM012", load.span, f"cannot read the SavedModel: {error}")
    elif not found and load.literal:
        yield _finding(
            ctx,
            "SM011",
            load.span,
            f"no SavedModel found for {load.expr}; the calls on it are not checked "
            "(pass --models, or map the path in [tool.sm-lint.model-paths])",
        )


def _model_name(ctx: Context, model: ModelSignatures) -> str:
    if model.saved_at is not None:
        found = ctx.document.to_cell(model.saved_at, 1) if ctx.document is not None else None
        if found is not None and found.cell is not None:
            return f"the model saved in cell {found.cell}, line {found.line}"
        return f"the model saved at line {model.saved_at}"
    return model.path.name


def note_unchecked_handle(ctx: Context, load: ModelLoad, reason: str) -> Diagnostic:
    """An info note (the editor shows it) for a TF Hub or Kaggle handle whose model is not
    in the library's cache yet: what would make its calls checkable."""
    return _finding(
        ctx,
        "SM011",
        load.span,
        f"the calls on this model are not checked: {reason}",
        severity=Severity.INFO,
    )


# ----------------------------------------------------------------- lookups
def check_lookup(
    ctx: Context, lookup: SignatureLookup, model: ModelSignatures
) -> Iterator[Diagnostic]:
    """SM001: the key is not one of the model's signatures."""
    if lookup.key in model.signatures or not model.complete:
        return
    keys = list(model.signatures)
    close = _suggest(lookup.key, keys)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    fix = (
        _rename(lookup.span, json.dumps(close[0]), f"use signature {close[0]!r}") if close else None
    )
    yield _finding(
        ctx,
        "SM001",
        lookup.span,
        f"signature {lookup.key!r} does not exist in {_model_name(ctx, model)} "
        f"(signatures: {', '.join(keys) or 'none'}){hint}",
        lookup.key,
        fix,
    )


# ------------------------------------------------------------------- calls
@dataclass(frozen=True)
class Binding:
    """Which argument lands on which input."""

    bound: tuple[tuple[Argument, TensorSpec], ...]
    findings: tuple[Diagnostic, ...]


def bind(ctx: Context, call: SignatureCall, sig: Signature, tf2: bool) -> Binding:
    """Bind the call's arguments to inputs as TensorFlow would (SM002, SM003, SM004)."""
    bound: list[tuple[Argument, TensorSpec]] = []
    findings: list[Diagnostic] = []
    if not sig.inputs_known:
        return Binding((), ())
    # Inputs whose real name is unknown (derived from source) match a pattern instead.
    unnamed = [n for n, s in sig.inputs.items() if s.name_pattern is not None]
    names = accepted_keywords({n: s for n, s in sig.inputs.items() if n not in unnamed})
    positional = [a for a in call.arguments if a.name is None]
    keywords = [a for a in call.arguments if a.name is not None]
    taken: set[str] = set()

    if call.layer:
        return _bind_layer(ctx, call, sig, positional, keywords)
    if sig.key == "__call__":
        # loaded(x): a tf.function taking one value positionally, converted like a
        # signature's argument; keywords and anything else are not modelled.
        if len(positional) != 1 or keywords or call.opaque_arguments:
            return Binding((), ())
        return Binding(((positional[0], next(iter(sig.inputs.values()))),), ())

    findings.extend(_positional(ctx, call, sig, tf2, positional, keywords, bound, taken))
    rejected = any(f.severity is Severity.ERROR for f in findings)

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
            findings.append(
                _finding(
                    ctx,
                    "SM004",
                    arg.keyword_span or arg.span,
                    f"input {target!r} is already bound by a positional argument (TF1 signatures "
                    "bind positional arguments in sorted input-name order); TensorFlow raises "
                    "'multiple values for argument'",
                    sig.key,
                )
            )
    # Each keyword that may be an unnamed input's name takes one; which one is known only
    # when there is one of each.
    for name, arg in zip(unnamed, matched, strict=False):
        taken.add(name)
        if len(unnamed) == len(matched) == 1:
            bound.append((arg, sig.inputs[name]))
    free = [n for n in sig.inputs if n not in taken and n not in unnamed]
    suggested: set[str] = set()
    for arg in unexpected:
        findings.append(_unexpected(ctx, sig, arg, free, len(unexpected) == 1, suggested))
    # A rejected positional argument or an unknown keyword already explains (and lists)
    # the inputs left unfilled: one finding per mistake, not two.
    if not call.opaque_arguments and not rejected and not unexpected:
        for name, spec in sig.inputs.items():
            if name not in taken and name not in sig.optional_inputs and name not in suggested:
                findings.append(
                    _finding(
                        ctx,
                        "SM003",
                        call.span,
                        f"missing input {name!r} ({_spec(spec)}) of signature {sig.key!r}; "
                        f"pass it as {_keyword_for(name)}... (inputs: {_inputs_list(sig)})",
                        sig.key,
                    )
                )
    return Binding(tuple(bound), tuple(findings))


def _matches_unnamed(sig: Signature, unnamed: list[str], keyword: str) -> bool:
    return any(re.fullmatch(sig.inputs[n].name_pattern or "", keyword) is not None for n in unnamed)


def _bind_layer(
    ctx: Context,
    call: SignatureCall,
    sig: Signature,
    positional: list[Argument],
    keywords: list[Argument],
) -> Binding:
    """A TFSMLayer or hub.KerasLayer called on one value: Keras converts it, then calls the
    endpoint with it as the single positional argument. A hub.KerasLayer given one dict
    (recorded as keyword arguments) converts each item and passes the items by name."""
    own_call = sig.key == "__call__"  # the model's __call__: a tf.function, not a signature
    if own_call and (
        keywords
        or any(
            a.value.kind in (Kind.LIST, Kind.STRING) or a.value.dtype == "none" for a in positional
        )
    ):
        return Binding(
            (), ()
        )  # dicts, lists, strings, None: how __call__ takes them is not modelled
    if call.hub_layer and keywords and not positional:
        items = []
        for arg in keywords:
            converted_item = through_keras_layer(_hub_layer_input(arg.value))
            items.append(replace(arg, value=converted_item or Value()))
        plain = replace(call, layer=False, hub_layer=False, arguments=tuple(items))
        return bind(ctx, plain, sig, True)
    if len(positional) != 1 or keywords:
        return Binding((), ())
    arg = positional[0]
    layer = "hub.KerasLayer" if call.hub_layer else "TFSMLayer"
    if len(sig.inputs) != 1:
        if call.hub_layer and arg.value.kind is Kind.UNKNOWN:
            return Binding((), ())  # it may be a dict of the inputs
        remedy = (
            "pass the layer one dict of the inputs by name"
            if call.hub_layer
            else f"call loaded.signatures[{sig.key!r}](...) with every input by name"
        )
        return Binding(
            (),
            (
                _finding(
                    ctx,
                    "SM004",
                    arg.span,
                    f"a {layer} passes a single input positionally, which signature {sig.key!r} "
                    f"with {len(sig.inputs)} inputs rejects; {remedy} ({_inputs_list(sig)})",
                    sig.key,
                ),
            ),
        )
    converted = through_keras_layer(_hub_layer_input(arg.value) if call.hub_layer else arg.value)
    if converted is None:
        return Binding(
            (),
            (
                _finding(
                    ctx,
                    "SM004",
                    arg.span,
                    f"a {layer} accepts only arrays and tensors, not a {describe(arg.value)} "
                    '("Only input tensors may be passed as positional arguments")',
                    sig.key,
                ),
            ),
        )
    spec = next(iter(sig.inputs.values()))
    return Binding(((replace(arg, value=converted), spec),), ())


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
    ctx: Context,
    call: SignatureCall,
    sig: Signature,
    tf2: bool,
    positional: list[Argument],
    keywords: list[Argument],
    bound: list[tuple[Argument, TensorSpec]],
    taken: set[str],
) -> Iterator[Diagnostic]:
    if not positional:
        return
    order = sorted(sig.inputs)
    if not tf2:
        for arg, name in zip(positional, order, strict=False):
            taken.add(name)
            bound.append((arg, sig.inputs[name]))
            yield _finding(
                ctx,
                "SM004",
                arg.span,
                f"positional argument binds to input {name!r} only because TF1 signatures bind "
                f"in sorted input-name order ({', '.join(order)}); pass it by name",
                sig.key,
                _keyword_fix(arg, name),
                Severity.WARNING,
            )
        for arg in positional[len(order) :]:
            yield _finding(
                ctx,
                "SM004",
                arg.span,
                f"too many positional arguments: signature {sig.key!r} has {len(order)} input(s)",
                sig.key,
            )
        return
    verdict = binds_positionally(positional[0].value, len(sig.inputs), len(positional), tf2)
    if verdict is not False and not keywords:
        name = order[0]
        taken.add(name)
        bound.append((positional[0], sig.inputs[name]))
        message = (
            f"positional argument binds to the only input {name!r}; pass it by name "
            f"({_keyword_for(name)}...) so the call survives a change of the model's inputs"
        )
        yield _finding(
            ctx,
            "SM004",
            positional[0].span,
            message,
            sig.key,
            _keyword_fix(positional[0], name) if sig.inputs[name].name_pattern is None else None,
            Severity.WARNING,
        )
        return
    for arg in positional:
        if len(sig.inputs) == 1 and len(positional) == 1 and not keywords:
            why = (
                f"TensorFlow accepts a positional argument only as a tf.Tensor, not as "
                f"a {describe(arg.value)}"
            )
        else:
            why = (
                f"TensorFlow rejects positional arguments here (too many positional "
                f"arguments); inputs: {_inputs_list(sig)}"
            )
        fix = (
            _keyword_fix(arg, order[0])
            if len(sig.inputs) == 1
            and len(positional) == 1
            and sig.inputs[order[0]].name_pattern is None
            else None
        )
        yield _finding(ctx, "SM004", arg.span, f"{why}; pass every input by name", sig.key, fix)


def _keyword_fix(arg: Argument, name: str) -> Fix | None:
    if not name.isidentifier():
        return _replace(
            arg.value_span,
            f"**{{{json.dumps(name)}: {arg.value_text}}}",
            f"pass it as input {name!r}",
        )
    span = arg.value_span
    return Fix(
        f"pass it as {name}=", (Edit(span.line, span.column, span.line, span.column, f"{name}="),)
    )


def _unexpected(
    ctx: Context,
    sig: Signature,
    arg: Argument,
    free: list[str],
    only_one: bool,
    suggested: set[str],
) -> Diagnostic:
    """SM002, suggesting a close input name, or the one input left when only one is."""
    assert arg.name is not None
    candidates = [n for n in free if n not in suggested]
    close = _suggest(arg.name, candidates) or (
        candidates if only_one and len(candidates) == 1 else []
    )
    fix = None
    hint = ""
    if close:
        target = close[0]
        suggested.add(target)
        hint = f"; did you mean {target!r}?"
        if arg.keyword_span is not None and target.isidentifier():
            fix = _rename(arg.keyword_span, target, f"rename to {target}")
        elif arg.from_dict:
            key_span = Span(
                arg.span.line, arg.span.column, arg.value_span.line, arg.value_span.column
            )
            fix = _rename(key_span, f"{json.dumps(target)}: ", f"rename to {target!r}")
    return _finding(
        ctx,
        "SM002",
        arg.keyword_span or arg.span,
        f"{arg.name!r} is not an input of signature {sig.key!r}{hint} "
        f"(inputs: {_inputs_list(sig)})",
        sig.key,
        fix,
    )


def check_value(
    ctx: Context, sig: Signature, arg: Argument, spec: TensorSpec
) -> Iterator[Diagnostic]:
    """SM005/SM006 for the dtype, SM007/SM008 for the shape of one bound argument."""
    value = arg.value
    if value.ragged:
        yield _finding(
            ctx,
            "SM007",
            arg.value_span,
            f"input {spec.name!r} expects {_spec(spec)}, got a ragged list (rows of "
            "different lengths): TensorFlow cannot convert a non-rectangular list",
            sig.key,
        )
        return
    verdict = dtype_verdict(value, spec.dtype) if spec.dtype != UNKNOWN_DTYPE else Verdict.UNKNOWN
    got = describe(value)
    if verdict is Verdict.REJECTED:
        if value.kind is Kind.TENSOR:
            why = "TensorFlow never casts a tf.Tensor passed to a signature (InvalidArgumentError)"
        else:
            why = f"TensorFlow cannot convert it to {spec.dtype}"
        fix = _cast_fix(ctx, arg, spec)
        how = f"; cast it, e.g. {fix.edits[0].text}" if fix is not None else ""
        yield _finding(
            ctx,
            "SM005",
            arg.value_span,
            f"input {spec.name!r} expects {spec.dtype}, got {got}: {why}{how}",
            sig.key,
            fix,
        )
    elif verdict is Verdict.LOSSY:
        yield _finding(
            ctx,
            "SM006",
            arg.value_span,
            f"input {spec.name!r} expects {spec.dtype}; the {got} is cast silently and "
            f"loses values ({value.dtype} -> {spec.dtype}); convert it explicitly with "
            "the scaling you intend",
            sig.key,
        )
    mismatch = shape_mismatch(value.shape, spec.shape)
    if mismatch is None:
        return
    tensor_note = (
        " A tf.Tensor's shape is not checked when every argument is a tensor: the call then "
        "fails inside the model or computes on the wrong data."
        if value.kind is Kind.TENSOR
        else ""
    )
    assert value.shape is not None and spec.shape is not None
    if mismatch.problem is ShapeProblem.RANK:
        yield _finding(
            ctx,
            "SM007",
            arg.value_span,
            f"input {spec.name!r} expects rank {len(spec.shape)} "
            f"{format_shape(spec.shape)}, got rank {len(value.shape)} "
            f"{format_shape(value.shape)}.{tensor_note}",
            sig.key,
        )
    else:
        axis = mismatch.axis
        assert axis is not None
        yield _finding(
            ctx,
            "SM008",
            arg.value_span,
            f"input {spec.name!r} expects shape {format_shape(spec.shape)}, got "
            f"{format_shape(value.shape)}: dimension {axis} is {value.shape[axis]}, "
            f"not {spec.shape[axis]}.{tensor_note}",
            sig.key,
        )


def _cast_fix(ctx: Context, arg: Argument, spec: TensorSpec) -> Fix | None:
    value = arg.value
    if (
        value.kind is Kind.TENSOR
        and ctx.tf_alias
        and spec.dtype != "string"
        and value.dtype != "string"
    ):
        text = f"{ctx.tf_alias}.cast({arg.value_text}, {ctx.tf_alias}.{spec.dtype})"
        return _replace(arg.value_span, text, f"cast to {spec.dtype}")
    return None


def check_batch(
    ctx: Context,
    call: SignatureCall,
    sig: Signature,
    bound: tuple[tuple[Argument, TensorSpec], ...],
) -> Iterator[Diagnostic]:
    """SM009: free leading dimensions that get different sizes."""
    sizes: dict[int, list[str]] = {}
    for arg, spec in bound:
        if (
            spec.shape
            and spec.shape[0] is None
            and arg.value.shape
            and arg.value.shape[0] is not None
        ):
            sizes.setdefault(arg.value.shape[0], []).append(spec.name)
    if len(sizes) > 1:
        detail = ", ".join(f"{'/'.join(names)}: {size}" for size, names in sorted(sizes.items()))
        yield _finding(
            ctx,
            "SM009",
            call.span,
            f"inputs get different batch sizes ({detail}); TensorFlow binds each but "
            "the model fails inside the graph when it combines them",
            sig.key,
        )


def check_outputs(ctx: Context, call: SignatureCall, sig: Signature) -> Iterator[Diagnostic]:
    """SM010: indexing the result with a key the signature does not return."""
    if not sig.outputs_known:
        return
    for access in call.outputs:
        if access.key in sig.outputs:
            continue
        close = _suggest(access.key, list(sig.outputs))
        hint = f"; did you mean {close[0]!r}?" if close else ""
        target = close[0] if close else (next(iter(sig.outputs)) if len(sig.outputs) == 1 else None)
        fix = _rename(access.span, json.dumps(target), f"use output {target!r}") if target else None
        yield _finding(
            ctx,
            "SM010",
            access.span,
            f"signature {sig.key!r} has no output {access.key!r} (outputs: "
            f"{', '.join(f'{n} {_spec(s)}'.rstrip() for n, s in sig.outputs.items())}){hint}",
            sig.key,
            fix,
        )


def check_call(ctx: Context, call: SignatureCall, model: ModelSignatures) -> list[Diagnostic]:
    """Every finding for one signature call against the model's real signature."""
    sig = model.signatures.get(call.key) or (model.call if call.key == "__call__" else None)
    if sig is None:
        return []
    # A fix names TensorFlow as the call site sees it: a parameter may shadow `tf`.
    ctx = replace(ctx, tf_alias=call.tf_alias)
    binding = bind(ctx, call, sig, model.tf2)
    findings = list(binding.findings)
    for arg, spec in binding.bound:
        findings.extend(check_value(ctx, sig, arg, spec))
    findings.extend(check_batch(ctx, call, sig, binding.bound))
    findings.extend(check_outputs(ctx, call, sig))
    return findings


def check_call_in_context(
    ctx: Context, call: SignatureCall, model: ModelSignatures, known: set[tuple[str, int, int, str]]
) -> list[Diagnostic]:
    """Findings for a call inside a function analysed under one caller's arguments, except
    those the context-free analysis already reports (*known*: code, line, column, message);
    each names the caller and points at it (related information). No fix is offered: what
    fits one caller may not fit another."""
    if not call.context:
        return []
    outer, inner = call.context[0], call.context[1:]
    when = f"when `{outer.function}` is called at line {outer.span.line}"
    if outer.arguments:
        when += f" with {outer.arguments}"
    for site in inner:
        when += f", then `{site.function}` at line {site.span.line}"
    related = tuple(
        Related(
            site.span.line,
            site.span.column,
            site.span.end_line,
            site.span.end_column,
            f"`{site.function}` called here"
            + (f" with {site.arguments}" if site.arguments else ""),
        )
        for site in call.context
    )
    return [
        replace(finding, message=f"{finding.message} ({when})", fix=None, related=related)
        for finding in check_call(ctx, call, model)
        if (finding.code, finding.line, finding.column, finding.message) not in known
    ]
