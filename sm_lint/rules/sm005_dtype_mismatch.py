"""SM005 dtype-mismatch: a value TensorFlow will not accept for the input's dtype."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Fix, Rule, Severity
from sm_lint.models.types import UNKNOWN_DTYPE, Signature, TensorSpec
from sm_lint.rules.base import Context, example, finding, replace_fix
from sm_lint.rules.binding import Binding
from sm_lint.rules.unit import RuleUnit
from sm_lint.semantics import JSON_ACCEPTS, JSON_WORDS, Kind, Verdict, describe, dtype_verdict

RULE = Rule(
    code="SM005",
    name="dtype-mismatch",
    severity=Severity.ERROR,
    summary="A value TensorFlow will not accept for the input's dtype.",
    why="A tf.Tensor must have exactly the input's dtype (float64 into float32 fails); "
    "Python lists of floats do not convert to integer inputs; strings and numbers "
    "do not mix.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/dense")  # keras_tensor: float32 (?, 5)
        infer = loaded.signatures["serving_default"]
        """
    ),
    bad="infer(keras_tensor=tf.constant(np.random.rand(64, 5)))  # a float64 tensor",
    good="infer(keras_tensor=tf.constant(np.random.rand(64, 5), dtype=tf.float32))",
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument, SignatureCall


def check(ctx: Context, sig: Signature, arg: Argument, spec: TensorSpec) -> Iterator[Diagnostic]:
    """The argument's dtype is one TensorFlow rejects for the input (no cast)."""
    value = arg.value
    if value.ragged or spec.dtype == UNKNOWN_DTYPE:
        return  # a ragged list is SM007's
    if dtype_verdict(value, spec.dtype) is not Verdict.REJECTED:
        return
    if arg.proto:
        # predict_util.cc feeds the decoded tensor to Session::Run as it is.
        why = (
            f"TF Serving feeds a TensorProto as it is, never cast; pass "
            f"dtype={ctx.tf_alias or 'tf'}.{spec.dtype} to make_tensor_proto"
        )
        yield finding(
            ctx,
            RULE,
            arg.value_span,
            f"input {spec.name!r} expects {spec.dtype}, got a {value.dtype} TensorProto: {why}",
            sig.key,
        )
        return
    if value.kind is Kind.TENSOR:
        why = "TensorFlow never casts a tf.Tensor passed to a signature (InvalidArgumentError)"
    else:
        why = f"TensorFlow cannot convert it to {spec.dtype}"
    fix = _cast_fix(ctx, arg, spec)
    how = f"; cast it, e.g. {fix.edits[0].text}" if fix is not None else ""
    yield finding(
        ctx,
        RULE,
        arg.value_span,
        f"input {spec.name!r} expects {spec.dtype}, got {describe(value)}: {why}{how}",
        sig.key,
        fix,
    )


def _cast_fix(ctx: Context, arg: Argument, spec: TensorSpec) -> Fix | None:
    """``tf.cast(value, tf.float32)`` for a tensor, named as the call site names TensorFlow."""
    value = arg.value
    if (
        value.kind is Kind.TENSOR
        and ctx.tf_alias
        and spec.dtype != "string"
        and value.dtype != "string"
    ):
        text = f"{ctx.tf_alias}.cast({arg.value_text}, {ctx.tf_alias}.{spec.dtype})"
        return replace_fix(arg.value_span, text, f"cast to {spec.dtype}")
    return None


def check_request(
    ctx: Context, call: SignatureCall, sig: Signature, binding: Binding
) -> Iterator[Diagnostic]:
    """JSON values TF Serving's decoder does not take for the input's dtype (json_tensor.cc
    AddValueToTensor: ``1.0`` into an integer input, a string into a number, ``true`` into
    a float, a ``{"b64": ...}`` into anything but a string)."""
    if binding.request is None:
        return
    for problem in binding.request.json_types:
        got = ", ".join(sorted(JSON_WORDS.get(leaf, leaf) for leaf in problem.leaves))
        takes = " or ".join(sorted(JSON_WORDS[t] for t in JSON_ACCEPTS.get(problem.dtype, ())))
        yield finding(
            ctx,
            RULE,
            problem.span,
            f"input {problem.input!r} expects {problem.dtype}, got {got}: TF Serving's JSON "
            f"decoder takes only {takes or 'nothing'} for it",
            sig.key,
        )


UNIT = RuleUnit(RULE, on_value=check, on_binding=check_request)
