"""Configuration: ``[tool.sm-lint]`` in pyproject.toml, merged with command-line flags."""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

from sm_lint.diagnostics import Severity

DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    ".sm-lint",
    ".eggs",
    "*.egg-info",
)


class ConfigError(Exception):
    """Invalid configuration; the message names the file and key."""


@dataclass(frozen=True)
class Config:
    """Everything that shapes a lint run."""

    #: Folders searched for SavedModels.
    models: tuple[Path, ...] = ()
    #: Path string or prefix in code -> local model folder (``gs://bucket/m`` -> ``models/m``).
    model_paths: Mapping[str, Path] = field(default_factory=dict)
    #: The project root (see :func:`project_root`); relative model paths may start there.
    project_root: Path | None = None
    tag_set: tuple[str, ...] | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    #: Skip what ``.gitignore`` (inside a git repository) and ``.ignore`` files ignore.
    respect_gitignore: bool = True
    #: Excludes apply to files named explicitly too (``force-exclude``; pre-commit's case).
    force_exclude: bool = False
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    severity: Mapping[str, Severity] = field(default_factory=dict)
    #: Where the analysis cache lives (``cache-dir``); None: the default (see the CLI).
    cache_dir: Path | None = None
    #: ``--fix`` also applies unsafe fixes (``unsafe-fixes = true``).
    unsafe_fixes: bool = False
    #: A model folder (resolved, absolute) -> the folder whose signatures are read in its
    #: place: wherever a load resolves to the key, calls are checked against the value
    #: (``sm-lint diff`` lints call sites once per version this way). Not a file setting.
    model_substitutes: Mapping[Path, Path] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_KEYS = {
    "cache-dir",
    "models",
    "model-paths",
    "select",
    "ignore",
    "exclude",
    "extend-exclude",
    "extend-select",
    "respect-gitignore",
    "force-exclude",
    "per-file-ignores",
    "tag-set",
    "severity",
    "unsafe-fixes",
}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above *start* that has a ``[tool.sm-lint]`` table,
    else the nearest pyproject.toml at all."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    nearest: Path | None = None
    for candidate in (folder, *folder.parents):
        file = candidate / "pyproject.toml"
        if file.is_file():
            nearest = nearest or file
            try:
                if "sm-lint" in _toml(file).get("tool", {}):
                    return file
            except (OSError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
                return file
    return nearest


def _toml(file: Path) -> dict[str, Any]:
    """*file* parsed, once per run and file version (every folder linted asks for its
    nearest pyproject.toml). Raises what reading and parsing raise."""
    st = file.stat()
    key = (str(file), st.st_size, st.st_mtime_ns, st.st_ino)
    found = _TOML.get(key)
    if found is None:
        found = _TOML[key] = tomllib.loads(file.read_text(encoding="utf-8"))
    return found


_TOML: dict[tuple[str, int, int, int], dict[str, Any]] = {}


def git_root(start: Path) -> Path | None:
    """The nearest folder at or above *start* that holds ``.git``, else None."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def project_root(start: Path) -> Path | None:
    """The project root of *start* (a file or folder), for static and runtime sides alike:
    the folder of :func:`find_pyproject`'s file, else the nearest folder holding ``.git``,
    else None."""
    pyproject = find_pyproject(start)
    return pyproject.parent if pyproject is not None else git_root(start)


def nearest_config(start: Path) -> tuple[Path | None, Config]:
    """The configuration that applies to *start* (a file or folder), as ruff finds it: the
    nearest pyproject.toml with ``[tool.sm-lint]`` (else the nearest one at all), with its
    project root; without one, the defaults rooted at :func:`project_root`. Raises
    ConfigError."""
    pyproject = find_pyproject(start)
    if pyproject is not None:
        return pyproject, load_config(pyproject)
    return None, Config(project_root=git_root(start))


def deciding_folder(folder: str, memo: dict[str, str]) -> str:
    """The folder whose :func:`nearest_config` is also *folder*'s: *folder* resolved (as
    the search resolves it), or, when that is a folder holding neither pyproject.toml nor
    .git, its parent's deciding folder. *memo* holds one run's answers: the folders of a
    tree then search once between them instead of each walking up to the root (6 ms of a
    warm run on the bench's 40 folders)."""
    found = memo.get(folder)
    if found is None:
        resolved = Path(folder).resolve()
        parent = resolved.parent
        unmarked = (
            parent != resolved
            and resolved.is_dir()
            and not (resolved / "pyproject.toml").is_file()
            and not (resolved / ".git").exists()
        )
        found = deciding_folder(str(parent), memo) if unmarked else str(resolved)
        memo[folder] = found
    return found


def default_models(config: Config, base: Path) -> tuple[Path, ...] | None:
    """The models folders of a configuration that names none (and none given with it, on
    the command line or by the editor): ``models/`` in its project root, else in *base*,
    when that is a folder. None: keep the configuration's own."""
    if config.models:
        return None
    default = (config.project_root or base) / "models"
    return (default,) if default.is_dir() else None


T = TypeVar("T")


class ByFolder(Generic[T]):
    """Each folder's configuration, found once, as the command line and the language
    server both find it: :func:`nearest_config` once per folder, and one *T* per distinct
    configuration (its pyproject.toml and project root), made by *build* from them, shared
    by every folder it applies to.

    *on_error*, when given, is told a ConfigError and the folder gets the defaults;
    otherwise the error is raised."""

    def __init__(
        self,
        build: Callable[[Path | None, Config], T],
        on_error: Callable[[ConfigError], None] | None = None,
    ) -> None:
        self._build = build
        self._on_error = on_error
        self._by_folder: dict[str | None, T] = {}
        self._by_source: dict[tuple[Path | None, Path | None], T] = {}

    def get(self, folder: str | os.PathLike[str] | None) -> T:
        """The *T* of the configuration that applies to *folder* (an absolute path; None:
        the defaults, for what has no folder)."""
        key = os.fspath(folder) if folder is not None else None
        found = self._by_folder.get(key)
        if found is None:
            found = self._by_folder[key] = self._find(key)
        return found

    def _find(self, folder: str | None) -> T:
        pyproject: Path | None = None
        config = Config()
        if folder is not None:
            try:
                pyproject, config = nearest_config(Path(folder))
            except ConfigError as error:
                if self._on_error is None:
                    raise
                self._on_error(error)
                pyproject, config = None, Config()
        source = (pyproject, config.project_root)
        found = self._by_source.get(source)
        if found is None:
            found = self._by_source[source] = self._build(pyproject, config)
        return found

    def values(self) -> list[T]:
        """Every *T* made so far, once each."""
        return list(self._by_source.values())


def is_excluded(path: Path, config: Config) -> bool:
    """True when *path* or a folder it is in, below the project root (else the working
    directory), matches one of *config*'s exclude patterns: what ``force-exclude`` applies to
    a file named explicitly, as the walk applies the patterns to the names it meets."""
    base = config.project_root or Path.cwd()
    try:
        parts = path.resolve().relative_to(base.resolve()).parts
    except (OSError, ValueError):
        parts = tuple(p for p in path.parts if p not in (os.sep, "..", "."))
    rel = "/".join(parts)
    return any(
        fnmatch.fnmatch(name, pattern) for name in parts for pattern in config.exclude
    ) or any(fnmatch.fnmatch(rel, pattern) for pattern in config.exclude)


def _strings(file: Path, key: str, value: object) -> tuple[str, ...]:
    # A list only, as ruff has it: `select = "SM"` is an error, with the fix in the message.
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    hint = f" (write [{json.dumps(value)}])" if isinstance(value, str) else ""
    raise ConfigError(f"{file}: [tool.sm-lint] {key} must be a list of strings{hint}")


def _rule_codes() -> Iterable[str]:
    """Every rule's code (the catalogue is loaded only when a setting names codes)."""
    from sm_lint.rules.catalogue import RULES

    return RULES


def _codes(file: Path, key: str, value: object) -> tuple[str, ...]:
    codes = _strings(file, key, value)
    for code in codes:
        if not any(rule.startswith(code) for rule in _rule_codes()) and code != "ALL":
            raise ConfigError(f"{file}: [tool.sm-lint] {key}: unknown rule code {code!r}")
    return codes


def load_config(pyproject: Path | None) -> Config:
    """Read ``[tool.sm-lint]`` from *pyproject* (None: defaults). Raises ConfigError."""
    if pyproject is None:
        return Config()
    try:
        data = _toml(pyproject)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{pyproject}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{pyproject}: invalid TOML: {error}") from error
    except (ValueError, RecursionError) as error:  # huge integers, deeply nested arrays
        detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ConfigError(f"{pyproject}: invalid TOML: {detail}") from error
    root = pyproject.parent
    table = data.get("tool", {}).get("sm-lint")
    if table is None:
        return Config(project_root=root)
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.sm-lint] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{pyproject}: [tool.sm-lint] unknown key {unknown[0]!r} "
            f"(known: {', '.join(sorted(_KEYS))})"
        )
    config = Config(project_root=root)
    changes: dict[str, Any] = {}
    if "models" in table:
        changes["models"] = tuple(root / p for p in _strings(pyproject, "models", table["models"]))
    if "model-paths" in table:
        mapping = table["model-paths"]
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise ConfigError(
                f"{pyproject}: [tool.sm-lint.model-paths] must map strings to strings"
            )
        changes["model_paths"] = {k: root / v for k, v in mapping.items()}
    if "select" in table:
        changes["select"] = _codes(pyproject, "select", table["select"])
    if "ignore" in table:
        changes["ignore"] = _codes(pyproject, "ignore", table["ignore"])
    if "extend-select" in table:
        # Added to `select`, or to every rule when `select` is not set (its default).
        extended = _codes(pyproject, "extend-select", table["extend-select"])
        base = changes.get("select", config.select)
        changes["select"] = (*base, *extended) if base else ()
    if "exclude" in table:
        changes["exclude"] = _strings(pyproject, "exclude", table["exclude"])
    if "extend-exclude" in table:
        changes["exclude"] = (
            *changes.get("exclude", config.exclude),
            *_strings(pyproject, "extend-exclude", table["extend-exclude"]),
        )
    if "force-exclude" in table:
        if not isinstance(table["force-exclude"], bool):
            raise ConfigError(f"{pyproject}: [tool.sm-lint] force-exclude must be true or false")
        changes["force_exclude"] = table["force-exclude"]
    if "cache-dir" in table:
        cache_dir = table["cache-dir"]
        if not isinstance(cache_dir, str) or not cache_dir:
            raise ConfigError(f"{pyproject}: [tool.sm-lint] cache-dir must be a folder path")
        changes["cache_dir"] = root / os.path.expanduser(cache_dir)
    if "unsafe-fixes" in table:
        if not isinstance(table["unsafe-fixes"], bool):
            raise ConfigError(f"{pyproject}: [tool.sm-lint] unsafe-fixes must be true or false")
        changes["unsafe_fixes"] = table["unsafe-fixes"]
    if "respect-gitignore" in table:
        if not isinstance(table["respect-gitignore"], bool):
            raise ConfigError(
                f"{pyproject}: [tool.sm-lint] respect-gitignore must be true or false"
            )
        changes["respect_gitignore"] = table["respect-gitignore"]
    if "tag-set" in table:
        changes["tag_set"] = _strings(pyproject, "tag-set", table["tag-set"])
    if "per-file-ignores" in table:
        pfi = table["per-file-ignores"]
        if not isinstance(pfi, dict):
            raise ConfigError(f"{pyproject}: [tool.sm-lint.per-file-ignores] must be a table")
        changes["per_file_ignores"] = {
            k: _codes(pyproject, f"per-file-ignores.{k}", v) for k, v in pfi.items()
        }
    if "severity" in table:
        sev = table["severity"]
        if not isinstance(sev, dict):
            raise ConfigError(f"{pyproject}: [tool.sm-lint.severity] must be a table")
        parsed: dict[str, Severity] = {}
        for code, level in sev.items():
            if code not in _rule_codes():
                raise ConfigError(
                    f"{pyproject}: [tool.sm-lint.severity] unknown rule code {code!r}"
                )
            try:
                parsed[code] = Severity(level)
            except ValueError:
                raise ConfigError(
                    f"{pyproject}: [tool.sm-lint.severity] {code} must be one of "
                    "error, warning, info"
                ) from None
        changes["severity"] = parsed
    return replace(config, **changes)
