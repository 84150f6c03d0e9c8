"""Run-time facts for the static side: what each signature call site really received,
and which model each load site really loaded.

The runtime checker writes ``.sm-lint/observed.json`` in the project root; the CLI and the
language server read it to check call sites whose arguments are unknown statically, to
show observed values on hover, and to resolve a load whose path is unknown statically
(``tf.saved_model.load(sys.argv[1])``) to the folder a run loaded there (resolution step
``observed``). The file is merged across runs, bounded in size, and written under a lock
with an atomic rename, so concurrent writers never lose or corrupt it. A file that is
unreadable, from another version or hand-edited is skipped entry by entry, silently: an
entry that cannot be read is never used.

Load sites are keyed ``"<path relative to the project root>:<first line of the load
call>"``; the call's last line and source text are stored with it, so an edited file whose
load moved or changed is not matched to a stale entry.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sm_lint.analysis.facts import ModelLoad
from sm_lint.locations import OBSERVED_FILE, OBSERVED_FOLDER, observed_file
from sm_lint.models import ModelReadError, ModelSignatures, Signature, TensorSpec
from sm_lint.models import read_signatures as _read_signatures
from sm_lint.semantics import Kind, Value
from sm_lint.untrusted import parse_json

FOLDER = OBSERVED_FOLDER
FILE = OBSERVED_FILE
VERSION = 1
MAX_SITES = 5000
MAX_VALUES = 8  # distinct values kept per input of a call site
MAX_MODEL_SITES = 1000
MAX_FOLDERS = 4  # distinct folders kept per load site (the most recent first)
MAX_SIGNATURES = 64  # a bigger model is recorded by folder only, without its signatures
MAX_SPECS = 512  # inputs plus outputs per signature, likewise
MAX_TEXT = 2000  # characters of the load call's source text

#: site ("path:line", path relative to the project root) -> input name -> observations.
Observations = dict[str, dict[str, list["Observed"]]]


@dataclass(frozen=True)
class Observed:
    value: Value
    count: int

    def to_json(self) -> dict[str, Any]:
        v = self.value
        return {
            "kind": v.kind.value,
            "dtype": v.dtype,
            "shape": None if v.shape is None else list(v.shape),
            "count": self.count,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Observed:
        """Raises ValueError or TypeError on what save() does not write."""
        shape, dtype, count = data.get("shape"), data.get("dtype"), data.get("count", 1)
        if dtype is not None and not isinstance(dtype, str):
            raise TypeError("dtype")
        if shape is not None and not _is_shape(shape):
            raise TypeError("shape")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise TypeError("count")
        value = Value(
            Kind(data.get("kind", "unknown")), dtype, None if shape is None else tuple(shape)
        )
        return Observed(value, count)


def path_for(root: Path) -> Path:
    return observed_file(root)


def site_key(root: Path, path: str, line: int) -> str:
    try:
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = Path(path).resolve().as_posix()
    return f"{rel}:{line}"


#: Far above what save() writes; a bigger file is skipped (parsing JSON takes about ten
#: times its size in memory). The caps above are applied when reading as well.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_RANK = 64  # dimensions of a recorded shape


def _is_shape(shape: Any) -> bool:
    return (
        isinstance(shape, list)
        and len(shape) <= MAX_RANK
        and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape)
    )


def _read(root: Path) -> dict[str, Any] | None:
    """The parsed file under *root*, or None when it is missing, too big, not JSON (also
    nested too deeply to parse), or not this version's format."""
    file = path_for(root)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            return None
        data = parse_json(file.read_bytes(), MAX_FILE_BYTES)
    except OSError:
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    return data


def load_all(root: Path) -> tuple[Observations, ModelSites]:
    """The call sites and the load sites stored under *root*, from one read of the file."""
    data = _read(root)
    return _calls(data), _models(data)


def load(root: Path) -> Observations:
    """The observations stored under *root* (empty when there are none or the file is bad)."""
    return _calls(_read(root))


def _calls(data: dict[str, Any] | None) -> Observations:
    if data is None:
        return {}
    sites = data.get("sites", {})
    out: Observations = {}
    if not isinstance(sites, dict):
        return out
    for site, inputs in itertools.islice(sites.items(), MAX_SITES):
        if not isinstance(inputs, dict) or len(inputs) > MAX_SPECS:
            continue
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            # save() keeps the most observed values first: more are never read.
            out[site] = {
                name: [Observed.from_json(o) for o in obs[:MAX_VALUES]]
                for name, obs in inputs.items()
            }
    return out


