"""SM007 rank-mismatch: a value with a different number of dimensions than the input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import Signature, TensorSpec, format_shape
from sm_lint.rules.base import Context, example, finding, spec_text, tensor_shape_note
from sm_lint.rules.unit import RuleUnit
from sm_lint.semantics import ShapeProblem, shape_mismatch

RULE = Rule(
    code="SM007",
    name="rank-mismatch",
    severity=Severity.ERROR,
    summary="A value with a different number of dimensions than the input.",
    why="Arrays and lists are rejected at binding; a tf.Tensor of the wrong rank gets "
    "through binding and fails deep inside the graph, or computes on the wrong data.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/dense")
        infer = loaded.signatures["serving_default"]
        """
    ),
    bad="infer(keras_tensor=np.zeros(5, np.float32))  # the input is (?, 5)",
    good="infer(keras_tensor=np.zeros((1, 5), np.float32))",
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument


def check(ctx: Context, sig: Signature, arg: Argument, spec: TensorSpec) -> Iterator[Diagnostic]:
    """A ragged list (no rank at all), or a rank other than the input's."""
    value = arg.value
    if value.ragged:
        yield finding(
            ctx,
            RULE,
            arg.value_span,
            f"input {spec.name!r} expects {spec_text(spec)}, got a ragged list (rows of "
            "different lengths): TensorFlow cannot convert a non-rectangular list",
            sig.key,
        )
        return
    mismatch = shape_mismatch(value.shape, spec.shape)
    if mismatch is None or mismatch.problem is not ShapeProblem.RANK:
        return
    assert value.shape is not None and spec.shape is not None
    yield finding(
        ctx,
        RULE,
        arg.value_span,
        f"input {spec.name!r} expects rank {len(spec.shape)} "
        f"{format_shape(spec.shape)}, got rank {len(value.shape)} "
        f"{format_shape(value.shape)}.{tensor_shape_note(value, sig.key, arg.proto)}",
        sig.key,
    )


UNIT = RuleUnit(RULE, on_value=check)
