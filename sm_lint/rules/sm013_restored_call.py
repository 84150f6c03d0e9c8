"""SM013 restored-call: a call of a restored function (``loaded(x)``, ``detect_fn(img)``,
``loaded.f(x)``, ``loaded.encoder.embed(x)``, a TFSMLayer's endpoint) that TensorFlow
rejects, and a call of a loaded object that is not callable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import ModelSignatures, RestoredFunction
from sm_lint.rules.base import Context, example, finding
from sm_lint.rules.restored import reject
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM013",
    name="restored-call",
    severity=Severity.ERROR,
    summary="A call of a restored function (the loaded object itself, `loaded.f`, "
    "`loaded.encoder.embed`) that TensorFlow rejects: arguments that do not bind to its "
    "parameters, a value its input_signature does not accept, or, for a function saved "
    "without an input_signature, a call that matches none of its traced concrete functions "
    "(tensor dtypes and shapes, Python values such as `training=`, list / tuple / dict "
    "structures); a call of a loaded object that has no `__call__` (a TF1 model or TF1 Hub "
    "module, a model saved with signatures only); a `TFSMLayer` whose endpoint is such a "
    "function (`serve` of a Keras export) given an input of another structure.",
    why='TensorFlow raises at the call (TypeError "Binding inputs to tf.function failed", '
    'or ValueError "Could not find matching concrete function to call loaded from the '
    'SavedModel"), after the model has been loaded; the message lists the traced forms.',
    setup=example(
        """
        loaded = tf.saved_model.load("models/multi")  # image.classify: uint8 (?, 8, 8, 3)
        """
    ),
    bad="loaded.image.classify(np.zeros((1, 8, 8, 4), np.uint8))",
    good="loaded.image.classify(np.zeros((1, 8, 8, 3), np.uint8))",
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import SignatureCall


def check(
    ctx: Context, call: SignatureCall, function: RestoredFunction | None, model: ModelSignatures
) -> Iterator[Diagnostic]:
    """The call is certainly rejected by TensorFlow's binding or concrete-function match."""
    rejection = reject(call, function, model)
    if rejection is None:
        return
    yield finding(ctx, RULE, rejection.span or call.span, rejection.reason)


UNIT = RuleUnit(RULE, on_restored=check)
