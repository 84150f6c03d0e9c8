"""Apply findings' fixes to source text, and write files safely."""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from sm_lint.api import Linter
from sm_lint.diagnostics import Diagnostic, Edit
from sm_lint.notebooks import NotebookError, dump_like, parse_notebook, set_cell_source


@dataclass(frozen=True)
class FixResult:
    text: str
    applied: int


def _offsets(text: str) -> list[int]:
    """Offset of the start of each 1-based line (index 0 unused)."""
    starts = [0, 0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _offset(starts: list[int], line: int, column: int) -> int:
    return starts[line] + column - 1


def apply_fixes(
    text: str, findings: Sequence[Diagnostic], validate: bool = True, unsafe: bool = False
) -> FixResult:
    """Apply every non-overlapping safe fix (and unsafe ones with *unsafe*); bytes outside
    the edits stay identical.

    Columns are code points, as libcst reports them. If the result would not parse, nothing
    is applied.
    """
    starts = _offsets(text)
    edits: list[tuple[int, int, Edit]] = []
    for finding in findings:
        if finding.fix is None or not (finding.fix.safe or unsafe):
            continue
        for edit in finding.fix.edits:
            if edit.line >= len(starts) or edit.end_line >= len(starts):
                continue
            edits.append(
                (
                    _offset(starts, edit.line, edit.column),
                    _offset(starts, edit.end_line, edit.end_column),
                    edit,
                )
            )
    edits.sort(key=lambda e: (e[0], e[1]))
    chosen: list[tuple[int, int, Edit]] = []
    last_end = -1
    for start, end, edit in edits:
        if start < last_end or (chosen and start == chosen[-1][0] and end == chosen[-1][1]):
            continue  # overlapping fixes wait for the next round
        chosen.append((start, end, edit))
        last_end = max(end, start)
    out = text
    for start, end, edit in reversed(chosen):
        out = out[:start] + edit.text + out[end:]
    if validate:
        try:
            cst.parse_module(out)
        except cst.ParserSyntaxError:
            return FixResult(text, 0)
    return FixResult(out, len(chosen))


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path.lstrip('/')}",
            tofile=f"b/{path.lstrip('/')}",
        )
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class StaleFileError(Exception):
    """The file changed on disk since it was read; it was not written."""


def write_atomically(path: Path, text: str, expected_digest: str) -> None:
    """Replace *path* with *text* via a temporary file and rename, keeping permissions.

    Raises StaleFileError if the file's content no longer has *expected_digest*.
    """
    if digest(path.read_bytes()) != expected_digest:
        raise StaleFileError(f"{path} changed since it was read; not fixed")
    mode = path.stat().st_mode
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".sm-lint", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(temp, mode & 0o7777)
        if digest(path.read_bytes()) != expected_digest:
            raise StaleFileError(f"{path} changed since it was read; not fixed")
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def fix_source(
    linter: Linter, text: str, path: str | os.PathLike[str], unsafe: bool = False
) -> FixResult:
    """Apply fixes to a Python file's text, re-linting between rounds."""
    total = 0
    for _round in range(5):
        result = apply_fixes(text, linter.lint_source(text, path), unsafe=unsafe)
        if not result.applied:
            break
        text, total = result.text, total + result.applied
    return FixResult(text, total)


def fix_notebook(
    linter: Linter, text: str, path: str | os.PathLike[str], unsafe: bool = False
) -> FixResult:
    """Apply fixes to a notebook's code cells only. Outputs, metadata and the file's JSON
    formatting stay as they were; a notebook whose formatting cannot be reproduced is not
    changed."""
    try:
        notebook = parse_notebook(text)
    except NotebookError:
        return FixResult(text, 0)
    data = notebook.data
    total = 0
    for _round in range(5):
        findings = linter.lint_notebook(text, path)
        applied = 0
        for cell in {d.cell for d in findings if d.fix is not None and d.cell is not None}:
            source = (
                "".join(data["cells"][cell - 1]["source"])
                if isinstance(data["cells"][cell - 1]["source"], list)
                else data["cells"][cell - 1]["source"]
            )
            ours = [d for d in findings if d.cell == cell]
            result = apply_fixes(source, ours, validate=False, unsafe=unsafe)
            if result.applied:
                set_cell_source(data, cell, result.text)
                applied += result.applied
        if not applied:
            break
        dumped = dump_like(text, data)
        if dumped is None:
            return FixResult(text, 0)
        text, total = dumped, total + applied
        notebook = parse_notebook(text)
        data = notebook.data
    return FixResult(text, total)
