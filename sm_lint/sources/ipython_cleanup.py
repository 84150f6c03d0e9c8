"""IPython's cleanup of a cell's lines: common indentation and ``>>>`` / ``In [1]:`` prompts.

These are the first of IPython's input transformations (``TransformerManager
.cleanup_transforms``), and the ones that changed between IPython 8 and 9 (9 removes the
*common* indentation with ``textwrap.dedent`` and reads ``>>>`` prompts as doctests). So that
sm-lint reads a cell as the IPython that runs it does, the installed IPython's own functions are
used when IPython can be imported; without IPython, a copy of IPython 9's rules is (the kernel
that will run the notebook is then unknown, and 9 is the current release line; the copy is
tested against the real IPython in the range ``FALLBACK_MIRRORS`` names).

Both only ever remove characters at the start of a line, and keep the number of lines: the
caller maps each line back onto the cell by the count of characters removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from textwrap import dedent
from typing import Any

__all__ = ["FALLBACK_MIRRORS", "cleanup_lines", "copied_cleanup", "installed_cleanup"]

#: The IPython releases whose cleanup the copy below reproduces (major versions, inclusive).
FALLBACK_MIRRORS = (9, 9)

Cleanup = Callable[[list[str]], list[str]]


@cache
def installed_cleanup() -> Cleanup | None:
    """The installed IPython's cleanup transforms (after leading empty lines, which the caller
    handles) as one function; None when IPython cannot be imported."""
    try:
        from IPython.core.inputtransformer2 import (  # type: ignore[import-not-found,unused-ignore]
            TransformerManager,
            leading_empty_lines,
        )
    except Exception:  # not installed, or broken: both mean "not IPython's own"
        return None
    manager: Any = TransformerManager()  # type: ignore[no-untyped-call,unused-ignore]
    transforms: list[Cleanup] = [
        t for t in manager.cleanup_transforms if t is not leading_empty_lines
    ]

    def run(lines: list[str]) -> list[str]:
        for transform in transforms:
            lines = transform(lines)
        return list(lines)

    return run


def cleanup_lines(lines: Sequence[str]) -> list[str]:
    """*lines* (a cell's lines from its first non-empty one, ``splitlines(keepends=True)``)
    after IPython's cleanup, as many as given, each a suffix of the line it came from."""
    own = installed_cleanup()
    if own is not None:
        try:
            cleaned = own(list(lines))
        except Exception:  # IPython failing on odd input must not take the lint down
            cleaned = []
        if _maps_onto(lines, cleaned):
            return cleaned
    cleaned = copied_cleanup(lines)
    return cleaned if _maps_onto(lines, cleaned) else list(lines)


def _maps_onto(lines: Sequence[str], cleaned: Sequence[str]) -> bool:
    return len(cleaned) == len(lines) and all(
        isinstance(new, str) and old.endswith(new) for old, new in zip(lines, cleaned, strict=True)
    )


# -- a copy of IPython 9's cleanup (IPython/core/inputtransformer2.py, BSD-3-Clause) ----------

_DOCTEST_FIRST = re.compile(r"^\s*>>>")
_DOCTEST_PS1 = re.compile(r"^\s*>>>[ \t]?")
_DOCTEST_PS2 = re.compile(r"^\s*\.\.\.[ \t]?")
_TRIPLE_QUOTE = re.compile(r"(?<!\\)(\"\"\"|''')")
_STRING_PREFIX = re.compile(r"(?i)^[rubf]*$")
_IPYTHON_PROMPT = re.compile(
    r"""
    ^(
    ((\[nav\]|\[ins\])?\ )?  In\ \[\d+\]:\     # first-line prompt, vi mode marker optional
    |
    \s*\.{3,}:\ ?                              # continuation prompt
    )
    """,
    re.VERBOSE,
)


def copied_cleanup(lines: Sequence[str]) -> list[str]:
    """IPython 9's ``leading_indent``, ``classic_prompt`` and ``ipython_prompt``, in order."""
    result = dedent("".join(lines)).splitlines(keepends=True) if lines else []
    result = _doctest_prompts(result)
    return _ipython_prompts(result)


def _preserved_strings(lines: Sequence[str]) -> list[bool]:
    """Which lines sit inside a triple-quoted string opened outside a prompt (IPython keeps
    ``>>>`` there: a docstring that shows a doctest)."""
    mask: list[bool] = []
    open_quote: str | None = None
    preserve = seen_prompt = False
    for line in lines:
        mask.append(open_quote is not None and preserve)
        for match in _TRIPLE_QUOTE.finditer(line):
            quote = match.group(1)
            if open_quote is None:
                open_quote = quote
                before = line[: match.start()]
                stripped = _DOCTEST_PS2.sub("", _DOCTEST_PS1.sub("", before, count=1), count=1)
                prompted_code = stripped != before and seen_prompt
                preserve = bool(not prompted_code and _STRING_PREFIX.match(stripped.strip()))
                mask[-1] = preserve
            elif open_quote == quote:
                open_quote = None
                preserve = False
        seen_prompt = seen_prompt or bool(_DOCTEST_FIRST.match(line))
    return mask


def _doctest_prompts(lines: list[str]) -> list[str]:
    """``>>>`` / ``...`` prompts stripped (indented ones too) when a ``>>>`` line stands outside
    a preserved string; each run of stripped lines is then dedented."""
    mask = _preserved_strings(lines)
    pairs = zip(lines, mask, strict=True)
    if not any(not inside and _DOCTEST_FIRST.match(line) for line, inside in pairs):
        return lines
    out: list[str] = []
    stripped: list[bool] = []
    for line, inside in zip(lines, mask, strict=True):
        new = line
        if not inside:
            if _DOCTEST_PS1.match(line):
                new = _DOCTEST_PS1.sub("", line, count=1)
            elif _DOCTEST_PS2.match(line):
                new = _DOCTEST_PS2.sub("", line, count=1)
        out.append(new)
        stripped.append(new != line)
    result: list[str] = []
    start = 0
    while start < len(out):
        end = start
        while end < len(out) and mask[end] == mask[start]:
            end += 1
        segment = out[start:end]
        if not mask[start] and any(stripped[start:end]):
            result.extend(dedent("".join(segment)).splitlines(keepends=True))
        else:
            result.extend(segment)
        start = end
    return result


def _ipython_prompts(lines: list[str]) -> list[str]:
    """``In [1]: `` / ``...: `` prompts stripped when the first line (or the second) has one."""
    if lines and (
        _IPYTHON_PROMPT.match(lines[0]) or (len(lines) > 1 and _IPYTHON_PROMPT.match(lines[1]))
    ):
        return [_IPYTHON_PROMPT.sub("", line, count=1) for line in lines]
    return lines
