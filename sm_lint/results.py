"""The per-file result cache: a warm run answers unchanged files without reading them.

A file's entry holds its final findings (after noqa and the settings) and is valid while
the file's stat signature (size, mtime, ctime, inode, mode) is unchanged, as ruff's cache is.
Findings also depend on what model resolution consulted on disk (SavedModels, the models
folders, the hub caches, ``.sm-lint/observed.json``): a run that analyses files records every
path it stats, lists or opens (:mod:`sm_lint.recording`), and an entry names the part of
that record its findings may depend on; a warm run re-checks each recorded path by stat,
absent paths included. Everything else that shapes findings (the configuration, the working
directory, the environment the hub libraries read, sm-lint's own code) is in the key that
names the index file, so a different setting reads a different index.

One JSON index per key, read whole at the start and replaced with an atomic rename when a
run had something new to say; runs that analyse files write journals first (one per
process, worker processes included), merged into the index at the end. Concurrent runs are
safe: the last to write wins and what the other learnt is simply analysed again next time.
A corrupt or foreign index is ignored. This module stays light (no analysis, no protobuf):
a warm run imports nothing else of sm-lint but the configuration and the walk.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from sm_lint import __version__, installed
from sm_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Related, Severity
from sm_lint.untrusted import conforms, parse_json

_SCHEMA = 1
#: The cache folder below the project root (results and analysis facts).
CACHE_FOLDER = Path(".sm-lint") / "cache"
#: An entry is not stored when its file, or anything it depends on, changed this recently:
#: a second change within the file system's timestamp granularity could keep the stat
#: signature (git's "racy" files). The window is generous so that coarse clocks are covered.
RACY_NS = 1_000_000_000
#: Dependency records kept in one index, at most (each is one stat when validated).
MAX_RECORDS = 20_000
#: An index bigger than this is not read (MAX_RECORDS bounds what a run writes).
MAX_INDEX_BYTES = 256 * 2**20
#: Journals of runs that died are removed after this long.
_STALE_RUN_S = 24 * 3600
#: The environment variables findings can depend on (hub caches, temp folders, home).
_ENV_PREFIXES = ("TFHUB_", "KAGGLEHUB_", "SM_LINT_")
_ENV_NAMES = ("HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH", "TMPDIR", "TEMP", "TMP")

Signature = list[int] | None
#: One recorded file system query: operation ("s" stat, "l" lstat, "d" listing, "r" read),
#: absolute path, signature.
Dep = tuple[str, str, Any]


# ------------------------------------------------------------------ signatures
def stat_signature(op: str, st: os.stat_result) -> list[int]:
    """What a recorded query whose stat is *st* depends on: for a read or a stat of a file
    its content stamp; for a listing the folder's mtime; for a folder's stat only its kind
    and identity; for an lstat the link itself. (An error is :func:`error_signature`.)"""
    kind = stat.S_IFMT(st.st_mode)
    # Devices and pipes count by kind only (/dev/null's times can move with every write).
    content = (kind == stat.S_IFREG and op in "rs") or kind == stat.S_IFLNK
    if content or (op == "d" and kind == stat.S_IFDIR):
        return [st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
    return [kind, st.st_ino, st.st_dev]


def error_signature(error: OSError) -> list[Any]:
    return ["E", error.errno or 0]


def file_signature(st: os.stat_result) -> list[int]:
    """A source file's stat signature (the entry's own validity)."""
    return [st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def racy(sig: Any, now_ns: int) -> bool:
    """Whether a signature was taken too soon after its file changed to be trusted."""
    return isinstance(sig, list) and len(sig) == 6 and now_ns - sig[2] < RACY_NS


# ------------------------------------------------------------------------- key
def code_digest() -> str:
    """A digest of sm-lint's own code, from its files' stat signatures (cheap: no file is
    read), so results and facts found by other code are never served."""
    global _DIGEST
    if _DIGEST is None:
        digest = hashlib.sha256(__version__.encode())
        package = os.path.dirname(os.path.abspath(__file__))
        stack = [package]
        while stack:
            folder = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    stack.append(entry.path)
                elif entry.name.endswith(".py"):
                    try:
                        sig = file_signature(entry.stat())
                    except OSError:
                        sig = []
                    digest.update(f"{entry.path}\0{sig}\0".encode())
        # A notebook's cells are read by the installed IPython's cleanup when there is one.
        digest.update(f"ipython\0{_ipython_signature()}\0".encode())
        # Some findings depend on the installed Keras and tensorflow_hub (sm_lint.installed).
        digest.update(f"installed\0{installed.signature()}\0".encode())
        _DIGEST = digest.hexdigest()
    return _DIGEST


def _ipython_signature() -> object:
    """The stat signature of the installed IPython's input transformations, found without
    importing IPython; None without IPython."""
    try:
        spec = importlib.util.find_spec("IPython")
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            path = os.path.join(folder, "core", "inputtransformer2.py")
            if os.path.exists(path):
                return file_signature(os.stat(path))
    except (ImportError, ValueError, OSError):
        pass
    return None


_DIGEST: str | None = None


def run_key(config: object, extra: Sequence[object] = ()) -> str:
    """The key of everything besides the files that shapes findings: sm-lint's code, the
    configuration (command-line flags applied), the working directory, the environment."""
    env = sorted(
        (k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES
    )
    parts = (_SCHEMA, code_digest(), os.getcwd(), repr(config), env, list(extra))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


# -------------------------------------------------------------------- findings
def encode_finding(d: Diagnostic) -> list[Any]:
    fix = None
    if d.fix is not None:
        edits = [[e.line, e.column, e.end_line, e.end_column, e.text] for e in d.fix.edits]
        fix = [d.fix.description, edits, d.fix.applicability.value]
    related = [
        [r.line, r.column, r.end_line, r.end_column, r.message, r.cell, r.path] for r in d.related
    ]
    return [
        d.path,
        d.line,
        d.column,
        d.end_line,
        d.end_column,
        d.code,
        d.severity.value,
        d.message,
        d.model,
        d.signature,
        fix,
        d.cell,
        d.origin,
        related,
    ]


def decode_finding(data: list[Any]) -> Diagnostic:
    """Raises ValueError, TypeError or IndexError on data it did not write."""
    path, line, column, end_line, end_column, code, severity, message = data[:8]
    model, sig, fix_data, cell, origin, related = data[8:14]
    fix = None
    if fix_data is not None:
        description, edits, applicability = fix_data
        fix = Fix(
            description,
            tuple(Edit(*e) for e in edits),
            Applicability(applicability),
        )
    return Diagnostic(
        path,
        line,
        column,
        end_line,
        end_column,
        code,
        Severity(severity),
        message,
        model,
        sig,
        fix,
        cell,
        origin,
        tuple(Related(*r) for r in related),
    )


# ----------------------------------------------------------------------- cache
class Hit(NamedTuple):
    """A file answered from the cache: its findings and the source line each points at
    (None where the report shows no source line)."""

    findings: list[Diagnostic]
    lines: list[str | None]


class _Journal:
    """Where this process writes the entries it computes (one file per process)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pid = -1
        self.handle: Any = None
        self.flushed = 0  # how much of the process' dependency record is in this journal


