"""Jupyter notebooks (nbformat v4): reading the JSON, finding a cell's text in it, and
writing changed cells back with the file's own formatting.

The document builder (:mod:`sm_lint.sources.document`) joins the code cells, each as IPython
runs it (:mod:`sm_lint.sources.ipython`), into one program; this module knows only the file
format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

BOM = "\ufeff"


class NotebookError(ValueError):
    """The file is not a readable nbformat v4 notebook; the message says why."""


class NotPython(NotebookError):
    """A well-formed notebook in another language (R, Julia...): not sm-lint's to read, and
    no error either (ruff skips such notebooks the same way)."""


@dataclass(frozen=True)
class NotebookJSON:
    """A notebook file's data and its code cells as (1-based index among all cells,
    source)."""

    data: dict[str, Any]
    code_cells: tuple[tuple[int, str], ...]


def _source_text(cell: dict[str, Any], number: int) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        if not all(isinstance(part, str) for part in source):
            raise NotebookError(f"cell {number}: source is not text")
        return "".join(source)
    if not isinstance(source, str):
        raise NotebookError(f"cell {number}: source is not text")
    return source


def parse_notebook(text: str) -> NotebookJSON:
    """Read a notebook's JSON (a leading BOM allowed, as Jupyter does). Raises
    NotebookError for anything that is not an nbformat 4 Python notebook."""
    try:
        data = json.loads(text.removeprefix(BOM))
    except (ValueError, RecursionError) as error:
        raise NotebookError(f"invalid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook: no list of cells")
    version = data.get("nbformat", 4)
    if isinstance(version, bool) or not isinstance(version, int):
        # nbformat itself rejects it too ("Unsupported nbformat version 4").
        raise NotebookError(f'"nbformat" must be the number 4, not {json.dumps(version)}')
    if version != 4:
        raise NotebookError(f"nbformat {version} is not supported (only nbformat 4)")
    # Jupyter opens a notebook whose metadata is malformed (it only logs a validation
    # error), so only a well-formed language that is not Python keeps it out.
    name = notebook_language(data.get("metadata"))
    if name is not None and not name.lower().removeprefix("i").startswith("python"):
        raise NotPython(f"not a Python notebook ({name})")
    cells: list[tuple[int, str]] = []
    for number, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {number} is not an object")
        if cell.get("cell_type") == "code":
            cells.append((number, _source_text(cell, number)))
    return NotebookJSON(data, tuple(cells))


def notebook_language(metadata: object) -> str | None:
    """The notebook's language as its metadata names it: ``language_info.name`` (what ruff
    reads), else the kernel's ``kernelspec.language``; None when neither is a string."""
    if not isinstance(metadata, dict):
        return None
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        entry = metadata.get(key)
        name = entry.get(field) if isinstance(entry, dict) else None
        if isinstance(name, str):
            return name
    return None


def _indent_of(text: str) -> int | str | None:
    match = re.search(r"\n([ \t]+)\S", text)
    if match is None:
        return None
    return len(match.group(1)) if match.group(1).isspace() and "\t" not in match.group(1) else "\t"


def dump_like(original: str, data: dict[str, Any]) -> str | None:
    """Serialise *data* with the formatting of *original* (indentation, key order, ASCII
    escaping, line breaks, a BOM, trailing newline); None when *original* is formatted in a
    way this cannot reproduce, so the caller must not rewrite it."""
    bom = BOM if original.startswith(BOM) else ""
    body = original.removeprefix(bom)
    # git's autocrlf writes CRLF between the JSON tokens; line breaks inside cells are
    # escaped (\n), so converting the breaks between tokens changes nothing else.
    crlf = "\r\n" in body and "\n" not in body.replace("\r\n", "")
    if crlf:
        body = body.replace("\r\n", "\n")
    indent = _indent_of(body)
    for ensure_ascii in (False, True):
        again = json.dumps(json.loads(body), indent=indent, ensure_ascii=ensure_ascii)
        if body.endswith("\n"):
            again += "\n"
        if again == body:
            text = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii)
            text = text + "\n" if body.endswith("\n") else text
            return bom + (text.replace("\n", "\r\n") if crlf else text)
    return None


def set_cell_source(data: dict[str, Any], cell: int, source: str) -> None:
    """Replace 1-based *cell*'s source, in the representation (string or lines) it had."""
    target = data["cells"][cell - 1]
    if isinstance(target.get("source"), list):
        target["source"] = source.splitlines(keepends=True)
    else:
        target["source"] = source


