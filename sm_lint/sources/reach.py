"""Whether a file reaches a model through its project imports.

The pre-check (:mod:`sm_lint.sources.precheck`) skips a file whose own code names no model
loader. A file that imports its model (a singleton, a loader function, a helper that
returns one) from another module of the project names none, yet its calls are checked
through that module (:mod:`sm_lint.analysis.program`). So a file the pre-check would skip is
analysed when one of the project modules it imports, directly or through their own imports,
is one the pre-check keeps.

The imports are read from the bytes (a regular expression, no parse): every ``import`` and
``from ... import`` in the text, also in strings and comments, which only ever adds a
module to look at (safe: more analysis, never less). Each module is resolved as the
analysis resolves it (:mod:`sm_lint.sources.layout`); the standard library and installed
packages are no part of the project and are not followed.

This runs for every file the pre-check skips, so it is kept cheap: paths are strings (no
pathlib objects), an import is resolved once per folder and run, the names after ``from ...
import`` are read only when the module is part of the project, and a module read while
following another file's imports is not scanned again when the walk reaches it unchanged.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from sm_lint.sources.layout import (
    OVERLAY,
    has_py_suffix,
    project_root,
    resolve_in,
    search_path,
    submodule_in,
)
from sm_lint.sources.precheck import Verdict, precheck

# An import statement starting a line (indented or not, or after ``;`` / ``if ...:``):
# ``from`` (dots) module ``import`` names — in parentheses over lines, or up to the end of
# the line (backslash continuations kept); else ``import`` dotted names.
# Every repetition is bounded, so that no input makes the search quadratic (a statement
# longer than the bounds is cut: fewer modules looked at, never a wrong one).
_LINE = re.compile(
    rb"(?:[^\n]{0,%d}?[;:][ \t]*)??[ \t]*"
    rb"(?:from[ \t]+(\.*)[ \t]*([\w.\x80-\xff]*)[ \t]+import(?:[ \t]|\\\r?\n)*"
    rb"(?:(\()|((?:[^\n;#\\]|\\\r?\n?){0,2000}))"
    rb"|import(?:[ \t]|\\\r?\n)+((?:[^\n;#\\]|\\\r?\n?){0,2000}))" % 1000
)
#: How far before the word ``import`` its statement is looked for.
_BEFORE = 1000
_NAME = re.compile(rb"[A-Za-z_\x80-\xff][\w.\x80-\xff]*")
_ALIAS = re.compile(rb"\s+as\s+[\w\x80-\xff]+")


def imported_modules(data: bytes) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(level, module, names)`` of each import statement of *data* (also in strings: more
    modules looked at, never fewer): ``import a.b`` is
    ``(0, "a.b", ())``, ``from ..pkg import x, y`` is ``(2, "pkg", ("x", "y"))``."""
    return [
        (level, module, () if text is None else _members(text))
        for level, module, text in _statements(data)
    ]


def _statements(data: bytes) -> Iterator[tuple[int, str, bytes | None]]:
    """:func:`imported_modules`, the names after ``from ... import`` left as their text
    (None for ``import a.b``): most modules bind no project file, and then their names are
    never read."""
    # Each occurrence of the word, then its line (a C search: a pattern without a literal
    # start would be tried at every byte). Names bound once: this loop runs for every
    # occurrence of the word in every file the pre-check skips.
    find, rfind, match_at = data.find, data.rfind, _LINE.match
    found = find(b"import")
    done = 0
    missed = -1  # where the statement after the last one was looked for, and none started
    while found != -1:
        if found < done:
            # within the statement before: looked for where it ended, whichever occurrence
            if missed == done:
                found = find(b"import", found + 6)
                continue
            start = done
        else:
            # from its line's start, or where the statement before it on that line ended
            low = found - _BEFORE
            start = max(rfind(b"\n", max(0, low), found) + 1, done, low)
        match = match_at(data, start)
        if match is None and start == done:
            missed = done
        if match is not None and match.end() > found:
            done = match.end()
            dots, module, paren, rest, plain = match.groups()
            if plain is not None:
                for name in _names(plain):
                    yield 0, name, None
            else:
                if paren is not None:  # names up to the closing parenthesis (a C search)
                    close = find(b")", done, done + 20000)
                    end = close if close != -1 else find(b"\n", done)
                    rest = data[done : end if end != -1 else len(data)]
                    done = max(done, close + 1)
                yield len(dots), module.decode("utf-8", "replace"), rest
        found = find(b"import", found + 6)


def _members(text: bytes) -> tuple[str, ...]:
    """The names a ``from ... import`` binds (dotted ones are no names)."""
    return tuple(n for n in _names(text) if "." not in n)


def _names(text: bytes) -> list[str]:
    text = _ALIAS.sub(b"", text.replace(b"\\", b" "))
    return [m.decode("utf-8", "replace") for m in _NAME.findall(text) if m != b"as"]


