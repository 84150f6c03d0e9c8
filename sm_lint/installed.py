"""Versions of the installed libraries whose behaviour decides a finding (Keras 3's
``load_model``, tensorflow_hub's removed TF1 API), read from package metadata: never
imported. The result and facts caches are keyed on them (:func:`sm_lint.results.code_digest`)."""

from __future__ import annotations

import functools
import importlib.metadata
import re

__all__ = ["major_minor", "signature"]

#: The distributions whose installed version a rule reads.
PACKAGES = ("keras", "tensorflow_hub")


@functools.cache
def major_minor(package: str) -> tuple[int, int] | None:
    """(major, minor) of the installed *package*, or None (not installed, or a version
    that does not start with two numbers)."""
    try:
        version = importlib.metadata.version(package)
    except (importlib.metadata.PackageNotFoundError, ValueError, OSError):
        return None
    match = re.match(r"(\d+)\.(\d+)", version or "")
    return (int(match[1]), int(match[2])) if match else None


def signature() -> tuple[tuple[str, tuple[int, int] | None], ...]:
    """What the findings depend on of the installed libraries (a cache key part)."""
    return tuple((package, major_minor(package)) for package in PACKAGES)
