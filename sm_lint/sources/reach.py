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
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sm_lint.sources.layout import OVERLAY, project_root, resolve, search_path, submodule
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
    out: list[tuple[int, str, tuple[str, ...]]] = []
    # Each occurrence of the word, then its line (a C search: a pattern without a literal
    # start would be tried at every byte).
    found = data.find(b"import")
    done = 0
    while found != -1:
        # from its line's start, or where the statement before it on that line ended
        start = max(data.rfind(b"\n", max(0, found - _BEFORE), found) + 1, done, found - _BEFORE)
        match = _LINE.match(data, start)
        if match is not None and match.end() > found:
            done = match.end()
            dots, module, paren, rest, plain = match.groups()
            if plain is not None:
                out.extend((0, name, ()) for name in _names(plain))
            else:
                if paren is not None:  # names up to the closing parenthesis (a C search)
                    close = data.find(b")", done, done + 20000)
                    end = close if close != -1 else data.find(b"\n", done)
                    rest = data[done : end if end != -1 else len(data)]
                    done = max(done, close + 1)
                names = tuple(n for n in _names(rest) if "." not in n)
                out.append((len(dots), module.decode("utf-8", "replace"), names))
        found = data.find(b"import", found + 6)
    return out


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


@dataclass
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
        self._roots: dict[str, Path] = {}
        #: (importer's folder, level, module) -> the file it binds (imports repeat a lot).
        self._resolved: dict[tuple[str, int, str], Path | None] = {}
        #: Files whose answer read other project modules: their verdict depends on them.
        self._followed: set[str] = set()

    def followed(self, path: str) -> bool:
        """Whether the answer for *path* looked at project modules it imports (then it
        depends on them, not on the file's own bytes alone)."""
        return os.path.abspath(path) in self._followed

    def through_imports(self, path: str, data: bytes, *, notebook: bool = False) -> bool:
        """Whether the file at *path* (its bytes *data*) imports a project module that
        names a model loader, directly or through the modules that module imports."""
        code = notebook_code(data) if notebook else data
        path = os.path.abspath(path)
        start = self._imports(path, code)
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
        return entry

    def _imports(self, importer: str, data: bytes) -> tuple[str, ...]:
        """The project files *importer*'s imports bind (packages' ``__init__`` included)."""
        if b"import" not in data:
            return ()
        root = self._root(importer)
        folder = os.path.dirname(importer)
        bases: list[Path] | None = None
        files: list[str] = []
        for level, module, names in imported_modules(data):
            parts = module.split(".") if module else []
            # ``import a.b.c`` runs a, a.b and a.b.c
            prefixes = [".".join(parts[: i + 1]) for i in range(len(parts))] or [""]
            found: Path | None = None
            for prefix in prefixes if not level else [module]:
                key = (folder, level, prefix)
                if key in self._resolved:
                    found = self._resolved[key]
                else:
                    if bases is None:
                        bases = search_path(importer, root)
                    found = resolve(importer, prefix, level, root, bases)
                    self._resolved[key] = found
                if found is not None and found.suffix == ".py":
                    files.append(str(found))
            if found is None:
                continue
            for name in names:  # ``from package import submodule``
                below = submodule(str(found), name)
                if below is not None and below.suffix == ".py":
                    files.append(str(below))
        return tuple(dict.fromkeys(f for f in files if f != importer))

    def _root(self, path: str) -> Path:
        folder = os.path.dirname(path)
        root = self._roots.get(folder)
        if root is None:
            root = self._roots[folder] = project_root(path)
        return root
