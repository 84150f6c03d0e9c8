"""SM008 dimension-mismatch: a fixed dimension of the value differs from the input's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import Signature, TensorSpec, format_shape
from sm_lint.rules.base import Context, example, finding, tensor_shape_note
from sm_lint.rules.unit import RuleUnit
from sm_lint.semantics import ShapeProblem, shape_mismatch

RULE = Rule(
    code="SM008",
    name="dimension-mismatch",
    severity=Severity.ERROR,
    summary="A fixed dimension of the value differs from the input's.",
    why="As for rank: rejected at binding for arrays and lists, a failure inside the "
    "model (or silently wrong results) for tensors.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/two_inputs")  # inputs a (?, 10), b (?, 5)
        infer = loaded.signatures["serving_default"]
        """
    ),
    bad="infer(a=tf.zeros((32, 12)), b=tf.zeros((32, 5)))  # a is (?, 10)",
    good="infer(a=tf.zeros((32, 10)), b=tf.zeros((32, 5)))",
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument


def check(ctx: Context, sig: Signature, arg: Argument, spec: TensorSpec) -> Iterator[Diagnostic]:
    """Same rank, but a fixed dimension of the input gets another size."""
    value = arg.value
    if value.ragged:
        return  # SM007's
    mismatch = shape_mismatch(value.shape, spec.shape)
    if mismatch is None or mismatch.problem is ShapeProblem.RANK:
        return
    axis = mismatch.axis
    assert axis is not None and value.shape is not None and spec.shape is not None
    yield finding(
        ctx,
        RULE,
        arg.value_span,
        f"input {spec.name!r} expects shape {format_shape(spec.shape)}, got "
        f"{format_shape(value.shape)}: dimension {axis} is {value.shape[axis]}, "
        f"not {spec.shape[axis]}.{tensor_shape_note(value, sig.key, arg.proto)}",
        sig.key,
    )


UNIT = RuleUnit(RULE, on_value=check)
