"""Source positions of libcst nodes, computed the way libcst's PositionProvider does, but
as plain character offsets during code generation, converted to (line, column) only for
the nodes asked for.

libcst's PositionProvider builds a CodeRange for every node while tracking line and column
on every token; on a 140-line file that measured 63 ms, against 4.5 ms for code generation
alone. The analysis needs the positions of a few dozen nodes, mostly in a few top-level
statements: with the module's source text at hand, only the top-level statements holding
an asked-for node are generated, each alone (a top-level statement's code does not depend
on what precedes it), and moved down to the line where CPython's parser (C speed) says the
statement starts.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass
class _OffsetState(CodegenState):
    offset: int = 0
    spans: dict[cst.CSTNode, tuple[int, int]] = field(default_factory=dict)
    stack: list[int] = field(default_factory=list)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.tokens.append(token)
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        if self.tokens:
            self.offset -= len(self.tokens.pop())

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.stack.pop()
        if node not in self.spans:  # a syntactic position, recorded already, wins
            self.spans[node] = (start, self.offset)

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _Syntactic:
        # A plain context manager object: cheaper than contextlib's generator, and called
        # for most nodes.
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """Records a node's syntactic span (libcst's ``record_syntactic_position``)."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(
        self,
        state: _OffsetState,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, *exc_info: object) -> None:
        spans = self.state.spans
        start = self.start if self.start_node is None else spans[self.start_node][0]
        end = self.state.offset if self.end_node is None else spans[self.end_node][1]
        spans[self.node] = (start, end)


