"""One document per source: the program text analysed plus one cell map, built in one place.

A ``.py`` file, an editor buffer, a notebook file (or buffer) and an LSP notebook document
all become a :class:`Document`. The analysis only ever sees ``Document.program``; positions
are moved from the program to where the user sees them (a notebook cell) only at the edges
(reports, ``calls``, LSP publishing, fixes written back), through one pair of functions:
:meth:`Document.to_cell` and :meth:`Document.to_program`.
"""

from __future__ import annotations

import ast
import bisect
import enum
import io
import os
import re
import tokenize
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import CodeType

from sm_lint.diagnostics import Diagnostic, Edit, Fix, Related, Severity
from sm_lint.sources.complexity import code_size, too_big_message
from sm_lint.sources.ipython import transform_cell
from sm_lint.sources.lines import LINE_BREAK, line_count, split_lines
from sm_lint.sources.notebook import BOM, NotebookError, NotPython, parse_notebook
from sm_lint.sources.precheck import Verdict, words_match
from sm_lint.sources.precheck import checked as _checked
from sm_lint.sources.reach import Reach


class SourceKind(str, enum.Enum):
    PYTHON = "python"
    NOTEBOOK = "notebook"


def kind_of(path: str | os.PathLike[str] | None) -> SourceKind:
    """A notebook for ``*.ipynb``, else Python."""
    return SourceKind.NOTEBOOK if os.fspath(path or "").endswith(".ipynb") else SourceKind.PYTHON


@dataclass(frozen=True)
class Cell:
    """Where one code cell sits in the program."""

    #: 1-based index among all cells (markdown and raw included).
    index: int
    #: 1-based program line of the cell's first line.
    first_line: int
    line_count: int
    #: Per line of the cell: characters IPython removed at the line's start (program
    #: column c is cell column c + offset).
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class Location:
    """A 1-based (line, column) where the user sees it: in a file, or in a notebook cell."""

    line: int
    column: int
    cell: int | None = None


