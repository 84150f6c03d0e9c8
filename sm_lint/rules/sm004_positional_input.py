"""SM004 positional-input: an argument passed by position (an error where TensorFlow
rejects it, a warning where it binds by an implicit order)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Edit, Fix, Rule, Severity
from sm_lint.models.types import Signature
from sm_lint.rules.base import Context, example, finding, inputs_list, keyword_for, replace_fix
from sm_lint.rules.binding import Binding, Positional, PositionalIssue
from sm_lint.rules.unit import RuleUnit
from sm_lint.semantics import describe

RULE = Rule(
    code="SM004",
    name="positional-input",
    severity=Severity.ERROR,
    summary="An argument passed by position. An error where TensorFlow rejects it (TF2 "
    "models with several inputs, non-tensor values); a warning where it binds but "
    "depends on an implicit order (one tf.Tensor into a one-input signature; TF1 "
    "models, which bind in sorted input-name order).",
    why="Signature functions bind by name. A positional call breaks as soon as the model "
    "gains an input, or silently feeds the wrong input when names sort differently.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/dense")  # one input, keras_tensor
        infer = loaded.signatures["serving_default"]
        x = np.zeros((1, 5), np.float32)
        """
    ),
    bad="infer(tf.constant(x))",
    good="infer(keras_tensor=tf.constant(x))",
)


def check(
    ctx: Context, call: SignatureCall, sig: Signature, binding: Binding
) -> Iterator[Diagnostic]:
    """Each argument whose binding depends on its position, in argument order."""
    for issue in binding.positional:
        yield _positional(ctx, call, sig, issue)


def _positional(
    ctx: Context, call: SignatureCall, sig: Signature, issue: PositionalIssue
) -> Diagnostic:
    arg, name, kind = issue.arg, issue.input, issue.kind
    layer = "hub.KerasLayer" if call.hub_layer else "TFSMLayer"
    if kind is Positional.TF1_ORDER:
        assert name is not None
        order = ", ".join(sorted(sig.inputs))
        return finding(
            ctx,
            RULE,
            arg.span,
            f"positional argument binds to input {name!r} only because TF1 signatures bind "
            f"in sorted input-name order ({order}); pass it by name",
            sig.key,
            keyword_fix(arg, name),
            Severity.WARNING,
        )
    if kind is Positional.TOO_MANY:
        return finding(
            ctx,
            RULE,
            arg.span,
            f"too many positional arguments: signature {sig.key!r} has {len(sig.inputs)} input(s)",
            sig.key,
        )
    if kind is Positional.ONLY_INPUT:
        assert name is not None
        return finding(
            ctx,
            RULE,
            arg.span,
            f"positional argument binds to the only input {name!r}; pass it by name "
            f"({keyword_for(name)}...) so the call survives a change of the model's inputs",
            sig.key,
            keyword_fix(arg, name) if sig.inputs[name].name_pattern is None else None,
            Severity.WARNING,
        )
    if kind is Positional.REJECTED:
        # *name* is set when the argument is the only positional one and the signature has
        # one input; with no keywords beside it, only the value's kind is at fault.
        if name is not None and issue.alone:
            why = (
                f"TensorFlow accepts a positional argument only as a tf.Tensor, not as "
                f"a {describe(arg.value)}"
            )
        else:
            why = (
                f"TensorFlow rejects positional arguments here (too many positional "
                f"arguments); inputs: {inputs_list(sig)}"
            )
        fix = (
            keyword_fix(arg, name)
            if name is not None and sig.inputs[name].name_pattern is None
            else None
        )
        return finding(ctx, RULE, arg.span, f"{why}; pass every input by name", sig.key, fix)
    if kind is Positional.ALREADY_BOUND:
        return finding(
            ctx,
            RULE,
            arg.keyword_span or arg.span,
            f"input {name!r} is already bound by a positional argument (TF1 signatures "
            "bind positional arguments in sorted input-name order); TensorFlow raises "
            "'multiple values for argument'",
            sig.key,
        )
    if kind is Positional.LAYER_SEVERAL_INPUTS:
        remedy = (
            "pass the layer one dict of the inputs by name"
            if call.hub_layer
            else f"call loaded.signatures[{sig.key!r}](...) with every input by name"
        )
        return finding(
            ctx,
            RULE,
            arg.span,
            f"a {layer} passes a single input positionally, which signature {sig.key!r} "
            f"with {len(sig.inputs)} inputs rejects; {remedy} ({inputs_list(sig)})",
            sig.key,
        )
    assert kind is Positional.LAYER_NOT_ARRAY
    return finding(
        ctx,
        RULE,
        arg.span,
        f"a {layer} accepts only arrays and tensors, not a {_passed_kind(arg)} "
        '("Only input tensors may be passed as positional arguments")',
        sig.key,
    )


def _passed_kind(arg: Argument) -> str:
    """The argument as a message names it (a dict literal is no Value kind)."""
    if arg.structure is not None and arg.structure.kind == "dict":
        return "dict"
    return describe(arg.value)


if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument, SignatureCall


def keyword_fix(arg: Argument, name: str) -> Fix | None:
    """Pass *arg* by name: ``name=`` before the value, or ``**{"x:0": value}``."""
    if not name.isidentifier():
        return replace_fix(
            arg.value_span,
            f"**{{{json.dumps(name)}: {arg.value_text}}}",
            f"pass it as input {name!r}",
        )
    span = arg.value_span
    return Fix(
        f"pass it as {name}=", (Edit(span.line, span.column, span.line, span.column, f"{name}="),)
    )


UNIT = RuleUnit(RULE, on_binding=check)
