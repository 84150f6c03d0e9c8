"""SM010 unknown-output: indexing the result with a key the signature (or the restored
function) does not return."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import ModelSignatures, RestoredFunction, Signature
from sm_lint.rules.base import (
    Context,
    did_you_mean,
    example,
    finding,
    rename_fix,
    spec_text,
    suggest,
)
from sm_lint.rules.binding import Binding
from sm_lint.rules.restored import callable_name
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM010",
    name="unknown-output",
    severity=Severity.ERROR,
    summary="Indexing the result with a key the signature does not return.",
    why="The result is a dict keyed by output names (Keras 3 exports call it "
    "`output_0`): a wrong key raises KeyError after the model ran.",
    setup=example(
        """
        loaded = tf.saved_model.load("models/dense")  # one output, output_0
        infer = loaded.signatures["serving_default"]
        x = np.zeros((1, 5), np.float32)
        """
    ),
    bad='infer(keras_tensor=x)["predictions"]',
    good='infer(keras_tensor=x)["output_0"]',
)


def check(
    ctx: Context, call: SignatureCall, sig: Signature, binding: Binding
) -> Iterator[Diagnostic]:
    """Each key the result is indexed with that is not one of the outputs."""
    if not sig.outputs_known:
        return
    for access in call.outputs:
        if access.key in sig.outputs:
            continue
        close = suggest(access.key, list(sig.outputs))
        hint = f"; did you mean {close[0]!r}?" if close else ""
        target = close[0] if close else (next(iter(sig.outputs)) if len(sig.outputs) == 1 else None)
        fix = (
            rename_fix(access.span, json.dumps(target), f"use output {target!r}")
            if target
            else None
        )
        yield finding(
            ctx,
            RULE,
            access.span,
            f"signature {sig.key!r} has no output {access.key!r} (outputs: "
            f"{', '.join(f'{n} {spec_text(s)}'.rstrip() for n, s in sig.outputs.items())}){hint}",
            sig.key,
            fix,
        )


def check_restored(
    ctx: Context, call: SignatureCall, function: RestoredFunction | None, model: ModelSignatures
) -> Iterator[Diagnostic]:
    """A restored function returns what it was traced to return: where every concrete
    function returns a dict, a key none of them has raises KeyError (measured, tensorflow
    2.21: the result is a plain dict)."""
    if function is None or not call.outputs or not function.known or function.bare:
        return
    if not function.concrete:
        return
    returned = [concrete.outputs for concrete in function.concrete]
    if any(out is None or out.kind != "dict" for out in returned):
        return
    keys = list(dict.fromkeys(key for out in returned if out is not None for key in out.keys))
    shown = (
        returned[0].text()
        if len(returned) == 1 and returned[0] is not None
        else ", ".join(repr(k) for k in keys)
    )
    for access in call.outputs:
        if access.key in keys:
            continue
        hint, fix = did_you_mean(access.span, access.key, keys, "output")
        yield finding(
            ctx,
            RULE,
            access.span,
            f"{callable_name(function)} returns no {access.key!r} (it returns {shown}){hint}",
            None,
            fix,
        )


if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import SignatureCall


UNIT = RuleUnit(RULE, on_call=check, on_restored=check_restored)
