"""Decide which SavedModel each model load in code refers to: the one resolution chain.

Every load goes through the same steps, first match wins (README, "Where models come from"):
``mapping`` ([tool.sm-lint.model-paths]) → ``source`` (the program's own save, which writes
the folder before the load reads it, whatever is there now) → ``path`` (a local folder) →
``hub-cache`` / ``kagglehub`` (a handle in its library's cache) → ``observed`` (the folder a
run loaded there). A load no step resolves carries why, as data
(:class:`Unchecked`), beside the reason's text.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from sm_lint import observed
from sm_lint.analysis.facts import FileFacts, ModelLoad
from sm_lint.analysis.loaders import HandleKind, spec_for
from sm_lint.config import Config
from sm_lint.models import (
    ModelReadError,
    ModelSignatures,
    discover_models,
    read_signatures,
    resolve_model_dir,
)
from sm_lint.models.hub_cache import (
    CacheLookup,
    kagglehub_lookup,
    tfhub_handle_kind,
    tfhub_invalid_reason,
    tfhub_lookup,
)

__all__ = ["ModelResolver", "ModelSource", "Resolution", "ResolvedLoad", "Unchecked"]


class ModelSource(str, enum.Enum):
    """Which step of the chain found the model (``model_source`` in ``sm-lint calls``)."""

    MAPPING = "mapping"
    PATH = "path"
    HUB_CACHE = "hub-cache"
    KAGGLEHUB = "kagglehub"
    SOURCE = "source"
    OBSERVED = "observed"
    SERVING = "serving"

    def __str__(self) -> str:
        return str(self.value)


class Unchecked(enum.Enum):
    """Why a load's calls are not checked: what the frontends turn into advice."""

    #: The path is not known statically (a run would tell: step ``observed``).
    PATH_UNKNOWN = "path-unknown"
    #: No SavedModel where the path leads (another model root would tell).
    NOT_FOUND = "not-found"
    #: Several models match the path's name; the reason says to map it.
    AMBIGUOUS = "ambiguous"
    #: A remote path or handle read where it is; the reason says to map it.
    REMOTE = "remote"
    #: A valid handle not in its library's cache yet; the reason says what to run.
    NOT_CACHED = "not-cached"
    #: Not local, and nothing sm-lint can read: the program sets a cache setting to an
    #: unknown value, a malformed handle, a TF1 Hub module, a Keras file.
    NOT_READABLE_HERE = "not-readable-here"
    #: A SavedModel folder that cannot be read.
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Resolution:
    """Where a model path led: a folder (``model``), or why not (``reason``, ``unchecked``)."""

    model: Path | None
    reason: str
    #: The path exists but is not a readable SavedModel.
    error: ModelReadError | None = None
    #: False for paths that are not local by nature (gs://, hub handles): never "not found".
    local: bool = True
    #: How the model was found; None while no model is found.
    source: ModelSource | None = None
    #: Why the load is not checked (None once a model is found).
    unchecked: Unchecked | None = None


