"""Apply findings' fixes to source text, and write files safely."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from sm_lint.api import Linter, internal_error
from sm_lint.diagnostics import Diagnostic, Edit
from sm_lint.sources import Document, SourceKind, from_text
from sm_lint.sources.lines import line_starts, offset
from sm_lint.sources.notebook import (
    BOM,
    NotebookError,
    dump_like,
    edit_in_place,
    parse_notebook,
    set_cell_source,
)


@dataclass(frozen=True)
class FixResult:
    #: The whole file's new text (the old one when nothing was applied).
    text: str
    applied: int
    #: Why (some) fixes were not kept: the fixed text did not verify. None: all kept.
    refused: str | None = None
    #: Why the file cannot be fixed at all (not UTF-8, ...). None: it can.
    reason: str | None = None


def apply_fixes(
    text: str, findings: Sequence[Diagnostic], validate: bool = True, unsafe: bool = False
) -> FixResult:
    """Apply every non-overlapping safe fix (and unsafe ones with *unsafe*); bytes outside
    the edits stay identical.

    Lines and columns are counted as the analysis counts them (a lone ``\r`` ends a line;
    columns are code points). If the result would not parse, nothing is applied.
    """
    starts = line_starts(text)
    fixes: list[list[tuple[int, int, Edit]]] = []
    for finding in findings:
        if finding.fix is None or not (finding.fix.safe or unsafe):
            continue
        places = []
        for edit in finding.fix.edits:
            start = offset(starts, edit.line, edit.column)
            end = offset(starts, edit.end_line, edit.end_column)
            if start is None or end is None or end > len(text):
                break
            places.append((start, end, edit))
        else:
            if places:
                fixes.append(sorted(places, key=lambda e: (e[0], e[1])))
    fixes.sort(key=lambda places: (places[0][0], places[0][1]))
    # A fix is applied whole or not at all (a rename of every instance's key is one fix).
    chosen: list[tuple[int, int, Edit]] = []
    applied = 0
    for places in fixes:
        if any(
            (start, end) == (s, e) or (start < e and s < end)
            for start, end, _ in places
            for s, e, _ in chosen
        ):
            continue  # overlapping fixes wait for the next round
        chosen.extend(places)
        applied += 1
    chosen.sort(key=lambda e: (e[0], e[1]))
    out = text
    for start, end, edit in reversed(chosen):
        out = out[:start] + edit.text + out[end:]
    if validate:
        try:
            cst.parse_module(out)
        except cst.ParserSyntaxError:
            return FixResult(text, 0)
    return FixResult(out, applied)


def _diff_lines(text: str) -> list[str]:
    """The lines as ``patch`` and ``git apply`` read them: split at "\\n" only (a form
    feed or a lone CR stays inside its line, as in the file)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def unified_diff(path: str, before: str, after: str) -> str:
    """A diff that ``patch`` applies: a last line without a newline (a notebook's JSON,
    a file that does not end with one) is marked as diff marks it."""
    out = []
    for line in difflib.unified_diff(
        _diff_lines(before),
        _diff_lines(after),
        fromfile=f"a/{path.lstrip('/')}",
        tofile=f"b/{path.lstrip('/')}",
    ):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class NotWrittenError(Exception):
    """The file was not written; the message says why."""


class StaleFileError(NotWrittenError):
    """The file changed on disk since it was read; it was not written."""