def notebook_code(data: bytes) -> bytes:
    """The code cells of a notebook's JSON, joined (all of *data* if it is not JSON)."""
    try:
        cells = json.loads(data).get("cells", [])
        sources = [
            cell.get("source", "")
            for cell in cells
            if isinstance(cell, dict) and cell.get("cell_type") == "code"
        ]
        text = "\n".join(s if isinstance(s, str) else "".join(map(str, s)) for s in sources)
    except (ValueError, AttributeError, TypeError, RecursionError):
        return data
    return text.encode("utf-8", "replace")


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@dataclass(frozen=True)
class _Module:
    """One project module as the pre-check sees it: whether its own code names a loader,
    and the project files its imports bind."""

    stamp: tuple[int, int] | None
    loads: bool
    imports: tuple[str, ...]


#: Per process: a module's own verdict and imports, kept while its size and time stay.
_MODULES: dict[str, _Module] = {}


class Reach:
    """Answers "does this file reach a model through its imports" for one run: a module's
    answer is kept for the run (files do not change under it); make a new one per run."""

    def __init__(self) -> None:
        self._answers: dict[str, bool] = {}
        #: A folder's search path for absolute imports (its project root's, as strings).
        self._bases: dict[str, list[str]] = {}
        #: (importer's folder, level, module) -> what the import runs and binds (imports
        #: repeat a lot).
        self._bound: dict[tuple[str, int, str], tuple[tuple[str, ...], str | None]] = {}
        #: Files whose answer read other project modules: their verdict depends on them.
        self._followed: set[str] = set()
        #: Modules read in this run, with their imports, until the file itself is asked
        #: about (a module is mostly imported before the walk reaches it): the same bytes
        #: need no second scan.
        self._read: dict[str, tuple[bytes, tuple[str, ...]]] = {}

    def followed(self, path: str) -> bool:
        """Whether the answer for *path* looked at project modules it imports (then it
        depends on them, not on the file's own bytes alone)."""
        return os.path.abspath(path) in self._followed

    def through_imports(self, path: str, data: bytes, *, notebook: bool = False) -> bool:
        """Whether the file at *path* (its bytes *data*) imports a project module that
        names a model loader, directly or through the modules that module imports."""
        code = notebook_code(data) if notebook else data
        path = os.path.abspath(path)
        read = self._read.pop(path, None)
        start = read[1] if read is not None and read[0] == code else self._imports(path, code)
        if not start:
            return False
        self._followed.add(path)
        # Breadth first; a walk that ends without a loader clears every module it saw (their
        # imports are all within it), so each module is walked once per run.
        seen: set[str] = set()
        queue = list(start)
        while queue:
            module = queue.pop()
            if module in seen:
                continue
            seen.add(module)
            known = self._answers.get(module)
            if known is True:
                return True
            if known is False:
                continue
            entry = self._module(module)
            if entry.loads:
                self._answers[module] = True
                return True
            queue.extend(entry.imports)
        for module in seen:
            self._answers[module] = False
        return False

    def _module(self, path: str) -> _Module:
        buffer = OVERLAY.get(path)  # open in an editor: its text, not the file's
        stamp = (-1, hash(buffer)) if buffer is not None else _stamp(path)
        entry = _MODULES.get(path)
        if entry is not None and entry.stamp == stamp:
            return entry
        data = buffer
        if data is None:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                data = b""
        loads = b"\0" not in data and precheck(data, notebook=False) is not Verdict.SKIP
        entry = _Module(stamp, loads, () if loads else self._imports(path, data))
        _MODULES[path] = entry
        if not loads:
            self._read[path] = (data, entry.imports)
        return entry

    def _imports(self, importer: str, data: bytes) -> tuple[str, ...]:
        """The project files *importer*'s imports bind (packages' ``__init__`` included)."""
        if b"import" not in data:
            return ()
        folder = os.path.dirname(importer)
        files: list[str] = []
        for level, module, text in _statements(data):
            runs, found = self._bind(importer, folder, level, module)
            files.extend(runs)
            if found is None or text is None:
                continue
            for name in _members(text):  # ``from package import submodule``
                below = submodule_in(found, name)
                if below is not None and has_py_suffix(below):
                    files.append(below)
        return tuple(dict.fromkeys(f for f in files if f != importer))

    def _bind(
        self, importer: str, folder: str, level: int, module: str
    ) -> tuple[tuple[str, ...], str | None]:
        """(the project files ``import module`` with *level* leading dots runs in
        *importer*, what it binds last: a file, a namespace folder or None). The same in
        every file of its *folder*."""
        key = (folder, level, module)
        known = self._bound.get(key)
        if known is not None:
            return known
        parts = module.split(".") if module else []
        # ``import a.b.c`` runs a, a.b and a.b.c
        prefixes = [".".join(parts[: i + 1]) for i in range(len(parts))] or [""]
        bases = [] if level else self._search_path(importer, folder)
        files: list[str] = []
        found: str | None = None
        for prefix in prefixes if not level else [module]:
            found = resolve_in(folder, prefix, level, bases)
            if found is not None and has_py_suffix(found):
                files.append(found)
        known = self._bound[key] = (tuple(files), found)
        return known

    def _search_path(self, importer: str, folder: str) -> list[str]:
        """Where *importer*'s absolute imports are looked for (the same for its *folder*)."""
        bases = self._bases.get(folder)
        if bases is None:
            root = project_root(importer)
            bases = self._bases[folder] = [os.fspath(b) for b in search_path(importer, root)]
        return bases