@dataclass(frozen=True)
class ResolvedLoad:
    """A model load with the folder it resolved to, or why it did not."""

    load_id: int
    expr: str
    path: str | None
    resolution: Resolution
    model: ModelSignatures | None
    error: str | None


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
        """Steps ``mapping``, ``hub-cache`` / ``kagglehub`` and ``path``: the model-paths
        mapping; for a TF Hub URL handle or a Kaggle model handle, the library's cache; then
        absolute path, relative to the source file, to the project root, to each model root,
        then a unique match of the path's last components among the discovered models."""
        if path is None:
            return Resolution(
                None, "the path is not known statically", unchecked=Unchecked.PATH_UNKNOWN
            )
        handle = spec_for(loader).handle
        if handle is HandleKind.SERVING:
            return self._served(path, source_file)
        mapped = self._mapped(path)
        if mapped is not None:
            return self._check(mapped, f"mapped in model-paths from {path!r}", ModelSource.MAPPING)
        if handle is HandleKind.ENDPOINT:
            return Resolution(
                None,
                f"which model endpoint {path!r} serves is not in the program: map it in "
                f'[tool.sm-lint.model-paths] ("{path}" = "path/to/saved_model")',
                local=False,
                unchecked=Unchecked.REMOTE,
            )
        settings = _settings(environ, source_file) if handle is not HandleKind.PATH else {}
        if isinstance(settings, str):
            return Resolution(None, settings, local=False, unchecked=Unchecked.NOT_READABLE_HERE)
        if handle is HandleKind.KAGGLE:
            return self._cached(kagglehub_lookup(path, settings), ModelSource.KAGGLEHUB)
        if handle is HandleKind.TFHUB:
            kind = tfhub_handle_kind(path, settings)
            if kind == "cache":
                return self._cached(tfhub_lookup(path, settings), ModelSource.HUB_CACHE)
            if kind == "invalid":
                return Resolution(
                    None,
                    tfhub_invalid_reason(path, settings),
                    local=False,
                    unchecked=Unchecked.NOT_READABLE_HERE,
                )
            if kind == "remote":
                return Resolution(
                    None,
                    f"hub handle {path!r} is read from where it is, not from the TF Hub "
                    "cache; map it in [tool.sm-lint.model-paths]",
                    local=False,
                    unchecked=Unchecked.REMOTE,
                )
            # Any other handle is a path to tensorflow_hub too: resolved like one below.
        if "://" in path:
            return Resolution(
                None,
                f"remote path {path!r} is not mapped in [tool.sm-lint.model-paths]",
                local=False,
                unchecked=Unchecked.REMOTE,
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
        return Resolution(None, match[0], unchecked=match[1])

    def resolve_load(self, load: ModelLoad, source_file: Path | None) -> ResolvedLoad:
        """One load through the steps that need no other load: :meth:`resolve`, then the
        folder's signatures read (with the load's tag-set, else the configured one)."""
        expr, path = load.expr, load.path
        formats = spec_for(load.loader).other_formats
        if formats and path is not None and path.endswith(formats):
            why = Resolution(
                None,
                "a Keras file, not a SavedModel",
                local=False,
                unchecked=Unchecked.NOT_READABLE_HERE,
            )
            return ResolvedLoad(load.id, expr, path, why, None, None)
        resolution = self.resolve(path, source_file, load.loader, load.environ)
        if resolution.error is not None:
            return ResolvedLoad(load.id, expr, path, resolution, None, resolution.error.reason)
        if resolution.model is None:
            return ResolvedLoad(load.id, expr, path, resolution, None, None)
        try:
            model = read_signatures(
                self.substitute(resolution.model), load.tags or self.config.tag_set
            )
        except ModelReadError as error:
            unreadable = replace(resolution, unchecked=Unchecked.UNREADABLE)
            return ResolvedLoad(load.id, expr, path, unreadable, None, str(error))
        return ResolvedLoad(load.id, expr, path, resolution, model, None)

    def resolve_loads(
        self,
        facts: FileFacts,
        path: str | None,
        program: str,
        observed_sites: Callable[[Path], observed.ModelSites],
    ) -> dict[int, ResolvedLoad]:
        """Every load of one file (at *path*, its program text *program*) through the whole
        chain; *observed_sites* gives the load sites runs recorded under a project root."""
        source_file = Path(path) if path is not None else None
        loads = {
            load.id: self._saved(facts, load)
            # a load in another module of the project resolves against that file
            or self.resolve_load(load, Path(load.file) if load.file else source_file)
            for load in facts.loads
        }
        self._observed(facts, loads, path, program, observed_sites)
        return loads

    def _observed(
        self,
        facts: FileFacts,
        loads: dict[int, ResolvedLoad],
        path: str | None,
        program: str,
        observed_sites: Callable[[Path], observed.ModelSites],
    ) -> None:
        """Step ``observed`` (last): a load still unresolved takes the model a run loaded at
        that load site (``.sm-lint/observed.json``), in place in *loads*."""
        unresolved = [x for x in facts.loads if loads[x.id].model is None and not loads[x.id].error]
        root = self.config.project_root or Path.cwd()
        sites = observed_sites(root) if unresolved and path is not None else {}
        for load, found in observed.resolve_loads(
            sites, root, path or "", program, unresolved, self.config.tag_set
        ):
            old = loads[load.id]
            if found.model is None:
                # Still unknown, for the reason it was: the run's note only adds to the text.
                why = replace(old.resolution, reason=f"{old.resolution.reason}; {found.reason}")
                loads[load.id] = replace(old, resolution=why, model=None)
                continue
            why = Resolution(found.folder, found.reason, source=ModelSource.OBSERVED)
            model: ModelSignatures | None = found.model
            error: str | None = None
            if found.folder is not None and self.substitute(found.folder) != found.folder:
                try:
                    model = read_signatures(
                        self.substitute(found.folder), load.tags or self.config.tag_set
                    )
                except ModelReadError as failed:
                    model, error = None, str(failed)
            loads[load.id] = replace(old, resolution=why, model=model, error=error)

    def substitute(self, folder: Path) -> Path:
        """The folder whose signatures stand for the model at *folder*: the configured
        ``model_substitutes`` entry of the model folder it resolves to (``sm-lint diff``
        lints call sites against another version this way), else *folder*."""
        substitutes = self.config.model_substitutes
        if not substitutes:
            return folder
        try:
            key = resolve_model_dir(folder).resolve()
        except (ModelReadError, OSError):
            return folder
        return substitutes.get(key, folder)

    def _saved(self, facts: FileFacts, load: ModelLoad) -> ResolvedLoad | None:
        """Step ``source`` (after ``mapping``): a load of the folder the program saves itself
        earlier on has the signatures derived from that save — the save writes the folder
        before the load reads it, so a folder there now (even one that is no SavedModel yet,
        such as ``"./"``) is not what the load gets."""
        if load.saved_by is None:
            return None
        path = load.path
        formats = spec_for(load.loader).other_formats
        if path is not None and self._mapped(path) is not None:
            return None  # the user's word wins
        if path is not None and formats and path.endswith(formats):
            return None  # a Keras file: not a SavedModel, whatever saved it
        save = facts.saves[load.saved_by]
        how = f"signatures derived from the program's own save at line {save.span.line}"
        found = Resolution(None, how, source=ModelSource.SOURCE)
        return ResolvedLoad(load.id, load.expr, path, found, save.model(), None)

    def _served(self, url: str, source_file: Path | None) -> Resolution:
        """Step ``serving``: the folder TF Serving serves for a REST URL
        (``/v1/models/NAME[/versions/N]``), found as TF Serving finds it: the model-paths
        mapping (the served name, or a prefix of the URL), a ``models.config`` in the
        project (``config { name base_path }``), then each ``--models`` root laid out
        ``NAME/VERSION/saved_model.pb``; in a base path, the version the URL names, else the
        highest numeric one (the default version policy)."""
        found = serving_url(url)
        if found is None:
            return Resolution(None, f"{url!r} is not a TF Serving URL", local=False)
        name, version = found
        mapping = self.config.model_paths
        base = url.split(":predict")[0].split(":classify")[0].split(":regress")[0]
        for key in sorted(mapping, key=len, reverse=True):
            if key == name or (("/" in key) and base.startswith(key.rstrip("/"))):
                return self._version(
                    mapping[key],
                    version,
                    f"mapped in model-paths from {key!r}",
                    ModelSource.MAPPING,
                )
        root = self.config.project_root or (source_file.parent if source_file else Path.cwd())
        for config_file, bases in _model_configs(root):
            if name in bases:
                folder = _base_path(bases[name], config_file, root, self.config.models)
                if folder is not None:
                    return self._version(folder, version, f"served as {name!r} by {config_file}")
        for models_root in self.config.models:
            if (models_root / name).is_dir():
                return self._version(
                    models_root / name, version, f"served as {name!r} from model root {models_root}"
                )
        wanted = "" if version is None else f" version {version}"
        return Resolution(
            None,
            f"TF Serving model {name!r}{wanted} not found: map it in [tool.sm-lint.model-paths] "
            f'({name} = "path/to/{name}"), add a models.config naming it, or pass --models '
            f"with a root laid out {name}/VERSION/saved_model.pb",
            local=False,
            unchecked=Unchecked.NOT_FOUND,
        )

    def _version(
        self, base: Path, version: int | None, how: str, source: ModelSource = ModelSource.SERVING
    ) -> Resolution:
        """A base path's served version (or the folder itself when it is a SavedModel)."""
        if (base / "saved_model.pb").exists() or (base / "saved_model.pbtxt").exists():
            return self._check(base, how, source)
        versions = sorted(
            (int(p.name), p) for p in _children(base) if p.name.isdigit() and p.is_dir()
        )
        if version is not None:
            chosen = [p for v, p in versions if v == version]
            if not chosen:
                return Resolution(
                    None,
                    f"{how}, but it has no version {version} "
                    f"(versions: {', '.join(str(v) for v, _ in versions) or 'none'})",
                    local=False,
                    unchecked=Unchecked.NOT_FOUND,
                )
            return self._check(chosen[0], f"{how}, version {version}", source)
        if not versions:
            return Resolution(
                None,
                f"{how}, but it holds no numeric version folder",
                local=False,
                unchecked=Unchecked.NOT_FOUND,
            )
        return self._check(versions[-1][1], f"{how}, highest version {versions[-1][0]}", source)

    def _mapped(self, path: str) -> Path | None:
        mapping = self.config.model_paths
        if path in mapping:
            return mapping[path]
        for prefix in sorted(mapping, key=len, reverse=True):
            if path.startswith(prefix.rstrip("/") + "/"):
                return mapping[prefix] / path[len(prefix.rstrip("/")) + 1 :]
        return None

    def _cached(self, lookup: CacheLookup, source: ModelSource) -> Resolution:
        """A handle looked up in a library's cache: never "not found" when absent (the cache
        fills at run time)."""
        if lookup.folder is None:
            why = Unchecked.NOT_CACHED if lookup.fillable else Unchecked.NOT_READABLE_HERE
            return Resolution(None, lookup.reason, local=False, unchecked=why)
        return self._check(lookup.folder, lookup.reason, source)

    def _check(self, folder: Path, how: str, source: ModelSource = ModelSource.PATH) -> Resolution:
        try:
            return Resolution(resolve_model_dir(_display(folder)), how, source=source)
        except ModelReadError as error:
            return Resolution(None, str(error), error, unchecked=Unchecked.UNREADABLE)

    def _suffix_match(self, path: str) -> Path | tuple[str, Unchecked]:
        parts = [p for p in PurePosixPath(path).parts if p not in ("/", ".", "..")]
        if not parts or not self.config.models:
            return f"no SavedModel at {path!r}", Unchecked.NOT_FOUND
        for count in range(len(parts), 0, -1):
            tail = tuple(parts[-count:])
            matches = [m for m in self.discovered if m.parts[-count:] == tail]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1 and count == 1:
                names = ", ".join(str(m) for m in matches[:3])
                return (
                    f"{path!r} matches several models ({names}); map it in model-paths",
                    Unchecked.AMBIGUOUS,
                )
        return (
            f"no SavedModel at {path!r}, nor one named {parts[-1]!r} under the model roots",
            Unchecked.NOT_FOUND,
        )


_SERVING_URL = re.compile(r"/v1/models/([^/:{}]+)(?:/versions/(\d+)|/labels/[^/:{}]+)?:\w+/?$")
_CONFIG_ENTRY = re.compile(
    r"config\s*:?\s*\{(?P<body>[^{}]*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}[^{}]*)*)\}"
)
_FIELD = r"\b{}\s*:\s*[\"']([^\"']*)[\"']"
_SKIP = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".sm-lint", ".tox"})


