"""SM001 unknown-signature: ``loaded.signatures[key]`` with a key the model does not have."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import ModelSignatures
from sm_lint.rules.base import Context, did_you_mean, finding, model_name
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM001",
    name="unknown-signature",
    severity=Severity.ERROR,
    summary="The signature key is not one of the model's signatures.",
    why="`loaded.signatures[key]` raises KeyError at run time, after TensorFlow and the "
    "model have been loaded.",
    setup='loaded = tf.saved_model.load("models/dense")  # signatures: serve, serving_default',
    bad='infer = loaded.signatures["serving"]',
    good='infer = loaded.signatures["serving_default"]',
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import SignatureLookup


def check(ctx: Context, lookup: SignatureLookup, model: ModelSignatures) -> Iterator[Diagnostic]:
    """The key is not one of the model's signatures (when the model's list is complete)."""
    if lookup.key in model.signatures or not model.complete:
        return
    keys = list(model.signatures)
    hint, fix = did_you_mean(lookup.span, lookup.key, keys, "signature")
    yield finding(
        ctx,
        RULE,
        lookup.span,
        f"signature {lookup.key!r} does not exist in {model_name(ctx, model)} "
        f"(signatures: {', '.join(keys) or 'none'}){hint}",
        lookup.key,
        fix,
    )


UNIT = RuleUnit(RULE, on_lookup=check)