class Positions:
    """``positions.of(node)`` -> (line, column, end_line, end_column), libcst's convention:
    1-based lines, 0-based columns, end exclusive."""

    def __init__(
        self,
        module: cst.Module,
        source: str | None = None,
        tree: ast.Module | None = None,
        skipped: frozenset[int] = frozenset(),
        program: str | None = None,
    ) -> None:
        """Positions of *module*; with *source*, the text libcst parsed it from, they are
        computed on demand: the innermost statement the caller names (else the node's
        top-level statement) is generated alone when a position in it is first asked for
        (the same positions as generating the whole module, which is what happens without
        *source*). *tree*: CPython's tree of *source*, when the caller has it; otherwise
        *source* is parsed again when needed. *skipped*: the lines of the definitions
        whose bodies *source* leaves out (analysis/skeleton.py), when *tree* is of the
        whole *program*."""
        self._module = module
        self._spans: dict[cst.CSTNode, tuple[int, int]] = {}
        self._parts: Sequence[tuple[int, Positions]] = ()
        self._aliases: Mapping[cst.CSTNode, cst.CSTNode] = {}
        self._last = 0
        #: The module's code, as libcst generates it (the source, in lazy mode).
        self.code = source if source is not None else ""
        self._starts: list[int] = []
        # Lazy positions: each top-level statement's first line (from CPython's parser),
        # the spans of the statements generated so far, and which top-level statement each
        # statement node belongs to.
        self._source = source
        self._lines: list[int] | None = None
        #: CPython's tree of the source, when the caller had it (also read by the analysis).
        self.tree = tree
        self._skipped = skipped
        #: The whole program's text (empty when positions are not computed on demand), and
        #: *tree* is its tree; the analysis reads both for what holds module-wide.
        self.program = program if program is not None else (source or "")
        self._nested: dict[cst.CSTNode, _Nested] | None = None
        self._placed: dict[cst.CSTNode, tuple[int, int, _Placed]] = {}
        self._generated: set[int] = set()
        self._generated_nested: set[cst.CSTNode] = set()
        self._owners: dict[cst.CSTNode, int] | None = None
        self._complete = False
        if source is None or source.startswith("\ufeff"):
            self._generate_all()  # libcst leaves a BOM out of the module's code

    @classmethod
    def joined(
        cls, parts: Sequence[tuple[int, Positions]], aliases: Mapping[cst.CSTNode, cst.CSTNode]
    ) -> Positions:
        """Positions of a module put together from separately parsed pieces: each part's
        positions moved down by its line offset; an alias (a node rebuilt with other
        leading lines, which libcst leaves out of a statement's position) answers with the
        position of the node it stands for."""
        joined = cls(cst.Module(body=()))
        joined._parts = parts
        joined._aliases = aliases
        return joined

    def source(self, node: cst.CSTNode) -> str:
        """The code of *node* as libcst generates it, from its syntactic start (a
        statement's leading lines and a def's decorators excluded) to its end."""
        if not self._parts:
            if not self._complete:
                self._generate_all()  # the module's code, as without a source
            start, end = self._spans[node]
            return self.code[start:end]
        node = self._aliases.get(node, node)
        for _, part in self._parts:
            if node in part._spans:
                return part.source(node)
        raise KeyError(node)

    def _generate_all(self) -> None:
        """Every node's span, from one code generation of the whole module."""
        module = self._module
        state = _OffsetState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        module._codegen(state)
        code = "".join(state.tokens)
        #: The module's code, as libcst generates it.
        self.code = code
        self._spans = state.spans
        # Line breaks as libcst counts them: \r\n, \r or \n.
        self._starts = [0, *(m.end() for m in _NEWLINE.finditer(code))]
        self._complete = True

    def _point(self, offset: int) -> tuple[int, int]:
        if not self._starts:
            self._starts = [0, *(m.end() for m in _NEWLINE.finditer(self.code))]
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1]

    def of(self, node: cst.CSTNode, near: cst.CSTNode | None = None) -> tuple[int, int, int, int]:
        """The position of *node*; *near*, a statement that holds it (at any depth), spares
        lazy positions a search (any statement, or None, gives the same answer)."""
        if not self._parts:
            span = self._spans.get(node)
            if span is None and not self._complete:
                placed = self._placed.get(node) or self._place_for(node, near)
                if placed is not None:
                    start, end, where = placed
                    return (*where.point(start), *where.point(end))
                span = self._spans.get(node)
            if span is None:
                raise KeyError(node)
            start, end = span
            return (*self._point(start), *self._point(end))
        node = self._aliases.get(node, node)
        # The interpreter asks in source order, mostly: search from the part answered last.
        count = len(self._parts)
        for step in range(count):
            index = (self._last + step) % count
            lines, part = self._parts[index]
            if node in part._spans:
                self._last = index
                line, column, end_line, end_column = part.of(node)
                return line + lines, column, end_line + lines, end_column
        raise KeyError(node)

    # ------------------------------------------------------------------ lazy positions
    def _place_for(
        self, node: cst.CSTNode, near: cst.CSTNode | None
    ) -> tuple[int, int, _Placed] | None:
        if near is not None:
            nested = self._nested_statement(near)
            if nested is not None and near not in self._generated_nested:
                self._generated_nested.add(near)
                self._place_nested(near, nested)
                found = self._placed.get(node)
                if found is not None:
                    return found
        index = self._owner(near) if near is not None else None
        if index is not None and index not in self._generated:
            self._generated.add(index)
            if self._place(index):
                found = self._placed.get(node)
                if found is not None:
                    return found
        # Not in the statement named, or its line is not known: the whole module, as
        # without a source.
        self._generate_all()
        return None

    def _place(self, index: int) -> bool:
        """Add the spans of top-level statement *index*, generated alone and moved down to
        its line; False when the statements' lines are not known."""
        lines = self._statement_lines()
        if lines is None:
            return False
        module = self._module
        statement = module.body[index]
        state = _OffsetState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        statement._codegen(state)
        tokens = state.tokens
        if index == len(module.body) - 1 and not module.footer and not module.has_trailing_newline:
            tokens = tokens[:-1]  # the module drops the file's missing last line break
        code = "".join(tokens)
        starts = [0, *(m.end() for m in _NEWLINE.finditer(code))]
        # The statement's own first line (after its leading blank and comment lines and
        # decorators) is the line CPython gives it.
        first = bisect.bisect_right(starts, state.spans[statement][0])
        where = _Placed(starts, lines[index] - first)
        placed = self._placed
        for key, (start, end) in state.spans.items():
            placed.setdefault(key, (start, end, where))
        return True

    def _place_nested(self, statement: cst.CSTNode, nested: _Nested) -> None:
        """Add the spans of *statement*, a statement inside a block, generated alone at its
        block's indentation and moved down to its line."""
        module = self._module
        state = _OffsetState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        state.indent_tokens = list(nested.indent)
        if nested.elif_clause:
            statement._codegen(state, is_elif=True)
        else:
            statement._codegen(state)
        starts = [0, *(m.end() for m in _NEWLINE.finditer("".join(state.tokens)))]
        first = bisect.bisect_right(starts, state.spans[statement][0])
        where = _Placed(starts, nested.line - first)
        placed = self._placed
        for key, (start, end) in state.spans.items():
            placed.setdefault(key, (start, end, where))

    def _nested_statement(self, statement: cst.CSTNode) -> _Nested | None:
        """Where *statement* lies when it is inside a block (None: a top-level statement,
        a clause, or lines CPython's tree cannot tell)."""
        if self._nested is None:
            self._nested = {}
            tree = self._cpython_tree()
            if tree is not None and self._statement_lines() is not None:
                self._nested = _nested_statements(self._module, tree, self._skipped)
        return self._nested.get(statement)

    def _cpython_tree(self) -> ast.Module | None:
        if self.tree is None:
            self.tree = _parse(self._source or "")
        return self.tree

    def _statement_lines(self) -> list[int] | None:
        """The line of each top-level statement's first token (a ``def``, not its
        decorators), from CPython's parser; None where it cannot tell."""
        if self._lines is None:
            tree = self._cpython_tree()
            known = None if tree is None else [s.lineno for s in tree.body]
            self._lines = _first_lines(self._module, known) or []
        return self._lines or None

    def _owner(self, statement: cst.CSTNode) -> int | None:
        """The index of the top-level statement that holds *statement*."""
        if self._owners is None:
            owners: dict[cst.CSTNode, int] = {}
            for index, top in enumerate(self._module.body):
                _own(top, index, owners)
            self._owners = owners
        found = self._owners.get(statement)
        if found is None and isinstance(statement, cst.SimpleStatementLine) and statement.body:
            # A suite's small statements, wrapped in a line of their own by the caller.
            found = self._owners.get(statement.body[0])
        return found


