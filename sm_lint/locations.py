"""Where other tools keep what sm-lint reads: tensorflow_hub's and kagglehub's caches, and
the observations ``sm-lint run`` saves. Light on purpose (no protobuf, no analysis): a warm
run checks its cache folder against these before anything else is imported."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: The folder, below a project root, of ``observed.json`` (and of the default cache).
OBSERVED_FOLDER = ".sm-lint"
OBSERVED_FILE = "observed.json"


def tfhub_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """tensorflow_hub's cache folder: ``$TFHUB_CACHE_DIR``, else the system temp folder's
    ``tfhub_modules`` (the ``--tfhub_cache_dir`` absl flag cannot be known statically)."""
    env = os.environ if environ is None else environ
    configured = env.get("TFHUB_CACHE_DIR", "")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "tfhub_modules"


def kagglehub_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """kagglehub's cache folder: ``$KAGGLEHUB_CACHE`` (even when empty, as kagglehub does),
    else ``~/.cache/kagglehub``."""
    env = os.environ if environ is None else environ
    if "KAGGLEHUB_CACHE" in env:
        return Path(env["KAGGLEHUB_CACHE"])
    home = env.get("HOME") or os.path.expanduser("~")
    return Path(home) / ".cache" / "kagglehub"


def observed_file(root: Path) -> Path:
    """The observations file of the project rooted at *root*."""
    return root / OBSERVED_FOLDER / OBSERVED_FILE
