"""A project's layout: its root, where its imports are looked for, and which file an import
binds — as Python does when it runs the project (:mod:`sm_lint.analysis.program` builds
on it).

A leaf module (the standard library only): the pre-check reads it to follow a file's
imports without importing the analysis.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_MARKERS = ("pyproject.toml", ".git")

#: Texts that stand for files: an editor's open buffers (absolute path -> bytes), set by
#: the language server so that an importer sees a module as it is being edited.
OVERLAY: dict[str, bytes] = {}


def overlay(path: str, data: bytes | None) -> None:
    """Let *data* stand for the file at *path* (None: the file on disk again)."""
    path = os.path.abspath(path)
    if data is None:
        OVERLAY.pop(path, None)
    else:
        OVERLAY[path] = data


def project_root(path: str | os.PathLike[str]) -> Path:
    """The nearest folder above *path* holding pyproject.toml or .git (else its folder)."""
    start = Path(os.path.abspath(path))
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in _MARKERS):
            return candidate
    return folder


def search_path(importer: str | os.PathLike[str], root: Path) -> list[Path]:
    """Where an absolute import is looked for: the script's folder, ``src/``, the root."""
    found: list[str] = []
    base = os.fspath(root)
    for folder in (os.path.dirname(os.path.abspath(importer)), os.path.join(base, "src"), base):
        if folder not in found and os.path.isdir(folder):
            found.append(folder)
    return [Path(folder) for folder in found]


def module_name(path: str | os.PathLike[str], root: Path | None = None) -> str | None:
    """The dotted name *path* is imported by from the project root (``src/`` layouts
    included): ``src/pkg/model.py`` -> ``pkg.model``; a package is named by its folder."""
    file = Path(os.path.abspath(path))
    root = root or project_root(file)
    for base in (root / "src", root):
        try:
            parts = list(file.relative_to(base).parts)
        except ValueError:
            continue
        if not parts:
            continue
        if parts[-1] == "__init__.py":
            parts.pop()
        elif parts[-1].endswith(".py"):
            parts[-1] = parts[-1][:-3]
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
    return None


def _find(base: Path, parts: list[str]) -> tuple[Path | None, Path | None]:
    """(regular module or package file, namespace folder) for *parts* below *base*."""
    found, namespace = _find_in(os.fspath(base), parts)
    return (
        None if found is None else Path(found),
        None if namespace is None else Path(namespace),
    )


def _find_in(folder: str, parts: list[str]) -> tuple[str | None, str | None]:
    """:func:`_find` on strings."""
    # os.path on strings: the pre-check resolves every import of a tree (pathlib's objects
    # cost several times the stat calls)
    for part in parts[:-1]:
        folder = os.path.join(folder, part)
        if not os.path.isdir(folder):
            return None, None
    last = os.path.join(folder, parts[-1])
    # The folder first: most names are not the project's (``json``, ``numpy``), and without
    # a folder there is no __init__.py to look for (each query is one more dependency for
    # the result cache to check on every warm run).
    is_folder = os.path.isdir(last)
    init = os.path.join(last, "__init__.py")
    if is_folder and os.path.isfile(init):
        return init, None
    module = last + ".py"
    if os.path.isfile(module):
        return module, None
    return None, last if is_folder else None


def _library(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def resolve(
    importer: str, module: str, level: int, root: Path, bases: list[Path] | None = None
) -> Path | None:
    """The file (or namespace folder) ``import module`` (with *level* leading dots) binds
    in *importer*, if it is part of the project at *root* (*bases*: its
    :func:`search_path`, when the caller knows it already)."""
    parts = [p for p in module.split(".") if p]
    if level:
        base = Path(os.path.abspath(importer)).parent
        for _ in range(level - 1):
            base = base.parent
        if not parts:
            init = base / "__init__.py"
            return init if init.is_file() else base
        found, below = _find(base, parts)
        return found or below
    if not parts:
        return None
    namespace: Path | None = None
    for base in search_path(importer, root) if bases is None else bases:
        found, folder = _find(base, parts)
        if found is not None:
            return found
        namespace = namespace or folder
    if namespace is not None and not _library(parts[0]):
        return namespace
    return None


def submodule(package: str, name: str) -> Path | None:
    """``package.name`` as a module below a package file or namespace folder."""
    folder = Path(package)
    if folder.name == "__init__.py":
        folder = folder.parent
    elif folder.suffix == ".py":
        return None  # a plain module has no submodules
    found, namespace = _find(folder, [name])
    return found or namespace


def resolve_in(folder: str, module: str, level: int, bases: list[str]) -> str | None:
    """:func:`resolve` on strings, for an importer in *folder* (absolute) whose
    :func:`search_path` is *bases*: the pre-check resolves every import of a tree, most of
    them of no project file, and pathlib's objects cost several times the stat calls."""
    parts = [p for p in module.split(".") if p]
    if level:
        base = folder
        for _ in range(level - 1):
            base = os.path.dirname(base)
        if not parts:
            init = os.path.join(base, "__init__.py")
            return init if os.path.isfile(init) else base
        found, below = _find_in(base, parts)
        return found or below
    if not parts:
        return None
    namespace: str | None = None
    for base in bases:
        found, below = _find_in(base, parts)
        if found is not None:
            return found
        namespace = namespace or below
    if namespace is not None and not _library(parts[0]):
        return namespace
    return None


def submodule_in(package: str, name: str) -> str | None:
    """:func:`submodule` on strings."""
    folder = package
    if os.path.basename(package) == "__init__.py":
        folder = os.path.dirname(package)
    elif has_py_suffix(package):
        return None  # a plain module has no submodules
    found, namespace = _find_in(folder, [name])
    return found or namespace


def has_py_suffix(path: str) -> bool:
    """``Path(path).suffix == ".py"``, on a string."""
    name = os.path.basename(path)
    return name.endswith(".py") and len(name) > 3
