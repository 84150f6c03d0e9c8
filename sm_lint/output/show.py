"""Render a model's signatures for ``sm-lint show``."""

from __future__ import annotations

import json
from typing import Any

from sm_lint.models.types import ModelSignatures, Signature, TensorSpec, format_shape


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
    return "\n".join(lines)
