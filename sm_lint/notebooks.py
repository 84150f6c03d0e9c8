"""Jupyter notebooks (nbformat v4): the code cells as one program, and back.

Code cells are joined in order into one Python program, so a model loaded in cell 2 and
called in cell 5 is checked. Each cell is read as IPython runs it (sm_lint.sources.ipython:
magics, shell escapes and help become the calls IPython makes, line for line; a cell's common
indentation is removed); cells in another language (``%%bash``, ``%%html`` ...) are left out.
Findings map back to (cell, line, column).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from sm_lint.diagnostics import Diagnostic, Edit, Fix
from sm_lint.sources.ipython import transform_cell

# Cell magics whose body is not Python.
_FOREIGN = {
    "bash",
    "sh",
    "script",
    "html",
    "javascript",
    "js",
    "latex",
    "markdown",
    "svg",
    "writefile",
    "perl",
    "ruby",
    "python2",
    "sql",
    "file",
    "system",
}
_ASSIGNED_MAGIC = re.compile(r"^\s*[\w.,\s]+=\s*[!%]")


class NotebookError(ValueError):
    """The file is not a readable nbformat v4 notebook; the message says why."""


@dataclass(frozen=True)
class CodeCell:
    #: 1-based index among all cells (markdown and raw included).
    index: int
    source: str
    #: 1-based line of the cell's first line in the joined program.
    first_line: int
    line_count: int
    #: Per line of the cell: characters IPython removed at its start (program column c is
    #: cell column c + offset).
    offsets: tuple[int, ...] = ()

    def column(self, line: int, column: int) -> int:
        """The cell's column for program *column* on the cell's 1-based *line*."""
        return column + (self.offsets[line - 1] if 0 < line <= len(self.offsets) else 0)


@dataclass(frozen=True)
class Notebook:
    data: dict[str, Any]
    cells: tuple[CodeCell, ...]
    program: str

    def locate(self, line: int) -> tuple[CodeCell, int] | None:
        """The cell holding program *line*, and the 1-based line within it."""
        for cell in self.cells:
            if cell.first_line <= line < cell.first_line + cell.line_count:
                return cell, line - cell.first_line + 1
        return None


def _source_text(cell: dict[str, Any], number: int) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        if not all(isinstance(part, str) for part in source):
            raise NotebookError(f"cell {number}: source is not text")
        return "".join(source)
    if not isinstance(source, str):
        raise NotebookError(f"cell {number}: source is not text")
    return source


def _is_magic(line: str, stripped: str) -> bool:
    """``%magic``, ``!shell``, ``name = !shell`` and ``obj?`` help lines."""
    if stripped.startswith(("%", "!")) or _ASSIGNED_MAGIC.match(line):
        return True
    return stripped.endswith("?") and stripped[:-1].replace(".", "").isidentifier()


def neutralize(source: str) -> str | None:
    """Cell source with magics commented out in place; None for a non-Python cell."""
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split()[0] if first[2:].split() else ""
        if name in _FOREIGN:
            return None
    out = []
    for line in lines:
        stripped = line.lstrip()
        if _is_magic(line, stripped):
            indent = len(line) - len(stripped)
            out.append(line[:indent] + "#" + stripped[1:])
        else:
            out.append(line)
    return "\n".join(out)


def parse_notebook(text: str) -> Notebook:
    """Read a notebook's JSON. Raises NotebookError for anything that is not nbformat 4."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise NotebookError(f"invalid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook: no list of cells")
    if data.get("nbformat", 4) != 4:
        raise NotebookError(f"nbformat {data.get('nbformat')} is not supported (only 4)")
    language = (data.get("metadata") or {}).get("language_info", {}) or {}
    if isinstance(language, dict) and language.get("name") not in (None, "python"):
        raise NotebookError(f"not a Python notebook ({language.get('name')})")
    sources: list[tuple[int, str]] = []
    for number, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {number} is not an object")
        if cell.get("cell_type") == "code":
            sources.append((number, _source_text(cell, number)))
    return from_cells(sources, data)


def from_cells(sources: list[tuple[int, str]], data: dict[str, Any] | None = None) -> Notebook:
    """Join code cells, given as (1-based cell index, source), into one program."""
    cells: list[CodeCell] = []
    chunks: list[str] = []
    line = 1
    for number, source in sources:
        code = transform_cell(source)
        python = code.python
        if python is None:
            continue
        body = python if python.endswith("\n") else python + "\n"
        count = body.count("\n")
        cells.append(CodeCell(number, source, line, count, code.offsets))
        chunks.append(body)
        line += count
    return Notebook(data or {}, tuple(cells), "".join(chunks))


def to_cells(notebook: Notebook, findings: list[Diagnostic]) -> list[Diagnostic]:
    """Findings on the joined program, moved to (cell, line within the cell)."""
    out = []
    for finding in findings:
        where = notebook.locate(finding.line)
        if where is None:
            out.append(replace(finding, cell=None))
            continue
        cell, line = where
        end = notebook.locate(finding.end_line)
        end_line = end[1] if end is not None and end[0] is cell else line
        end_column = (
            cell.column(end_line, finding.end_column)
            if end is not None and end[0] is cell
            else cell.column(line, finding.column) + 1
        )
        fix = finding.fix
        if fix is not None:
            edits = []
            for edit in fix.edits:
                start, stop = notebook.locate(edit.line), notebook.locate(edit.end_line)
                if start is None or stop is None or start[0] is not cell or stop[0] is not cell:
                    fix = None
                    break
                edits.append(
                    Edit(
                        start[1],
                        cell.column(start[1], edit.column),
                        stop[1],
                        cell.column(stop[1], edit.end_column),
                        edit.text,
                    )
                )
            else:
                fix = Fix(fix.description, tuple(edits))
        out.append(
            replace(
                finding,
                cell=cell.index,
                line=line,
                column=cell.column(line, finding.column),
                end_line=end_line,
                end_column=end_column,
                fix=fix,
            )
        )
    return out


def cell_lines(text: str, cell: int) -> list[str] | None:
    """The source lines of 1-based *cell* (for carets in text output)."""
    try:
        data = json.loads(text)
        source = data["cells"][cell - 1].get("source", "")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    joined = "".join(source) if isinstance(source, list) else str(source)
    return joined.splitlines(keepends=True)


def _indent_of(text: str) -> int | str | None:
    match = re.search(r"\n([ \t]+)\S", text)
    if match is None:
        return None
    return len(match.group(1)) if match.group(1).isspace() and "\t" not in match.group(1) else "\t"


def dump_like(original: str, data: dict[str, Any]) -> str | None:
    """Serialise *data* with the formatting of *original* (indentation, key order, ASCII
    escaping, trailing newline); None when *original* is formatted in a way this cannot
    reproduce, so the caller must not rewrite it."""
    indent = _indent_of(original)
    for ensure_ascii in (False, True):
        again = json.dumps(json.loads(original), indent=indent, ensure_ascii=ensure_ascii)
        if original.endswith("\n"):
            again += "\n"
        if again == original:
            text = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii)
            return text + "\n" if original.endswith("\n") else text
    return None


def set_cell_source(data: dict[str, Any], cell: int, source: str) -> None:
    """Replace 1-based *cell*'s source, in the representation (string or lines) it had."""
    target = data["cells"][cell - 1]
    if isinstance(target.get("source"), list):
        target["source"] = source.splitlines(keepends=True)
    else:
        target["source"] = source
