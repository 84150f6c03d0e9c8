"""Every rule unit, in the order the runner calls them, and the catalogue by code."""

from __future__ import annotations

from sm_lint.diagnostics import Rule
from sm_lint.rules import (
    sm001_unknown_signature,
    sm002_unexpected_input,
    sm003_missing_input,
    sm004_positional_input,
    sm005_dtype_mismatch,
    sm006_lossy_cast,
    sm007_rank_mismatch,
    sm008_dimension_mismatch,
    sm009_batch_mismatch,
    sm010_unknown_output,
    sm011_model_not_found,
    sm012_invalid_savedmodel,
    sm013_restored_call,
    sm014_invalid_serving_request,
    sm015_unused_noqa,
    sm016_hub_layer_options,
    sm017_unsupported_load,
    sm900_syntax_error,
)
from sm_lint.rules.unit import RuleUnit

#: Run order, which is the order of one call's findings (the runtime guard reports its
#: errors in it): a load's SM012 before SM011; positional arguments (SM004) first, as
#: TensorFlow binds them first, then unknown keywords (SM002), then what is left unfilled
#: (SM003); each value's dtype (SM005, SM006) before its shape (SM007, SM008).
UNITS: tuple[RuleUnit, ...] = (
    sm012_invalid_savedmodel.UNIT,
    sm011_model_not_found.UNIT,
    sm001_unknown_signature.UNIT,
    sm014_invalid_serving_request.UNIT,
    sm004_positional_input.UNIT,
    sm002_unexpected_input.UNIT,
    sm003_missing_input.UNIT,
    sm005_dtype_mismatch.UNIT,
    sm006_lossy_cast.UNIT,
    sm007_rank_mismatch.UNIT,
    sm008_dimension_mismatch.UNIT,
    sm009_batch_mismatch.UNIT,
    sm010_unknown_output.UNIT,
    sm013_restored_call.UNIT,
    sm016_hub_layer_options.UNIT,
    sm017_unsupported_load.UNIT,
    sm015_unused_noqa.UNIT,
    sm900_syntax_error.UNIT,
)

#: The rule catalogue by code, in code order (``sm-lint rules``, the README, SARIF).
RULES: dict[str, Rule] = {u.rule.code: u.rule for u in sorted(UNITS, key=lambda u: u.rule.code)}


def rule(code: str) -> Rule:
    """The documented rule for *code* (KeyError for an unknown code)."""
    return RULES[code]
