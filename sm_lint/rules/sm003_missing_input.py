"""SM003 missing-input: a signature input the call does not pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import Signature
from sm_lint.rules.base import Context, example, finding, inputs_list, keyword_for, spec_text
from sm_lint.rules.binding import Binding
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM003",
    name="missing-input",
    severity=Severity.ERROR,
    summary="A signature input that the call does not pass.",
    why="Signature functions have no defaults for their inputs: TensorFlow fails with "
    "'missing a required argument'.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/two_inputs")  # inputs a (?, 10), b (?, 5)
        infer = loaded.signatures["serving_default"]
        xa, xb = np.zeros((1, 10), np.float32), np.zeros((1, 5), np.float32)
        """
    ),
    bad="infer(a=xa)  # the signature also needs b",
    good="infer(a=xa, b=xb)",
)


def check(
    ctx: Context, call: SignatureCall, sig: Signature, binding: Binding
) -> Iterator[Diagnostic]:
    """Each required input left unfilled, unless the arguments are opaque (``**kwargs``)."""
    # A rejected positional argument or an unknown keyword already explains (and lists)
    # the inputs left unfilled: one finding per mistake, not two.
    if call.opaque_arguments or binding.rejected or binding.unexpected:
        return
    for name in binding.unfilled:
        yield finding(
            ctx,
            RULE,
            call.span,
            f"missing input {name!r} ({spec_text(sig.inputs[name])}) of signature {sig.key!r}; "
            f"pass it as {keyword_for(name)}... (inputs: {inputs_list(sig)})",
            sig.key,
        )


if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import SignatureCall


UNIT = RuleUnit(RULE, on_binding=check)
