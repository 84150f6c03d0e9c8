"""SM900 syntax-error: the file could not be parsed, or was not analysed.

Documentation only: the finding is made where the source is read and parsed
(:func:`sm_lint.sources.document.syntax_problem`, ``sm_lint/analysis/parse.py``), before
there are facts for the other rules to check.
"""

from __future__ import annotations

from sm_lint.diagnostics import Rule, Severity
from sm_lint.rules.base import example
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM900",
    name="syntax-error",
    severity=Severity.ERROR,
    summary="The file could not be parsed as Python, or was not analysed (over the size "
    "limit, or an internal error: please report those).",
    why="Nothing in it can be checked until it parses; the other files are checked as ever.",
    bad="def f(:",
    good=example(
        """
        def f(x):
            return x
        """
    ),
)

UNIT = RuleUnit(RULE)
