"""What a hostile or unlucky input may cost a run, through the real CLI in fresh processes
(real worker processes, real signals):

- A worker process that dies (killed as the OOM killer does, a crash in native code) costs
  its file an SM900 and the run completes; a worker never outlives a killed parent; Ctrl-C
  exits 130 and SIGTERM 143, each with one line.
- Programs that crashed or stalled libcst's native parser (an 8,000-term sum, a 20,000-operand
  ``and``) and the probe's costliest inputs (467 KB of TensorSpecs, a 25,000-row list) are
  refused as "too complex to analyse", naming the limit, before libcst sees them.
- Peak memory of the probe's worst inputs stays under 300 MB (a 16 MB source took 2 GB
  just to be refused). Only memory is asserted: times are measured by
  bench/hostile_cost.py, which prints the before/after figures.
- Corrupt caches and ``observed.json`` (nested too deeply, wrongly typed, oversized) are
  misses, never an exit 2 or an SM900.

Test-only hook: ``SM_LINT_TEST_SIGNAL_ON=GLOB:NAME`` makes the process that analyses a
matching file send itself that signal (KILL, SEGV; STOP leaves a worker hung).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests import hostile_inputs as inputs

FIXTURES = (Path(__file__).parent / "fixtures" / "models").resolve()
DENSE = FIXTURES / "keras_export_dense"
SIMPLE = inputs.head(DENSE) + "out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))\n"
CLI = [sys.executable, "-m", "sm_lint"]
LIMIT_MB = 300


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", **extra}


def _run(
    *args: str | Path, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI in a process group of its own: past *timeout* the whole group is killed
    (workers included, which would otherwise hold its pipes open) and the test fails."""
    command = [*CLI, *map(str, args)]
    with subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(**(env or {})),
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"no answer in {timeout} s (a hung run)")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def _tree(root: Path, odd: str = "odd.py") -> None:
    """20 files with one SM005 each (enough for the worker processes) and *odd*."""
    for n in range(20):
        (root / f"call{n:02}.py").write_text(SIMPLE)
    (root / odd).write_text(SIMPLE)


