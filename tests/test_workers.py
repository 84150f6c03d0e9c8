"""The worker processes of a whole-tree lint (``--jobs N``): forked readers read the files
and search their bytes, the workers start at the first file that needs the analysis and
get only such files. The findings are those of a serial run, in the same order."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

import sm_lint.api as api
import sm_lint.workers as workers
from sm_lint.api import Linter
from sm_lint.config import Config

FIXTURES = (Path(__file__).parent / "fixtures" / "models").resolve()
DENSE = FIXTURES / "keras_export_dense"
CALLER = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    f"m = tf.saved_model.load({str(DENSE)!r})\n"
    'infer = m.signatures["serving_default"]\n'
    "out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))\n"
)
# Names no load itself: its model comes from a module of the project (asked after every
# file has been read, while the workers analyse the files that do name one).
IMPORTER = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    "from zz_helper import m\n"
    'infer = m.signatures["serving_default"]\n'
    "out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))\n"
)
HELPER = f"import tensorflow as tf\nm = tf.saved_model.load({str(DENSE)!r})\n"
# No name of a model load in the bytes ("github" is not "hub"): decided in this process.
PLAIN = '"""A module, see https://github.com/x/y."""\nx = 1\n'
# The names in a docstring only: the compiler tells, in a worker.
PROSE = '"""The hub of it: signatures."""\nx = 1\n'


def _tree(root: Path) -> None:
    """Calling files, plain files, and files with reading problems, interleaved."""
    for n in range(12):
        (root / f"call{n:02}.py").write_text(CALLER)
        (root / f"plain{n:02}.py").write_text(PLAIN)
        (root / f"prose{n:02}.py").write_text(PROSE)
        (root / f"imports{n:02}.py").write_text(IMPORTER)
    (root / "zz_helper.py").write_text(HELPER)
    (root / "broken.py").write_text("import tensorflow as tf\ntf.saved_model.load(\n")
    (root / "binary.py").write_bytes(b"x = 1\0\n")
    (root / "latin.py").write_bytes(b"# coding: nope\nx = 1\n")
    cell = {"cell_type": "code", "metadata": {}, "source": CALLER}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (root / "book.ipynb").write_text(json.dumps(notebook))
    (root / "empty.ipynb").write_text("{")  # names no load: skipped, as in a serial run


_REAL = workers._lint_path
_RECORD: list[Path] = []


def _recording(path: Path) -> list[api.Diagnostic]:
    """The workers' entry point, noting the id of the process it runs in."""
    with _RECORD[0].open("a") as out:
        out.write(f"{os.getpid()} {path.name}\n")
    return _REAL(path)