class _Placed:
    """Where one top-level statement, generated alone, lies in the module."""

    __slots__ = ("shift", "starts")

    def __init__(self, starts: list[int], shift: int) -> None:
        #: Offsets at which the statement's lines start, in its own code.
        self.starts = starts
        #: Lines above the statement in the module.
        self.shift = shift

    def point(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line + self.shift, offset - self.starts[line - 1]


def _first_lines(module: cst.Module, body: Sequence[int] | None) -> list[int] | None:
    """Each top-level statement's first line, from *body*, the lines of the statements of
    CPython's tree of the module (each libcst line of simple statements holds as many of
    CPython's statements as it has parts)."""
    if body is None:
        return None
    lines, index = [], 0
    for statement in module.body:
        if index >= len(body):
            return None
        lines.append(body[index])
        index += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
    return lines if index == len(body) else None


def _parse(source: str) -> ast.Module | None:
    """CPython's tree of *source*; None if it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(
                source,
                "<positions>",
                "exec",
                flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
            )
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    assert isinstance(tree, ast.Module)
    return tree


@dataclass(frozen=True)
class _Nested:
    """A statement inside a block: its first line (CPython's), the indentation its block
    generates it with, and whether it is an ``elif`` clause."""

    line: int
    indent: tuple[str, ...]
    elif_clause: bool = False


def _nested_statements(
    module: cst.Module, tree: ast.Module, skipped: frozenset[int] = frozenset()
) -> dict[cst.CSTNode, _Nested]:
    """Each statement inside a block of *module*, matched with CPython's *tree* of the same
    source; empty where the two do not match statement for statement. A file that ends
    without a line break is left to the top-level placement (the module drops that break
    from the last statement's code). *skipped*: the lines of the top-level definitions
    whose bodies the module leaves out (not matched)."""
    out: dict[cst.CSTNode, _Nested] = {}
    body = list(module.body)
    last = len(body) - 1 if not module.footer and not module.has_trailing_newline else None
    if last is not None:
        body = body[:last]
    if not _match_block(body, tree.body, (), module.default_indent, out, top=True, skipped=skipped):
        return {}
    return out


def _match_block(
    body: Sequence[cst.CSTNode],
    statements: Sequence[ast.stmt],
    indent: tuple[str, ...],
    default: str,
    out: dict[cst.CSTNode, _Nested],
    top: bool = False,
    skipped: frozenset[int] = frozenset(),
) -> bool:
    """Match libcst's *body* with CPython's *statements*, statement for statement (a line
    of simple statements holds as many of CPython's as it has parts); False on a mismatch.
    *top*: the module's body, whose statements are placed as top-level ones and may stop
    short of CPython's (its last statement left out); the bodies of the definitions at the
    *skipped* lines are not matched."""
    index = 0
    for statement in body:
        if index >= len(statements):
            return False
        python = statements[index]
        if not top:
            out[statement] = _Nested(python.lineno, indent)
        if isinstance(statement, cst.SimpleStatementLine):
            index += len(statement.body)
            continue
        if python.lineno in skipped and top:
            index += 1
            continue
        if not _match_compound(statement, python, indent, default, out):
            return False
        index += 1
    return top or index == len(statements)


def _match_suite(
    suite: cst.BaseSuite,
    statements: Sequence[ast.stmt],
    indent: tuple[str, ...],
    default: str,
    out: dict[cst.CSTNode, _Nested],
) -> bool:
    if isinstance(suite, cst.IndentedBlock):
        inner = (*indent, default if suite.indent is None else suite.indent)
        return _match_block(suite.body, statements, inner, default, out)
    # Statements on the header's line: placed with their compound statement.
    return isinstance(suite, cst.SimpleStatementSuite)


def _match_compound(
    statement: cst.CSTNode,
    python: ast.stmt,
    indent: tuple[str, ...],
    default: str,
    out: dict[cst.CSTNode, _Nested],
) -> bool:
    """Match the blocks of compound *statement* with those of CPython's *python*."""
    pairs: list[tuple[cst.BaseSuite, Sequence[ast.stmt]]] = []
    if isinstance(statement, cst.If) and isinstance(python, ast.If):
        return _match_if(statement, python, indent, default, out)
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef, cst.With)):
        if not isinstance(python, _SAME[type(statement)]):
            return False
        pairs.append((statement.body, python.body))  # type: ignore[attr-defined]
    elif isinstance(statement, (cst.For, cst.While)) and isinstance(
        python, (ast.For, ast.AsyncFor, ast.While)
    ):
        pairs.append((statement.body, python.body))
        if not _orelse(statement.orelse, python.orelse, pairs):
            return False
    elif isinstance(statement, (cst.Try, cst.TryStar)) and isinstance(python, _TRIES):
        python_try: Any = python  # ast.Try, or ast.TryStar (Python 3.11+)
        if not _match_try(statement, python_try, pairs):
            return False
    elif isinstance(statement, cst.Match) and isinstance(python, ast.Match):
        if len(statement.cases) != len(python.cases):
            return False
        pairs += [(c.body, p.body) for c, p in zip(statement.cases, python.cases, strict=True)]
    else:
        return False
    return all(_match_suite(suite, body, indent, default, out) for suite, body in pairs)


#: CPython's statements that match libcst's.
_SAME: dict[type, tuple[type, ...]] = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,),
    cst.With: (ast.With, ast.AsyncWith),
}
_TRIES: tuple[type, ...] = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


