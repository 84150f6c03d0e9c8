"""SM014 invalid-serving-request: a TF Serving REST body its JSON decoder rejects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.models.types import Signature
from sm_lint.rules.base import Context, example, finding
from sm_lint.rules.binding import Binding
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM014",
    name="invalid-serving-request",
    severity=Severity.ERROR,
    summary="A TF Serving REST body that TF Serving's JSON decoder rejects, a :classify /"
    " :regress request to a signature that cannot serve it, or a gRPC output_filter naming an"
    " output twice.",
    why="TF Serving answers HTTP 400 before the model runs (tensorflow_serving/util/"
    "json_tensor.cc): a plain 'instances' list for a signature of several inputs, both or "
    "neither of 'instances' and 'inputs', an empty 'instances' list, instances of "
    "different shapes, lists of uneven nesting, a non-string 'signature_name', an integer "
    "beyond the range its input's dtype takes from JSON (AddValueToTensor); for :classify "
    "/ :regress, examples that are not objects, features of mixed kinds or integers from "
    "2**63 to 2**64 - 1 "
    "(FillClassifyRegressRequestFromJson), and a signature without the one 'inputs' input and "
    "the 'classes'/'scores' or 'outputs' output those verbs need (servables/tensorflow/"
    "classifier.cc, regressor.cc). A gRPC PredictRequest whose output_filter names an output "
    'twice is refused as a "duplicate output tensor alias" (servables/tensorflow/'
    "predict_util.cc PreProcessPrediction).",
    setup=example(
        """
        import requests
        url = "http://localhost:8501/v1/models/two_inputs:predict"  # a: (?, 10), b: (?, 5)
        """
    ),
    bad='requests.post(url, json={"instances": [[1.0, 2.0]]})',
    good='requests.post(url, json={"instances": [{"a": [1.0] * 10, "b": [3.0] * 5}]})',
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import SignatureCall


def check(
    ctx: Context, call: SignatureCall, sig: Signature, binding: Binding
) -> Iterator[Diagnostic]:
    """Each problem TF Serving's decoder finds in the body; a gRPC request's repeated
    output_filter names."""
    if call.grpc:
        yield from _duplicate_filters(ctx, call, sig)
    if binding.request is None:
        return
    for problem in binding.request.problems:
        yield finding(ctx, RULE, problem.span, problem.message, sig.key)


def _duplicate_filters(ctx: Context, call: SignatureCall, sig: Signature) -> Iterator[Diagnostic]:
    """PreProcessPrediction refuses an alias the filter already holds (a gRPC call's
    outputs are its output_filter names, in order: library/grpc.py)."""
    seen: set[str] = set()
    reported: set[str] = set()
    for access in call.outputs:
        if access.key in seen and access.key not in reported:
            reported.add(access.key)
            yield finding(
                ctx,
                RULE,
                access.span,
                f"output_filter names {access.key!r} twice: TF Serving refuses the request "
                "(duplicate output tensor alias)",
                sig.key,
            )
        seen.add(access.key)


UNIT = RuleUnit(RULE, on_binding=check)
