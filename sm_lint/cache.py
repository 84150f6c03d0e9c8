"""An on-disk cache of analysis facts, so unchanged files are not parsed again.

Only what is derived from a file's own text is cached: the facts the interpreter finds
(model loads, lookups, calls, inferred values), keyed by sm-lint's version, the file's path
and its exact bytes. Model resolution, the models' signatures, the configuration and
``# noqa`` are applied afresh on every run, so a changed model or setting can never be
served stale. Entries are JSON (never pickle) and written with an atomic rename, so
concurrent runs are safe.

This is the second level: the CLI first asks the result cache (:mod:`sm_lint.results`),
which answers unchanged files with their final findings without reading them; the files it
cannot answer come here, where a file touched but not changed is still not parsed again.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sm_lint import __version__
from sm_lint.analysis import facts
from sm_lint.results import CACHE_FOLDER, code_digest
from sm_lint.semantics import Kind, Value
from sm_lint.untrusted import conforms, parse_json

FOLDER = CACHE_FOLDER
_SCHEMA = 6  # 5: restored-function calls, argument structures, TF Serving REST requests; 6: verbs
#: An entry bigger than this is not read (the facts of a source at the size limit take a
#: few MB at most).
MAX_ENTRY_BYTES = 64 * 2**20

# Every dataclass a FileFacts holds, by name, for decoding.
_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        facts.FileFacts,
        facts.ModelLoad,
        facts.LayerOptions,
        facts.SignatureLookup,
        facts.SignatureCall,
        facts.CallSite,
        facts.Argument,
        facts.Passed,
        facts.JsonValue,
        facts.RestRequest,
        facts.OutputAccess,
        facts.Span,
        facts.ModelSave,
        facts.DerivedSignature,
        facts.DerivedSpec,
        Value,
    )
}
#: Fields written only when set (a file that imports no project module, or sends no gRPC
#: request, encodes as before;
#: sm-lint's code is in every entry's key, so no older entry is ever read).
_OMITTED_WHEN_DEFAULT = frozenset(
    {"file", "imports", "proto", "grpc", "layer_options", "alternatives"}
)


def _encode(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {
            f.name: _encode(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if not (f.name in _OMITTED_WHEN_DEFAULT and getattr(obj, f.name) == f.default)
        }
        out["__t"] = type(obj).__name__
        return out
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (tuple, list)):
        return [_encode(item) for item in obj]
    return obj


def _decode(data: Any, hint: str | None = None) -> Any:
    if isinstance(data, dict) and "__t" in data:
        cls = _TYPES[data["__t"]]
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            value = _decode(data[f.name])
            if cls is Value and f.name == "kind":
                value = Kind(value)
            elif isinstance(value, list):
                value = _tuples(value)
            kwargs[f.name] = value
        return cls(**kwargs)
    if isinstance(data, list):
        return [_decode(item) for item in data]
    return data


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples the frozen dataclasses hold (shapes, fields)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def encode_facts(file_facts: facts.FileFacts) -> str:
    return json.dumps({"schema": _SCHEMA, "facts": _encode(file_facts)}, separators=(",", ":"))


def decode_facts(text: str) -> facts.FileFacts | None:
    """The facts *text* encodes; None for anything else (nested too deeply, wrongly
    typed): a corrupt entry is a cache miss."""
    try:
        data = parse_json(text, MAX_ENTRY_BYTES)
        if not isinstance(data, dict) or data.get("schema") != _SCHEMA:
            return None
        decoded = _decode(data["facts"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return decoded if conforms(decoded, facts.FileFacts) else None


def imports_unchanged(imports: tuple[tuple[str, str], ...]) -> bool:
    """Whether every project module a file's facts were derived from still has its bytes."""
    for path, digest in imports:
        try:
            with open(path, "rb") as handle:
                if hashlib.sha256(handle.read()).hexdigest() != digest:
                    return False
        except OSError:
            return False
    return True


class FactsCache:
    """Facts of analysed files in one cache folder (by default ``.sm-lint/cache``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def _entry(self, path: str, source: bytes) -> Path:
        digest = hashlib.sha256()
        parts = (__version__.encode(), str(_SCHEMA).encode(), code_digest().encode())
        for part in (*parts, os.path.abspath(path).encode()):
            digest.update(part)
            digest.update(b"\0")
        digest.update(source)
        key = digest.hexdigest()
        return self.folder / key[:2] / f"{key}.json"

    def get(self, path: str, source: bytes) -> facts.FileFacts | None:
        try:
            text = self._entry(path, source).read_text(encoding="utf-8")
        except OSError:
            self.misses += 1
            return None
        found = decode_facts(text)
        if found is not None and not imports_unchanged(found.imports):
            found = None  # an imported module of the project changed since
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def has(self, path: str, source: bytes) -> bool:
        """Whether an entry for *path* with exactly *source* exists (not read or checked)."""
        return self._entry(path, source).is_file()

    def put(self, path: str, source: bytes, file_facts: facts.FileFacts) -> None:
        entry = self._entry(path, source)
        try:
            # Inside a folder taken and marked as sm-lint's (sm_lint.cache_folder).
            entry.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".entry.", dir=entry.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(encode_facts(file_facts))
            os.replace(temp, entry)
        except OSError:
            pass  # a read-only tree just means no cache
