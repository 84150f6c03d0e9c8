"""SM009 batch-mismatch: inputs whose free leading (batch) dimensions get different sizes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import Signature
from sm_lint.rules.base import Context, example, finding
from sm_lint.rules.binding import Binding
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM009",
    name="batch-mismatch",
    severity=Severity.WARNING,
    summary="Inputs whose free leading (batch) dimensions get different sizes.",
    why="TensorFlow binds each input on its own; the model then fails inside the graph "
    "(a concat or an add of the two) with an error that names no input.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/multi")  # left, right: float32 (?, 3)
        pair = loaded.signatures["pair"]
        """
    ),
    bad="pair(left=np.zeros((32, 3), np.float32), right=np.zeros((16, 3), np.float32))",
    good="pair(left=np.zeros((32, 3), np.float32), right=np.zeros((32, 3), np.float32))",
)


def check(
    ctx: Context, call: SignatureCall, sig: Signature, binding: Binding
) -> Iterator[Diagnostic]:
    """Free leading dimensions of the bound inputs that get different sizes."""
    sizes: dict[int, list[str]] = {}
    for arg, spec in binding.bound:
        if (
            spec.shape
            and spec.shape[0] is None
            and arg.value.shape
            and arg.value.shape[0] is not None
        ):
            sizes.setdefault(arg.value.shape[0], []).append(spec.name)
    if len(sizes) > 1:
        detail = ", ".join(f"{'/'.join(names)}: {size}" for size, names in sorted(sizes.items()))
        yield finding(
            ctx,
            RULE,
            call.span,
            f"inputs get different batch sizes ({detail}); TensorFlow binds each but "
            "the model fails inside the graph when it combines them",
            sig.key,
        )


if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import SignatureCall


UNIT = RuleUnit(RULE, on_call=check)