def _match_try(
    statement: cst.Try | cst.TryStar,
    python: Any,
    pairs: list[tuple[cst.BaseSuite, Sequence[ast.stmt]]],
) -> bool:
    if len(statement.handlers) != len(python.handlers):
        return False
    pairs.append((statement.body, python.body))
    handlers: Sequence[Any] = statement.handlers  # ExceptHandler or ExceptStarHandler
    pairs += [(h.body, p.body) for h, p in zip(handlers, python.handlers, strict=True)]
    if not _orelse(statement.orelse, python.orelse, pairs):
        return False
    if (statement.finalbody is None) != (not python.finalbody):
        return False
    if statement.finalbody is not None:
        pairs.append((statement.finalbody.body, python.finalbody))
    return True


def _orelse(
    orelse: cst.Else | None,
    python: Sequence[ast.stmt],
    pairs: list[tuple[cst.BaseSuite, Sequence[ast.stmt]]],
) -> bool:
    if orelse is None:
        return not python
    pairs.append((orelse.body, python))
    return True


def _match_if(
    statement: cst.If,
    python: ast.If,
    indent: tuple[str, ...],
    default: str,
    out: dict[cst.CSTNode, _Nested],
) -> bool:
    if not _match_suite(statement.body, python.body, indent, default, out):
        return False
    orelse = statement.orelse
    if isinstance(orelse, cst.If):  # ``elif``: CPython's ``else`` holding one ``if``
        if len(python.orelse) != 1 or not isinstance(python.orelse[0], ast.If):
            return False
        out[orelse] = _Nested(python.orelse[0].lineno, indent, elif_clause=True)
        return _match_if(orelse, python.orelse[0], indent, default, out)
    if orelse is None:
        return not python.orelse
    return _match_suite(orelse.body, python.orelse, indent, default, out)


def _own(node: cst.CSTNode, index: int, owners: dict[cst.CSTNode, int]) -> None:
    """Map *node* and every statement (and clause) inside it to *index*."""
    stack = [node]
    while stack:
        current = stack.pop()
        owners[current] = index
        if isinstance(current, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in current.body:
                owners[small] = index
            continue
        for name in ("body", "orelse", "finalbody"):
            part = getattr(current, name, None)
            if isinstance(part, cst.IndentedBlock):
                stack.extend(part.body)
            elif isinstance(part, cst.CSTNode):
                stack.append(part)
        for name in ("handlers", "cases"):
            stack.extend(getattr(current, name, ()) or ())