def merge(base: Observations, new: Observations) -> Observations:
    """*base* plus *new*: counts add up; at most MAX_VALUES values per input and MAX_SITES
    sites (the least observed are dropped first)."""
    merged: Observations = {
        site: {n: list(o) for n, o in inputs.items()} for site, inputs in base.items()
    }
    for site, inputs in new.items():
        target = merged.setdefault(site, {})
        for name, observations in inputs.items():
            counts: dict[Value, int] = {o.value: o.count for o in target.get(name, [])}
            for o in observations:
                counts[o.value] = counts.get(o.value, 0) + o.count
            best = sorted(counts.items(), key=lambda kv: -kv[1])[:MAX_VALUES]
            target[name] = [Observed(v, c) for v, c in best]
    if len(merged) > MAX_SITES:
        weight = {s: sum(o.count for obs in i.values() for o in obs) for s, i in merged.items()}
        keep = sorted(merged, key=lambda s: -weight[s])[:MAX_SITES]
        merged = {s: merged[s] for s in keep}
    return merged


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "observed.lock", "w") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        yield


def save(root: Path, new: Observations, models: ModelSites | None = None) -> Path:
    """Merge *new* call observations and *models* (load sites) into the file under *root*,
    under a lock, replacing it atomically."""
    target = path_for(root)
    with _locked(target.parent):
        merged = merge(load(root), new)
        merged_models = merge_models(load_models(root), models or {})
        payload: dict[str, Any] = {
            "version": VERSION,
            "sites": {
                site: {name: [o.to_json() for o in obs] for name, obs in sorted(inputs.items())}
                for site, inputs in sorted(merged.items())
            },
        }
        if merged_models:
            payload["models"] = {key: site.to_json() for key, site in sorted(merged_models.items())}
        fd, temp = tempfile.mkstemp(prefix=".observed.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1)
        os.replace(temp, target)
    return target


def agreed(observations: list[Observed]) -> Value | None:
    """The one value every run observed for an input, if they all agree."""
    values = {o.value for o in observations}
    return next(iter(values)) if len(values) == 1 else None


# ------------------------------------------------------------------ load sites
@dataclass(frozen=True)
class ObservedLoad:
    """One folder a run loaded at a load site."""

    #: As loaded: relative to the project root when inside it, else absolute; None when
    #: the model was guarded without its path. A remote path (``gs://``) is kept as is.
    folder: str | None
    tags: tuple[str, ...] | None
    #: The signatures as the run saw them (None when the model was too big to record).
    model: ModelSignatures | None
    count: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "tags": None if self.tags is None else list(self.tags),
            "count": self.count,
            "model": None if self.model is None else _model_json(self.model),
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> ObservedLoad:
        folder, tags, model = data.get("folder"), data.get("tags"), data.get("model")
        if folder is not None and not isinstance(folder, str):
            raise TypeError("folder")
        if tags is not None and not (
            isinstance(tags, list) and all(isinstance(t, str) for t in tags)
        ):
            raise TypeError("tags")
        count = data.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise TypeError("count")
        return ObservedLoad(
            folder,
            None if tags is None else tuple(tags),
            None if model is None else _model_from_json(model, folder),
            count,
        )


@dataclass(frozen=True)
class ModelSite:
    """A load call a run executed: its lines, its source text, the folders it loaded."""

    line: int
    end_line: int
    text: str
    loads: tuple[ObservedLoad, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "end_line": self.end_line,
            "text": self.text,
            "loads": [load.to_json() for load in self.loads],
        }

    @staticmethod
    def from_json(line: int, data: Mapping[str, Any]) -> ModelSite:
        end_line, text, loads = data.get("end_line"), data.get("text"), data.get("loads")
        if not isinstance(end_line, int) or end_line < line or not isinstance(text, str):
            raise TypeError("end_line/text")
        if not isinstance(loads, list) or not loads:
            raise TypeError("loads")
        # The newest are last and save() keeps MAX_FOLDERS: more are never read.
        newest = loads[-MAX_FOLDERS:]
        return ModelSite(line, end_line, text, tuple(ObservedLoad.from_json(x) for x in newest))


#: "path:line" (path relative to the project root, line of the load call) -> the site.
ModelSites = dict[str, ModelSite]


def _spec_json(spec: TensorSpec) -> dict[str, Any]:
    return {
        "dtype": spec.dtype,
        "shape": None if spec.shape is None else list(spec.shape),
        "encoding": spec.encoding,
    }


def _model_json(model: ModelSignatures) -> dict[str, Any]:
    return {
        "tf2": model.tf2,
        "tags": list(model.tags),
        "signatures": {
            key: {
                "method": sig.method,
                "inputs": {n: _spec_json(s) for n, s in sig.inputs.items()},
                "outputs": {n: _spec_json(s) for n, s in sig.outputs.items()},
                "optional_inputs": sorted(sig.optional_inputs),
            }
            for key, sig in model.signatures.items()
        },
    }


def _spec_from_json(name: str, data: Any) -> TensorSpec:
    dtype, shape, encoding = data["dtype"], data["shape"], data.get("encoding", "dense")
    if not isinstance(dtype, str) or not isinstance(encoding, str):
        raise TypeError("dtype")
    if shape is not None and not (
        isinstance(shape, list)
        and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape)
    ):
        raise TypeError("shape")
    return TensorSpec(name, dtype, None if shape is None else tuple(shape), encoding)


