"""What every rule uses to word a finding: the context, the finding itself, fixes, names.

A rule unit (``sm_lint/rules/smNNN_*.py``) imports these instead of building
:class:`~sm_lint.diagnostics.Diagnostic` by hand, so every finding carries the path, the
model and the rule's default severity the same way.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Rule, Severity
from sm_lint.models.types import (
    UNKNOWN_DTYPE,
    ModelSignatures,
    Signature,
    TensorSpec,
    format_shape,
)
from sm_lint.semantics import Kind, Value

if TYPE_CHECKING:
    from sm_lint.analysis.facts import Span
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


def finding(
    ctx: Context,
    rule: Rule,
    span: Span,
    message: str,
    signature: str | None = None,
    fix: Fix | None = None,
    severity: Severity | None = None,
) -> Diagnostic:
    """A finding of *rule* at *span*, at the rule's default severity unless *severity*."""
    return Diagnostic(
        path=ctx.path,
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        code=rule.code,
        severity=severity or rule.severity,
        message=message,
        model=ctx.model,
        signature=signature,
        fix=fix,
    )


def replace_fix(
    span: Span, text: str, description: str, applicability: Applicability = Applicability.SAFE
) -> Fix:
    """A fix replacing the text of *span* with *text*."""
    edit = Edit(span.line, span.column, span.end_line, span.end_column, text)
    return Fix(description, (edit,), applicability)


def rename_fix(span: Span, text: str, description: str) -> Fix:
    """A name chosen by similarity (or because it is the only one left): a guess, so an
    unsafe fix."""
    return replace_fix(span, text, description, Applicability.UNSAFE)


def spec_text(spec: TensorSpec) -> str:
    """``float32 (?, 5)``; ``? (?, 5)`` for an unknown dtype; empty when nothing is known."""
    if spec.dtype == UNKNOWN_DTYPE:
        return "" if spec.shape is None else f"? {format_shape(spec.shape)}"
    return f"{spec.dtype} {format_shape(spec.shape)}"


def inputs_list(sig: Signature) -> str:
    """The signature's inputs with their specs, for messages that list them."""
    return ", ".join(f"{name} {spec_text(spec)}" for name, spec in sig.inputs.items()) or "none"


def suggest(name: str, choices: list[str]) -> list[str]:
    """Up to three of *choices* close to *name*, closest first (did-you-mean)."""
    import difflib  # only when a name is wrong: the catalogue is read by runs that check nothing

    return difflib.get_close_matches(name, choices, n=3, cutoff=0.5)


def did_you_mean(span: Span, key: str, keys: list[str], what: str) -> tuple[str, Fix | None]:
    """For a *key* not among *keys*: the message's "; did you mean ...?" and the fix that
    renames it to the closest (no hint, no fix when none is close)."""
    close = suggest(key, keys)
    if not close:
        return "", None
    fix = rename_fix(span, json.dumps(close[0]), f"use {what} {close[0]!r}")
    return f"; did you mean {close[0]!r}?", fix


def keyword_for(name: str) -> str:
    """How a call passes input *name*: ``x=``, or its JSON string for a ``**{...}`` key."""
    return f"{name}=" if name.isidentifier() else json.dumps(name)


def model_name(ctx: Context, model: ModelSignatures) -> str:
    """The model as a message names it: its folder, or where the program saved it."""
    if model.saved_at is not None:
        found = ctx.document.to_cell(model.saved_at, 1) if ctx.document is not None else None
        if found is not None and found.cell is not None:
            return f"the model saved in cell {found.cell}, line {found.line}"
        return f"the model saved at line {model.saved_at}"
    return model.path.name


def example(text: str) -> str:
    """An example as a rule unit writes it (an indented triple-quoted block) as printed."""
    return textwrap.dedent(text).strip("\n")


def tensor_shape_note(value: Value, key: str, proto: bool = False) -> str:
    """The sentence a shape finding adds for a tf.Tensor, whose shape a signature's binding
    does not check (a restored ``__call__``, key "__call__", checks it: measured with
    tensorflow 2.21 through hub.KerasLayer, "Can not cast TensorSpec"); *proto*: a
    TensorProto TF Serving feeds as it is."""
    if proto:
        return (
            " TF Serving feeds a TensorProto without checking its shape: the model then fails "
            "inside or computes on the wrong data."
        )
    if value.kind is not Kind.TENSOR:
        return ""
    if key == "__call__":
        return " The restored __call__ checks a tensor's shape: TensorFlow rejects the call."
    return (
        " A tf.Tensor's shape is not checked when every argument is a tensor: the call then "
        "fails inside the model or computes on the wrong data."
    )