def _writable(st: os.stat_result, path: Path) -> bool:
    # Root may write anything: a file nobody may write (chmod a-w) is read-only all the same.
    if os.geteuid() == 0:
        return bool(st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return os.access(path, os.W_OK)


def write_atomically(path: Path, text: str, expected_digest: str) -> None:
    """Replace the content of *path* with *text*, or raise NotWrittenError (or OSError).

    A symlink is written through (its target gets the text, the link stays); owner, group
    and mode are kept; a file without write permission is refused. The new content goes to
    a temporary file renamed over the target, except where a rename would lose something
    (a file with several hard links, an owner this process cannot give the new file):
    then the file is rewritten in place. Raises StaleFileError if the file's content no
    longer has *expected_digest*.
    """
    target = Path(os.path.realpath(path))
    st = target.stat()
    if not stat.S_ISREG(st.st_mode):
        raise NotWrittenError(f"{path}: not a regular file; not fixed")
    if not _writable(st, target):
        raise NotWrittenError(f"{path}: read-only (no write permission); not fixed")
    data = text.encode("utf-8", errors="surrogatepass")
    if digest(target.read_bytes()) != expected_digest:
        raise StaleFileError(f"{path} changed since it was read; not fixed")
    if st.st_nlink > 1:
        _write_in_place(path, target, data, expected_digest)
        return
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".sm-lint", dir=target.parent)
    except OSError:  # a folder we may not write to: the file itself is writable
        _write_in_place(path, target, data, expected_digest)
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
            try:
                os.chown(temp, st.st_uid, st.st_gid)
            except PermissionError:  # only the owner's own file keeps its owner
                os.unlink(temp)
                _write_in_place(path, target, data, expected_digest)
                return
        os.chmod(temp, stat.S_IMODE(st.st_mode))  # after chown, which clears set-id bits
        if digest(target.read_bytes()) != expected_digest:
            raise StaleFileError(f"{path} changed since it was read; not fixed")
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _write_in_place(path: Path, target: Path, data: bytes, expected_digest: str) -> None:
    """Rewrite *target* through its own inode: every hard link and the owner stay."""
    with open(target, "r+b") as handle:
        if digest(handle.read()) != expected_digest:
            raise StaleFileError(f"{path} changed since it was read; not fixed")
        handle.seek(0)
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _raw_findings(
    linter: Linter, text: str, path: str | os.PathLike[str], notebook: bool
) -> list[Diagnostic]:
    """Every finding of *text* before noqa and select/ignore (an SM900 hides from neither),
    and the unused noqa codes (SM015)."""
    try:
        kind = SourceKind.NOTEBOOK if notebook else SourceKind.PYTHON
        analysis = linter.analyze(from_text(text, path, kind))
        document = analysis.document
        problems = document.problems if document is not None else ()
        raw = linter.diagnose(analysis)
        # Unused noqa codes are found where noqa is applied: those findings too.
        stale = [
            d
            for d in (linter.finalize(analysis, document.program, raw) if document else ())
            if d.code == "SM015"
        ]
        return [*raw, *stale, *problems]
    except Exception as error:  # a notebook that no longer reads, a crash: never written
        return [internal_error(os.fspath(path), error)]


def verify_fix(
    linter: Linter,
    before: str,
    after: str,
    path: str | os.PathLike[str],
    applied: int,
    notebook: bool = False,
) -> str | None:
    """None when *after* (the text with *applied* fixes) is analysed again and has no new
    SM900 and has lost at least *applied* of *before*'s findings; else why not."""
    old = _raw_findings(linter, before, path, notebook)
    new = _raw_findings(linter, after, path, notebook)
    broken = [d for d in new if d.code == "SM900"]
    if len(broken) > sum(d.code == "SM900" for d in old):
        return f"the fixed text would not analyse ({broken[0].message})"
    # Messages hold no positions: a finding the fix removed is gone by (code, message).
    gone = Counter((d.code, d.message) for d in old) - Counter((d.code, d.message) for d in new)
    if sum(gone.values()) < applied:
        return "the fixed text still has the findings the fixes were for"
    return None


def _unapplied(findings: Sequence[Diagnostic], unsafe: bool) -> str | None:
    """Why fixable findings are left after the last round (their edits could not apply)."""
    left = sum(d.fix is not None and (d.fix.safe or unsafe) for d in findings)
    if not left:
        return None
    return f"{left} fix{'' if left == 1 else 'es'} could not be applied to the text"


