"""Walking folders for sources, honouring excludes, ``.gitignore`` and ``.ignore`` as ruff does.

``.gitignore`` files (each folder's, and ``.git/info/exclude``) count only inside a git
repository; ``.ignore`` files always. A deeper file overrides a shallower one, ``.ignore``
overrides ``.gitignore`` in the same folder, and within a file the last matching pattern
wins (``!`` re-includes), as git does. A folder that is ignored is not entered, so nothing
below it can be re-included (git's rule too). A file named explicitly is always linted.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

#: The files a folder is walked for.
SOURCE_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class _Rules:
    """The ignore files of one folder."""

    base: Path
    specs: tuple[pathspec.GitIgnoreSpec, ...]  # lowest precedence first

    def verdict(self, path: Path, is_dir: bool) -> bool | None:
        """True: ignored, False: re-included, None: no pattern here says."""
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return None
        if is_dir:
            rel += "/"
        result = None
        for spec in self.specs:
            include = spec.check_file(rel).include
            if include is not None:
                result = include
        return result


def _read_spec(file: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError):  # a pattern pathspec rejects: the file is skipped
        return None


def _git_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _rules_of(folder: Path, in_git: bool, git_root: Path | None) -> _Rules | None:
    specs = []
    if in_git and git_root == folder:
        info = _read_spec(folder / ".git" / "info" / "exclude")
        if info is not None:
            specs.append(info)
    names = (".gitignore", ".ignore") if in_git else (".ignore",)
    for name in names:
        spec = _read_spec(folder / name) if (folder / name).is_file() else None
        if spec is not None:
            specs.append(spec)
    return _Rules(folder, tuple(specs)) if specs else None


def _ignored(stack: list[_Rules], path: Path, is_dir: bool) -> bool:
    for rules in reversed(stack):  # the deepest folder that says something decides
        verdict = rules.verdict(path, is_dir)
        if verdict is not None:
            return verdict
    return False


def iter_source_files(
    paths: Iterable[str | os.PathLike[str]],
    exclude: Iterable[str] = (),
    respect_gitignore: bool = True,
) -> Iterator[Path]:
    """Python files and notebooks named by *paths*; folders are walked, skipping *exclude*
    patterns and (with *respect_gitignore*) what ``.gitignore`` / ``.ignore`` files ignore.

    A file named explicitly is always included. Symlink loops and unreadable folders are
    skipped silently.
    """
    patterns = tuple(exclude)
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
            continue
        yield from _walk(path, patterns, respect_gitignore)


def _walk(root: Path, patterns: tuple[str, ...], respect: bool) -> Iterator[Path]:
    absolute = Path(os.path.abspath(root))
    git_root = _git_root(absolute) if respect else None
    # The ignore files of the folders above the root (up to the repository's top) count too.
    stack: dict[str, list[_Rules]] = {}
    above: list[_Rules] = []
    if respect:
        top = git_root or absolute
        chain = [p for p in (absolute, *absolute.parents) if p == top or top in p.parents]
        for folder in reversed(chain[1:]):
            found = _rules_of(folder, git_root is not None, git_root)
            if found is not None:
                above.append(found)
    seen: set[tuple[int, int]] = set()
    for current, dirs, files in os.walk(root, followlinks=True, onerror=lambda _e: None):
        try:
            st = os.stat(current)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        here = Path(os.path.abspath(current))
        rules: list[_Rules] = []
        if respect:
            parent = stack.get(str(here.parent), above) if here != absolute else above
            own = _rules_of(here, git_root is not None, git_root)
            rules = [*parent, own] if own is not None else parent
            stack[str(here)] = rules
        dirs[:] = sorted(
            d
            for d in dirs
            if not _excluded(d, patterns) and not (respect and _ignored(rules, here / d, True))
        )
        for name in sorted(files):
            if not name.endswith(SOURCE_SUFFIXES) or _excluded(name, patterns):
                continue
            if respect and _ignored(rules, here / name, False):
                continue
            file = Path(current) / name
            # A dangling link or a link loop found while walking is skipped quietly;
            # a file named on the command line is always reported on.
            if _is_regular(file):
                yield file


def _is_regular(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _excluded(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)