def _lint_tree(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    args = (".", "--models", FIXTURES, "--format", "json", "--jobs", "2", "--no-cache")
    return _run(*args, cwd=root, env=env)


# =============================================================== worker processes


@pytest.mark.parametrize("name", ["KILL", "SEGV"])
def test_a_dead_worker_costs_its_file_and_the_run_completes(tmp_path: Path, name: str) -> None:
    _tree(tmp_path)
    proc = _lint_tree(tmp_path, SM_LINT_TEST_SIGNAL_ON=f"odd.py:{name}")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    found = json.loads(proc.stdout)
    calls = sorted(d["path"] for d in found if d["code"] == "SM005")
    assert calls == [f"call{n:02}.py" for n in range(20)]
    odd = [d for d in found if d["path"] == "odd.py"]
    number = int(getattr(signal, f"SIG{name}"))
    assert [d["code"] for d in odd] == ["SM900"]
    assert (
        f"internal error: the analysis process died (signal {number}, SIG{name})"
        in (odd[0]["message"])
    )
    assert "please report" in odd[0]["message"]


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _state(pid: int) -> str | None:
    """The process' state letter (None: gone; a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None
    return None if state in "ZX" else state


def _hung_run(root: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """A run whose worker is stopped on ``odd.py``; its worker processes once one is.
    Its output goes to files (``out``, ``err``): an orphan holding a pipe would block the
    test reading it."""
    (root / "src").mkdir()
    _tree(root / "src")
    with open(root / "out", "w") as out, open(root / "err", "w") as err:
        proc = subprocess.Popen(
            [*CLI, "src", "--models", str(FIXTURES), "--jobs", "2", "--no-cache"],
            cwd=root,
            stdout=out,
            stderr=err,
            text=True,
            env=_env(SM_LINT_TEST_SIGNAL_ON="odd.py:STOP"),
            start_new_session=True,  # its own process group, as a terminal's job is
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers = _children(proc.pid)
        if any(_state(w) == "T" for w in workers):
            return proc, workers
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    pytest.fail("no worker reached odd.py")


def _gone(pids: list[int], seconds: float = 20) -> list[int]:
    """The processes of *pids* still alive after *seconds* (each killed then, so that
    a failing test leaves nothing behind)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_state(p) for p in pids):
        time.sleep(0.1)
    alive = [p for p in pids if _state(p)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    return alive


def test_no_worker_outlives_a_killed_parent(tmp_path: Path) -> None:
    proc, workers = _hung_run(tmp_path)
    proc.kill()
    proc.wait()
    assert _gone(workers) == []


@pytest.mark.parametrize(
    ("sent", "code", "line"),
    [(signal.SIGINT, 130, "sm-lint: interrupted"), (signal.SIGTERM, 143, "sm-lint: terminated")],
)
def test_an_interrupted_run_exits_with_one_line(
    tmp_path: Path, sent: signal.Signals, code: int, line: str
) -> None:
    proc, workers = _hung_run(tmp_path)
    # Ctrl-C goes to the whole process group; SIGTERM (kill, a CI timeout) to sm-lint.
    if sent == signal.SIGINT:
        os.killpg(proc.pid, sent)
    else:
        os.kill(proc.pid, sent)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    finally:
        alive = _gone(workers)
    err = (tmp_path / "err").read_text()
    assert proc.returncode == code, err[-2000:]
    assert err.strip().startswith(line) and len(err.strip().splitlines()) == 1, err[-2000:]
    assert alive == []


# ===================================================== libcst's parser, cost of a file


def _findings(root: Path, name: str, text: str) -> tuple[int, list[dict[str, Any]], float]:
    """Lint *text* as *name* in a fresh process: exit code, findings, peak memory in MB
    (of the sm-lint process alone: measured in a wrapper that runs it)."""
    (root / name).write_text(text)
    wrapper = (
        "import resource, subprocess, sys\n"
        "proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "sys.stdout.write(f'{proc.returncode} {peak}\\n' + proc.stdout)\n"
        "sys.stderr.write(proc.stderr)\n"
    )
    command = [*CLI, name, "--models", str(FIXTURES), "--format", "json", "--no-cache"]
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    head, _, out = proc.stdout.partition("\n")
    rc, peak = head.split()
    assert int(rc) in (0, 1), (rc, proc.stderr[-2000:])
    return int(rc), json.loads(out), float(peak)


TOO_DEEP = {
    "sum of 8,000 terms": inputs.flat_sum(DENSE, 8000),
    "and of 20,000 operands": inputs.boolean_chain(DENSE, 20_000),
}


@pytest.mark.parametrize("name", list(TOO_DEEP))
def test_chains_that_crashed_libcst_are_too_complex(tmp_path: Path, name: str) -> None:
    rc, found, _ = _findings(tmp_path, "deep.py", TOO_DEEP[name])
    assert rc == 1
    assert [d["code"] for d in found] == ["SM900"]
    assert "too complex to analyse" in found[0]["message"]
    assert "1,000 levels" in found[0]["message"]


COSTLY = {
    "467 KB of TensorSpecs": inputs.tensor_specs(DENSE),
    "a list of 25,000 rows": inputs.list_rows(DENSE),
    "10,000 functions each calling the next": inputs.call_chain(DENSE),
    "subscript chains 100 deep": inputs.subscript_chains(DENSE, 100),
}


@pytest.mark.parametrize("name", list(COSTLY))
def test_the_costliest_inputs_are_refused_within_bounds(tmp_path: Path, name: str) -> None:
    rc, found, peak = _findings(tmp_path, "costly.py", COSTLY[name])
    assert rc == 1
    assert [d["code"] for d in found] == ["SM900"]
    assert "too complex to analyse" in found[0]["message"]
    assert "75,000" in found[0]["message"]
    assert peak < LIMIT_MB, f"{peak:.0f} MB"


def test_a_huge_source_is_refused_before_it_is_compiled(tmp_path: Path) -> None:
    _, found, peak = _findings(tmp_path, "huge.py", inputs.huge_source(DENSE))
    assert [(d["code"], d["message"][:18]) for d in found] == [("SM900", "file not analysed:")]
    assert peak < LIMIT_MB, f"{peak:.0f} MB"


def test_a_huge_notebook_is_refused_before_its_cells_are_compiled(tmp_path: Path) -> None:
    source = inputs.huge_source(DENSE, 4 * 2**20)
    cell = {"cell_type": "code", "metadata": {}, "source": source, "outputs": []}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    _, found, peak = _findings(tmp_path, "huge.ipynb", json.dumps(notebook))
    assert [(d["code"], d["message"][:18]) for d in found] == [("SM900", "file not analysed:")]
    assert peak < LIMIT_MB, f"{peak:.0f} MB"


def test_within_the_limits_a_long_program_is_still_analysed(tmp_path: Path) -> None:
    """3,000 rows of data: under the limits, analysed as before (the call is checked)."""
    rows = inputs.list_rows(DENSE, 3_000)
    _, found, peak = _findings(tmp_path, "rows.py", rows)
    assert [d["code"] for d in found] == ["SM005"]
    assert peak < LIMIT_MB, f"{peak:.0f} MB"


# ============================================================ caches, observed.json


def _project(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[tool.sm-lint]\n")
    (root / "a.py").write_text(SIMPLE)
    return root


def _codes(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "internal error" not in proc.stdout + proc.stderr
    return [d["code"] for d in json.loads(proc.stdout)]


CORRUPT = {
    "nested too deeply": inputs.nested_json(100_000),
    "a number": "5",
    "wrongly typed entries": json.dumps(
        {"schema": 1, "files": {"a.py": 5, "b.py": [[], None, 0, [["x"]], [1]]}, "logs": []}
    ),
}


@pytest.mark.parametrize("name", list(CORRUPT))
def test_a_corrupt_result_index_is_a_miss(tmp_path: Path, name: str) -> None:
    root = _project(tmp_path)
    args = ("a.py", "--models", FIXTURES, "--format", "json")
    assert _codes(_run(*args, cwd=root)) == ["SM005"]
    indexes = list((root / ".sm-lint" / "cache" / "results").glob("*.json"))
    assert indexes
    for index in indexes:
        index.write_text(CORRUPT[name])
    assert _codes(_run(*args, cwd=root)) == ["SM005"]


FACTS = {
    "nested too deeply": inputs.nested_json(100_000),
    "facts nested too deeply": '{"schema": 4, "facts": ' + inputs.nested_json(50_000) + "}",
    "loads of the wrong type": json.dumps(
        {"schema": 4, "facts": {"__t": "FileFacts", "loads": 5, "lookups": [], "calls": []}}
    ),
    "a span of strings": json.dumps(
        {
            "schema": 4,
            "facts": {
                "__t": "FileFacts",
                "loads": [],
                "lookups": [
                    {
                        "__t": "SignatureLookup",
                        "load_id": 0,
                        "key": "k",
                        "span": {"__t": "Span", "line": "x", "column": [], "end_line": 1},
                    }
                ],
                "calls": [],
            },
        }
    ),
}


@pytest.mark.parametrize("name", list(FACTS))
def test_a_corrupt_facts_entry_is_a_miss(tmp_path: Path, name: str) -> None:
    root = _project(tmp_path)
    args = ("a.py", "--models", FIXTURES, "--format", "json")
    assert _codes(_run(*args, cwd=root)) == ["SM005"]
    cache = root / ".sm-lint" / "cache"
    entries = list(cache.glob("??/*.json"))
    assert entries
    for entry in entries:
        entry.write_text(FACTS[name])
    for index in (cache / "results").glob("*.json"):
        index.unlink()  # the facts cache is asked only for what the result cache misses
    assert _codes(_run(*args, cwd=root)) == ["SM005"]


def test_observed_json_is_read_with_its_caps(tmp_path: Path) -> None:
    """50,000 loads recorded at one site (13 MB): only the newest few are read (all the
    others were read, and their folders looked up, before); a bigger file is skipped."""
    root = tmp_path
    (root / "pyproject.toml").write_text("[tool.sm-lint]\n")
    (root / ".sm-lint").mkdir()
    observed = root / ".sm-lint" / "observed.json"
    observed.write_text(inputs.observed_json("models/m", 50_000))
    program = (
        "import tensorflow as tf\n\nm = tf.saved_model.load('models/m')\n"
        'infer = m.signatures["serving_default"]\n'
        "infer(x=tf.constant([[1.0, 2.0]]))\n"
    )
    _, found, peak = _findings(root, "probe.py", program)
    # The recorded signature (x: float32 [None, 5]) is checked: the call's shape is wrong.
    assert [d["code"] for d in found] == ["SM008"]
    assert peak < LIMIT_MB, f"{peak:.0f} MB"
    observed.write_text(inputs.observed_json("models/m", 200_000))  # 52 MB: not read
    _, found, peak = _findings(root, "probe.py", program)
    assert [d["code"] for d in found] == ["SM011"]
    assert peak < LIMIT_MB, f"{peak:.0f} MB"


OBSERVED_TYPES = {
    "dtype a list": {"kind": "tensor", "dtype": ["float32"], "shape": [4, 5], "count": 1},
    "shape of strings": {"kind": "tensor", "dtype": "float32", "shape": ["a"], "count": 1},
    "shape a dict": {"kind": "tensor", "dtype": "float32", "shape": {"a": 1}, "count": 1},
    "count a string": {"kind": "tensor", "dtype": "float32", "shape": [4, 5], "count": "9"},
}


@pytest.mark.parametrize("name", list(OBSERVED_TYPES))
def test_wrongly_typed_observations_are_left_out(tmp_path: Path, name: str) -> None:
    root = _project(tmp_path)
    program = SIMPLE.replace("tf.constant(np.random.rand(4, 5))", "features")
    (root / "a.py").write_text(program)
    line = program.count("\n")
    sites = {f"a.py:{line}": {"keras_tensor": [OBSERVED_TYPES[name]]}}
    (root / ".sm-lint").mkdir(exist_ok=True)
    (root / ".sm-lint" / "observed.json").write_text(json.dumps({"version": 1, "sites": sites}))
    proc = _run("a.py", "--models", FIXTURES, "--format", "json", "--no-cache", cwd=root)
    assert _codes(proc) == []


_EDITOR = """
import sys
from sm_lint.api import Linter
from sm_lint.sources import from_text
head, chain = sys.argv[1], sys.argv[2]
linter = Linter()
for text in (head, head + chain, head):  # opened, a chain pasted in, removed again
    analysis = linter.analyze(from_text(text, "doc.py"), open_as="file:///doc.py")
    problem = analysis.syntax_error
    print(problem.message[:35] if problem is not None else "analysed")
"""


def test_an_open_document_refuses_a_pasted_chain_before_libcst(tmp_path: Path) -> None:
    """The language server's path (an open document parsed edit by edit): a 20,000-operand
    ``and`` pasted in crashed the server's process in libcst's parser."""
    chain = "ok = x" + " and x" * 20_000 + "\n"
    proc = subprocess.run(
        [sys.executable, "-c", _EDITOR, SIMPLE, chain],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
        check=False,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout.splitlines() == [
        "analysed",
        "too complex to analyse: code nested",
        "analysed",
    ]


@pytest.mark.parametrize("field", [1, 6, 7])  # the line, the severity, the message
def test_a_wrongly_typed_finding_in_the_result_index_is_a_miss(tmp_path: Path, field: int) -> None:
    """An entry valid in every respect (the file's own stat signature) but one finding's
    field of the wrong type: analysed again, as if it were not there."""
    root = _project(tmp_path)
    stamp = time.time() - 100  # no file changed just now: the result is stored
    for name in ("a.py", "pyproject.toml"):
        os.utime(root / name, (stamp, stamp))
    args = ("a.py", "--models", FIXTURES, "--format", "json")
    assert _codes(_run(*args, cwd=root)) == ["SM005"]
    (index,) = (root / ".sm-lint" / "cache" / "results").glob("*.json")
    data = json.loads(index.read_text())
    assert data["files"]
    for entry in data["files"].values():
        for finding in entry[3]:
            finding[field] = {"not": "this"}
    index.write_text(json.dumps(data))
    assert _codes(_run(*args, cwd=root)) == ["SM005"]
