"""``# noqa`` comments of a program."""

from __future__ import annotations

import io
import re
import tokenize

NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
# Like ruff's file-level exemption comment: on its own line, it silences the whole file.
FILE_NOQA = re.compile(
    r"^#\s*sm-lint\s*:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?\s*$", re.I
)


#: The line key under which :func:`noqa_lines` gives a file-level ``# sm-lint: noqa``.
WHOLE_FILE = 0


def noqa_lines(program: str) -> dict[int, frozenset[str]]:
    """Program line -> codes silenced there (empty set: every code), from ``# noqa``; under
    :data:`WHOLE_FILE` the codes a ``# sm-lint: noqa[: CODES]`` line silences in the whole
    file (several such lines add up; one without codes silences all)."""
    out: dict[int, frozenset[str]] = {}
    if "noqa" not in program.lower():
        return out
    try:
        # newline=None: a lone \r ends a line here as it does for the analysis.
        for token in tokenize.generate_tokens(io.StringIO(program, newline=None).readline):
            if token.type != tokenize.COMMENT:
                continue
            own_line = token.line.strip() == token.string.strip()
            whole = FILE_NOQA.match(token.string) if own_line else None
            if whole:
                out[WHOLE_FILE] = _file_codes(out.get(WHOLE_FILE), _codes(whole.group("codes")))
                continue
            match = NOQA.search(token.string)
            if match:
                out[token.start[0]] = _codes(match.group("codes"))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def _codes(text: str | None) -> frozenset[str]:
    return frozenset(re.split(r"[\s,]+", text.upper())) if text else frozenset()


def _file_codes(known: frozenset[str] | None, codes: frozenset[str]) -> frozenset[str]:
    """The file-level codes after one more ``# sm-lint: noqa`` line (empty: every code)."""
    if known is None:
        return codes
    return frozenset() if not known or not codes else known | codes
