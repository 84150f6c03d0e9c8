"""The worker processes of a whole-tree lint (``--jobs N``).

The files are read by *jobs* forked readers, a run of files each, which look for the names
of a model load in each file's bytes (C speed: most files stop there, with nothing to
report) and hand back each file that needs the analysis. The first such file starts the
workers: this process imports the analysis for them (about 0.3 s) while the readers read on.
Whether a file that names no load imports a project module that does is asked once its
reader has read all of its files, when the files that name one are with the workers. Each
file that needs the analysis goes to whichever worker is free (its compile and its analysis
run there), so one large file does not hold up a fixed share of the others. A tree whose
files name no load never imports the analysis nor starts a worker.

A worker that dies (killed, out of memory, a crash in native code) costs only the file it was
analysing: that file gets an SM900 and the run goes on. If a reader dies, this process reads
the files it had not answered for.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import itertools
import mmap
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from sm_lint.diagnostics import INTERNAL_ERROR, Diagnostic, Severity
from sm_lint.sources import SourceKind, kind_of
from sm_lint.sources.precheck import Verdict, precheck, words_match
from sm_lint.sources.reach import Reach


class Linter(Protocol):
    """What the workers need of a linter (:class:`sm_lint.api.Linter` is one)."""

    reach: Reach

    def read_bytes(self, file: Path) -> tuple[os.stat_result, bytes]: ...
    def lint_file(self, path: str | os.PathLike[str]) -> list[Diagnostic]: ...
    def nothing_to_analyse(self, path: Path, read_from: os.stat_result) -> list[Diagnostic]: ...


#: Fewer files than this are linted in this process alone.
PARALLEL_MIN_FILES = 16
#: How many bytes of the files that name no load are kept for the question about their
#: imports; the files beyond are read again.
_KEPT_BYTES = 64 << 20

_worker: Linter | None = None


def lint_in_processes(linter: Linter, files: list[Path], jobs: int) -> list[Diagnostic] | None:
    """The findings of *files*, in their order, linted with *jobs* forked workers; None
    where processes cannot be used (then nothing was reported)."""
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return None
    run = _Run(linter, files, context, jobs)
    try:
        run.start_readers()
        run.serve()
        if run.pool is not None:
            run.pool.drain()
    except OSError:
        if run.pool is None or not run.pool.started:
            return None
        raise
    finally:
        run.close()
    return [d for found in run.results if found is not None for d in found]


class _Reader:
    """A forked child reading the files *indexes*, and what it has answered for so far."""

    def __init__(self, indexes: range, pid: int, conn: Any, alive_w: int) -> None:
        self.indexes, self.pid, self.conn, self.alive_w = indexes, pid, conn, alive_w
        self.answered: set[int] = set()

    def end(self, kill: bool = False) -> None:
        """Reap the child (killed first with *kill*) and close what led to it."""
        if kill:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        self.conn.close()
        with contextlib.suppress(OSError):
            os.close(self.alive_w)


class _Run:
    """One parallel run: the files, their findings so far (None: not yet known), the
    readers, and the workers once a file needs the analysis. In a reader, *conn* is where
    its answers go."""

    def __init__(self, linter: Linter, files: list[Path], context: Any, jobs: int) -> None:
        self.linter, self.files, self.context, self.jobs = linter, files, context, jobs
        self.results: list[list[Diagnostic] | None] = [None] * len(files)
        self.pool: _Pool | None = None  # none until a file needs the analysis
        self.readers: list[_Reader] = []
        #: The runs of files no reader could be forked for.
        self.unread: list[range] = []
        #: One byte shared with the readers, set once a file needs the analysis (the
        #: workers run, or are about to): a reader then leaves the compile of a file whose
        #: bytes name a load to them.
        self.started = mmap.mmap(-1, 1)
        self.conn: Any = None
        #: Files whose bytes name no load: (index, file, stat, bytes or None when not kept).
        self.later: list[tuple[int, Path, os.stat_result, bytes | None]] = []
        self.kept = 0

    def start_readers(self) -> None:
        """Share the reading out to *jobs* forked readers, a run of files each (the runs
        of those that could not be forked are read by this process, in :meth:`serve`)."""
        count = len(self.files)
        bounds = [count * k // self.jobs for k in range(self.jobs + 1)]
        runs = [range(lo, hi) for lo, hi in itertools.pairwise(bounds) if lo < hi]
        for k, indexes in enumerate(runs):
            if not self._fork_reader(indexes):
                self.unread = runs[k:]
                break

    def _fork_reader(self, indexes: range) -> bool:
        alive_r, alive_w = os.pipe()
        mine, theirs = self.context.Pipe(duplex=False)
        try:
            pid = os.fork()
        except OSError:
            for fd in (alive_r, alive_w):
                os.close(fd)
            mine.close()
            theirs.close()
            return False
        if pid == 0:
            code = 1
            try:
                mine.close()
                os.close(alive_w)
                for reader in self.readers:  # the other readers' ends are not this one's
                    reader.conn.close()
                    os.close(reader.alive_w)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent reports Ctrl-C
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _die_with_parent(os.getppid(), alive_r)
                self.conn, self.readers = theirs, []
                self.read(indexes, frozenset())
                theirs.send(("end",))
                code = 0
            finally:
                os._exit(code)
        os.close(alive_r)
        theirs.close()
        self.readers.append(_Reader(indexes, pid, mine, alive_w))
        return True

    def serve(self) -> None:
        """Act on what the readers answer until each has read its files; read here the
        files of a reader that died first (all of them when none could be forked)."""
        from multiprocessing.connection import wait

        for indexes in self.unread:
            self.read(indexes, frozenset())
        reading: dict[Any, _Reader] = {reader.conn: reader for reader in self.readers}
        while reading:
            waiting = list(reading)
            ready = wait(waiting) if self.pool is None else self.pool.wait_also(waiting)
            for conn in ready:
                reader = reading[conn]
                message: tuple[Any, ...]
                try:
                    message = reader.conn.recv()
                except (EOFError, OSError):
                    message = ("died",)
                if message[0] in ("end", "died"):
                    del reading[conn]
                    self.readers.remove(reader)
                    reader.end()
                    if message[0] == "died":
                        self.read(reader.indexes, reader.answered)
                    continue
                index = message[1]
                reader.answered.add(index)
                if message[0] == "analyse":
                    self._analyse(index, self.files[index])
                elif message[0] == "serial":
                    self.results[index] = self.linter.lint_file(self.files[index])
                else:
                    self.results[index] = message[2]

    def read(self, indexes: range, done: frozenset[int] | set[int]) -> None:
        """Settle the files *indexes*, except those in *done*: first each by its bytes,
        then those whose imports are to be asked."""
        for index in indexes:
            if index in done:
                continue
            file = self.files[index]
            read = _read(self.linter, file)
            if not self._settled(index, file, read):
                assert read is not None
                keep = self.kept + len(read[1]) <= _KEPT_BYTES
                self.kept += len(read[1]) if keep else 0
                self.later.append((index, file, read[0], read[1] if keep else None))
        later, self.later = self.later, []
        for index, file, read_from, data in later:
            if data is None:
                read = _read(self.linter, file)
                if self._settled(index, file, read):  # changed meanwhile
                    continue
                assert read is not None
                read_from, data = read
            elif self.pool is not None:
                self.pool.poll()
            notebook = kind_of(file) is SourceKind.NOTEBOOK
            if self.linter.reach.through_imports(str(file), data, notebook=notebook):
                self._analyse(index, file)
            else:
                self._found(index, self.linter.nothing_to_analyse(file, read_from))

    def _settled(self, index: int, file: Path, read: tuple[os.stat_result, bytes] | None) -> bool:
        """Settle *file* now if its bytes do; False: its imports are to be asked."""
        if self.pool is not None:
            self.pool.poll()
        if read is None:  # what cannot be read: reported as serially, by the parent
            if self.conn is not None:
                self.conn.send(("serial", index))
            else:
                self.results[index] = self.linter.lint_file(file)
        elif _names_a_load(read[1], file, started=self.started[0] == 1):
            self._analyse(index, file)
        else:
            return False
        return True

    def _found(self, index: int, found: list[Diagnostic]) -> None:
        if self.conn is None:
            self.results[index] = found
        elif found:
            self.conn.send(("found", index, found))

    def _analyse(self, index: int, file: Path) -> None:
        self.started[0] = 1
        if self.conn is not None:
            self.conn.send(("analyse", index))
            return
        if self.pool is None:
            _import_analysis()  # once, here: the forked workers inherit it
            self.pool = _Pool(self.context, self.linter, self.jobs, self.results)
        self.pool.submit(index, file)

    def close(self) -> None:
        for reader in self.readers:
            reader.end(kill=True)
        self.readers.clear()
        if self.pool is not None:
            self.pool.close()
        self.started.close()


def _read(linter: Linter, file: Path) -> tuple[os.stat_result, bytes] | None:
    """The stat and bytes of *file*; None when it cannot be read or is binary."""
    try:
        read_from, data = linter.read_bytes(file)
    except OSError:
        return None
    return None if b"\0" in data else (read_from, data)


def _names_a_load(data: bytes, file: Path, *, started: bool) -> bool:
    """Whether *data* names a model load: its bytes, and until the workers run (*started*),
    the compiler too (a tree whose word matches are all in prose or strings never starts
    the workers and the analysis, 0.5 s); once they run, matching files are compiled
    there."""
    notebook = kind_of(file) is SourceKind.NOTEBOOK
    return words_match(data, notebook=notebook) and (
        started or precheck(data, notebook=notebook) is not Verdict.SKIP
    )


def _init_worker(linter: Linter) -> None:
    global _worker
    _worker = linter
    # The collector need not walk the imported modules again and again: they live as long
    # as the worker.
    gc.freeze()


def _import_analysis() -> None:
    """Import what analysing a file needs (libcst, the interpreter)."""
    import libcst  # noqa: F401

    from sm_lint.analysis import interpreter, parse  # noqa: F401


def _lint_path(path: Path) -> list[Diagnostic]:
    assert _worker is not None
    return _worker.lint_file(path)


class _Worker:
    """One worker process, its end of the pipe and the file it is analysing (mutable)."""

    __slots__ = ("conn", "process", "task")

    def __init__(self, process: Any, conn: Any) -> None:
        self.process, self.conn = process, conn
        self.task: tuple[int, Path] | None = None


class _Pool:
    """Forked workers, one file at a time each; a worker's death is seen (its sentinel)
    and charged to its file alone, and a new worker takes its place."""

    def __init__(self, context: Any, linter: Linter, jobs: int, results: list[Any]) -> None:
        self.context, self.linter, self.jobs, self.results = context, linter, jobs, results
        self.pending: collections.deque[tuple[int, Path]] = collections.deque()
        self.workers: list[_Worker] = []
        self.started = False
        self._next_poll = 0.0
        # Readable until this process is gone: a worker's watchdog reads it (portable; on
        # Linux the kernel's parent-death signal acts first).
        self.alive_r, self.alive_w = os.pipe()
        for _ in range(jobs):
            self._spawn()

    def _spawn(self) -> None:
        mine, theirs = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main,
            args=(self.linter, theirs, os.getpid(), self.alive_r, self.alive_w),
            daemon=True,
        )
        process.start()
        self.started = True
        theirs.close()
        self.workers.append(_Worker(process, mine))

    def submit(self, index: int, path: Path) -> None:
        self.pending.append((index, path))
        self._dispatch()
        self._collect(0)

    def poll(self) -> None:
        """Hand a waiting file to each worker that has finished its own (no waiting). Asked
        between the files this process reads, so it looks at most once a millisecond: a
        file takes a worker several."""
        if self.pending:
            now = time.monotonic()
            if now >= self._next_poll:
                self._next_poll = now + 0.001
                self._collect(0)
                self._dispatch()

    def drain(self) -> None:
        while self.pending or any(w.task is not None for w in self.workers):
            self._dispatch()
            self._collect(None)

    def wait_also(self, others: list[Any]) -> list[Any]:
        """Hand out waiting files, then wait for a worker's answer or death, or for one of
        *others* (connections) to be readable: those that are."""
        self._dispatch()
        return self._collect(None, others)

    def _dispatch(self) -> None:
        for worker in list(self.workers):
            if worker.task is None and self.pending:
                task = self.pending.popleft()
                try:
                    worker.conn.send(task[1])
                except OSError:  # died idle: not the file's doing
                    self.pending.appendleft(task)
                    self._buried(worker)
                    continue
                worker.task = task

    def _collect(self, timeout: float | None, others: list[Any] | None = None) -> list[Any]:
        from multiprocessing.connection import wait

        waiting = {}
        for worker in self.workers:
            waiting[worker.process.sentinel] = worker
            if worker.task is not None:
                waiting[worker.conn] = worker
        readable: list[Any] = []
        for ready in wait(list(waiting) + (others or []), timeout):
            if ready not in waiting:
                readable.append(ready)
                continue
            worker = waiting[ready]
            if worker not in self.workers:
                continue  # buried already (its pipe and its sentinel were both ready)
            if worker.task is not None and worker.conn.poll():
                try:
                    self.results[worker.task[0]] = worker.conn.recv()
                    worker.task = None
                    continue
                except (EOFError, OSError):
                    pass  # died before or while answering
            elif ready is not worker.process.sentinel:
                continue
            self._buried(worker)
        return readable

    def _buried(self, worker: _Worker) -> None:
        """*worker* has died: its file gets an SM900; a new worker takes its place."""
        worker.process.join()
        worker.conn.close()
        self.workers.remove(worker)
        if worker.task is not None:
            index, path = worker.task
            self.results[index] = [_died(os.fspath(path), worker.process.exitcode)]
        if self.pending and len(self.workers) < self.jobs:
            self._spawn()

    def close(self) -> None:
        """End every worker now (nothing of theirs is worth waiting for: each answer is
        sent, and journalled, whole)."""
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in self.workers:
            worker.process.join()
            worker.conn.close()
        self.workers.clear()
        for fd in (self.alive_r, self.alive_w):
            with contextlib.suppress(OSError):
                os.close(fd)


def _worker_main(linter: Linter, conn: Any, parent: int, alive_r: int, alive_w: int) -> None:
    """A worker: lint each path the parent sends until told to stop or the parent is gone."""
    # Ctrl-C reaches the whole process group: the parent reports it and ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler
    os.close(alive_w)
    _die_with_parent(parent, alive_r)
    _init_worker(linter)
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        conn.send(_lint_path(path))


def _die_with_parent(parent: int, alive_r: int) -> None:
    """Never outlive the parent: on Linux the kernel kills this process when the parent
    dies (PR_SET_PDEATHSIG); everywhere, a thread exits when the parent's pipe closes."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        with contextlib.suppress(OSError):
            os.read(alive_r, 1)  # returns only at end of file: the parent is gone
        os._exit(1)

    threading.Thread(target=watch, name="sm-lint-parent-watch", daemon=True).start()


def _died(name: str, exitcode: int | None) -> Diagnostic:
    """The SM900 finding for a file whose worker process died while analysing it."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"signal {-exitcode}, {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"signal {-exitcode}"
    else:
        how = f"exit status {exitcode}"
    return Diagnostic(
        name,
        1,
        1,
        1,
        1,
        "SM900",
        Severity.ERROR,
        f"{INTERNAL_ERROR} the analysis process died ({how}) while analysing this file; the file "
        "was skipped — please report this with the file",
    )
