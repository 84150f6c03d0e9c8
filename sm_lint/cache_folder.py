"""The cache folder: whether sm-lint may write and clean there.

sm-lint owns only what it created. It takes a folder for its caches when the folder is new
or empty, or already carries a cache directory tag (``CACHEDIR.TAG``, the standard that
ruff's and cargo's caches follow: https://bford.info/cachedir/), or holds nothing but what
an earlier sm-lint wrote there; it then marks the folder with the tag and a ``.gitignore``
of ``*``. Any other folder is the user's: refused, never written, never cleaned.

A cache folder may not contain what findings are read from (the project, a models root, a
hub cache, ``observed.json``): the result cache never records reads inside its own folder,
so a warm run would not see them change, and the cache would write among them.

A cache folder that the repository chose (the default ``.sm-lint/cache`` or ``cache-dir`` in
its configuration) and that a symbolic link leads out of the project is not used, with a
warning: a cloned repository must not make sm-lint write into a folder of the user's. A
folder given with ``--cache-dir`` or ``SM_LINT_CACHE_DIR`` is the user's own choice and
followed, links included, as ruff follows its cache folder.

Light on purpose (no analysis, no protobuf): every run passes here first.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sm_lint.config import Config, ConfigError
from sm_lint.locations import kagglehub_cache_dir, observed_file, tfhub_cache_dir

TAG_NAME = "CACHEDIR.TAG"
#: The standard's signature line: what marks a folder as a cache.
TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
TAG_TEXT = (
    f"{TAG_SIGNATURE}\n"
    "# This file is a cache directory tag created by sm-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
GITIGNORE_TEXT = "*\n"
_TEMP_PREFIX = ".sm-lint-tmp."
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Guarded:
    """A path the cache folder must not contain, and what it is (said in the refusal)."""

    path: Path
    what: str


@dataclass(frozen=True)
class Claim:
    """The outcome of taking a cache folder: where the caches go (None: no cache this run)
    and a warning to show, if any."""

    folder: Path | None
    warning: str | None = None


def guarded_paths(config: Config, here: Path) -> tuple[Guarded, ...]:
    """What a cache folder for *config* must not contain. *here* is the project root of the
    working directory (else the working directory)."""
    roots = {here, Path.cwd()}
    if config.project_root is not None:
        roots.add(config.project_root)
    out = [Guarded(root, "the project") for root in sorted(roots)]
    out.extend(Guarded(folder, "the models folder") for folder in config.models)
    mapped = config.model_paths.values()
    out.extend(Guarded(folder, "a model folder mapped in model-paths") for folder in mapped)
    out.append(Guarded(tfhub_cache_dir(), "the TF Hub cache"))
    out.append(Guarded(kagglehub_cache_dir(), "the kagglehub cache"))
    out.extend(Guarded(observed_file(root), "the observations file") for root in sorted(roots))
    return tuple(out)


def claim(folder: Path, root: Path | None, guarded: Iterable[Guarded]) -> Claim:
    """Take *folder* for the caches. *root*: the project root when the repository chose the
    folder (its links are not followed out of it), None when the user did. Raises
    ConfigError (one line) for a folder sm-lint must not use."""
    for item in guarded:
        if _contains(folder, item.path):
            raise ConfigError(
                f"cache folder {folder} contains {item.what} ({item.path}); sm-lint writes and "
                "cleans inside its cache folder and never sees changes there: choose a folder "
                "of its own, such as .sm-lint/cache"
            )
    if root is not None:
        real = os.path.realpath(folder)
        in_project = _inside(os.path.abspath(folder), os.path.abspath(root))
        if in_project and not _inside(real, os.path.realpath(root)):
            return Claim(
                None,
                f"cache folder {folder} is a symbolic link to {real}, outside the project "
                f"{root}: not used, the run goes on without a cache (pass --cache-dir {real} "
                "to use it)",
            )
    if not _take(folder):
        return Claim(None)
    return Claim(folder)


def _take(folder: Path) -> bool:
    """Whether *folder* is (now) a marked cache folder of sm-lint's; False when it cannot be
    created or read (a read-only tree just means no cache). Raises ConfigError for a folder
    that holds what sm-lint did not create."""
    try:
        os.makedirs(folder, exist_ok=True)
        entries = list(os.scandir(folder))
    except OSError:
        return False
    foreign: list[str] = []
    tagged = False
    for entry in entries:
        if entry.is_symlink():
            # Never written through: the tagged folder may have come with the repository.
            raise ConfigError(
                f"cache folder {folder} holds a symbolic link {entry.name} that sm-lint did not "
                "create: remove it, or choose another folder"
            )
        if entry.name == TAG_NAME:
            tagged = _tagged(entry.path)
            if not tagged:
                foreign.append(entry.name)
        elif not _own(entry):
            foreign.append(entry.name)
    if tagged:
        return True
    if foreign:
        shown = ", ".join(sorted(foreign)[:3]) + (", ..." if len(foreign) > 3 else "")
        raise ConfigError(
            f"cache folder {folder} holds files sm-lint did not create ({shown}); it uses only "
            f"a new or empty folder, or one marked with its {TAG_NAME}: choose another folder"
        )
    # New, empty, or filled by an earlier sm-lint: mark it as sm-lint's cache.
    try:
        _write_new(folder / ".gitignore", GITIGNORE_TEXT)  # a cache is never committed
        _write_new(folder / TAG_NAME, TAG_TEXT)
    except OSError:
        return False
    return True


def _own(entry: os.DirEntry[str]) -> bool:
    """Whether a name at the top of a cache folder is one sm-lint writes there."""
    try:
        # The result cache, and the facts cache's two-hex-digit folders.
        if entry.name == "results" or (len(entry.name) == 2 and set(entry.name) <= _HEX):
            return entry.is_dir(follow_symlinks=False)
        if entry.name.startswith(_TEMP_PREFIX):
            return entry.is_file(follow_symlinks=False)
        if entry.name == ".gitignore":
            with open(entry.path, encoding="utf-8") as handle:
                return handle.read(64) == GITIGNORE_TEXT
    except (OSError, UnicodeDecodeError):
        return False
    return False


def _tagged(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(TAG_SIGNATURE)) == TAG_SIGNATURE.encode()
    except OSError:
        return False


def _write_new(path: Path, text: str) -> None:
    """Write *path* whole (an atomic rename: a concurrent run never reads half a tag)."""
    if path.exists():
        return
    fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)  # readable as ruff's are (mkstemp makes it private)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _contains(folder: Path, path: Path) -> bool:
    """Whether *path* is *folder* or below it, as written or with links resolved."""
    return _inside(os.path.abspath(path), os.path.abspath(folder)) or _inside(
        os.path.realpath(path), os.path.realpath(folder)
    )


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.normcase(path), os.path.normcase(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
