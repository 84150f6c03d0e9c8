"""Render findings: text (like ruff's), JSON (the contract in the README's "JSON output")."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from sm_lint.diagnostics import Diagnostic, Severity
from sm_lint.output.rule_links import rule_url

if TYPE_CHECKING:
    from sm_lint.api import FileAnalysis


def use_color(stream: TextIO, mode: str = "auto") -> bool:
    """Whether to colour: ``always``/``never`` as asked; ``auto`` colours a terminal unless
    ``NO_COLOR`` is set or ``TERM=dumb``, and anything when ``FORCE_COLOR`` is set (the
    conventions of no-color.org and force-color.org, which ruff follows too)."""
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


_SEVERITY_COLOR = {Severity.ERROR: "31;1", Severity.WARNING: "33;1", Severity.INFO: "36"}


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    """One finding as the README's "JSON output" describes it."""
    out: dict[str, Any] = {
        "path": d.path,
        "line": d.line,
        "column": d.column,
        "end_line": d.end_line,
        "end_column": d.end_column,
        "code": d.code,
        "url": rule_url(d.code),
        "severity": d.severity.value,
        "message": d.message,
        "model": d.model,
        "signature": d.signature,
        "fix": None
        if d.fix is None
        else {
            "description": d.fix.description,
            "applicability": d.fix.applicability.value,
            "edits": [
                {
                    "line": e.line,
                    "column": e.column,
                    "end_line": e.end_line,
                    "end_column": e.end_column,
                    "text": e.text,
                }
                for e in d.fix.edits
            ],
        },
    }
    if d.cell is not None:
        out["cell"] = d.cell
    if d.origin != "static":
        out["origin"] = d.origin
    if d.related:
        out["related"] = [
            {
                "line": r.line,
                "column": r.column,
                "end_line": r.end_line,
                "end_column": r.end_column,
                "message": r.message,
                **({"cell": r.cell} if r.cell is not None else {}),
                **({"path": r.path} if r.path is not None else {}),
            }
            for r in d.related
        ]
    return out


def render_json(findings: Sequence[Diagnostic]) -> str:
    return json_array(diagnostic_json(d) for d in findings)


def json_array(items: Iterable[object]) -> str:
    """A JSON array with one item a line: each item goes through the C encoder, which
    ``indent=`` would turn off (the pure-Python one took most of a warm run's time)."""
    lines = [f"  {json.dumps(item, ensure_ascii=True)}" for item in items]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def location(d: Diagnostic) -> str:
    cell = f"cell {d.cell}:" if d.cell is not None else ""
    return f"{d.path}:{cell}{d.line}:{d.column}"


def place(analysis: FileAnalysis, line: int, column: int) -> str:
    """``path:line:col`` (``path:cell N:line:col`` in a notebook) of a program position."""
    document = analysis.document
    where = document.to_cell(line, column) if document is not None else None
    if where is None:
        return f"{analysis.path}:{line}:{column}"
    cell = f"cell {where.cell}:" if where.cell is not None else ""
    return f"{analysis.path}:{cell}{where.line}:{where.column}"


