"""SM006 lossy-cast: a value TensorFlow converts silently, losing data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import UNKNOWN_DTYPE, Signature, TensorSpec
from sm_lint.rules.base import Context, example, finding
from sm_lint.rules.unit import RuleUnit
from sm_lint.semantics import Verdict, describe, dtype_verdict

RULE = Rule(
    code="SM006",
    name="lossy-cast",
    severity=Severity.WARNING,
    summary="A value TensorFlow converts silently, losing data (float into an integer input, "
    "signed into unsigned, integer narrowing to 8 or 16 bits).",
    why="The call succeeds but the model sees truncated values: 0.7 becomes 0.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/multi")  # image: uint8 (?, 8, 8, 3)
        classify = loaded.signatures["classify_image"]
        """
    ),
    bad="classify(image=np.random.rand(1, 8, 8, 3))  # float64 into uint8: all zeros",
    good="classify(image=(np.random.rand(1, 8, 8, 3) * 255).astype(np.uint8))",
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument, SignatureCall
    from sm_lint.rules.binding import Binding


def check(ctx: Context, sig: Signature, arg: Argument, spec: TensorSpec) -> Iterator[Diagnostic]:
    """The argument is cast silently to the input's dtype and loses values."""
    value = arg.value
    if value.ragged or spec.dtype == UNKNOWN_DTYPE:
        return  # a ragged list is SM007's
    if dtype_verdict(value, spec.dtype) is not Verdict.LOSSY:
        return
    yield finding(
        ctx,
        RULE,
        arg.value_span,
        f"input {spec.name!r} expects {spec.dtype}; the {describe(value)} is cast silently and "
        f"loses values ({value.dtype} -> {spec.dtype}); convert it explicitly with "
        "the scaling you intend",
        sig.key,
    )


def check_request(
    ctx: Context, call: SignatureCall, sig: Signature, binding: Binding
) -> Iterator[Diagnostic]:
    """JSON integers TF Serving stores wrapped: json_tensor.cc AddValueToTensor puts an
    int8 / int16 / uint8 input's numbers in the TensorProto's int32 ``int_val``, and
    TensorFlow's Tensor::FromProto casts each to the dtype (-1 into uint8 is 255)."""
    if binding.request is None:
        return
    for problem in binding.request.wraps:
        yield finding(ctx, RULE, problem.span, problem.message, sig.key)


UNIT = RuleUnit(RULE, on_value=check, on_binding=check_request)
