"""``.gitignore`` patterns as git reads them (gitignore(5), git's dir.c and wildmatch.c),
compiled to regular expressions.

A small module of the standard library's ``re`` rather than a dependency: every run walks
the tree, the cached ones too, and this is the part of the walk a repository always has.
tests/test_walk.py holds it to what ``git ls-files --exclude-standard`` lists on random
trees with random patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: One pattern: its expression, whether it re-includes (``!``), whether it matches folders
#: only (a trailing ``/``), whether it matches the last path component (no ``/`` inside).
Rule = tuple["re.Pattern[str]", bool, bool, bool]

_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9a-fA-F",
}


def compile_file(data: bytes) -> list[Rule]:
    """The rules of one ignore file's bytes, in order (the last match decides).

    git matches bytes (``?`` is one byte of a UTF-8 name): patterns and names are both taken
    byte for byte, each byte as one Latin-1 character. Lines end at LF (a CR before it is
    dropped, as git drops it); a UTF-8 byte order mark is skipped."""
    text = data.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    rules: list[Rule] = []
    for raw in text.split("\n"):
        line = _trim_trailing_spaces(raw.removesuffix("\r"))
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        dir_only = line.endswith("/")
        if dir_only:  # one slash only, as git strips it ("a//" never matches)
            line = line[:-1]
        if not line:
            continue
        basename = "/" not in line
        if line.startswith("/"):
            line = line[1:]
        body = _wildmatch(line)
        if body is None:
            continue  # a pattern git cannot match (an open bracket, a trailing backslash)
        try:
            rules.append((re.compile(body, re.DOTALL), negated, dir_only, basename))
        except re.error:  # a range git would treat as empty ("[z-a]")
            continue
    return rules


def verdict(rules: Iterable[Rule], rel: str, is_dir: bool) -> bool | None:
    """True: *rel* (relative to the ignore file's folder, ``/``-separated, as the file
    system gave it) is ignored; False: re-included; None: no rule matches it."""
    raw = rel.encode("utf-8", "surrogateescape").decode("latin-1")
    name = raw.rpartition("/")[2]
    result = None
    for expression, negated, dir_only, basename in rules:
        if dir_only and not is_dir:
            continue
        if expression.fullmatch(name if basename else raw):
            result = not negated
    return result


def _trim_trailing_spaces(line: str) -> str:
    """git's trim_trailing_spaces: trailing blanks go unless a backslash quotes them."""
    last_space = None
    i = 0
    while i < len(line):
        char = line[i]
        if char == " ":
            if last_space is None:
                last_space = i
        elif char == "\\":
            i += 1
            if i >= len(line):
                return line
            last_space = None
        else:
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


def _wildmatch(pattern: str) -> str | None:
    """The expression of a wildmatch pattern in pathname mode (``*``, ``?`` and classes
    never match ``/``; ``**`` between slashes matches any folders); None for a pattern that
    never matches."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            whole = (i == 0 or pattern[i - 1] == "/") and (j == n or pattern[j] == "/")
            if j - i >= 2 and whole:
                if j == n:
                    out.append(".*")
                else:
                    out.append("(?:.*/)?")
                    j += 1  # the slash is part of "**/"
            else:
                out.append("[^/]*")
            i = j
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            parsed = _bracket(pattern, i + 1)
            if parsed is None:
                return None
            expression, i = parsed
            out.append(expression)
        elif char == "\\":
            if i + 1 >= n:
                return None
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """The class starting after ``[`` at *start*: its expression and the index after
    ``]``; None when it is not closed."""
    n = len(pattern)
    i = start
    negate = i < n and pattern[i] in "!^"
    if negate:
        i += 1
    parts: list[str] = []
    first = True
    while i < n and (pattern[i] != "]" or first):
        first = False
        char = pattern[i]
        if char == "[" and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            if end < 0:
                return None
            name = pattern[i + 2 : end]
            if name not in _CLASSES:
                return None
            parts.append(_CLASSES[name])
            i = end + 2
            continue
        if char == "\\":
            i += 1
            if i >= n:
                return None
            char = pattern[i]
        i += 1
        low = re.escape(char) if char not in "-" else "\\-"
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            high = pattern[i + 1]
            i += 2
            if high == "\\":
                if i >= n:
                    return None
                high = pattern[i]
                i += 1
            parts.append(f"{low}-{re.escape(high) if high != '-' else chr(92) + '-'}")
        else:
            parts.append(low)
    if i >= n:
        return None
    body = "".join(parts)
    expression = f"[^/{body}]" if negate else f"(?!/)[{body}]"
    return expression, i + 1
