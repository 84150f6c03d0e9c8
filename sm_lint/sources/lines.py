"""Lines as Python counts them: ``\\r\\n``, a lone ``\\r`` and ``\\n`` each end a line.

The analysis (libcst, CPython) breaks lines there and nowhere else (not at ``\\x0c`` or
``\\u2028``, where ``str.splitlines`` would). Every place that turns a (line, column) into
text — fixes, carets, notebook cells — uses these, so all of them agree with the analysis.
"""

from __future__ import annotations

import bisect
import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """The offset where each line starts; ``starts[0]`` is line 1."""
    return [0, *(m.end() for m in LINE_BREAK.finditer(text))]


def split_lines(text: str) -> list[str]:
    """The lines of *text*, each with its line break (like ``splitlines(keepends=True)``,
    but breaking only where Python does)."""
    starts = line_starts(text)
    lines = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def line_count(text: str) -> int:
    """How many lines *text* has (a final line break does not start another)."""
    return len(split_lines(text))


def offset(starts: list[int], line: int, column: int) -> int | None:
    """The offset of 1-based (*line*, *column*) (column in code points), or None when the
    line does not exist."""
    if not 1 <= line <= len(starts) or column < 1:
        return None
    return starts[line - 1] + column - 1


def position(starts: list[int], at: int) -> tuple[int, int]:
    """The 1-based (line, column) of offset *at*."""
    line = bisect.bisect_right(starts, at)
    return line, at - starts[line - 1] + 1