@pytest.fixture
def analysed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file the processes that analysed a file append their id to (forked workers
    inherit the patched entry point)."""
    record = tmp_path / "pids.txt"
    _RECORD[:] = [record]
    monkeypatch.setattr(workers, "_lint_path", _recording)
    return record


@pytest.mark.parametrize("kept", [workers._KEPT_BYTES, 0], ids=["bytes-kept", "read-again"])
def test_workers_find_what_a_serial_run_finds_in_the_same_order(
    tmp_path: Path, analysed_in: Path, monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    monkeypatch.setattr(workers, "_KEPT_BYTES", kept)
    src = tmp_path / "src"
    src.mkdir()
    _tree(src)
    linter = Linter(Config(models=(FIXTURES,)))
    serial = linter.lint_paths([src], jobs=1)
    assert not analysed_in.exists()  # a serial run uses no worker
    parallel = linter.lint_paths([src], jobs=2)
    assert parallel == serial
    codes = {(Path(d.path).name, d.code) for d in serial}
    assert ("call00.py", "SM005") in codes and ("book.ipynb", "SM005") in codes
    assert ("imports11.py", "SM005") in codes
    assert {("broken.py", "SM900"), ("binary.py", "SM900"), ("latin.py", "SM900")} <= codes
    # The calling files, the files importing their model, the helper, the notebook, the
    # broken file and the one in an unknown encoding (only the compiler can tell) went to
    # the workers; the plain files and the binary one did not. A prose file goes to them
    # when they run already, else its reader's compile settles it.
    analysed = [line.split() for line in analysed_in.read_text().splitlines()]
    names = [name for _, name in analysed]
    assert len(names) == len(set(names))
    needed = {f"{kind}{n:02}.py" for kind in ("call", "imports") for n in range(12)}
    needed |= {"zz_helper.py", "book.ipynb", "broken.py", "latin.py"}
    assert needed <= set(names) <= needed | {f"prose{n:02}.py" for n in range(12)}
    assert str(os.getpid()) not in {pid for pid, _ in analysed}


def test_no_worker_starts_when_no_file_needs_analysis(tmp_path: Path, analysed_in: Path) -> None:
    for n in range(40):
        (tmp_path / f"plain{n:02}.py").write_text(PLAIN)
    (tmp_path / "binary.py").write_bytes(b"\0")
    found = Linter(Config(models=(FIXTURES,))).lint_paths([tmp_path], jobs=2)
    assert [Path(d.path).name for d in found] == ["binary.py"]
    assert not analysed_in.exists()


def test_no_worker_starts_when_the_names_are_only_in_prose(
    tmp_path: Path, analysed_in: Path
) -> None:
    """Bytes that name a load in a docstring or a comment: this process asks the compiler
    itself until a file really needs the analysis, so such a tree never starts the workers
    (nor imports the analysis for them)."""
    for n in range(40):
        (tmp_path / f"prose{n:02}.py").write_text(PROSE)
    found = Linter(Config(models=(FIXTURES,))).lint_paths([tmp_path], jobs=2)
    assert found == []
    assert not analysed_in.exists()
    # One file that does load a model: from then on the workers analyse.
    (tmp_path / "prose99.py").write_text(CALLER)
    found = Linter(Config(models=(FIXTURES,))).lint_paths([tmp_path], jobs=2)
    assert [Path(d.path).name for d in found] == ["prose99.py"]
    analysed = [line.split() for line in analysed_in.read_text().splitlines()]
    # (a prose file read after the workers started goes to them too)
    names = {name for _, name in analysed}
    assert "prose99.py" in names and all(name.startswith("prose") for name in names)
    assert str(os.getpid()) not in {pid for pid, _ in analysed}


class _DiesReading(Linter):
    """A Linter whose process dies (SIGKILL, as the OOM killer would) when it reads *fatal*
    anywhere but in the test's own process (in a forked reader). It notes the death in
    *marker* first."""

    def __init__(self, config: Config, fatal: str, marker: Path) -> None:
        super().__init__(config)
        self.fatal, self.marker, self.home = fatal, marker, os.getpid()

    def read_bytes(self, file: Path) -> tuple[os.stat_result, bytes]:
        if file.name == self.fatal and os.getpid() != self.home:
            self.marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return super().read_bytes(file)


@pytest.mark.parametrize("fatal", ["plain05.py", "prose11.py"])
def test_a_reader_that_dies_leaves_its_files_to_this_process(
    tmp_path: Path, analysed_in: Path, fatal: str
) -> None:
    """A reader killed while reading: the files it had not answered for are read here, and
    the findings are still a serial run's."""
    src = tmp_path / "src"
    src.mkdir()
    _tree(src)
    serial = Linter(Config(models=(FIXTURES,))).lint_paths([src], jobs=1)
    marker = tmp_path / "died"
    linter = _DiesReading(Config(models=(FIXTURES,)), fatal, marker)
    assert linter.lint_paths([src], jobs=2) == serial
    assert marker.exists() and int(marker.read_text()) != os.getpid()


def test_files_of_a_reader_that_cannot_be_forked_are_read_here(
    tmp_path: Path, analysed_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second reader's fork fails (EAGAIN, as under a process limit): its run of files
    is read by this process, and the findings are still a serial run's."""
    src = tmp_path / "src"
    src.mkdir()
    _tree(src)
    serial = Linter(Config(models=(FIXTURES,))).lint_paths([src], jobs=1)
    real, forks = os.fork, []

    def fork() -> int:
        forks.append(1)
        if len(forks) == 2:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real()

    monkeypatch.setattr(os, "fork", fork)
    assert Linter(Config(models=(FIXTURES,))).lint_paths([src], jobs=2) == serial
    assert len(forks) >= 2