class ResultCache:
    """The result cache of one key in *folder* (``<cache dir>/results``). (Plain classes
    here, not dataclasses: building those costs a warm run's start-up.)"""

    def __init__(self, folder: Path, key: str, private: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.key = key
        #: The cache's own folders: what is read or written there is never a dependency.
        self.private = private
        self.hits = 0
        self.misses = 0
        self._index: dict[str, Any] = {}
        self._stale: set[str] = set()
        self._seen: set[str] = set()
        self._journal: _Journal | None = None
        #: The dependency record of this process (filled by :mod:`sm_lint.recording`).
        self.record: Callable[[], list[Dep]] | None = None

    @property
    def index_file(self) -> Path:
        return self.folder / f"{self.key}.json"

    def _load(self) -> dict[str, Any]:
        """The index; empty when it is missing, too big, nested too deeply or not of this
        schema. Entries and records of the wrong shape are left out."""
        try:
            with open(self.index_file, "rb") as handle:
                data = parse_json(handle.read(MAX_INDEX_BYTES + 1), MAX_INDEX_BYTES)
        except OSError:
            return {"logs": {}, "files": {}}
        ok = isinstance(data, dict) and data.get("schema") == _SCHEMA
        if not ok or not isinstance(data.get("files"), dict):
            return {"logs": {}, "files": {}}
        if not isinstance(data.get("logs"), dict):
            return {"logs": {}, "files": {}}
        index: dict[str, Any] = data
        index["logs"] = {k: v for k, v in index["logs"].items() if _is_log(v)}
        index["files"] = {k: e for k, e in index["files"].items() if _is_entry(e)}
        return index

    def lookup(self, files: Sequence[str]) -> tuple[dict[str, Hit], list[str]]:
        """The files answered from the cache (by name as walked), and the rest."""
        self._index = index = self._load()
        entries: dict[str, Any] = index["files"]
        logs: dict[str, Any] = index["logs"]
        valid_upto: dict[str, int] = {}
        now = _Stats()
        hits: dict[str, Hit] = {}
        misses: list[str] = []
        for file in files:
            name = file
            self._seen.add(name)
            entry = entries.get(name)
            hit = None
            if entry is not None:
                try:
                    hit = self._check(name, entry, logs, valid_upto, now)
                except (OSError, ValueError, TypeError, IndexError, KeyError, AttributeError):
                    hit = None
            if hit is None:
                misses.append(file)
                if entry is not None:
                    self._stale.add(name)
            else:
                hits[name] = hit
        self.hits, self.misses = len(hits), len(misses)
        return hits, misses

    def _check(
        self,
        name: str,
        entry: list[Any],
        logs: dict[str, Any],
        valid_upto: dict[str, int],
        now: _Stats,
    ) -> Hit | None:
        sig, log_id, count, found, lines = entry
        if now.own_signature(name) != sig:
            return None
        if log_id is not None and count:
            if log_id not in valid_upto:
                valid_upto[log_id] = _valid_prefix(logs.get(log_id), now)
            if count > valid_upto[log_id]:
                return None
        decoded = [decode_finding(d) for d in found]
        if not all(conforms(d, Diagnostic) for d in decoded):
            return None  # hand-edited: analysed again
        return Hit(decoded, list(lines))

    # ------------------------------------------------------------ journals
    def start_run(self) -> None:
        """Prepare this run's journal folder (before any worker is forked)."""
        # The cache folder was taken and marked before (sm_lint.cache_folder): only the
        # journal is created here, and nothing is ever written outside the folder.
        run = self.folder / f"run-{os.getpid()}-{os.urandom(4).hex()}"
        try:
            run.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # a read-only tree just means no cache
        self._journal = _Journal(run)

    def put(
        self,
        name: str,
        sig: list[int],
        findings: Sequence[Diagnostic],
        lines: Sequence[str | None],
        depends: bool,
        storable: bool,
    ) -> None:
        """Journal one file's result, computed in this process. *depends*: the findings may
        depend on what model resolution consulted (every query this process recorded so far
        counts, so that values remembered between files are covered); else only on the
        file. An entry that is not *storable* still carries the record forward."""
        journal = self._journal
        if journal is None:
            return
        record = self.record() if self.record is not None else []
        try:
            if journal.pid != os.getpid():  # a forked worker: its own file, the whole record
                journal.pid, journal.flushed = os.getpid(), 0
                journal.handle = open(journal.folder / f"{journal.pid}.jsonl", "a")  # noqa: SIM115
            new = record[journal.flushed :]
            journal.flushed = len(record)
            line = {
                "f": name,
                "deps": [list(d) for d in new],
                "n": len(record) if depends else 0,
                "store": storable,
                "e": [sig, [encode_finding(d) for d in findings], list(lines)],
            }
            journal.handle.write(json.dumps(line, separators=(",", ":")) + "\n")
            journal.handle.flush()
        except (OSError, ValueError, TypeError):
            self._journal = None

    def finish(self) -> None:
        """Merge this run's journals into the index (atomically replaced)."""
        journal, self._journal = self._journal, None
        if journal is None:
            if self._stale:
                self._write()
            return
        if journal.handle is not None and journal.pid == os.getpid():
            journal.handle.close()
        index = self._index or self._load()
        logs, files = index["logs"], index["files"]
        for name in self._stale:
            files.pop(name, None)
        for name in [n for n in files if n not in self._seen]:
            if not os.path.lexists(name):  # deleted or renamed since it was cached
                del files[name]
        for part in sorted(journal.folder.glob("*.jsonl")):
            log_id = f"{journal.folder.name[4:]}-{part.stem}"
            log: list[Any] = []
            try:
                text = part.read_text(encoding="utf-8")
            except OSError:
                continue
            for raw in text.splitlines():
                try:
                    item = json.loads(raw)
                except ValueError:
                    break  # a worker that died mid-line: what follows is lost
                log.extend(item["deps"])
                if item["store"]:
                    sig, found, lines = item["e"]
                    files[item["f"]] = [sig, log_id if item["n"] else None, item["n"], found, lines]
            logs[log_id] = log
        import shutil

        shutil.rmtree(journal.folder, ignore_errors=True)
        self._index = index
        self._write()

    def _write(self) -> None:
        index = self._index
        files, logs = index["files"], index["logs"]
        used = {entry[1] for entry in files.values() if entry[1] is not None}
        logs = {k: v for k, v in logs.items() if k in used}
        # Each run that analysed files adds its record; entries of old runs keep theirs.
        # Past a bound the oldest records go, with the entries that need them (their files
        # are analysed again, from the facts cache): the index stays quick to read.
        total = sum(len(v) for v in logs.values())
        for old in list(logs)[:-1]:
            if total <= MAX_RECORDS:
                break
            total -= len(logs.pop(old))
        if len(logs) < len(used):
            index["files"] = {k: e for k, e in files.items() if e[1] is None or e[1] in logs}
        index["logs"] = logs
        index["schema"] = _SCHEMA
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            import tempfile

            fd, temp = tempfile.mkstemp(prefix=".index.", dir=self.folder)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(index, handle, separators=(",", ":"))
            os.replace(temp, self.index_file)
        except OSError:
            return
        _remove_dead_runs(self.folder)


def _is_entry(entry: Any) -> bool:
    """An index entry's shape: [signature, log id, count, findings, lines]. (Checked for
    every file on every warm run: most entries have no findings, so no loop is started.)"""
    if not isinstance(entry, list) or len(entry) != 5:
        return False
    sig, log_id, count, found, lines = entry
    return (
        isinstance(sig, list)
        and (log_id is None or isinstance(log_id, str))
        and isinstance(count, int)
        and isinstance(found, list)
        and isinstance(lines, list)
        and (not found or all(isinstance(d, list) for d in found))
        and (not lines or all(line is None or isinstance(line, str) for line in lines))
    )


def _is_log(log: Any) -> bool:
    """A dependency record's shape: [[op, path, signature], ...]."""
    return isinstance(log, list) and all(
        isinstance(q, list) and len(q) == 3 and isinstance(q[0], str) and isinstance(q[1], str)
        for q in log
    )


class _Stats:
    """The file system as one lookup sees it: each path stat'ed once, however many records
    name it and with whichever queries (a module's stat and read, a source file that is also
    another file's dependency). A plain class: see ResultCache."""

    def __init__(self) -> None:
        #: Walked names are relative to the working directory; records hold absolute paths.
        self._cwd = os.path.join(os.getcwd(), "")
        self._stats: dict[str, os.stat_result | list[Any]] = {}
        self._lstats: dict[str, os.stat_result | list[Any]] = {}
        self._signatures: dict[tuple[str, str], Any] = {}

    def _stat(self, path: str, follow: bool) -> os.stat_result | list[Any]:
        """The path's stat, or its error's signature."""
        memo = self._stats if follow else self._lstats
        found = memo.get(path)
        if found is None:
            try:
                found = os.stat(path) if follow else os.lstat(path)
            except OSError as error:
                found = error_signature(error)
            except ValueError:
                found = ["E", -1]
            memo[path] = found
        return found

    def signature(self, op: str, path: str) -> Any:
        """What the recorded query *op* of *path* answers now (:func:`stat_signature`, or
        the error's signature: absent, no permission)."""
        key = (op, path)
        sig = self._signatures.get(key)
        if sig is None:
            found = self._stat(path, op != "l")
            sig = stat_signature(op, found) if isinstance(found, os.stat_result) else found
            self._signatures[key] = sig
        return sig

    def own_signature(self, name: str) -> list[int] | None:
        """:func:`file_signature` of a file to lint, by its name as walked; None when it
        cannot be stat'ed. (Concatenated, not os.path.abspath: that costs more than the
        stat; a name that is not normalised just gets a stat of its own.)"""
        found = self._stat(name if os.path.isabs(name) else self._cwd + name, True)
        return file_signature(found) if isinstance(found, os.stat_result) else None


def _valid_prefix(log: Any, now: _Stats) -> int:
    """How many of a dependency record's first queries still give the same answer."""
    if not isinstance(log, list):
        return 0
    for i, (op, path, sig) in enumerate(log):
        if now.signature(op, path) != sig:
            return i
    return len(log)


def _remove_dead_runs(folder: Path) -> None:
    """Remove the journals of runs that died, and nothing else: only folders named as
    :meth:`ResultCache.start_run` names them, never through a link."""
    cutoff = time.time() - _STALE_RUN_S
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not _is_run_name(entry.name):
            continue
        try:
            own = entry.is_dir(follow_symlinks=False)
            dead = own and entry.stat(follow_symlinks=False).st_mtime < cutoff
        except OSError:
            continue
        if dead:
            import shutil

            shutil.rmtree(entry.path, ignore_errors=True)


def _is_run_name(name: str) -> bool:
    """Whether *name* is a journal folder's: ``run-<pid>-<8 hex digits>`` (start_run's)."""
    parts = name.split("-")
    if len(parts) != 3 or parts[0] != "run" or not parts[1] or len(parts[2]) != 8:
        return False
    return set(parts[1]) <= set("0123456789") and set(parts[2]) <= set("0123456789abcdef")


def open_cache(folder: Path, config: object, private: Iterable[Path] = ()) -> ResultCache:
    """The result cache for *config* under the cache folder *folder*."""
    return ResultCache(
        folder / "results",
        run_key(config),
        private=tuple(os.path.abspath(p) for p in (folder, *private)),
    )
