"""SM016 hub-layer-options: a ``hub.KerasLayer(handle, ...)`` whose options tensorflow_hub
rejects for the model the handle names, when the layer is built (measured with
tensorflow_hub 0.16.1, docs/design.md "Building a hub.KerasLayer")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import ModelSignatures
from sm_lint.rules.base import Context, example, finding, model_name
from sm_lint.rules.unit import RuleUnit
from sm_lint.semantics import accepted_keywords

RULE = Rule(
    code="SM016",
    name="hub-layer-options",
    severity=Severity.ERROR,
    summary="A `hub.KerasLayer` built with options tensorflow_hub rejects for its model: no "
    "`signature=` for a model without `__call__` (one saved with signatures only), a "
    "`signature=` without exactly one of `output_key=` and `signature_outputs_as_dict=True`, "
    "or `signature_outputs_as_dict=True` without a signature; `arguments=` keys that are no "
    "input of the signature (every call then raises TypeError).",
    why="`hub.KerasLayer(...)` raises ValueError when it is built, before any data reaches "
    "it (a TF1 Hub format module defaults to its `default` signature and output).",
    setup=example(
        """
        import tensorflow_hub as hub
        # models/multi: signatures only (serving_default: x -> y), no __call__
        """
    ),
    bad='layer = hub.KerasLayer("models/multi")',
    good='layer = hub.KerasLayer("models/multi", signature="serving_default", output_key="y")',
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import ModelLoad


def problem(
    signature: str | None, output_key: bool, as_dict: bool, model: ModelSignatures
) -> str | None:
    """Why tensorflow_hub rejects the options for *model* when the layer is built, or None
    (KerasLayer.__init__ and _get_callable, in their order)."""
    if model.hub_v1:  # the TF1 Hub format's defaults: signature and output "default"
        signature = signature or "default"
        output_key = output_key or not as_dict
    if signature and output_key == as_dict:
        return (
            f"with signature={signature!r}, exactly one of output_key= and "
            "signature_outputs_as_dict=True must be set, and "
            + ("both are" if output_key else "neither is")
        )
    if not signature and as_dict:
        return "signature_outputs_as_dict=True needs signature="
    if not signature and model.root_callable is False:
        keys = ", ".join(model.signatures) or "none"
        return (
            f"the model has no __call__ (it was saved with signatures only), so the layer "
            f"needs signature= (signatures: {keys}) and output_key= or "
            "signature_outputs_as_dict=True"
        )
    return None


def check(ctx: Context, load: ModelLoad, model: ModelSignatures) -> Iterator[Diagnostic]:
    """The layer's options, against the model the handle resolves to."""
    options = load.layer_options
    if options is None:
        return
    reason = problem(options.signature, options.output_key, options.as_dict, model)
    if reason is not None:
        yield finding(
            ctx,
            RULE,
            options.span,
            f"hub.KerasLayer of {model_name(ctx, model)}: {reason}; tensorflow_hub raises "
            "ValueError when the layer is built",
        )
        return
    signature = options.signature or ("default" if model.hub_v1 else None)
    sig = model.signatures.get(signature) if signature is not None else None
    if sig is None or not sig.inputs_known or options.arguments is None:
        return
    names = accepted_keywords(sig.inputs)
    unknown = [key for key in options.arguments if key not in names]
    if unknown:
        yield finding(
            ctx,
            RULE,
            options.span,
            f"hub.KerasLayer of {model_name(ctx, model)}: arguments= passes "
            f"{', '.join(map(repr, unknown))} to signature {signature!r}, which has no such "
            f"input ({', '.join(sig.inputs) or 'none'}); every call of the layer raises "
            "TypeError",
            signature,
        )


UNIT = RuleUnit(RULE, on_model=check)
