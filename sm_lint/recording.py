"""Recording what a lint run consulted on disk, for the result cache (:mod:`sm_lint.results`).

While a run that writes the result cache analyses files, every ``os.stat``/``lstat``,
listing (``os.scandir``/``listdir``) and read (``open``/``os.open``) made through the ``os``,
``io`` and ``builtins`` modules is noted with the answer's stat signature, absent paths
included. Intercepting the calls, rather than asking each resolver to declare what it
looked at, keeps the record complete whatever model resolution, model reading or the
observed-runs store do now or later; a file's findings are taken to depend on everything
the process consulted up to then, so values remembered between files (discovered models,
parsed signatures) are covered too. Only the CLI installs the recorder, for the duration of
one command; worker processes forked meanwhile inherit it.

The contract this relies on: code on the analysis path reaches the file system through
functions looked up on ``os``, ``io`` and ``builtins`` when called (``os.stat(p)``,
``open(p)``, ``pathlib``, ``os.walk``), never through names bound at import time (``from os
import stat``); tests/test_result_cache.py checks the package for such imports.
"""

from __future__ import annotations

import builtins
import io
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sm_lint.api import FileAnalysis, Linter, is_internal_error
from sm_lint.cache import FactsCache
from sm_lint.config import Config
from sm_lint.diagnostics import Diagnostic
from sm_lint.results import (
    Dep,
    ResultCache,
    error_signature,
    file_signature,
    racy,
    stat_signature,
)
from sm_lint.sources import Document, read_file, shown_lines

_REAL_STAT = os.stat
_REAL_LSTAT = os.lstat
_REAL_SCANDIR = os.scandir
_REAL_LISTDIR = os.listdir
_REAL_OS_OPEN = os.open
_REAL_OPEN = io.open
_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class Recorder:
    """The file system queries of this process since :func:`install`."""

    def __init__(self) -> None:
        self.log: list[Dep] = []
        #: Paths never recorded: the cache's own folders, and what is inside them.
        self.private: tuple[str, ...] = ()
        self.inside: tuple[str, ...] = ()
        #: The file being linted: reading it is not a dependency of later files.
        self.current: str | None = None
        #: The first record taken too soon after its file changed (see results.RACY_NS).
        self.racy_from: int | None = None
        #: Recording paused (the walk of the files to lint is no dependency).
        self.paused = False
        self._seen: dict[tuple[str, str], Any] = {}

    def note(self, op: str, path: Any, answer: os.stat_result | OSError) -> None:
        if isinstance(path, int) or self.paused:
            return  # a file descriptor: what it is was recorded when it was opened
        try:
            name = os.path.abspath(os.fsdecode(os.fspath(path)))
        except (TypeError, ValueError):
            return
        if name == self.current or name in self.private or name.startswith(self.inside):
            return
        if isinstance(answer, OSError):
            sig: Any = error_signature(answer)
        else:
            sig = stat_signature(op, answer)
            if self.racy_from is None and racy(sig, time.time_ns()):
                self.racy_from = len(self.log)
        key = (op, name)
        if self._seen.get(key) != sig:  # the same answer again adds nothing
            self._seen[key] = sig
            self.log.append((op, name, sig))

    def probe(self, op: str, path: Any) -> None:
        """Note *path* as it is before it is listed or read."""
        if isinstance(path, int):
            return
        try:
            answer: os.stat_result | OSError = _REAL_STAT(path)
        except OSError as error:
            answer = error
        except (TypeError, ValueError):
            return
        self.note(op, path, answer)


RECORDER = Recorder()
_installed = 0


def _stat(path: Any, *, dir_fd: int | None = None, follow_symlinks: bool = True) -> Any:
    op = "s" if follow_symlinks else "l"
    try:
        result = _REAL_STAT(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)
    except OSError as error:
        if dir_fd is None:
            RECORDER.note(op, path, error)
        raise
    if dir_fd is None:
        RECORDER.note(op, path, result)
    return result


def _lstat(path: Any, *, dir_fd: int | None = None) -> Any:
    return _stat(path, dir_fd=dir_fd, follow_symlinks=False)


def _scandir(path: Any = ".") -> Any:
    RECORDER.probe("d", path)
    return _REAL_SCANDIR(path)


def _listdir(path: Any = ".") -> Any:
    RECORDER.probe("d", path)
    return _REAL_LISTDIR(path)


def _os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
    if dir_fd is None and not flags & _WRITES:
        RECORDER.probe("r", path)
    return _REAL_OS_OPEN(path, flags, mode, dir_fd=dir_fd)


def _open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    if not any(c in mode for c in "wax+"):
        RECORDER.probe("r", file)
    return _REAL_OPEN(file, mode, *args, **kwargs)


