"""Incremental parsing of one document that changes edit by edit (the language server).

The document is kept as *chunks*: runs of whole lines that each start at a top-level
statement (the first chunk at line 1) and run up to the next one, so a chunk holds its
statement and the blank and comment lines after it. Each chunk is parsed alone by libcst,
with the whole document's default indentation and newline, and its positions are computed
once. On a new text, the chunks that still match at the start and at the end are kept as
they are (same nodes, same positions shifted by whole lines); only the text between them
is parsed again. The module handed to the interpreter is put together from the chunks'
statements and is the tree ``libcst.parse_module`` builds for the whole text: the blank
and comment lines at a chunk's end, which libcst puts in a lone chunk's footer, become the
next statement's leading lines, where libcst puts them in the whole module.

Anything this cannot show equal to a full parse (a syntax error, a ``__future__`` import
or a module-level ``global`` after the edit, carriage returns, form feeds, a BOM, a chunk
libcst parses otherwise alone) returns None and the caller parses the whole text.
"""

from __future__ import annotations

import ast
import itertools
import re
import warnings
from dataclasses import dataclass
from typing import Any

import libcst as cst

from sm_lint.analysis.positions import Positions
from sm_lint.analysis.reuse import FunctionReuse
from sm_lint.sources.complexity import tree_too_complex

# A region may start only where a statement starts at column 0 (not a blank, indented or
# comment line, whose place in the tree depends on what precedes it).
_STATEMENT_START = re.compile(r"[^\s#\\]")
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


@dataclass(frozen=True)
class _Config:
    default_indent: str
    future_imports: frozenset[str]


@dataclass(frozen=True)
class Chunk:
    """Whole lines of the document from one top-level statement to the next, parsed alone."""

    text: str
    lines: int
    module: cst.Module
    positions: Positions
    #: A ``global``/``nonlocal`` statement at module level (checked against the whole text).
    module_global: bool


#: A chunk's first statement as put in the module: the chunk, the statement with the
#: previous chunk's footer lines as its leading lines, the chunk those lines come from, the
#: previous chunk they were last found equal to, and their nodes paired with its nodes.
_Placed = tuple["Chunk", _Statement, "Chunk", "Chunk", tuple[tuple[cst.CSTNode, cst.CSTNode], ...]]


