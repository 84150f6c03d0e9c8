"""IPython itself as the oracle for sm_lint.sources.ipython: what the real shell makes of a cell.

``ipython_code(cell)`` runs the cell through IPython's TransformerManager, and when that is not
Python, through a real ``InteractiveShell.transform_cell`` (which adds the single-line
prefilter, automagic included); for the
cell magics whose body IPython runs as Python (``%%time``, ``%%capture`` ...), through the
shell's transformation of the body, as those magics do. It returns the Python the kernel would
compile, None for a cell whose body is not Python, or FAILED when IPython raises.
"""

from __future__ import annotations

import ast
from typing import Final

import pytest

pytest.importorskip("IPython", reason="the differential tests compare with IPython itself")

from IPython.core.inputtransformer2 import (
    TRANSFORM_LOOP_LIMIT,
    TransformerManager,
)
from IPython.core.interactiveshell import InteractiveShell

from sm_lint.sources.ipython import CellCode, binds_names, parses, transform_cell

__all__ = ["FAILED", "TRANSFORM_LOOP_LIMIT", "compare", "ipython_code", "parses"]

FAILED: Final = "<IPython raised>"
# The magics whose body IPython runs as Python in the user's namespace (read from
# IPython/core/magics/execution.py: time, timeit, prun and debug transform the body with
# shell.transform_cell, capture runs it with shell.run_cell).
PYTHON_BODY = {"time", "timeit", "capture", "prun", "debug"}

_SHELL = InteractiveShell.instance()
_MANAGER = TransformerManager()


def _cell_magic(cell: str) -> tuple[str, str] | None:
    """(magic name, body) when IPython reads *cell* as a cell magic."""
    lines = (cell if cell.endswith("\n") else cell + "\n").splitlines(keepends=True)
    for cleanup in _MANAGER.cleanup_transforms:
        lines = cleanup(lines)
    transformed = _MANAGER.transform_cell(cell)
    if not lines or not lines[0].startswith("%%") or "run_cell_magic(" not in transformed:
        return None
    call = ast.parse(transformed).body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    name, _, body = (ast.literal_eval(arg) for arg in call.value.args)
    return name, body


def _timed(code: str) -> str:
    """*code* with each ``%time statement`` line replaced by its statement when that is Python
    by itself, as ``%time`` runs it (sm-lint keeps such statements to analyse them)."""
    lines = []
    for line in code.splitlines(keepends=True):
        body = line.lstrip()
        if body.startswith("get_ipython().run_line_magic('time', "):
            call = ast.parse(body).body[0]
            assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
            statement = ast.literal_eval(call.value.args[1]).lstrip(" \t")
            if statement.strip() and parses(statement):
                line = line[: len(line) - len(body)] + statement + "\n"
        lines.append(line)
    return "".join(lines)


def ipython_code(cell: str) -> str | None:
    """The Python code IPython compiles for *cell* (see the module docstring)."""
    try:
        magic = _cell_magic(cell)
        if magic is not None:
            name, body = magic
            if name not in PYTHON_BODY:
                return None
            code = ipython_code(body)
            # sm-lint's rule, not IPython's: %%timeit's body runs in a namespace of its own,
            # so a body that binds names is left out (its bindings do not survive it).
            if name == "timeit" and code not in (None, FAILED) and parses(code):
                return None if binds_names(code) else code
            return code
        static = _MANAGER.transform_cell(cell)
        # A single-line cell such as ``timeit(ds)`` is Python when the notebook bound the name
        # (the magic is shadowed; sm-lint assumes so). The fresh shell here has bound nothing,
        # so its prefilter is asked only about lines that are not Python.
        return _timed(static if parses(static) else str(_SHELL.transform_cell(cell)))
    except Exception:
        return FAILED


def code_lines(code: str) -> list[str]:
    """The lines that carry code: blank lines and cell-magic headers left out (sm-lint keeps
    the lines IPython drops as empty lines, and puts a placeholder on a ``%%time`` line)."""
    return [
        line
        for line in code.splitlines()
        if line.strip() and "get_ipython().run_cell_magic(" not in line
    ]


def compare(cell: str) -> tuple[bool, str]:
    """Whether sm-lint and IPython agree on *cell*; a message saying how when they do not.

    They agree when both leave it out (not Python), or both parse it or both do not, and when
    it parses, sm-lint's code lines are IPython's."""
    mine: CellCode = transform_cell(cell)
    theirs = ipython_code(cell)
    if mine.python is None or theirs is None:
        same = mine.python is None and theirs is None
        return same, f"not Python: sm-lint {mine.python is None}, IPython {theirs is None}"
    mine_parses = parses(mine.python)
    theirs_parses = theirs is not FAILED and parses(theirs)
    if mine_parses != theirs_parses:
        return False, f"parses: sm-lint {mine_parses}, IPython {theirs_parses}\n{theirs!r}"
    if mine_parses and code_lines(mine.python) != code_lines(theirs):
        return False, f"code differs:\n{mine.python!r}\n{theirs!r}"
    return True, ""
