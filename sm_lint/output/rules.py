"""Render the rule catalogue for ``sm-lint rules``, the README and the rule pages."""

from __future__ import annotations

from pathlib import Path

from sm_lint.diagnostics import Rule
from sm_lint.output.rule_links import PAGES
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


def render_page(rule: Rule) -> str:
    """One rule's page (``sm_lint/rule_docs/CODE.md``): its documentation, and how to turn
    it off, as ruff's rule pages end."""
    return "\n".join(
        [
            render_rule(rule, "markdown").replace("### ", "# ", 1),
            "",
            "## Configuration",
            "",
            f'Turn it off for a project with `ignore = ["{rule.code}"]` in `[tool.sm-lint]`,',
            f"for one line with `# noqa: {rule.code}`, and for a file with",
            f"`# sm-lint: noqa: {rule.code}`; change its severity with",
            f'`severity = {{ {rule.code} = "warning" }}`.',
            "",
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


def write_pages(folder: Path = PAGES) -> list[Path]:
    """Write every rule's page into *folder* (the shipped pages are made this way; a test
    keeps them equal to the catalogue), and return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for code, rule in RULES.items():
        path = folder / f"{code}.md"
        path.write_text(render_page(rule), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_pages():
        print(written_path)
