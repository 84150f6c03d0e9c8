"""Render the signature-call inventory for ``sm-lint calls``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sm_lint.analysis.facts import CallSite, SignatureCall, Span
from sm_lint.analysis.loaders import Loader
from sm_lint.analysis.resolve import ModelSource
from sm_lint.api import FileAnalysis
from sm_lint.diagnostics import named_as
from sm_lint.models.types import UNKNOWN_DTYPE, ModelSignatures, format_shape
from sm_lint.output.report import json_array
from sm_lint.semantics import PYTHON_DEFAULT_DTYPE, Kind, Value
from sm_lint.sources import Document, Location, line_place

#: How a call reaches its model, by the loader of its load (else in the program's process).
_TRANSPORTS: dict[str, str] = {
    Loader.SERVING_REST: "rest",
    Loader.SERVING_GRPC: "grpc",
    Loader.VERTEX_ENDPOINT: "vertex",
    Loader.VERTEX_MODEL: "vertex",
    Loader.VERTEX_SAVED_MODEL: "vertex",
}


def _dtype(value: Value) -> str | None:
    if value.kind in (Kind.LIST, Kind.SCALAR, Kind.STRING) and value.dtype is not None:
        return PYTHON_DEFAULT_DTYPE.get(value.dtype, value.dtype)
    return value.dtype


def _derived(model: ModelSignatures | None, key: str) -> dict[str, Any] | None:
    """A signature derived from source, as ``show`` prints one (null where unknown)."""
    sig = model.signatures.get(key) if model is not None and model.saved_at is not None else None
    if sig is None:
        return None
    inputs = {
        name: {
            "dtype": None if spec.dtype == UNKNOWN_DTYPE else spec.dtype,
            "shape": None if spec.shape is None else list(spec.shape),
        }
        for name, spec in sig.inputs.items()
    }
    return {
        "inputs": inputs if sig.inputs_known else None,
        "outputs": list(sig.outputs) if sig.outputs_known else None,
    }


def _listed(
    calls: Sequence[SignatureCall], context_calls: Sequence[SignatureCall]
) -> list[SignatureCall]:
    """The calls to list, in source order: each call as analysed on its own, and a call
    inside a function whose model or values only its callers give (a signature passed as a
    parameter) once per caller chain, where the call on its own is not listed."""
    alone = {(c.span, c.load_id) for c in calls}
    chains: set[tuple[Span, int, tuple[Span, ...], str | None]] = set()
    listed = list(calls)
    for call in context_calls:
        chain = (call.span, call.load_id, tuple(site.span for site in call.context), call.file)
        here = call.file is None and (call.span, call.load_id) in alone
        if here or chain in chains:
            continue
        chains.add(chain)
        listed.append(call)
    # calls in other modules after this file's own, by the call here that leads to them
    return sorted(
        listed,
        key=lambda c: (
            c.file is not None,
            (c.context[0].span if c.file is not None else c.span).line,
            c.span.line,
            c.span.column,
            len(c.context),
        ),
    )


def _call_site(document: Document | None, site: CallSite) -> dict[str, Any]:
    where = document.to_cell(site.span.line, site.span.column) if document else None
    if where is None:
        where = Location(site.span.line, site.span.column)
    return {
        "function": site.function,
        **({"cell": where.cell} if where.cell is not None else {}),
        "line": where.line,
        "column": where.column,
    }


def _called_from(path: str, document: Document | None, call: SignatureCall) -> list[dict[str, Any]]:
    """The chain of calls that leads to *call*; for a call in another module, each with
    its ``path`` (this file's first, then that module's)."""
    if call.file is None:
        return [_call_site(document, site) for site in call.context]
    return [
        {**_call_site(document, site), "path": path}
        if site.file is None
        else {**_call_site(None, site), "path": named_as(path, site.file)}
        for site in call.context
    ]


def call_records(analyses: Sequence[FileAnalysis]) -> list[dict[str, Any]]:
    """One record per signature call: where, which model, which key, each argument."""
    records = []
    for analysis in analyses:
        if analysis.facts is None:
            continue
        document = analysis.document
        by_id = {call.id: call for call in analysis.facts.calls}
        for call in _listed(analysis.facts.calls, analysis.facts.context_calls):
            resolved = analysis.model_for(call)
            model = resolved.resolution.model if resolved is not None else None
            elsewhere = call.file is not None
            where = (
                document.to_cell(call.span.line, call.span.column)
                if document and not elsewhere
                else None
            )
            if where is None:
                where = Location(call.span.line, call.span.column)
            saved_at = (
                resolved.model.saved_at
                if resolved is not None and resolved.model is not None
                else None
            )
            # In a notebook the save's line, like the call's, is given in its cell.
            saved = line_place(document, saved_at) if saved_at else None
            records.append(
                {
                    "path": analysis.path
                    if call.file is None
                    else named_as(analysis.path, call.file),
                    **({"cell": where.cell} if where.cell is not None else {}),
                    "line": where.line,
                    "column": where.column,
                    "model": str(model) if model is not None else None,
                    "model_expr": resolved.expr if resolved is not None else None,
                    "model_source": resolved.resolution.source.value
                    if resolved is not None
                    and resolved.model is not None
                    and resolved.resolution.source is not None
                    else None,
                    "model_saved_at": saved.line if saved is not None else saved_at,
                    **(
                        {"model_saved_cell": saved.cell}
                        if saved is not None and saved.cell is not None
                        else {}
                    ),
                    "unresolved_reason": None
                    if model is not None or resolved is None or resolved.model is not None
                    else (resolved.error or resolved.resolution.reason),
                    "signature": call.key if call.function is None else None,
                    "function": call.function,
                    "transport": _TRANSPORTS.get(
                        analysis.facts.loads[call.load_id].loader, "in-process"
                    ),
                    "derived_signature": _derived(
                        resolved.model if resolved is not None else None, call.key
                    ),
                    **(
                        {"called_from": _called_from(analysis.path, document, call)}
                        if call.context
                        else {}
                    ),
                    **(
                        {"alternatives": _alternatives(analysis, by_id, call)}
                        if call.alternatives
                        else {}
                    ),
                    "arguments": [
                        {
                            "name": a.name,
                            "kind": a.value.kind.value,
                            "dtype": _dtype(a.value),
                            "shape": None if a.value.shape is None else list(a.value.shape),
                        }
                        for a in call.arguments
                    ],
                }
            )
    return records


def _alternatives(
    analysis: FileAnalysis, by_id: dict[int, SignatureCall], call: SignatureCall
) -> list[dict[str, Any]]:
    """The possible models of a call of a model loaded in branches (this one's too), in
    order; a model whose call is not known is listed with everything null."""
    out = []
    for sibling_id in call.alternatives:
        sibling = by_id.get(sibling_id)
        resolved = analysis.model_for(sibling) if sibling is not None else None
        model = resolved.resolution.model if resolved is not None else None
        load = analysis.facts.loads[sibling.load_id] if sibling and analysis.facts else None
        out.append(
            {
                "model": str(model) if model is not None else None,
                "model_expr": resolved.expr if resolved is not None else None,
                "load_line": load.span.line if load is not None and load.file is None else None,
            }
        )
    return out


def render_calls_json(analyses: Sequence[FileAnalysis]) -> str:
    return json_array(call_records(analyses))


def _count(records: Sequence[dict[str, Any]]) -> str:
    """``3 calls found (2 of signatures, 1 of a restored function)``."""
    kinds = {
        "of signatures": sum(
            r["signature"] is not None and r["transport"] == "in-process" for r in records
        ),
        "of restored functions": sum(r["function"] is not None for r in records),
        "to served models": sum(r["transport"] != "in-process" for r in records),
    }
    parts = ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n)
    total = f"{len(records)} call{'' if len(records) == 1 else 's'} found"
    return f"{total} ({parts})" if parts else total


def render_calls_text(analyses: Sequence[FileAnalysis]) -> str:
    lines = []
    records = call_records(analyses)
    for r in records:
        where = r["model"] or f"unresolved: {r['unresolved_reason']}"
        if r["model_source"] == ModelSource.SOURCE:
            at = f"line {r['model_saved_at']}"
            if "model_saved_cell" in r:
                at = f"cell {r['model_saved_cell']}, {at}"
            where = f"saved at {at} (derived from source)"
            derived = r["derived_signature"]
            if derived is not None and derived["inputs"] is not None:
                specs = ", ".join(
                    f"{n} {s['dtype'] or '?'} "
                    + (format_shape(tuple(s["shape"])) if s["shape"] is not None else "?")
                    for n, s in derived["inputs"].items()
                )
                where += f" expects {specs}"
        cell = f"cell {r['cell']}:" if "cell" in r else ""
        lines.append(
            f"{r['path']}:{cell}{r['line']}:{r['column']}: {r['model_expr']} "
            f"-> {where} "
            + (f"[{r['signature']}]" if r["function"] is None else f"[function {r['function']}]")
            + (f" (one of {len(r['alternatives'])} possible models)" if "alternatives" in r else "")
            + "".join(
                f" through {site['function']} called at "
                + (f"{site['path']} " if "path" in site else "")
                + (f"cell {site['cell']}, " if "cell" in site else "")
                + f"line {site['line']}"
                for site in r.get("called_from", ())
            )
        )
        for a in r["arguments"]:
            shape = format_shape(tuple(a["shape"])) if a["shape"] is not None else "?"
            lines.append(
                f"    {a['name'] or '<positional>'}: {a['kind']} {a['dtype'] or '?'} {shape}"
            )
    lines.append(_count(records))
    return "\n".join(lines)
