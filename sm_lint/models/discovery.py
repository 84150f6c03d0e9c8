"""Find the SavedModels below a set of roots."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sm_lint.models.reader import PB, PBTXT, is_version

# Folders inside a SavedModel, and folders no model lives in.
_SKIP = frozenset({"variables", "assets", "assets.extra", ".git", "__pycache__", "node_modules"})


def discover_models(roots: Iterable[Path | str]) -> list[Path]:
    """Every SavedModel folder below *roots*, sorted, each once.

    A folder holding ``saved_model.pb``/``.pbtxt`` is a model and is not searched further.
    Numeric version folders (``name/1/``, ``name/2/``) are collapsed into their parent,
    which stands for its highest version. Unreadable folders and symlink loops are skipped.
    """
    found: set[Path] = set()
    for root in roots:
        found.update(_walk(Path(root)))
    return sorted(found)


def _walk(root: Path) -> Iterable[Path]:
    seen: set[tuple[int, int]] = set()
    for current, dirs, files in os.walk(root, followlinks=True, onerror=lambda _e: None):
        try:
            st = os.stat(current)
        except OSError:
            dirs[:] = []
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:  # a symlink loop
            dirs[:] = []
            continue
        seen.add(ident)
        here = Path(current)
        if PB in files or PBTXT in files:
            dirs[:] = []
            parent = here.parent
            yield parent if is_version(here.name) and here != root else here
            continue
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
