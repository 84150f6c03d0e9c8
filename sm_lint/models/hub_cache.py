"""Find TF Hub and Kaggle model handles in the caches tensorflow_hub and kagglehub fill.

Both layouts were read from the libraries' source (tensorflow-hub 0.16.1, kagglehub 1.0.3)
and are checked by the tests against the real libraries, offline. No TensorFlow import.

tensorflow_hub: ``hub.load(h)`` / ``hub.KerasLayer(h)`` / ``hub.resolve(h)`` send an
``http(s)://`` handle (tfhub.dev, kaggle.com, any URL) and a ``gs://...tar.gz`` archive to
``<cache>/<sha1 of the handle as passed, UTF-8>``, with ``<cache>`` = ``$TFHUB_CACHE_DIR``
or else ``<tempfile.gettempdir()>/tfhub_modules``; the folder counts as cached when it
exists and is not empty (a download goes to ``<sha1>.<uid>.tmp`` beside it, guarded by
``<sha1>.lock``, and is renamed into place when whole). Every other handle is a path.

kagglehub: ``kagglehub.model_download("owner/model/framework/variation[/version]")`` is
``<cache>/models/owner/model/framework/variation/<version>``, with ``<cache>`` =
``$KAGGLEHUB_CACHE`` or else ``~/.cache/kagglehub``, cached only when the marker file
``.../variation/<version>.complete`` exists too. Without a version kagglehub asks Kaggle
for the latest one (offline it fails); sm-lint takes the highest complete cached version.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The cache folders live with the other places sm-lint reads (its cache folder is checked
# against them without importing this package).
from sm_lint.locations import kagglehub_cache_dir as kagglehub_cache_dir
from sm_lint.locations import tfhub_cache_dir as tfhub_cache_dir

_ARCHIVES = (".tar", ".tar.gz", ".tgz")
_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


@dataclass(frozen=True)
class CacheLookup:
    """Where a handle is cached (``folder``), or why it is not (``reason``, with what to do)."""

    folder: Path | None
    reason: str
    #: Not cached, but a run of the code fills the cache: the reason says what to run.
    fillable: bool = False


#: tensorflow_hub's ``ModelLoadFormat`` values; an unset or empty variable is its flag's
#: default, AUTO (which is COMPRESSED).
_COMPRESSED_FORMATS = ("COMPRESSED", "AUTO")
_UNCOMPRESSED_FORMAT = "UNCOMPRESSED"


def tfhub_handle_kind(handle: str, environ: Mapping[str, str] | None = None) -> str:
    """How tensorflow_hub resolves *handle*: "cache" (downloaded into its cache), "remote"
    (read where it is: a gs:// folder, or any URL with ``TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED``),
    "path" (a local file system path, used as it is) or "invalid" (see
    :func:`tfhub_invalid_reason`).

    As its resolver registry decides (tensorflow_hub/config.py, the last registered asked
    first): HttpCompressedFileResolver takes http(s) URLs when the load format is exactly
    COMPRESSED or AUTO, HttpUncompressedFileResolver when it is exactly UNCOMPRESSED,
    GcsCompressedFileResolver ``gs://`` archives, and PathResolver everything else — an
    http(s) URL under any other format too, which then fails as a missing path."""
    env = os.environ if environ is None else environ
    if handle.startswith(("http://", "https://")):
        load_format = env.get("TFHUB_MODEL_LOAD_FORMAT", "") or "AUTO"
        if load_format in _COMPRESSED_FORMATS:
            return "cache"
        return "remote" if load_format == _UNCOMPRESSED_FORMAT else "invalid"
    if handle.startswith("gs://"):
        return "cache" if handle.endswith(_ARCHIVES) else "remote"
    if "://" in handle:
        return "remote"
    return "path"


def tfhub_invalid_reason(handle: str, environ: Mapping[str, str] | None = None) -> str:
    """Why tensorflow_hub cannot resolve *handle* (its kind is "invalid")."""
    env = os.environ if environ is None else environ
    value = env.get("TFHUB_MODEL_LOAD_FORMAT", "")
    return (
        f"TFHUB_MODEL_LOAD_FORMAT={value!r} is none of tensorflow_hub's formats "
        f"(COMPRESSED, UNCOMPRESSED, AUTO; case matters): hub.load({handle!r}) takes the URL "
        "for a path and fails"
    )


def tfhub_lookup(handle: str, environ: Mapping[str, str] | None = None) -> CacheLookup:
    """The cached folder of a TF Hub URL handle, or why there is none."""
    cache = tfhub_cache_dir(environ)
    try:
        digest = hashlib.sha1(handle.encode("utf-8")).hexdigest()  # tensorflow_hub's own cache key
    except UnicodeEncodeError:
        return CacheLookup(None, f"TF Hub handle {handle!r} is not valid UTF-8")
    folder = cache / digest
    hint = _tfhub_hint(handle, cache)
    if not _nonempty_dir(folder):
        if _exists(Path(f"{folder}.lock")):
            return CacheLookup(
                None,
                f"TF Hub handle {handle!r} is still being downloaded into {cache} (or the "
                f"download was interrupted: {folder.name}.lock is there); {hint}",
                fillable=True,
            )
        return CacheLookup(
            None, f"TF Hub handle {handle!r} is not in the TF Hub cache yet; {hint}", True
        )
    if not any(_exists(folder / name) for name in _MODEL_FILES):
        # hub.load would refuse it too ("contains neither saved_model.pb nor ..."): no finding.
        return CacheLookup(
            None,
            f"the TF Hub cache folder {folder} of {handle!r} holds no saved_model.pb "
            f"(a TF1 Hub module or a damaged download?); {hint}",
            fillable=True,
        )
    if _exists(folder / "tfhub_module.pb"):
        # hub.load reads TF1 Hub modules with the empty tag-set and KerasLayer defaults to
        # their "default" signature: not modelled yet, so not checked rather than misread.
        return CacheLookup(
            None, f"TF Hub handle {handle!r} is a TF1 Hub module ({folder}): not checked"
        )
    return CacheLookup(folder, f"TF Hub handle {handle!r} found in the TF Hub cache {cache}")


def _tfhub_hint(handle: str, cache: Path) -> str:
    return (
        f'run the code once, or `python -c "import tensorflow_hub as hub; '
        f'hub.resolve({handle!r})"`, with TFHUB_CACHE_DIR={cache} as sm-lint sees it'
    )


def kagglehub_lookup(handle: str, environ: Mapping[str, str] | None = None) -> CacheLookup:
    """The cached folder of a ``kagglehub.model_download`` handle, or why there is none."""
    parts = handle.split("/")
    hint = (
        f'run the code once, or `python -c "import kagglehub; '
        f'kagglehub.model_download({handle!r})"`'
    )
    if len(parts) not in (4, 5) or not all(parts[:4]):
        return CacheLookup(
            None,
            f"{handle!r} is not a Kaggle model handle (owner/model/framework/variation[/version])",
        )
    # kagglehub (handle.py, cache.py) splits on "/" and joins the parts below
    # <cache>/models as they are; Kaggle's server refuses such names, but an offline
    # cache lookup would leave the cache: sm-lint reads nothing outside it.
    for part in parts[:4]:
        if part in (".", "..") or not _plain_name(part):
            return CacheLookup(
                None,
                f"{handle!r} is not a Kaggle model handle: its part {part!r} would name a "
                "folder outside the kagglehub cache",
            )
    cache = kagglehub_cache_dir(environ)
    base = cache.joinpath("models", *parts[:4])
    models = os.path.normpath(cache / "models")
    if not os.path.normpath(base).startswith(models + os.sep):  # a drive name, say
        return CacheLookup(None, f"{handle!r} names a folder outside the kagglehub cache")
    missing = f"Kaggle model {handle!r} is not in the kagglehub cache {cache} yet; {hint}"
    version: int | None = None
    if len(parts) == 5:
        try:
            version = int(parts[4])
        except ValueError:
            return CacheLookup(None, f"{handle!r} has an invalid version number {parts[4]!r}")
    if version is not None and version > 0:
        folder = base / str(version)
        if _exists(base / f"{version}.complete") and _exists(folder):
            return CacheLookup(folder, f"Kaggle model {handle!r} found in the kagglehub cache")
        return CacheLookup(None, missing, fillable=True)
    # No version (kagglehub treats 0 and negative numbers alike): kagglehub asks Kaggle for the
    # latest; the highest complete version in the cache is the one a run has fetched last.
    cached = _complete_versions(base)
    if not cached:
        return CacheLookup(None, missing, fillable=True)
    latest = cached[-1]
    return CacheLookup(
        base / str(latest),
        f"Kaggle model {handle!r} without a version: version {latest}, the highest complete "
        "one in the kagglehub cache (kagglehub asks Kaggle for the latest at run time)",
    )


def _plain_name(part: str) -> bool:
    """A single folder name: no separator of this system, no NUL byte, not absolute."""
    separators = {"/", os.sep, os.altsep or "/", "\0"}
    return not any(s in part for s in separators) and not os.path.isabs(part)


def _complete_versions(base: Path) -> list[int]:
    try:
        names = os.listdir(base)
    except (OSError, ValueError):
        return []
    versions = []
    for name in names:
        stem = name[: -len(".complete")] if name.endswith(".complete") else ""
        if stem.isascii() and stem.isdigit() and int(stem) > 0 and _exists(base / stem):
            versions.append(int(stem))
    return sorted(versions)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # unsearchable folder, overlong name, NUL byte
        return False


def _nonempty_dir(path: Path) -> bool:
    try:
        return path.is_dir() and any(path.iterdir())
    except (OSError, ValueError):
        return False
