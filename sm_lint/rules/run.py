"""Run the rule units over the facts of a file (or a call seen at run time)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Related, named_as
from sm_lint.models.types import ModelSignatures, RestoredFunction
from sm_lint.rules.base import Context
from sm_lint.rules.binding import bind
from sm_lint.rules.catalogue import UNITS

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import CallSite, ModelLoad, SignatureCall, SignatureLookup

# The hooks of each kind, in run order, looked up once.
_LOAD = tuple(u.on_load for u in UNITS if u.on_load is not None)
_MODEL = tuple(u.on_model for u in UNITS if u.on_model is not None)
_LOOKUP = tuple(u.on_lookup for u in UNITS if u.on_lookup is not None)
_BINDING = tuple(u.on_binding for u in UNITS if u.on_binding is not None)
_VALUE = tuple(u.on_value for u in UNITS if u.on_value is not None)
_CALL = tuple(u.on_call for u in UNITS if u.on_call is not None)
_RESTORED = tuple(u.on_restored for u in UNITS if u.on_restored is not None)


def check_model_load(
    ctx: Context, load: ModelLoad, error: str | None, found: bool
) -> Iterator[Diagnostic]:
    """Findings for a model load: *error* reading its model (or None), *found* a model."""
    for hook in _LOAD:
        yield from hook(ctx, load, error, found)


def check_model(ctx: Context, load: ModelLoad, model: ModelSignatures) -> Iterator[Diagnostic]:
    """Findings for a model load against the model found for it."""
    for hook in _MODEL:
        yield from hook(ctx, load, model)


def check_lookup(
    ctx: Context, lookup: SignatureLookup, model: ModelSignatures
) -> Iterator[Diagnostic]:
    """Findings for ``loaded.signatures[key]`` against the model."""
    for hook in _LOOKUP:
        yield from hook(ctx, lookup, model)


def check_call(ctx: Context, call: SignatureCall, model: ModelSignatures) -> list[Diagnostic]:
    """Every finding for one signature call against the model's real signature (for a
    restored function's call: against the function read from the object graph)."""
    endpoint = layer_endpoint(call, model)
    if (call.function is not None and not call.layer) or endpoint is not None:
        function = endpoint or model.functions.get(call.function or "")
        ctx = replace(ctx, tf_alias=call.tf_alias)
        return [d for on_restored in _RESTORED for d in on_restored(ctx, call, function, model)]
    if call.hub_layer and call.key == "__call__":
        # hub.KerasLayer of a TF1 Hub format module calls its "default" signature; of
        # another model its __call__, whose outputs the reader does not know.
        call = (
            replace(call, key="default", function=None)
            if model.hub_v1
            else replace(call, outputs=())
        )
    sig = model.signatures.get(call.key) or (model.call if call.key == "__call__" else None)
    if sig is None:
        return []
    # A fix names TensorFlow as the call site sees it: a parameter may shadow `tf`.
    ctx = replace(ctx, tf_alias=call.tf_alias)
    binding = bind(call, sig, model.tf2)
    findings: list[Diagnostic] = []
    for on_binding in _BINDING:
        findings.extend(on_binding(ctx, call, sig, binding))
    for arg, spec in binding.bound:
        for on_value in _VALUE:
            findings.extend(on_value(ctx, sig, arg, spec))
    for on_call in _CALL:
        findings.extend(on_call(ctx, call, sig, binding))
    if call.rest is not None:
        # A Vertex AI request (library/vertex.py) reaches TF Serving through the endpoint.
        vertex = call.rest.url.startswith("vertex:")
        what = "Vertex AI request" if vertex else "TF Serving request"
        return [replace(f, message=f"{what}: {f.message}") for f in findings]
    if call.grpc:
        return [replace(f, message=f"TF Serving gRPC request: {f.message}") for f in findings]
    return findings


def layer_endpoint(call: SignatureCall, model: ModelSignatures) -> RestoredFunction | None:
    """The restored function a TFSMLayer calls, where it binds otherwise than the signature
    of the same name: Keras takes the endpoint from the loaded object's attributes before its
    signatures (``serve`` of a Keras export takes one list or dict of the model's inputs)."""
    if not call.layer or call.hub_layer:
        return None
    function = model.functions.get(call.key)
    if function is None or "." in call.key:
        return None
    signature = function.input_signature or ()
    one_tensor = len(signature) == 1 and signature[0].kind == "tensor"
    if one_tensor and call.key in model.signatures:
        return None  # the same single input either way: bound as the signature
    return function


def check_call_in_context(
    ctx: Context, call: SignatureCall, model: ModelSignatures, known: set[tuple[str, int, int, str]]
) -> list[Diagnostic]:
    """Findings for a call inside a function analysed under one caller's arguments, except
    those the context-free analysis already reports (*known*: code, line, column, message);
    each names the caller and points at it (related information). No fix is offered: what
    fits one caller may not fit another."""
    if not call.context:
        return []
    if call.file is not None:
        return _in_other_module(ctx, call, model, call.file)
    outer, inner = call.context[0], call.context[1:]
    when = f"when `{outer.function}` is called at line {outer.span.line}"
    if outer.arguments:
        when += f" with {outer.arguments}"
    for site in inner:
        when += f", then `{site.function}` at line {site.span.line}"
    related = tuple(_called_here(ctx, site) for site in call.context)
    return [
        replace(finding, message=f"{finding.message} ({when})", fix=None, related=related)
        for finding in check_call(ctx, call, model)
        if (finding.code, finding.line, finding.column, finding.message) not in known
    ]


def _called_here(ctx: Context, site: CallSite) -> Related:
    return Related(
        site.span.line,
        site.span.column,
        site.span.end_line,
        site.span.end_column,
        f"`{site.function}` called here" + (f" with {site.arguments}" if site.arguments else ""),
        path=None if site.file is None else named_as(ctx.path, site.file),
    )


def _in_other_module(
    ctx: Context, call: SignatureCall, model: ModelSignatures, file: str
) -> list[Diagnostic]:
    """Findings for a call in another module of the project, analysed there under calls of
    this file: reported here, at the last call of this file on the way (where the caller is
    linted: a pre-commit run on this file alone shows it, and the other module's own lint
    never sees this caller, so it is reported once). The call inside is related
    information."""
    here = [site for site in call.context if site.file is None]
    there = [site for site in call.context if site.file is not None]
    if not here:
        return []
    entry = here[-1]
    name = named_as(ctx.path, file)
    when = f"in `{entry.function}` at {name}:{{line}}, when "
    if len(here) == 1:
        when += "called here"
        arguments = entry.arguments
    else:
        when += f"`{here[0].function}` is called at line {here[0].span.line}"
        arguments = here[0].arguments
    if arguments:
        when += f" with {arguments}"
    for site in here[1:-1]:
        when += f", then `{site.function}` at line {site.span.line}"
    sites = tuple(_called_here(ctx, site) for site in (*here[:-1], *there))
    inside = replace(ctx, document=None)  # positions in the other file: no cells
    return [
        replace(
            finding,
            line=entry.span.line,
            column=entry.span.column,
            end_line=entry.span.end_line,
            end_column=entry.span.end_column,
            message=f"{finding.message} ({when.format(line=finding.line)})",
            fix=None,
            related=(
                Related(
                    finding.line,
                    finding.column,
                    finding.end_line,
                    finding.end_column,
                    f"the signature call in `{entry.function}`",
                    path=name,
                ),
                *sites,
            ),
        )
        for finding in check_call(inside, call, model)
    ]
