"""SM015 unused-noqa: a ``# noqa: SMxxx`` code that silences nothing on a checked call.

Like ruff's RUF100, but only where sm-lint really checked the line: a code is reported
unused only on a line with a call of a model sm-lint resolved (without the model nothing is
checked, and every code would look unused). The finding is made where ``# noqa`` is applied
(:meth:`sm_lint.api.Linter.finalize`), which knows what each comment silenced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.rules.base import Context, example, finding, replace_fix
from sm_lint.rules.unit import RuleUnit
from sm_lint.sources.noqa import NOQA

if TYPE_CHECKING:
    from sm_lint.analysis.facts import Span

RULE = Rule(
    code="SM015",
    name="unused-noqa",
    severity=Severity.WARNING,
    summary="A `# noqa: SMxxx` code that silences no finding on a call sm-lint checked.",
    why="A stale suppression hides the next real mistake on that line; remove the code "
    "once the call is right (as ruff's RUF100 does for its own codes).",
    setup=example(
        """
        loaded = tf.saved_model.load("models/dense")  # keras_tensor: float32 (?, 5)
        infer = loaded.signatures["serving_default"]
        batch = np.random.rand(64, 5).astype(np.float32)
        """
    ),
    bad="infer(keras_tensor=tf.constant(batch))  # noqa: SM005",
    good="infer(keras_tensor=tf.constant(batch, dtype=tf.float64))  # noqa: SM005",
)


def unused_noqa(
    ctx: Context,
    lines: list[str],
    noqa: Mapping[int, frozenset[str]],
    used: Collection[tuple[int, str]],
    checked: Collection[int],
    selected: Callable[[str], bool],
) -> Iterator[Diagnostic]:
    """A finding per ``# noqa`` code of sm-lint's (*noqa*: line -> codes, from the program
    *lines*) that silenced nothing (*used*: (line, code) pairs that did) on a *checked*
    line, for the codes the run *selected*; its safe fix removes the code (the comment,
    when nothing is left in it)."""
    for line, codes in sorted(noqa.items()):
        if line not in checked or not codes or line > len(lines):
            continue
        stale = sorted(
            c for c in codes if c.startswith("SM") and selected(c) and (line, c) not in used
        )
        if not stale:
            continue
        comment = _last_comment(lines[line - 1])
        if comment is None:
            continue
        start, end, kept = comment[0], comment[1], [c for c in comment[2] if c not in stale]
        text = lines[line - 1]
        if kept:
            replacement, column = f"# noqa: {', '.join(kept)}", start
        else:  # the whole comment goes, with the blanks before it
            column = len(text[:start].rstrip(" \t"))
            replacement = ""
        span_fix = _span(line, column + 1, end + 1)
        fix = replace_fix(
            span_fix,
            replacement,
            f"remove unused noqa code{'s' if len(stale) > 1 else ''} {', '.join(stale)}",
        )
        yield finding(
            ctx,
            RULE,
            _span(line, start + 1, end + 1),
            f"unused noqa code{'s' if len(stale) > 1 else ''} {', '.join(stale)}: "
            "nothing on this line is reported for "
            f"{'them' if len(stale) > 1 else 'it'} (remove it, or it will hide the next "
            "mistake here)",
            fix=fix,
        )


def _last_comment(text: str) -> tuple[int, int, list[str]] | None:
    """The last ``# noqa: CODES`` of a line: its start and end columns (0-based) and codes."""
    matches = [m for m in NOQA.finditer(text) if m.group("codes")]
    if not matches:
        return None
    match = matches[-1]
    codes = [c for c in re.split(r"[\s,]+", match.group("codes").upper()) if c]
    return match.start(), match.end(), codes


def _span(line: int, column: int, end_column: int) -> Span:
    from sm_lint.analysis.facts import Span  # here: the catalogue loads without the analysis

    return Span(line, column, line, end_column)


UNIT = RuleUnit(RULE)
