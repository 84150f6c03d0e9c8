"""SM011 model-not-found: a literal model path that resolves to no SavedModel; also the
info note for a TF Hub / Kaggle handle whose model is not in the cache yet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.rules.base import Context, finding
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM011",
    name="model-not-found",
    severity=Severity.WARNING,
    summary="A literal model path that resolves to no SavedModel under the model roots.",
    why="The call cannot be checked; usually a typo or a model that was never exported.",
    bad='loaded = tf.saved_model.load("models/dense_v2")  # no such folder',
    good='loaded = tf.saved_model.load("models/dense")',
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import ModelLoad


def check(ctx: Context, load: ModelLoad, error: str | None, found: bool) -> Iterator[Diagnostic]:
    """A literal path that leads to no model (an unreadable one is SM012's)."""
    if error is None and not found and load.literal:
        yield finding(
            ctx,
            RULE,
            load.span,
            f"no SavedModel found for {load.expr}; the calls on it are not checked "
            "(pass --models, or map the path in [tool.sm-lint.model-paths])",
        )


def note_unchecked_handle(ctx: Context, load: ModelLoad, reason: str) -> Diagnostic:
    """An info note (the editor shows it) for a TF Hub or Kaggle handle whose model is not
    in the library's cache yet: what would make its calls checkable."""
    return finding(
        ctx,
        RULE,
        load.span,
        f"the calls on this model are not checked: {reason}",
        severity=Severity.INFO,
    )


UNIT = RuleUnit(RULE, on_load=check)