def render_text(
    findings: Sequence[Diagnostic],
    source_lines: Callable[[Diagnostic], list[str] | None],
    color: bool = False,
    show_source: bool = True,
    concise: bool = False,
) -> str:
    """``path:line:col: CODE message``, the source line with a caret underline and the fix;
    *concise*: that first line alone, ``[*]`` after the code when ``--fix`` can fix it."""
    style = _Style(color)
    blocks: list[str] = []
    for d in findings:
        code = style(_SEVERITY_COLOR[d.severity], d.code)
        if concise:
            mark = " [*]" if d.fix is not None and d.fix.safe else ""
            blocks.append(f"{style('1', location(d))}: {code}{mark} {d.message}")
            continue
        head = f"{style('1', location(d))}: {code} {d.message}"
        lines = [head]
        source = source_lines(d) if show_source else None
        if source is not None and 1 <= d.line <= len(source):
            text = source[d.line - 1].rstrip("\r\n").replace("\t", " ")
            width = len(str(d.line))
            end = d.end_column if d.end_line == d.line else len(text) + 1
            carets = "^" * max(1, end - d.column)
            lines.append(f"{' ' * width} |")
            lines.append(f"{d.line} | {text}")
            underline = style(_SEVERITY_COLOR[d.severity], carets)
            lines.append(f"{' ' * width} | {' ' * (d.column - 1)}{underline}")
            if d.fix is not None:
                lines.append(f"{' ' * width} = {style('32', _fix_label(d))}: {d.fix.description}")
        elif d.fix is not None:
            lines.append(f"  = {style('32', _fix_label(d))}: {d.fix.description}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) if concise else "\n\n".join(blocks)


def summary(findings: Sequence[Diagnostic]) -> str:
    """``3 errors, 1 warning in 2 files (1 fixable with --fix)``."""
    if not findings:
        return "All checks passed."
    counts = Counter(d.severity for d in findings)
    parts = []
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        n = counts.get(severity, 0)
        if n:
            parts.append(f"{n} {severity.value}{'' if n == 1 else 's'}")
    files = len({d.path for d in findings})
    safe = sum(1 for d in findings if d.fix is not None and d.fix.safe)
    unsafe = sum(1 for d in findings if d.fix is not None and not d.fix.safe)
    text = f"{', '.join(parts)} in {files} file{'' if files == 1 else 's'}"
    notes = []
    if safe:
        notes.append(f"{safe} fixable with --fix")
    if unsafe:
        notes.append(f"{unsafe} more with --unsafe-fixes")
    if notes:
        text += f" ({'; '.join(notes)})"
    return text


def _fix_label(d: Diagnostic) -> str:
    return "fix" if d.fix is None or d.fix.safe else "fix (unsafe)"


def fixed_list(before: Sequence[Diagnostic], after: Sequence[Diagnostic]) -> str:
    """``--show-fixes``: per file, how many findings of each rule a fix removed (ruff's
    enumeration)."""
    gone = Counter((d.path, d.code) for d in before if d.fix is not None)
    gone.subtract(Counter((d.path, d.code) for d in after))
    per_file: dict[str, list[tuple[str, int]]] = {}
    for (path, code), n in sorted(gone.items()):
        if n > 0:
            per_file.setdefault(path, []).append((code, n))
    total = sum(n for rows in per_file.values() for _, n in rows)
    lines = [f"Fixed {total} finding{'' if total == 1 else 's'}:"]
    for path, rows in per_file.items():
        lines.append(f"- {path}:")
        lines.extend(f"    {n} x {code} ({_rule_name(code)})" for code, n in rows)
    return "\n".join(lines)


def _rule_name(code: str) -> str:
    from sm_lint.rules.catalogue import RULES  # loaded only for these summaries

    return RULES[code].name


def statistics(findings: Sequence[Diagnostic]) -> str:
    counts = Counter(d.code for d in findings)
    fixable = Counter(d.code for d in findings if d.fix is not None and d.fix.safe)
    rows = []
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = "*" if fixable.get(code) else " "
        rows.append(f"{n:5}  {code}  {mark} {_rule_name(code)}")
    return "\n".join(rows)


def statistics_json(findings: Sequence[Diagnostic]) -> str:
    """``--statistics --output-format json``: one object per rule, most frequent first."""
    counts = Counter(d.code for d in findings)
    fixable = Counter(d.code for d in findings if d.fix is not None and d.fix.safe)
    rows = [
        {"code": code, "name": _rule_name(code), "count": n, "fixable": fixable.get(code, 0)}
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return json.dumps(rows, indent=2)


def write(text: str, stream: TextIO | None = None) -> None:
    # Resolved at call time: a stream bound at import would miss a replaced sys.stdout.
    stream = stream if stream is not None else sys.stdout
    if text:
        stream.write(text if text.endswith("\n") else text + "\n")