def _model_from_json(data: Any, folder: str | None) -> ModelSignatures:
    tf2, tags, signatures = data["tf2"], data["tags"], data["signatures"]
    if not isinstance(tf2, bool) or not isinstance(signatures, dict) or not isinstance(tags, list):
        raise TypeError("model")
    if len(signatures) > MAX_SIGNATURES or any(
        not isinstance(sig, dict)
        or not isinstance(sig.get("inputs"), dict)
        or not isinstance(sig.get("outputs"), dict)
        or len(sig["inputs"]) + len(sig["outputs"]) > MAX_SPECS
        for sig in signatures.values()
    ):
        raise TypeError("model too big")  # save() records such a model by folder only
    sigs = {}
    for key, sig in signatures.items():
        optional = sig.get("optional_inputs", [])
        if not isinstance(sig["method"], str) or not isinstance(optional, list):
            raise TypeError("signature")
        sigs[str(key)] = Signature(
            str(key),
            sig["method"],
            {str(n): _spec_from_json(str(n), s) for n, s in sig["inputs"].items()},
            {str(n): _spec_from_json(str(n), s) for n, s in sig["outputs"].items()},
            frozenset(str(o) for o in optional),
        )
    return ModelSignatures(Path(folder or "<observed model>"), tuple(map(str, tags)), sigs, tf2)


def recordable(model: ModelSignatures) -> bool:
    """Small enough to store in observed.json (bounds: MAX_SIGNATURES, MAX_SPECS)."""
    return len(model.signatures) <= MAX_SIGNATURES and all(
        len(s.inputs) + len(s.outputs) <= MAX_SPECS for s in model.signatures.values()
    )


def load_models(root: Path) -> ModelSites:
    """The load sites stored under *root*. Entries that cannot be read (another version,
    hand-edited) are left out, silently; so is the whole section of a bad file."""
    return _models(_read(root))


def _models(data: dict[str, Any] | None) -> ModelSites:
    if data is None:
        return {}
    sites = data.get("models", {})
    out: ModelSites = {}
    if not isinstance(sites, dict):
        return out
    for key, entry in itertools.islice(sites.items(), MAX_MODEL_SITES):
        _, sep, line = str(key).rpartition(":")
        if not sep or not line.isdigit() or not isinstance(entry, dict):
            continue
        with contextlib.suppress(ValueError, TypeError, AttributeError, KeyError):
            out[key] = ModelSite.from_json(int(line), entry)
    return out


def merge_models(base: ModelSites, new: ModelSites) -> ModelSites:
    """*base* plus *new*: a site whose source text changed starts afresh; per folder the
    newest signatures win (a re-exported model) and counts add up; at most MAX_FOLDERS
    folders per site (the newest kept) and MAX_MODEL_SITES sites (the least used dropped)."""
    merged = dict(base)
    for key, site in new.items():
        old = merged.get(key)
        if old is None or (old.text, old.end_line) != (site.text, site.end_line):
            merged[key] = site
            continue
        loads = {load.folder: load for load in old.loads}
        for load in site.loads:
            before = loads.pop(load.folder, None)
            count = load.count + (before.count if before is not None else 0)
            loads[load.folder] = replace(load, count=count)
        newest = list(reversed(loads.values()))[:MAX_FOLDERS]
        merged[key] = replace(site, loads=tuple(reversed(newest)))
    if len(merged) > MAX_MODEL_SITES:
        weight = {k: sum(x.count for x in s.loads) for k, s in merged.items()}
        keep = sorted(merged, key=lambda k: -weight[k])[:MAX_MODEL_SITES]
        merged = {k: merged[k] for k in keep}
    return merged


@dataclass(frozen=True)
class ObservedModel:
    """What the ``observed`` resolution step found for one load."""

    #: The folder (as the findings name it) and the signatures to check calls against, or
    #: None with *reason* saying why the observation cannot be used.
    folder: Path | None
    model: ModelSignatures | None
    reason: str


