"""SM012 invalid-savedmodel: the model folder's saved_model.pb is unreadable or corrupt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.rules.base import Context, finding
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM012",
    name="invalid-savedmodel",
    severity=Severity.ERROR,
    summary="The model folder's saved_model.pb is unreadable or corrupt.",
    why="tf.saved_model.load will fail on it too.",
    bad='tf.saved_model.load("models/broken")  # truncated saved_model.pb',
    good='tf.saved_model.load("models/dense")  # re-exported: a readable saved_model.pb',
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import ModelLoad


def check(ctx: Context, load: ModelLoad, error: str | None, found: bool) -> Iterator[Diagnostic]:
    """The load's model could not be read (*error* says why)."""
    if error is not None:
        yield finding(ctx, RULE, load.span, f"cannot read the SavedModel: {error}")


UNIT = RuleUnit(RULE, on_load=check)