@dataclass(frozen=True)
class Document:
    """A source as read: what is analysed, what was read, and how the two line up."""

    #: File path (None: an untitled buffer).
    path: str | None
    kind: SourceKind
    #: The Python program the analysis sees (a notebook's code cells joined).
    program: str
    #: The text as read (a BOM included); the file's bytes decode to it.
    text: str
    data: bytes
    #: Notebooks: the code cells in the program, in order.
    cells: tuple[Cell, ...] = ()
    #: Notebooks: every code cell's own source, as (index, source); cells left out too.
    sources: tuple[tuple[int, str], ...] = ()
    #: Findings from reading itself (SM900: unreadable file, malformed notebook, a cell that
    #: does not parse), already where the user sees them.
    problems: tuple[Diagnostic, ...] = ()
    #: False when there is nothing to analyse (nothing could be read, or the pre-check
    #: found no possible model load).
    analyse: bool = True
    #: Python compiled the file's bytes without error (the pre-check did): the analysis
    #: need not compile the program again to look for a syntax error.
    compiles: bool = False
    #: The code Python compiled the program to, when the pre-check did.
    code: CodeType | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.path if self.path is not None else "<string>"

    # ------------------------------------------------------- the one translation pair
    def to_cell(self, line: int, column: int) -> Location | None:
        """Program (line, column) -> where the user sees it; None outside every cell."""
        if self.kind is SourceKind.PYTHON:
            return Location(line, column)
        i = bisect.bisect_right([c.first_line for c in self.cells], line) - 1
        if i < 0:
            return None
        cell = self.cells[i]
        within = line - cell.first_line + 1
        if within > cell.line_count:
            return None
        return Location(within, column + _at(cell.offsets, within), cell.index)

    def to_program(self, where: Location) -> tuple[int, int] | None:
        """Where the user sees it -> program (line, column); None where no program text is
        (a cell left out, a line past the cell's end). A column inside what IPython removed
        becomes the line's first program column."""
        if self.kind is SourceKind.PYTHON:
            return where.line, where.column
        for cell in self.cells:
            if cell.index == where.cell and 1 <= where.line <= cell.line_count:
                shift = _at(cell.offsets, where.line)
                return cell.first_line + where.line - 1, max(1, where.column - shift)
        return None

    # ------------------------------------------------------------ built on the pair
    def line_place(self, line: int) -> Location:
        """Program *line* where the user sees it (column 1): in a notebook its cell and the
        line within that cell; elsewhere, and outside every cell, the program line (cell
        None). Messages, ``calls``, hover and the language server all name a line so."""
        found = self.to_cell(line, 1)
        return found if found is not None and found.cell is not None else Location(line, 1)

    def place(self, finding: Diagnostic) -> Diagnostic:
        """A finding on the program, moved to where the user sees it (fix edits too; a fix
        that would reach outside the finding's cell is dropped)."""
        if self.kind is SourceKind.PYTHON:
            return finding
        span = self._cell_span(finding.line, finding.column, finding.end_line, finding.end_column)
        if span is None:
            return replace(finding, cell=None)
        start, end = span
        return replace(
            finding,
            cell=start.cell,
            line=start.line,
            column=start.column,
            end_line=end.line,
            end_column=end.column,
            fix=self._place_fix(finding.fix, start.cell),
            related=self._place_related(finding.related),
            message=self._cell_lines_in_message(finding),
        )

    def _cell_span(
        self, line: int, column: int, end_line: int, end_column: int
    ) -> tuple[Location, Location] | None:
        """A program span in its cell; one character where it would run into another."""
        start = self.to_cell(line, column)
        if start is None:
            return None
        end = self.to_cell(end_line, end_column)
        if end is None or end.cell != start.cell:
            end = Location(start.line, start.column + 1, start.cell)
        return start, end

    def _place_related(self, related: tuple[Related, ...]) -> tuple[Related, ...]:
        out = []
        for place in related:
            if place.path is not None:
                out.append(place)  # in another file: its own positions
                continue
            span = self._cell_span(place.line, place.column, place.end_line, place.end_column)
            if span is None:
                out.append(place)
                continue
            start, end = span
            out.append(
                replace(
                    place,
                    line=start.line,
                    column=start.column,
                    end_line=end.line,
                    end_column=end.column,
                    cell=start.cell,
                )
            )
        return tuple(out)

    def _cell_lines_in_message(self, finding: Diagnostic) -> str:
        """A message naming a caller "at line N" of the program names its cell instead."""
        message = finding.message
        for place in finding.related:
            if place.path is not None:
                continue
            where = self.to_cell(place.line, place.column)
            if where is not None:
                message = re.sub(
                    rf"at line {place.line}\b", f"at cell {where.cell} line {where.line}", message
                )
        return message

    def _place_fix(self, fix: Fix | None, cell: int | None) -> Fix | None:
        if fix is None:
            return None
        edits = []
        for edit in fix.edits:
            a = self.to_cell(edit.line, edit.column)
            b = self.to_cell(edit.end_line, edit.end_column)
            if a is None or b is None or a.cell != cell or b.cell != cell:
                return None
            edits.append(Edit(a.line, a.column, b.line, b.column, edit.text))
        return replace(fix, edits=tuple(edits))

    def cell_source(self, cell: int) -> str | None:
        """The own source of 1-based code *cell*."""
        return next((source for index, source in self.sources if index == cell), None)

    def lines(self, cell: int | None = None) -> list[str]:
        """The lines the user sees (of the file, or of *cell*), each with its line break,
        broken where Python breaks them."""
        if cell is None:
            return split_lines(self.text.removeprefix(BOM))
        return split_lines(self.cell_source(cell) or "")


def shown_lines(document: Document, cell: int | None) -> list[str] | None:
    """The lines a report shows a finding of *document* in (its cell's, in a notebook);
    None for a document that could not be read."""
    if document.problems and not document.text:
        return None
    return document.lines(cell)


def line_place(document: Document | None, line: int) -> Location:
    """:meth:`Document.line_place`; without a document, the program line."""
    return document.line_place(line) if document is not None else Location(line, 1)


def line_phrase(document: Document | None, line: int) -> str:
    """Program *line* as a message says where something is: "in cell 2, line 3" in a
    notebook, else "at line 7"."""
    where = line_place(document, line)
    if where.cell is None:
        return f"at line {where.line}"
    return f"in cell {where.cell}, line {where.line}"


def _at(offsets: tuple[int, ...], line: int) -> int:
    return offsets[line - 1] if 0 < line <= len(offsets) else 0


