"""``# noqa`` comments of a program."""

from __future__ import annotations

import io
import re
import tokenize

NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)


def noqa_lines(program: str) -> dict[int, frozenset[str]]:
    """Program line -> codes silenced there (empty set: every code), from ``# noqa``."""
    out: dict[int, frozenset[str]] = {}
    if "noqa" not in program:
        return out
    try:
        # newline=None: a lone \r ends a line here as it does for the analysis.
        for token in tokenize.generate_tokens(io.StringIO(program, newline=None).readline):
            if token.type == tokenize.COMMENT:
                match = NOQA.search(token.string)
                if match:
                    codes = match.group("codes")
                    out[token.start[0]] = (
                        frozenset(re.split(r"[\s,]+", codes.upper())) if codes else frozenset()
                    )
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out
