"""Source positions of libcst nodes, computed the way libcst's PositionProvider does, but
as plain character offsets during one code generation pass, converted to (line, column)
only for the nodes asked for.

libcst's PositionProvider builds a CodeRange for every node while tracking line and column
on every token; on a 140-line file that measured 63 ms, against 4.5 ms for code generation
alone. The analysis needs the positions of a few dozen nodes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

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

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = self.offset
        try:
            yield
        finally:
            end = self.offset
            if start_node is not None:
                start = self.spans[start_node][0]
            if end_node is not None:
                end = self.spans[end_node][1]
            self.spans[node] = (start, end)


class Positions:
    """``positions.of(node)`` -> (line, column, end_line, end_column), libcst's convention:
    1-based lines, 0-based columns, end exclusive."""

    def __init__(self, module: cst.Module) -> None:
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
        self._parts: Sequence[tuple[int, Positions]] = ()
        self._aliases: Mapping[cst.CSTNode, cst.CSTNode] = {}
        self._last = 0

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
            start, end = self._spans[node]
            return self.code[start:end]
        node = self._aliases.get(node, node)
        for _, part in self._parts:
            if node in part._spans:
                return part.source(node)
        raise KeyError(node)

    def _point(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1]

    def of(self, node: cst.CSTNode) -> tuple[int, int, int, int]:
        if not self._parts:
            start, end = self._spans[node]
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