def serving_url(url: str) -> tuple[str, int | None] | None:
    """The served model's name and the version a TF Serving REST URL names."""
    match = _SERVING_URL.search(url)
    if match is None:
        return None
    return match[1], int(match[2]) if match[2] else None


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _model_configs(root: Path) -> list[tuple[Path, dict[str, str]]]:
    """Every ``models.config`` (TF Serving's ``--model_config_file``, a text proto
    ``model_config_list { config { name: "m" base_path: "/models/m" } }``) under *root*,
    a few levels deep, with its served names and base paths."""
    found = []
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        for child in sorted(_children(folder)):
            if child.is_dir() and depth < 4 and child.name not in _SKIP:
                stack.append((child, depth + 1))
            elif child.name.endswith(".config") and child.is_file():
                try:
                    text = child.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                if "model_config_list" not in text:
                    continue
                bases = {}
                for entry in _CONFIG_ENTRY.finditer(text):
                    name = re.search(_FIELD.format("name"), entry["body"])
                    base = re.search(_FIELD.format("base_path"), entry["body"])
                    if name and base:
                        bases[name[1]] = base[1]
                found.append((child, bases))
    return found


def _base_path(base: str, config_file: Path, root: Path, models: Sequence[Path]) -> Path | None:
    """A base path as written in a models.config (often the container's ``/models/m``):
    as it is, relative to the config file, to the project root, then its last components
    under the project root and each model root."""
    candidates = [Path(base), config_file.parent / base.lstrip("/"), root / base.lstrip("/")]
    parts = PurePosixPath(base).parts
    for count in range(1, min(len(parts), 3) + 1):
        tail = Path(*parts[-count:])
        candidates.extend([root / tail, *(m / tail for m in models)])
    return next((c for c in candidates if _exists(c) and c.is_dir()), None)


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
