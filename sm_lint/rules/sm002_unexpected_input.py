"""SM002 unexpected-input: a keyword that is not one of the signature's input names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Rule, Severity
from sm_lint.models.types import Signature
from sm_lint.rules.base import Context, example, finding, inputs_list, rename_fix
from sm_lint.rules.binding import Binding, UnknownKeyword
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM002",
    name="unexpected-input",
    severity=Severity.ERROR,
    summary="A keyword argument that is not one of the signature's input names.",
    why="Input names come from the SavedModel, not from the Python code that built it "
    "(Keras 3 `model.export()` names them `keras_tensor`, ...): TensorFlow rejects "
    "the call with 'unexpected keyword argument'.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/dense")
        infer = loaded.signatures["serving_default"]
        x = np.zeros((1, 5), np.float32)
        """
    ),
    bad="infer(a=tf.constant(x))  # the input is called keras_tensor",
    good="infer(keras_tensor=tf.constant(x))",
)


def check(
    ctx: Context, call: SignatureCall, sig: Signature, binding: Binding
) -> Iterator[Diagnostic]:
    """Each unknown keyword, suggesting a close input name, or the one input left."""
    for unknown in binding.unexpected:
        yield _unexpected(ctx, sig, unknown, binding)


if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import SignatureCall


def _unexpected(
    ctx: Context, sig: Signature, unknown: UnknownKeyword, binding: Binding | None = None
) -> Diagnostic:
    arg, target = unknown.arg, unknown.suggestion
    assert arg.name is not None
    fix: Fix | None = None
    hint = ""
    request = binding.request if binding is not None else None
    keys = request.key_spans.get(arg.name, []) if request is not None else []
    if target is not None:
        hint = f"; did you mean {target!r}?"
        if arg.keyword_span is not None and target.isidentifier():
            fix = rename_fix(arg.keyword_span, target, f"rename to {target}")
        elif arg.proto:  # the alias of request.inputs[...] in a gRPC request
            fix = rename_fix(arg.span, json.dumps(target), f"rename to {target!r}")
        elif arg.from_dict and len(set(keys)) > 1:
            # A TF Serving row body: the key of every instance's object, or it stays wrong.
            edits = tuple(
                Edit(s.line, s.column, s.end_line, s.end_column, json.dumps(target))
                for s in dict.fromkeys(keys)
            )
            fix = Fix(f"rename to {target!r}", edits, Applicability.UNSAFE)
        elif arg.from_dict:
            key_span = replace(
                arg.span, end_line=arg.value_span.line, end_column=arg.value_span.column
            )
            fix = rename_fix(key_span, f"{json.dumps(target)}: ", f"rename to {target!r}")
    return finding(
        ctx,
        RULE,
        arg.keyword_span or arg.span,
        f"{arg.name!r} is not an input of signature {sig.key!r}{hint} (inputs: {inputs_list(sig)})",
        sig.key,
        fix,
    )


UNIT = RuleUnit(RULE, on_binding=check)
