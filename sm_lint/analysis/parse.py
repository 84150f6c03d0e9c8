"""From a program's text to its facts, or to the SM900 finding that says why not."""

from __future__ import annotations

import ast
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import CodeType
from typing import TYPE_CHECKING, Any

from sm_lint.analysis.facts import FileFacts
from sm_lint.analysis.skeleton import skeleton as skeleton_of
from sm_lint.diagnostics import Diagnostic, Severity
from sm_lint.sources.complexity import TooComplex, measured_tree
from sm_lint.sources.document import syntax_problem
from sm_lint.sources.precheck import wanted_names

if TYPE_CHECKING:  # the parser imports libcst, which a run served from the cache never needs
    from sm_lint.analysis.incremental import IncrementalParser

_RECURSION_LIMIT = 20_000


def parse_program(
    name: str,
    program: str,
    parser: IncrementalParser | None = None,
    compiles: bool = False,
    code: CodeType | None = None,
) -> FileFacts | Diagnostic:
    """The facts of *program* (a document's program text), or the SM900 finding on it.
    *parser* keeps an open document's parse from its previous text and parses again only
    what changed (the result is the same). *compiles*: Python is known to compile
    *program* (the pre-check did), so it is not compiled again to look for an error;
    *code*: what it compiled *program* to, when the caller has it."""
    # libcst nests a long flat chain (600 string literals, a 600-term sum) one level per
    # operand; its pure-Python visitors need more than the default recursion limit. What
    # would crash or stall libcst's parser is refused before it (complexity.py).
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        return _parse_checked(name, program, parser, compiles, code)
    finally:
        sys.setrecursionlimit(limit)


def _sm900(name: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(name, line, column, line, column + 1, "SM900", Severity.ERROR, message)


def _parse_checked(
    name: str,
    program: str,
    parser: IncrementalParser | None = None,
    compiles: bool = False,
    code: CodeType | None = None,
) -> FileFacts | Diagnostic:
    import libcst as cst  # imported here: a run served from the cache never needs it

    from sm_lint.analysis.interpreter import analyze_module
    from sm_lint.analysis.positions import Positions

    # An open document's edit: the parser gates what it parses again (each changed region;
    # the whole text the first time), so an edit costs no parse of the whole text here.
    kept = parser.parse(program) if parser is not None else None
    if parser is not None and kept is not None:  # None: the whole text is parsed below
        try:
            path = None if name == "<string>" else name
            return analyze_module(kept[0], path, kept[1], parser.reuse)
        except RecursionError:
            return _sm900(name, "cannot analyse: expressions are nested too deeply")
    measured = measured_tree(program, name)  # CPython's parser, with its own recursion limit
    if isinstance(measured, TooComplex):
        line = measured.line
        return Diagnostic(name, line, 1, line, 2, "SM900", Severity.WARNING, measured.message)
    # CPython's own parser first: it rejects what Python would (a repeated keyword argument,
    # nesting deep enough to crash libcst's native parser) with Python's own message.
    problem = None if compiles else syntax_problem(program, name)
    if problem is not None:
        line, column, message = problem
        return _sm900(name, message, line, column)
    # Only what can change the facts is parsed: bodies of definitions that cannot are left
    # out (their lines kept blank).
    skeleton = None
    if measured is not None:
        from sm_lint.analysis.library import hooks

        wanted = wanted_names(program.encode()) | hooks().fact_names
        path = None if name == "<string>" else name
        skeleton = skeleton_of(program, measured, wanted, path, code)
    text = program if skeleton is None else skeleton.program
    try:
        with _unvalidated_nodes():  # Python compiled the text: its nodes are valid
            module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        return _syntax_error(name, program, error)
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as error:
        return _sm900(name, f"cannot read the file as Python source: {error}")
    except RecursionError:
        return _sm900(name, "cannot analyse: expressions are nested too deeply")
    # Positions on demand: only the statements holding an asked-for node are generated.
    skipped = frozenset() if skeleton is None else skeleton.skipped
    positions = Positions(module, text, measured, skipped, program)
    try:
        return analyze_module(module, None if name == "<string>" else name, positions)
    except RecursionError:
        return _sm900(name, "cannot analyse: expressions are nested too deeply")


_VALIDATION = threading.Lock()


@contextmanager
def _unvalidated_nodes() -> Iterator[None]:
    """libcst's nodes skip their validation meanwhile. The parser builds every node
    through its dataclass ``__post_init__``, which validates it: about 30 % of a parse
    (libcst marks it PERF), and redundant on text Python itself compiled. The lock keeps
    two threads (the language server's) from restoring each other's patch."""
    import libcst as cst

    with _VALIDATION:
        validate = cst.CSTNode.__dict__["__post_init__"]
        cst.CSTNode.__post_init__ = _skip  # type: ignore[method-assign]
        try:
            yield
        finally:
            cst.CSTNode.__post_init__ = validate  # type: ignore[method-assign]


def _skip(self: object) -> None:
    return None


def _syntax_error(path: str, source: str, error: Any) -> Diagnostic:
    """SM900 at the place Python itself reports (libcst's parser points a token later)."""
    line, column = error.raw_line, error.raw_column + 1
    message = error.message.strip()
    try:
        compile(source, f"<{path}>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as py_error:
        line, column = py_error.lineno or line, py_error.offset or column
        message = py_error.msg
    except (ValueError, TypeError):
        pass
    return Diagnostic(
        path,
        line,
        column,
        line,
        column + 1,
        "SM900",
        Severity.ERROR,  # SM900's severity (its unit's documentation says so too)
        f"cannot parse: {message}",
    )
