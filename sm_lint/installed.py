"""Versions of the installed libraries whose behaviour decides a finding (Keras 3's
``load_model``, tensorflow_hub's removed TF1 API), read from package metadata: never
imported. The result and facts caches are keyed on them (:func:`sm_lint.results.code_digest`),
so every run reads them, a warm run too.

The version is read from the name of the distribution's metadata folder
(``keras-3.15.1.dist-info``), found as :mod:`importlib.metadata` finds it: the first
``*.dist-info`` or ``*.egg-info`` whose normalised name matches, in ``sys.path`` order.
That is one listing per ``sys.path`` entry; importing :mod:`importlib.metadata` and asking
it takes a warm run's 15-25 ms (the email parser among others). Wherever the names cannot
answer as it would (a zip or an egg on the path, another distribution finder, a folder name
without a version), :mod:`importlib.metadata` is asked.
"""

from __future__ import annotations

import functools
import os
import re
import sys

__all__ = ["major_minor", "signature"]

#: The distributions whose installed version a rule reads.
PACKAGES = ("keras", "tensorflow_hub")

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


class _Unsure(Exception):
    """The folder names cannot tell what importlib.metadata would answer."""


@functools.cache
def major_minor(package: str) -> tuple[int, int] | None:
    """(major, minor) of the installed *package*, or None (not installed, or a version
    that does not start with two numbers)."""
    try:
        version = listed_version(package)
    except _Unsure:
        version = metadata_version(package)
    match = re.match(r"(\d+)\.(\d+)", version or "")
    return (int(match[1]), int(match[2])) if match else None


def signature() -> tuple[tuple[str, tuple[int, int] | None], ...]:
    """What the findings depend on of the installed libraries (a cache key part)."""
    return tuple((package, major_minor(package)) for package in PACKAGES)


def metadata_version(package: str) -> str | None:
    """The installed *package*'s version as :mod:`importlib.metadata` reads it; None when
    it is not installed."""
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except (importlib.metadata.PackageNotFoundError, ValueError, OSError):
        return None


def listed_version(package: str) -> str | None:
    """The installed *package*'s version from its metadata folder's name; None when no
    ``sys.path`` entry has one. Raises _Unsure where :func:`metadata_version` must answer."""
    if not _only_path_finder():
        raise _Unsure
    wanted = _normalise(package)
    for root in sys.path:
        for name, is_dir in _metadata_folders(root):
            stem = name[: name.rindex(".")]  # without .dist-info / .egg-info
            project, _, version = stem.partition("-")
            if _normalise(project) != wanted:
                continue
            if name.lower().endswith(".egg-info"):
                version = version.partition("-")[0]  # name-version-pyX.Y.egg-info
            if not is_dir or not version or "-" in version:
                raise _Unsure  # a file, no version in the name (an editable egg-info)
            return version
    return None


def _normalise(name: str) -> str:
    """PEP 503's normalisation, dashes as underscores (importlib.metadata's, which also
    lower-cases the folder's name first)."""
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _only_path_finder() -> bool:
    """Whether the standard path finder is the only distribution finder (another one would
    be asked before or after it)."""
    from importlib.machinery import PathFinder

    return all(
        finder is PathFinder or getattr(finder, "find_distributions", None) is None
        for finder in sys.meta_path
    )


@functools.cache
def _metadata_folders(root: object) -> tuple[tuple[str, bool], ...]:
    """The ``*.dist-info`` and ``*.egg-info`` entries of the ``sys.path`` entry *root*, in
    listing order, each with whether it is a folder. Raises _Unsure where importlib.metadata
    looks further (inside a zip, an egg's EGG-INFO) or the entry cannot be listed."""
    if not isinstance(root, str) or os.path.basename(root).lower().endswith(".egg"):
        raise _Unsure
    try:
        with os.scandir(root or ".") as entries:
            return tuple(
                (entry.name, entry.is_dir())
                for entry in entries
                if entry.name.lower().endswith(_METADATA_SUFFIXES)
            )
    except FileNotFoundError:
        return ()  # nothing there, not even a zip
    except OSError as error:  # a zip file, or no permission
        raise _Unsure from error
