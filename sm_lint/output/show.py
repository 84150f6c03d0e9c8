"""Render a model's signatures for ``sm-lint show``."""

from __future__ import annotations

import json
from typing import Any

from sm_lint.models.types import (
    ModelSignatures,
    RestoredFunction,
    Signature,
    Structure,
    TensorSpec,
    format_shape,
)


def _spec_json(spec: TensorSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "dtype": spec.dtype,
        "shape": None if spec.shape is None else list(spec.shape),
    }
    if spec.encoding != "dense":
        out["encoding"] = spec.encoding
    return out


def signatures_json(model: ModelSignatures) -> dict[str, Any]:
    """The ``show --format json`` object for *model* (README, "JSON output")."""
    return {
        "path": str(model.path),
        "signatures": {
            key: {
                "method": sig.method,
                "inputs": {name: _spec_json(s) for name, s in sig.inputs.items()},
                "outputs": {name: _spec_json(s) for name, s in sig.outputs.items()},
            }
            for key, sig in model.signatures.items()
        },
        "functions": {path: function_json(f) for path, f in model.functions.items()},
    }


def structure_json(value: Structure) -> Any:
    """A canonicalized structure: ``{"tensor": {dtype, shape, name}}``, ``{"value": v}``,
    ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"dict": {...}}`` or ``{"other": null}``."""
    if value.kind == "tensor" and value.spec is not None:
        return {"tensor": {**_spec_json(value.spec), "name": value.spec.name or None}}
    if value.kind == "value":
        return {"value": value.value}
    if value.kind in ("list", "tuple"):
        return {value.kind: [structure_json(i) for i in value.items]}
    if value.kind == "dict":
        return {
            "dict": {k: structure_json(i) for k, i in zip(value.keys, value.items, strict=True)}
        }
    return {"other": None}


def function_json(function: RestoredFunction) -> dict[str, Any]:
    """A restored function: its parameters, input_signature and concrete functions."""
    return {
        "arguments": list(function.arg_names),
        "defaults": [structure_json(d) for d in function.defaults],
        "kwonly": list(function.kwonly),
        "input_signature": None
        if function.input_signature is None
        else [structure_json(s) for s in function.input_signature],
        "bare": function.bare,
        "concrete_functions": [
            {
                "name": c.name,
                "args": [structure_json(a) for a in c.args],
                "kwargs": {k: structure_json(v) for k, v in c.kwargs},
                "outputs": None if c.outputs is None else structure_json(c.outputs),
            }
            for c in function.concrete
        ],
    }


def render_json(model: ModelSignatures) -> str:
    return json.dumps(signatures_json(model), indent=2)


def render_json_list(models: list[ModelSignatures]) -> str:
    """Several models: a JSON array of the objects ``render_json`` writes one of."""
    return json.dumps([signatures_json(model) for model in models], indent=2)


def call_example(sig: Signature, model_var: str = "loaded") -> str:
    """A call that passes every input by name, e.g. ``loaded.signatures["k"](x=...)``."""
    names = list(sig.inputs)
    if all(n.isidentifier() for n in names):
        args = ", ".join(f"{n}=..." for n in names)
    else:
        args = "**{" + ", ".join(f"{json.dumps(n)}: ..." for n in names) + "}"
    return f"{model_var}.signatures[{json.dumps(sig.key)}]({args})"


def _table(rows: list[tuple[str, str, str]], indent: str) -> list[str]:
    if not rows:
        return [f"{indent}(none)"]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return [f"{indent}{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}".rstrip() for a, b, c in rows]


def _rows(specs: dict[str, TensorSpec]) -> list[tuple[str, str, str]]:
    rows = []
    for spec in specs.values():
        extra = "" if spec.encoding == "dense" else f"  [{spec.encoding}]"
        rows.append((spec.name, spec.dtype, format_shape(spec.shape) + extra))
    return rows


def render_text(model: ModelSignatures) -> str:
    """A table per signature: inputs and outputs with dtype and shape, and a sample call."""
    kind = "TF2" if model.tf2 else "TF1 (positional arguments bind in sorted name order)"
    tags = ",".join(model.tags) or "<none>"
    lines = [f"{model.path}  [tags: {tags}; {kind}; {model.source_file}]"]
    if not model.signatures:
        lines.append("  no signatures")
    for sig in model.signatures.values():
        lines.append("")
        lines.append(f"signature {sig.key!r}  ({sig.method or 'no method'})")
        lines.append("  inputs:")
        lines.extend(_table(_rows(sig.inputs), "    "))
        lines.append("  outputs:")
        lines.extend(_table(_rows(sig.outputs), "    "))
        lines.append(f"  call: {call_example(sig)}")
    if model.functions:
        lines.append("")
        lines.append("Concrete Functions:")
    for path, function in model.functions.items():
        lines.extend(_function_lines(path, function))
    return "\n".join(lines)


def _function_lines(path: str, function: RestoredFunction) -> list[str]:
    call = "loaded(...)" if path == "__call__" else f"loaded.{path}(...)"
    names, defaults = function.arg_names, function.defaults
    first_default = len(names) - len(defaults)
    params = [
        n if i < first_default else f"{n}={defaults[i - first_default].text()}"
        for i, n in enumerate(names)
    ] + list(function.kwonly)
    kind = (
        "bare concrete function"
        if function.bare
        else ("input_signature" if function.input_signature is not None else "no input_signature")
    )
    lines = [f"  Function {path!r}  {call}  ({', '.join(params)}; {kind})"]
    for i, concrete in enumerate(function.concrete, 1):
        lines.append(f"    Option #{i}: {concrete.text(function.arg_names)}")
        if concrete.outputs is not None:
            lines.append(f"      returns: {concrete.outputs.text()}")
    if not function.concrete:
        lines.append("    (no concrete functions)")
    return lines