# ------------------------------------------------------------------------ building
_TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def syntax_problem(text: str, name: str) -> tuple[int, int, str] | None:
    """Where and why CPython would refuse *text* as a module ((line, column, message));
    None when it compiles. Top-level ``await`` is allowed: notebooks use it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not sm-lint's to report
            # A full compile: some errors (a repeated keyword argument) come after parsing.
            # Never the file's own name: CPython would re-read a line of that file to place
            # the error, and a notebook's file is JSON, not this text.
            compile(text, f"<{name}>", "exec", flags=_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, f"cannot parse: {error.msg}"
    except (ValueError, MemoryError, RecursionError) as error:
        return 1, 1, f"cannot parse: {type(error).__name__}: {error}"
    return None


def _problem(name: str, message: str, where: Location = Location(1, 1)) -> Diagnostic:
    return Diagnostic(
        name,
        where.line,
        where.column,
        where.line,
        where.column + 1,
        "SM900",
        Severity.ERROR,
        message,
        cell=where.cell,
    )


def from_text(
    text: str, path: str | os.PathLike[str] | None = None, kind: SourceKind | None = None
) -> Document:
    """The document of an editor buffer or of text already read (kind from the path's
    suffix unless given)."""
    return _build(text, text.encode("utf-8", errors="surrogatepass"), path, kind)


def from_bytes(
    data: bytes, path: str | os.PathLike[str] | None = None, kind: SourceKind | None = None
) -> Document:
    """The document of a file's bytes: Python decoded as Python does (coding cookie, BOM);
    notebooks as UTF-8 JSON."""
    name = os.fspath(path) if path is not None else None
    kind = kind or kind_of(path)
    if kind is SourceKind.NOTEBOOK:
        return _build(data.decode("utf-8", errors="replace"), data, path, kind)
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        # The BOM stays in the text (it is the file's); the program goes without it.
        text = data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        text = data.decode("utf-8", errors="replace")
        problem = _problem(name or "<string>", f"cannot read the file as Python source: {error}")
        return Document(name, kind, "", text, data, problems=(problem,), analyse=False)
    return _build(text, data, path, kind)


def _build(
    text: str, data: bytes, path: str | os.PathLike[str] | None, kind: SourceKind | None
) -> Document:
    name = os.fspath(path) if path is not None else None
    kind = kind or kind_of(path)
    if kind is SourceKind.PYTHON:
        return Document(name, kind, text.removeprefix(BOM), text, data)
    try:
        notebook = parse_notebook(text)
    except NotPython:
        return Document(name, kind, "", text, data, analyse=False)  # skipped, quietly
    except NotebookError as error:
        problem = _problem(name or "<string>", f"cannot read the notebook: {error}")
        return Document(name, kind, "", text, data, problems=(problem,), analyse=False)
    # The size limit before any cell is compiled (as for a .py file).
    code = code_size("\n".join(source for _, source in notebook.code_cells).encode())
    if code is not None:
        problem = replace(
            _problem(name or "<string>", too_big_message(code)), severity=Severity.WARNING
        )
        return Document(name, kind, "", text, data, problems=(problem,), analyse=False)
    return replace(from_cells(notebook.code_cells, name), text=text, data=data)


def from_cells(
    cells: Sequence[tuple[int, str]], path: str | os.PathLike[str] | None = None
) -> Document:
    """The document of a notebook's code cells, given as (1-based index among all cells,
    source): each cell as IPython runs it, joined in order into one program. A cell that
    still does not parse gets one SM900 at its own line and is left out; the others are
    analysed as one program."""
    name = os.fspath(path) if path is not None else None
    spans: list[Cell] = []
    chunks: list[str] = []
    problems: list[Diagnostic] = []
    line = 1
    for index, source in cells:
        code = transform_cell(LINE_BREAK.sub("\n", source))
        if code.python is None:
            continue
        python = code.python if code.python.endswith("\n") else code.python + "\n"
        count = python.count("\n")
        offsets = (*code.offsets[:count], *(0,) * (count - len(code.offsets)))
        bad = syntax_problem(python, name or "<string>")
        if bad is not None:
            bad_line = min(max(bad[0], 1), max(line_count(source), 1))
            where = Location(bad_line, bad[1] + _at(offsets, bad_line), index)
            problems.append(_problem(name or "<string>", bad[2], where))
            continue
        if chunks:
            python = _without_future_imports(python)
        spans.append(Cell(index, line, count, offsets))
        chunks.append(python)
        line += count
    text = ""  # a notebook document has no text of its own: from_bytes/_build set it
    return Document(
        name,
        SourceKind.NOTEBOOK,
        "".join(chunks),
        text,
        b"",
        tuple(spans),
        tuple(cells),
        tuple(problems),
        analyse=bool(spans),
    )


def prechecked(document: Document, reach: Reach | None = None) -> Document:
    """*document* (an editor's buffer or notebook) as :func:`read_file` would read the same
    text from disk: when no model load can be in it (the pre-check's byte step finds none of
    the loader table's words) it is not analysed and has no problems, not even a syntax
    error — the command line skips such a file unread, and the editor agrees with it. With
    *reach*, a project module it imports that reaches a model keeps it, as on the command
    line."""
    if document.kind is SourceKind.NOTEBOOK and not document.data:
        # Built from an editor's cells: their text stands for the notebook's JSON strings.
        data = "\n".join(source for _, source in document.sources).encode(errors="replace")
    else:
        data = document.data
    notebook = document.kind is SourceKind.NOTEBOOK
    if words_match(data, notebook=notebook):
        return document
    path = document.path
    if (
        reach is not None
        and path is not None
        and reach.through_imports(path, data, notebook=notebook)
    ):
        return document
    return replace(document, analyse=False, problems=())


def _without_future_imports(code: str) -> str:
    """*code* (a cell that compiles alone) with its ``from __future__`` imports made
    ``pass``, lines and columns kept. IPython compiles each cell on its own, so a later cell
    may open with them; in the one program the cells are joined into, they would no longer
    be at the start. Nothing sm-lint checks depends on a future feature."""
    if "__future__" not in code:
        return code
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return code
    lines = code.split("\n")
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            continue
        if node.end_lineno is None or node.end_col_offset is None:
            continue
        first, last = node.lineno - 1, node.end_lineno - 1
        start, end = node.col_offset, node.end_col_offset
        if first == last:
            text = lines[first]
            lines[first] = text[:start] + "pass".ljust(end - start) + text[end:]
            continue
        # Positions are UTF-8 byte offsets; a __future__ import is ASCII up to its end.
        rest = lines[last][end:]
        lines[first] = lines[first][:start] + "pass" + (" \\" if rest.strip() else "")
        for number in range(first + 1, last):
            lines[number] = "\\" if rest.strip() else ""
        lines[last] = " " * end + rest if rest.strip() else ""
    return "\n".join(lines)


def read_file(
    path: str | os.PathLike[str],
    precheck: bool = True,
    known: Callable[[bytes], bool] | None = None,
    reach: Reach | None = None,
) -> Document:
    """The document of the file at *path*. Never raises: what cannot be read is an SM900
    in ``problems``. With *precheck*, a file that cannot contain a model load is not read
    further (``analyse`` False); *known* says whether the facts of these exact bytes are
    cached already (then the pre-check spares its compile). With *reach*, a file whose own
    code names no loader is still analysed when a project module it imports reaches one."""
    name = os.fspath(path)
    kind = kind_of(name)
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        problem = _problem(name, f"cannot read file: {error.strerror or error}")
        return Document(name, kind, "", "", b"", problems=(problem,), analyse=False)
    if b"\0" in data:
        problem = _problem(name, "cannot parse: the file is binary (it contains NUL bytes)")
        return Document(name, kind, "", "", data, problems=(problem,), analyse=False)
    notebook = kind is SourceKind.NOTEBOOK
    check = (lambda: known(data)) if known is not None and not notebook else None
    verdict, code = (
        _checked(data, notebook=notebook, known=check) if precheck else (Verdict.ANALYSE, None)
    )
    if (
        verdict is Verdict.SKIP
        and reach is not None
        and reach.through_imports(name, data, notebook=notebook)
    ):
        verdict = Verdict.ANALYSE
    if verdict is Verdict.SKIP:
        return Document(name, kind, "", data.decode("utf-8", errors="replace"), data, analyse=False)
    document = from_bytes(data, name, kind)
    if verdict is Verdict.ANALYSE_COMPILED and document.analyse and kind is SourceKind.PYTHON:
        # The program is the bytes decoded as Python decodes them (the BOM left out).
        document = replace(document, compiles=True, code=code)
    return document
