"""Walking folders for sources, honouring excludes, ``.gitignore`` and ``.ignore`` as ruff does.

``.gitignore`` files (each folder's, and ``.git/info/exclude``) count only inside a git
repository; ``.ignore`` files always. A deeper file overrides a shallower one, ``.ignore``
overrides ``.gitignore`` in the same folder, and within a file the last matching pattern
wins (``!`` re-includes), as git does. A folder that is ignored is not entered, so nothing
below it can be re-included (git's rule too). A file named explicitly is always linted.

The walk is on the path of every run, the cached ones included: it lists each folder once
with ``os.scandir`` (no stat for ordinary entries), matches names against the exclude
patterns compiled into one expression, and reads ignore files with
:mod:`sm_lint.sources.gitignore` (the standard library's ``re``; no third-party import).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sm_lint.sources.gitignore import Rule, compile_file
from sm_lint.sources.gitignore import verdict as _verdict

#: The files a folder is walked for.
SOURCE_SUFFIXES = (".py", ".ipynb")
_IGNORE_FILES_IN_GIT = (".gitignore", ".ignore")
_IGNORE_FILES = (".ignore",)


class _Rules:
    """The ignore files of one folder (*base*, absolute)."""

    def __init__(self, base: str, specs: tuple[list[Rule], ...]) -> None:
        self.prefix = base if base.endswith(os.sep) else base + os.sep
        self.specs = specs  # lowest precedence first

    def verdict(self, path: str, is_dir: bool) -> bool | None:
        """True: ignored, False: re-included, None: no pattern here says. *path* is
        absolute."""
        if not path.startswith(self.prefix):
            return None
        rel = path[len(self.prefix) :]
        if os.sep != "/":
            rel = rel.replace(os.sep, "/")
        result = None
        for spec in self.specs:
            found = _verdict(spec, rel, is_dir)
            if found is not None:
                result = found
        return result


def _read_spec(file: str) -> list[Rule] | None:
    try:
        with open(file, "rb") as handle:
            return compile_file(handle.read())
    except OSError:
        return None


def _git_root(folder: str) -> str | None:
    candidate = folder
    while True:
        if os.path.exists(os.path.join(candidate, ".git")):
            return candidate
        parent = os.path.dirname(candidate)
        if parent == candidate:
            return None
        candidate = parent


def _is_file(path: str) -> bool:
    try:
        return os.path.isfile(path)
    except (OSError, ValueError):
        return False


def _rules_of(
    folder: str,
    in_git: bool,
    git_root: str | None,
    present: Callable[[str], bool] | None = None,
) -> _Rules | None:
    """The ignore files of *folder*; *present* says whether a name in it is a file (by
    default it is asked of the file system)."""
    if present is None:
        present = lambda name: _is_file(os.path.join(folder, name))  # noqa: E731
    specs = []
    if in_git and git_root == folder:
        info = _read_spec(os.path.join(folder, ".git", "info", "exclude"))
        if info is not None:
            specs.append(info)
    for name in _IGNORE_FILES_IN_GIT if in_git else _IGNORE_FILES:
        if present(name):
            spec = _read_spec(os.path.join(folder, name))
            if spec is not None:
                specs.append(spec)
    return _Rules(folder, tuple(specs)) if specs else None


def _ignored(stack: list[_Rules], path: str, is_dir: bool) -> bool:
    for rules in reversed(stack):  # the deepest folder that says something decides
        verdict = rules.verdict(path, is_dir)
        if verdict is not None:
            return verdict
    return False


def exclude_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """Whether a name matches any of the fnmatch *patterns*: names without a wildcard by a
    set lookup, the others by one compiled expression (compiling every default pattern cost
    each warm run a millisecond)."""
    normcase = os.path.normcase
    names: set[str] = set()
    wild: list[str] = []
    for pattern in map(normcase, patterns):
        if any(c in pattern for c in "*?["):
            wild.append(fnmatch.translate(pattern))
        else:
            names.add(pattern)
    match = re.compile("|".join(f"(?:{p})" for p in wild)).match if wild else None
    if normcase("Aa") == "Aa":
        if match is None:
            return names.__contains__
        return lambda name: name in names or match(name) is not None
    return lambda name: (
        normcase(name) in names or (match is not None and match(normcase(name)) is not None)
    )


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
    for name in iter_source_names(paths, exclude, respect_gitignore):
        yield Path(name)


def iter_source_names(
    paths: Iterable[str | os.PathLike[str]],
    exclude: Iterable[str] = (),
    respect_gitignore: bool = True,
) -> Iterator[str]:
    """:func:`iter_source_files` as path strings, spelt as ``str(Path(...))`` spells them."""
    excluded = exclude_matcher(exclude)
    for raw in paths:
        name = str(Path(raw))  # pathlib's spelling: no "./", no doubled or trailing "/"
        if _is_file(name):
            yield name
            continue
        yield from _walk(name, excluded, respect_gitignore)


def _walk(root: str, excluded: Callable[[str], bool], respect: bool) -> Iterator[str]:
    absolute = os.path.abspath(root)
    git_root = _git_root(absolute) if respect else None
    in_git = git_root is not None
    # The ignore files of the folders above the root (up to the repository's top) count too.
    above: list[_Rules] = []
    if respect and git_root is not None and git_root != absolute:
        chain = []
        folder = os.path.dirname(absolute)
        while True:
            chain.append(folder)
            if folder == git_root or os.path.dirname(folder) == folder:
                break
            folder = os.path.dirname(folder)
        for folder in reversed(chain):
            found = _rules_of(folder, in_git, git_root)
            if found is not None:
                above.append(found)
    seen: set[tuple[int, int]] = set()
    yield from _folder(root, absolute, above, excluded, respect, in_git, git_root, seen)


def _folder(
    current: str,
    here: str,
    parent: list[_Rules],
    excluded: Callable[[str], bool],
    respect: bool,
    in_git: bool,
    git_root: str | None,
    seen: set[tuple[int, int]],
) -> Iterator[str]:
    """The sources below *current* (as the user spelt it; *here* is its absolute path),
    depth first, each folder's files before its subfolders, names sorted."""
    try:
        with os.scandir(current) as listing:
            entries = list(listing)
    except OSError:
        return  # unreadable: skipped quietly
    try:
        st = os.stat(current)
    except OSError:
        return
    if (st.st_dev, st.st_ino) in seen:  # a symlink loop
        return
    seen.add((st.st_dev, st.st_ino))
    dirs: list[str] = []
    files: dict[str, os.DirEntry[str]] = {}
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            dirs.append(entry.name)
        else:
            files[entry.name] = entry
    rules = parent
    if respect:
        names = files
        own = _rules_of(here, in_git, git_root, lambda n: n in names and _entry_is_file(names[n]))
        rules = [*parent, own] if own is not None else parent
    # Children spelt as pathlib joins them: "." adds no prefix.
    prefix = "" if current == "." else current if current.endswith(os.sep) else current + os.sep
    hsep = "" if here.endswith(os.sep) else os.sep
    for name in sorted(files):
        if not name.endswith(SOURCE_SUFFIXES) or excluded(name):
            continue
        if respect and rules and _ignored(rules, here + hsep + name, False):
            continue
        # A dangling link or a link loop found while walking is skipped quietly;
        # a file named on the command line is always reported on.
        if _entry_is_file(files[name]):
            yield prefix + name
    for name in sorted(dirs):
        if excluded(name) or (respect and rules and _ignored(rules, here + hsep + name, True)):
            continue
        yield from _folder(
            prefix + name,
            here + hsep + name,
            rules,
            excluded,
            respect,
            in_git,
            git_root,
            seen,
        )


def _entry_is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False
