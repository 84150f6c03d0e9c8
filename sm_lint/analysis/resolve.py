"""Decide which SavedModel folder a model path in code refers to."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sm_lint.config import Config
from sm_lint.models import ModelReadError, discover_models, resolve_model_dir
from sm_lint.models.hub_cache import CacheLookup, kagglehub_lookup, tfhub_handle_kind, tfhub_lookup


@dataclass(frozen=True)
class Resolution:
    """Where a model path led: a folder (``model``), or why not (``reason``)."""

    model: Path | None
    reason: str
    #: The path exists but is not a readable SavedModel.
    error: ModelReadError | None = None
    #: False for paths that are not local by nature (gs://, hub handles): never "not found".
    local: bool = True
    #: How the model was found (DESIGN.md, "Where a model comes from"): "mapping", "path",
    #: "hub-cache", "kagglehub", "source" or "observed"; None while no model is found.
    source: str | None = None


class ModelResolver:
    """Resolves model paths against the configuration; discovery runs once, lazily."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._discovered: list[Path] | None = None

    @property
    def discovered(self) -> list[Path]:
        if self._discovered is None:
            self._discovered = discover_models(r for r in self.config.models if r.is_dir())
        return self._discovered

    def resolve(
        self,
        path: str | None,
        source_file: Path | None,
        loader: str,
        environ: tuple[tuple[str, str | None], ...] = (),
    ) -> Resolution:
        """Resolution order: model-paths mapping; for a TF Hub URL handle or a Kaggle model
        handle, the library's cache; then absolute path, relative to the source file, to the
        project root, to each model root, then a unique match of the path's last components
        among the discovered models."""
        if path is None:
            return Resolution(None, "the path is not known statically")
        mapped = self._mapped(path)
        if mapped is not None:
            return self._check(mapped, f"mapped in model-paths from {path!r}", "mapping")
        settings = _settings(environ, source_file) if loader in ("kagglehub", "hub.load") else {}
        if isinstance(settings, str):
            return Resolution(None, settings, local=False)
        if loader == "kagglehub":
            return self._cached(kagglehub_lookup(path, settings), "kagglehub")
        if loader == "hub.load":
            kind = tfhub_handle_kind(path, settings)
            if kind == "cache":
                return self._cached(tfhub_lookup(path, settings), "hub-cache")
            if kind == "remote":
                return Resolution(
                    None,
                    f"hub handle {path!r} is read from where it is, not from the TF Hub "
                    "cache; map it in [tool.sm-lint.model-paths]",
                    local=False,
                )
            # Any other handle is a path to tensorflow_hub too: resolved like one below.
        if "://" in path:
            return Resolution(
                None,
                f"remote path {path!r} is not mapped in [tool.sm-lint.model-paths]",
                local=False,
            )
        expanded = os.path.expanduser(path)
        candidates: list[tuple[Path, str]] = []
        if os.path.isabs(expanded):
            candidates.append((Path(expanded), "absolute path"))
        else:
            if source_file is not None:
                candidates.append((source_file.parent / expanded, "relative to the source file"))
            if self.config.project_root is not None:
                candidates.append(
                    (self.config.project_root / expanded, "relative to the project root")
                )
            candidates.append((Path.cwd() / expanded, "relative to the working directory"))
            candidates.extend(
                (root / expanded, f"relative to {root}") for root in self.config.models
            )
        for candidate, how in candidates:
            if _exists(candidate):
                return self._check(candidate, how)
        match = self._suffix_match(expanded)
        if isinstance(match, Path):
            return self._check(match, "matched by name among the models under --models")
        return Resolution(None, match)

    def _mapped(self, path: str) -> Path | None:
        mapping = self.config.model_paths
        if path in mapping:
            return mapping[path]
        for prefix in sorted(mapping, key=len, reverse=True):
            if path.startswith(prefix.rstrip("/") + "/"):
                return mapping[prefix] / path[len(prefix.rstrip("/")) + 1 :]
        return None

    def _cached(self, lookup: CacheLookup, source: str) -> Resolution:
        """A handle looked up in a library's cache: never "not found" when absent (the cache
        fills at run time); *source* is "hub-cache" or "kagglehub"."""
        if lookup.folder is None:
            return Resolution(None, lookup.reason, local=False)
        return self._check(lookup.folder, lookup.reason, source)

    def _check(self, folder: Path, how: str, source: str = "path") -> Resolution:
        try:
            return Resolution(resolve_model_dir(_display(folder)), how, source=source)
        except ModelReadError as error:
            return Resolution(None, str(error), error)

    def _suffix_match(self, path: str) -> Path | str:
        parts = [p for p in PurePosixPath(path).parts if p not in ("/", ".", "..")]
        if not parts or not self.config.models:
            return f"no SavedModel at {path!r}"
        for count in range(len(parts), 0, -1):
            tail = tuple(parts[-count:])
            matches = [m for m in self.discovered if m.parts[-count:] == tail]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1 and count == 1:
                names = ", ".join(str(m) for m in matches[:3])
                return f"{path!r} matches several models ({names}); map it in model-paths"
        return f"no SavedModel at {path!r}, nor one named {parts[-1]!r} under the model roots"


def _settings(
    environ: tuple[tuple[str, str | None], ...], source_file: Path | None
) -> dict[str, str] | str:
    """The environment the hub libraries see at a load: sm-lint's own, with what the program
    put in ``os.environ`` (a relative cache folder taken from the source file's folder); a
    reason instead where the program sets one to a value not known statically."""
    settings = dict(os.environ)
    for name, value in environ:
        if value is None:
            return f"the program sets {name} to a value not known statically"
        relative = name.endswith(("_DIR", "_CACHE")) and value and not os.path.isabs(value)
        if relative and source_file is not None:
            value = str(source_file.parent / os.path.expanduser(value))
        settings[name] = value
    return settings


def _display(folder: Path) -> Path:
    """Normalised, and relative to the working directory when it lies below it."""
    normal = Path(os.path.normpath(folder))
    if normal.is_absolute():
        try:
            return normal.relative_to(Path.cwd())
        except ValueError:
            return normal
    return normal


def _exists(path: Path) -> bool:
    """Path.exists() that treats an unsearchable folder or an overlong name as absent."""
    try:
        return path.exists()
    except OSError:
        return False