class IncrementalParser:
    """Parses successive texts of one document, re-parsing only what changed."""

    def __init__(self) -> None:
        self._config: _Config | None = None
        self._chunks: list[Chunk] = []
        # The statement put in the module for a chunk, by chunk: a new node only when the
        # blank and comment lines before it changed (the function analyses kept between
        # edits are found by node: an edited statement does not lose the next one's).
        self._placed: dict[int, _Placed] = {}
        #: How many chunks the last call parsed (0: all reused; tests and benchmarks read it).
        self.parsed_chunks = 0
        #: The function analyses of the previous text, for the interpreter to reuse.
        self.reuse = FunctionReuse()

    def parse(self, text: str) -> tuple[cst.Module, Positions] | None:
        """The module libcst parses from *text* and the positions of its nodes, or None
        when the caller must parse the whole text itself (it does not compile, or this
        cannot show the result equal)."""
        # libcst drops a blank line before a form feed at the end of a text (so at a lone
        # chunk's end, unlike in the whole module): such texts are parsed whole.
        if "\r" in text or "\f" in text or text.startswith("\ufeff") or "\0" in text:
            return None
        try:
            config = _detect(text)
            chunks = None
            if config == self._config and self._chunks:
                chunks = self._reparse_region(text)
            if chunks is None:
                chunks = self._split(text, config)
        except (cst.ParserSyntaxError, SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        if chunks is None:
            return None
        if config != self._config:
            self._placed = {}
        self._config = config
        self._chunks = chunks
        return self._assemble(chunks, config)

    # ----------------------------------------------------------------- parsing
    def _reparse_region(self, text: str) -> list[Chunk] | None:
        old = self._chunks
        start, offset = 0, 0
        while start < len(old) and text.startswith(old[start].text, offset):
            piece = old[start].text
            if not piece.endswith("\n") and offset + len(piece) != len(text):
                break  # a last line without its line break, continued by the edit
            offset += len(piece)
            start += 1
        end, tail = len(old), len(text)
        # The first chunk may hold the file's header lines: it stays first or is parsed again.
        while end > max(start, 1) and tail - len(old[end - 1].text) >= offset:
            piece = old[end - 1].text
            begin = tail - len(piece)
            if not text.endswith(piece, 0, tail) or (begin and text[begin - 1] != "\n"):
                break
            tail = begin
            end -= 1
        if start == len(old) and offset == len(text):
            self.parsed_chunks = 0
            return list(old)
        # The region must begin at a statement at column 0, or at the top of the file.
        while start > 0 and not _STATEMENT_START.match(text, offset):
            start -= 1
            offset -= len(old[start].text)
        if "__future__" in text[offset:]:
            return None  # where a __future__ import may stand depends on what precedes it
        config = self._config_or_fail()
        new = _chunks(text[offset:tail], config) if tail > offset else []
        if new is None and end < len(old):
            # Only blank or comment lines changed at the top: take the next statement in.
            tail += len(old[end].text)
            end += 1
            new = _chunks(text[offset:tail], config)
        if new is None or (not new and start == 0 and end == len(old)):
            return None
        if any(c.module_global for c in new) or any(c.module_global for c in old[end:]):
            return None
        self.parsed_chunks = len(new)
        return [*old[:start], *new, *old[end:]]

    def _config_or_fail(self) -> _Config:
        assert self._config is not None
        return self._config

    def _split(self, text: str, config: _Config) -> list[Chunk] | None:
        # The whole text must compile (the errors Python reports after parsing, too).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<document>", "exec", flags=_FLAGS, dont_inherit=True)
        reusable: dict[str, list[Chunk]] = {}
        for chunk in self._chunks if config == self._config else []:
            reusable.setdefault(chunk.text, []).append(chunk)
        chunks = _chunks(text, config, reusable, check=False)
        if chunks is not None:
            self.parsed_chunks = sum(1 for c in chunks if c not in self._chunks)
        return chunks

    # -------------------------------------------------------------- assembling
    def _assemble(self, chunks: list[Chunk], config: _Config) -> tuple[cst.Module, Positions]:
        body: list[_Statement] = []
        placed: dict[int, _Placed] = {}
        aliases: dict[cst.CSTNode, cst.CSTNode] = {}
        current = {id(chunk) for chunk in chunks}
        parts: list[tuple[int, Positions]] = []
        line = 0
        previous: Chunk | None = None
        for chunk in chunks:
            statements = list(chunk.module.body)
            if previous is not None and previous.module.footer and statements:
                statements[0] = self._place(
                    chunk, statements[0], previous, current, placed, aliases
                )
            body.extend(statements)
            parts.append((line, chunk.positions))
            line += chunk.lines
            previous = chunk
        self._placed = placed
        first, last = chunks[0].module, chunks[-1].module
        module = cst.Module(
            body=body,
            header=first.header,
            footer=last.footer,
            encoding=first.encoding,
            default_indent=config.default_indent,
            default_newline="\n",
            has_trailing_newline=last.has_trailing_newline,
        )
        return module, Positions.joined(parts, aliases)

    def _place(
        self,
        chunk: Chunk,
        own: _Statement,
        previous: Chunk,
        current: set[int],
        placed: dict[int, _Placed],
        aliases: dict[cst.CSTNode, cst.CSTNode],
    ) -> _Statement:
        """*chunk*'s first statement with *previous*'s footer as its leading lines (where
        libcst puts them in the whole module); the node of the previous text when those
        lines are equal, its old lines answering for the new ones' positions (unless the
        chunk they come from is still in the text, where they answer for themselves)."""
        footer = previous.module.footer
        found = self._placed.get(id(chunk))
        if (
            found is None
            or found[0] is not chunk
            or (found[2] is not previous and id(found[2]) in current)
        ):
            found = None
        elif found[3] is not previous:  # equal lines are paired once, not on every edit
            lines = found[1].leading_lines
            kept = lines[: len(lines) - len(own.leading_lines)]
            if len(kept) == len(footer) and all(
                a is b or a.deep_equals(b) for a, b in zip(kept, footer, strict=True)
            ):
                pairs = [
                    p for a, b in zip(kept, footer, strict=True) if a is not b for p in _pairs(a, b)
                ]
                found = (*found[:3], previous, tuple(pairs))
            else:
                found = None
        if found is None:
            moved = own.with_changes(leading_lines=[*footer, *own.leading_lines])
            found = (chunk, moved, previous, previous, ())
        placed[id(chunk)] = found
        aliases[found[1]] = own
        aliases.update(found[4])
        return found[1]


def _pairs(a: cst.CSTNode, b: cst.CSTNode) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
    """The nodes of two equal trees, pairwise."""
    out = [(a, b)]
    for x, y in zip(a.children, b.children, strict=True):
        out.extend(_pairs(x, y))
    return out


def _detect(text: str) -> _Config:
    """What libcst infers from the whole text and applies to every statement."""
    from libcst._parser.detect_config import detect_config

    detected: Any = detect_config(
        text,
        partial=cst.PartialParserConfig(),
        detect_trailing_newline=True,
        detect_default_newline=True,
    ).config
    return _Config(detected.default_indent, detected.future_imports)


def _chunks(
    text: str,
    config: _Config,
    reusable: dict[str, list[Chunk]] | None = None,
    check: bool = True,
) -> list[Chunk] | None:
    """*text* (whole lines) cut at its top-level statements and parsed chunk by chunk;
    None when it has no statement. With *check*, *text* is compiled first (SyntaxError
    propagates)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = compile(
            text, "<document>", "exec", flags=_FLAGS | ast.PyCF_ONLY_AST, dont_inherit=True
        )
        if check:
            compile(tree, "<document>", "exec", flags=_FLAGS, dont_inherit=True)
    assert isinstance(tree, ast.Module)
    if not tree.body:
        return None
    if tree_too_complex(tree) is not None:
        # What would crash or stall libcst: the whole text goes to the caller's gate.
        raise ValueError("too complex to analyse")
    starts = [1]
    end = tree.body[0].end_lineno or 0
    for statement in tree.body[1:]:
        first = min([statement.lineno, *(d.lineno for d in _decorators(statement))])
        if first > end:
            starts.append(first)
        end = max(end, statement.end_lineno or 0)
    line_offsets = [0, *(m.end() for m in re.finditer("\n", text))]
    bounds = [line_offsets[s - 1] for s in starts] + [len(text)]
    out = []
    parser_config = cst.PartialParserConfig(
        default_indent=config.default_indent,
        default_newline="\n",
        future_imports=config.future_imports,
    )
    groups = _group(tree.body, starts)
    for (a, b), statements in zip(itertools.pairwise(bounds), groups, strict=True):
        piece = text[a:b]
        pool = reusable.get(piece) if reusable is not None else None
        if pool:
            out.append(pool.pop())
            continue
        module = cst.parse_module(piece, parser_config)
        positions = Positions(module)
        simple = all(isinstance(s, cst.SimpleStatementLine) for s in module.body)
        if module.default_indent != config.default_indent and not simple:
            # libcst takes a block's default indentation from the text it parses, not from
            # the configuration: a chunk whose first block is indented otherwise than the
            # document's first block would get another tree alone than in the document.
            raise ValueError("a chunk indented otherwise than the document")
        if positions.code != piece:
            # libcst loses a line of some whitespace-only endings when they end the text it
            # parses, though not inside a longer text: such a chunk cannot be parsed alone.
            raise ValueError("a chunk libcst does not reproduce")
        chunk = Chunk(
            piece, piece.count("\n"), module, positions, any(map(_module_global, statements))
        )
        out.append(chunk)
    return out


def _group(body: list[ast.stmt], starts: list[int]) -> list[list[ast.stmt]]:
    groups: list[list[ast.stmt]] = [[] for _ in starts]
    index = 0
    for statement in body:
        while index + 1 < len(starts) and statement.lineno >= starts[index + 1]:
            index += 1
        groups[index].append(statement)
    return groups


def _decorators(statement: ast.stmt) -> list[ast.expr]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return statement.decorator_list
    return []


def _module_global(node: ast.AST) -> bool:
    """A ``global`` or ``nonlocal`` statement in module scope (not inside a def or class)."""
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return True
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
        return False
    return any(_module_global(child) for child in ast.iter_child_nodes(node))