def fix_document(linter: Linter, document: Document, unsafe: bool = False) -> FixResult:
    """The file's text with its findings' fixes applied (re-linting between rounds), edited
    at the positions the analysis reported; each round's result is verified (see
    verify_fix) before it is kept. A notebook changes only in the fixed cells' sources:
    outputs, metadata and the file's JSON formatting stay as they were. Unsafe fixes only
    with *unsafe*."""
    if document.data and document.text.encode("utf-8", errors="surrogatepass") != document.data:
        return FixResult(document.text, 0, reason="not UTF-8")
    if document.kind is SourceKind.NOTEBOOK:
        return _fix_notebook(linter, document, unsafe)
    bom = BOM if document.text.startswith(BOM) else ""
    total = 0
    for _round in range(5):
        findings = linter.lint_document(document)
        result = apply_fixes(document.program, findings, unsafe=unsafe)
        if not result.applied:
            return FixResult(document.text, total, _unapplied(findings, unsafe))
        after = bom + result.text
        refused = verify_fix(linter, document.text, after, document.name, result.applied)
        if refused is not None:
            return FixResult(document.text, total, refused)
        document = from_text(after, document.path, SourceKind.PYTHON)
        total += result.applied
    return FixResult(document.text, total)


def _fix_notebook(linter: Linter, document: Document, unsafe: bool) -> FixResult:
    total = 0
    for _round in range(5):
        try:
            data = parse_notebook(document.text).data
        except NotebookError as error:
            return FixResult(document.text, 0, reason=f"cannot read the notebook: {error}")
        findings = linter.lint_document(document)
        applied = 0
        changes: dict[int, tuple[str, str]] = {}
        for cell in sorted({d.cell for d in findings if d.fix is not None and d.cell is not None}):
            source = document.cell_source(cell)
            if source is None:
                continue
            ours = [d for d in findings if d.cell == cell]
            result = apply_fixes(source, ours, validate=False, unsafe=unsafe)
            if result.applied:
                set_cell_source(data, cell, result.text)
                changes[cell] = (source, result.text)
                applied += result.applied
        if not applied:
            return FixResult(document.text, total, _unapplied(findings, unsafe))
        # The file's own formatting when it can be reproduced; else only the changed
        # characters inside the JSON strings are edited.
        dumped = dump_like(document.text, data) or edit_in_place(document.text, changes)
        if dumped is None:
            reason = "its JSON formatting cannot be kept for this fix"
            return FixResult(document.text, total, reason=reason)
        refused = verify_fix(linter, document.text, dumped, document.name, applied, True)
        if refused is not None:
            return FixResult(document.text, total, refused)
        document = from_text(dumped, document.path, SourceKind.NOTEBOOK)
        total += applied
    return FixResult(document.text, total)


def fix_source(
    linter: Linter, text: str, path: str | os.PathLike[str], unsafe: bool = False
) -> FixResult:
    """Apply fixes to a Python file's text, re-linting between rounds."""
    return fix_document(linter, from_text(text, path, SourceKind.PYTHON), unsafe)


def fix_notebook(
    linter: Linter, text: str, path: str | os.PathLike[str], unsafe: bool = False
) -> FixResult:
    """Apply fixes to a notebook's code cells only (see :func:`fix_document`)."""
    return fix_document(linter, from_text(text, path, SourceKind.NOTEBOOK), unsafe)


def fix_cells(
    linter: Linter,
    cells: Sequence[tuple[str, str]],
    path: str | os.PathLike[str] | None = None,
    unsafe: bool = False,
) -> dict[int, str]:
    """Fix a notebook given as its cells (kind ``"code"`` or ``"markdown"``, source), as an
    editor holds it: the same rounds and verification as a notebook file (fix_document).
    Returns the new source of each changed cell, by 1-based index among all cells."""
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source}
            | ({"execution_count": None, "outputs": []} if kind == "code" else {})
            for kind, source in cells
        ],
    }
    before = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    document = from_text(before, path, SourceKind.NOTEBOOK)
    result = fix_document(linter, document, unsafe)
    if not result.applied:
        return {}
    fixed = from_text(result.text, path, SourceKind.NOTEBOOK)
    changed: dict[int, str] = {}
    for index, (kind, source) in enumerate(cells, start=1):
        new = fixed.cell_source(index)
        if kind == "code" and new is not None and new != source:
            changed[index] = new
    return changed