def find_site(
    sites: ModelSites, root: Path, path: str, line: int, lines: list[str]
) -> ModelSite | None:
    """The recorded load call of *path* (a source file) that spans *line*, if its source
    text still matches *lines* (the file's current lines): an edited file whose load moved
    or changed matches no stale entry."""
    prefix = site_key(root, path, 0)[:-1]
    for key, site in sites.items():
        if not key.startswith(prefix) or key[len(prefix) :] != str(site.line):
            continue
        if site.line <= line <= site.end_line and site.text == source_text(
            lines, site.line, site.end_line
        ):
            return site
    return None


def source_text(lines: list[str], line: int, end_line: int) -> str:
    """Lines *line*..*end_line* (1-based) stripped and joined: what a load site stores."""
    return "\n".join(t.strip() for t in lines[line - 1 : end_line])[:MAX_TEXT]


def resolve_site(site: ModelSite, root: Path, tags: tuple[str, ...] | None) -> ObservedModel:
    """The model a recorded load site stands for. A recorded folder that still exists is
    read from disk (fresh: the model may have been re-exported since); otherwise the
    signatures the run recorded are used. Runs that loaded models with different
    signatures there leave the load unknown (no single model to check against)."""
    found: list[tuple[str, ModelSignatures, bool]] = []
    for load in site.loads:
        name = load.folder or "<guarded model>"
        folder = _local(root, load.folder)
        if folder is not None and _exists(folder):
            try:
                found.append((name, _read_signatures(folder, tags or load.tags), True))
            except ModelReadError as error:
                return ObservedModel(None, None, f"observed at run time, now unreadable: {error}")
        elif load.model is not None:
            found.append((name, load.model, False))
        else:
            return ObservedModel(
                None, None, f"the model observed at run time ({name}) is gone and not recorded"
            )
    if len({(m.tf2, _frozen(m)) for _, m, _ in found}) != 1:
        names = ", ".join(sorted({n for n, _, _ in found}))
        return ObservedModel(
            None, None, f"runs loaded models with different signatures here ({names})"
        )
    name, model, on_disk = found[-1]
    display = _display(_local(root, site.loads[-1].folder)) if on_disk else Path(name)
    note = "" if on_disk else " (the folder is gone: signatures as recorded)"
    return ObservedModel(
        display, replace(model, path=display), f"model observed at run time: {name}{note}"
    )


def _frozen(model: ModelSignatures) -> Any:
    return tuple(
        sorted(
            (
                k,
                tuple(sorted(s.inputs.items())),
                tuple(sorted(s.outputs.items())),
                tuple(sorted(s.optional_inputs)),
            )
            for k, s in model.signatures.items()
        )
    )


def _display(folder: Path | None) -> Path:
    """*folder* relative to the working directory when below it (as other resolutions)."""
    assert folder is not None
    try:
        return Path(os.path.normpath(folder)).relative_to(Path.cwd())
    except ValueError:
        return Path(os.path.normpath(folder))


def source_lines(text: str) -> list[str]:
    """*text* split into lines the way Python numbers them (``\\n``, ``\\r\\n``, lone ``\\r``)."""
    return _NEWLINE.split(text)


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _local(root: Path, folder: str | None) -> Path | None:
    if folder is None or "://" in folder:
        return None
    return Path(folder) if os.path.isabs(folder) else root / folder


def _exists(path: Path | None) -> bool:
    try:
        return path is not None and path.is_dir()
    except OSError:
        return False


def folder_key(root: Path, folder: str) -> str:
    """How a loaded folder is stored: relative to *root* when inside it, else absolute."""
    if "://" in folder:
        return folder
    absolute = Path(os.path.abspath(folder))
    try:
        return absolute.relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        try:
            return absolute.resolve().relative_to(root.resolve()).as_posix() or "."
        except (ValueError, OSError):
            return absolute.as_posix()


def resolve_loads(
    sites: ModelSites,
    root: Path,
    path: str,
    text: str,
    loads: list[ModelLoad],
    tag_set: tuple[str, ...] | None,
) -> Iterator[tuple[ModelLoad, ObservedModel]]:
    """For each of *loads* (of the source *text* at *path*) that a run recorded, the model
    it stands for (:func:`resolve_site`)."""
    if not sites:
        return
    lines = source_lines(text)
    for load in loads:
        site = find_site(sites, root, path, load.span.line, lines)
        if site is not None:
            yield load, resolve_site(site, root, load.tags or tag_set)