#: What recording patches: (module, name, the real function, its recording stand-in).
_PATCHES: tuple[tuple[Any, str, Callable[..., Any], Callable[..., Any]], ...] = (
    (os, "stat", _REAL_STAT, _stat),
    (os, "lstat", _REAL_LSTAT, _lstat),
    (os, "scandir", _REAL_SCANDIR, _scandir),
    (os, "listdir", _REAL_LISTDIR, _listdir),
    (os, "open", _REAL_OS_OPEN, _os_open),
    (io, "open", _REAL_OPEN, _open),
    (builtins, "open", _REAL_OPEN, _open),
)


def install(private: Sequence[str]) -> None:
    """Start recording (nested calls count; the log is kept until the last uninstall)."""
    global _installed
    _installed += 1
    RECORDER.private = (*RECORDER.private, *private)
    RECORDER.inside = tuple(os.path.join(p, "") for p in RECORDER.private)
    if _installed > 1:
        return
    for module, name, _real, replacement in _PATCHES:
        setattr(module, name, replacement)


def uninstall() -> None:
    """Stop recording; the last uninstall restores the real functions and clears the log."""
    global _installed
    _installed -= 1
    if _installed > 0:
        return
    for module, name, real, _replacement in _PATCHES:
        setattr(module, name, real)
    RECORDER.__init__()  # type: ignore[misc]


class RecordingLinter(Linter):
    """A Linter that journals each file's findings into a result cache, with what they
    depend on (in whichever process lints the file: the CLI's or a forked worker)."""

    def __init__(
        self,
        config: Config,
        observer: Callable[[FileAnalysis], None] | None,
        cache: FactsCache | None,
        results: ResultCache,
    ) -> None:
        super().__init__(config, observer, cache)
        self.results = results
        self._loads: bool | None = None
        results.record = lambda: RECORDER.log

    def files(self, paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
        RECORDER.paused = True
        try:
            return super().files(paths)
        finally:
            RECORDER.paused = False

    def read_bytes(self, file: Path) -> tuple[os.stat_result, bytes]:
        # The pre-check's stat and read of a file are its own entry's signature, not a
        # dependency of the files after it (as in lint_file). Recorded, they put every file
        # of the tree into the record that a skipped file following its imports depends on.
        previous, RECORDER.current = RECORDER.current, os.path.abspath(file)
        try:
            return super().read_bytes(file)
        finally:
            RECORDER.current = previous

    def analyze(self, document: Document, open_as: str | None = None) -> FileAnalysis:
        analysis = super().analyze(document, open_as)
        facts = analysis.facts
        # Findings of a file without model loads come from its own text alone.
        # (and of the project modules it imports, whose reads are recorded)
        self._loads = facts is not None and bool(facts.loads or facts.imports)
        return analysis

    def lint_file(self, path: str | os.PathLike[str]) -> list[Diagnostic]:
        name = os.fspath(path)
        try:
            sig = file_signature(_REAL_STAT(name))
        except OSError:
            return super().lint_file(path)
        RECORDER.current = os.path.abspath(name)
        self._loads = None
        try:
            found = super().lint_file(path)
            lines = _lines(name, found)
        finally:
            RECORDER.current = None
        # A file skipped after reading the project modules it imports depends on them.
        depends = self._loads is not False or self.reach.followed(name)
        n = len(RECORDER.log)
        storable = (
            self._loads is not None
            and not any(is_internal_error(d) for d in found)
            and not racy(sig, time.time_ns())
            and not (depends and RECORDER.racy_from is not None and RECORDER.racy_from < n)
        )
        self.results.put(name, sig, found, lines, depends, storable)
        return found

    def nothing_to_analyse(self, path: Path, read_from: os.stat_result) -> list[Diagnostic]:
        name = os.fspath(path)
        sig = file_signature(read_from)
        try:
            # Rewritten since it was read (even with its old mtime kept): not stored.
            unchanged = file_signature(_REAL_STAT(name)) == sig
        except OSError:
            return []
        # Its findings (none) come from its own text alone, or also from the project modules
        # it imports when the pre-check read them.
        depends = self.reach.followed(name)
        storable = unchanged and not racy(sig, time.time_ns())
        self.results.put(name, sig, [], [], depends, storable)
        return []


def _lines(name: str, found: list[Diagnostic]) -> list[str | None]:
    """The source line the text report shows for each finding (None: none shown)."""
    if not found:
        return []
    document = read_file(name, precheck=False)
    out: list[str | None] = []
    for d in found:
        lines = shown_lines(document, d.cell)
        out.append(lines[d.line - 1] if lines is not None and 1 <= d.line <= len(lines) else None)
    return out