# ----------------------------------------------------------- positions in the JSON text
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _string_offsets(text: str, start: int) -> tuple[list[int], int]:
    """For the JSON string starting at ``text[start] == '"'``: the offset in *text* of each
    decoded character, plus the closing quote's; and the offset after the string."""
    value, end = json.decoder.scanstring(text, start + 1)  # type: ignore[attr-defined]
    offsets = []
    i = start + 1
    while i < end - 1:
        offsets.append(i)
        if text[i] != "\\":
            i += 1
        elif text[i + 1] != "u":
            i += 2
        else:
            code = int(text[i + 2 : i + 6], 16)
            pair = 0xD800 <= code < 0xDC00 and text[i + 6 : i + 8] == "\\u"
            i += 12 if pair and 0xDC00 <= int(text[i + 8 : i + 12], 16) < 0xE000 else 6
    offsets.append(end - 1)
    if len(offsets) != len(value) + 1:
        raise ValueError("unexpected string escape")
    return offsets, end


def _skip(text: str, i: int) -> int:
    return _WHITESPACE.match(text, i).end()  # type: ignore[union-attr]


def _members(text: str, i: int) -> list[tuple[str, int, int]]:
    """The members of the JSON object at *i*: (key, value start, value end)."""
    out = []
    i = _skip(text, i + 1)
    while text[i] != "}":
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        i = _skip(text, _skip(text, i) + 1)  # past the colon
        _value, end = _DECODER.raw_decode(text, i)
        out.append((key, i, end))
        i = _skip(text, end)
        if text[i] == ",":
            i = _skip(text, i + 1)
    return out


def source_offsets(text: str) -> dict[int, list[int]]:
    """Per 1-based cell index: the offset in the notebook's JSON *text* of each character of
    the cell's source (plus one past its end). Empty when the text cannot be walked."""
    out: dict[int, list[int]] = {}
    try:
        start = _skip(text, len(BOM) if text.startswith(BOM) else 0)
        for key, at, _end in _members(text, start):
            if key != "cells":
                continue
            i, number = _skip(text, at + 1), 0
            while text[i] != "]":
                number += 1
                _cell, end = _DECODER.raw_decode(text, i)
                for name, value, _value_end in _members(text, i):
                    if name == "source":
                        out[number] = _source_value(text, value)
                i = _skip(text, end)
                if text[i] == ",":
                    i = _skip(text, i + 1)
    except (ValueError, IndexError, AttributeError, RecursionError):
        return {}
    return out


def _source_value(text: str, at: int) -> list[int]:
    if text[at] == '"':
        return _string_offsets(text, at)[0]
    offsets: list[int] = []
    i = _skip(text, at + 1)
    end_quote = at
    while text[i] != "]":
        part, i = _string_offsets(text, i)
        offsets.extend(part[:-1])
        end_quote = part[-1]
        i = _skip(text, i)
        if text[i] == ",":
            i = _skip(text, i + 1)
    offsets.append(end_quote)
    return offsets


def _common(a: str, b: str) -> int:
    """How many leading characters *a* and *b* share."""
    pairs = enumerate(zip(a, b, strict=False))
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


def edit_in_place(text: str, changes: dict[int, tuple[str, str]]) -> str | None:
    """The notebook *text* with each 1-based cell's source changed from ``old`` to ``new``
    by editing only the characters that differ inside the JSON strings, so every other byte
    stays as it was, whatever the file's formatting. None when a change adds or removes a
    line (a cell stored as a list of lines would need new list items)."""
    offsets = source_offsets(text)
    ascii_only = text.isascii()
    edits: list[tuple[int, int, str]] = []
    for cell, (old, new) in changes.items():
        where = offsets.get(cell)
        old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
        if where is None or len(where) != len(old) + 1 or len(old_lines) != len(new_lines):
            return None
        start = 0
        for before, after in zip(old_lines, new_lines, strict=True):
            if before != after:
                head = _common(before, after)
                tail = _common(before[head:][::-1], after[head:][::-1])
                middle = after[head : len(after) - tail]
                escaped = json.dumps(middle, ensure_ascii=ascii_only)[1:-1]
                edits.append((where[start + head], where[start + len(before) - tail], escaped))
            start += len(before)
    for begin, end, replacement in sorted(edits, reverse=True):
        text = text[:begin] + replacement + text[end:]
    return text
