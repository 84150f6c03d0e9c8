"""Render the rule catalogue for ``sm-lint rules`` and the README."""

from __future__ import annotations

from sm_lint.diagnostics import Rule
from sm_lint.rules import RULES


def render_rule(rule: Rule, fmt: str = "text") -> str:
    """One rule's documentation: text for `sm-lint rules CODE`, or Markdown."""
    if fmt == "markdown":
        return "\n".join(
            [
                f"### {rule.code} {rule.name}",
                "",
                f"Default severity: {rule.severity.value}. {rule.summary}",
                "",
                f"Why it matters: {rule.why}",
                "",
                "```python",
                *(["# given", rule.setup] if rule.setup else []),
                "# bad",
                rule.bad,
                "# good",
                rule.good,
                "```",
            ]
        )
    return "\n".join(
        [
            f"{rule.code} {rule.name} ({rule.severity.value})",
            f"  {rule.summary}",
            f"  Why: {rule.why}",
            *(
                ["  Given:", *(f"    {line}" for line in rule.setup.splitlines())]
                if rule.setup
                else []
            ),
            "  Bad:",
            *(f"    {line}" for line in rule.bad.splitlines()),
            "  Good:",
            *(f"    {line}" for line in rule.good.splitlines()),
        ]
    )


def rules_table() -> str:
    """The Markdown table of all rules (the README embeds it)."""
    rows = ["| code | name | default | what it catches |", "|---|---|---|---|"]
    for rule in RULES.values():
        rows.append(f"| {rule.code} | {rule.name} | {rule.severity.value} | {rule.summary} |")
    return "\n".join(rows)


def render_rules(fmt: str = "text") -> str:
    if fmt == "markdown":
        return "\n\n".join([rules_table(), *(render_rule(r, fmt) for r in RULES.values())])
    return "\n\n".join(render_rule(r) for r in RULES.values())
