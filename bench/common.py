"""What every benchmark shares: result rows and the summary table, measuring a command as a
fresh process (wall time, peak RSS, PSS of the whole process tree), and the machine."""

from __future__ import annotations

import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FIXTURES = REPO / "tests" / "fixtures" / "models"
for _path in (str(REPO), str(BENCH)):  # tests.lsp_client, bench_show; sm_lint from REPO
    if _path not in sys.path:
        sys.path.insert(0, _path)

PY = sys.executable
SM_LINT = [PY, "-m", "sm_lint"]
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", NO_COLOR="1")
FINDING = re.compile(r":\d+:\d+: (SM\d{3}) ")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- results and the table


@dataclass
class Row:
    """One line of the summary table."""

    bench: str
    unit: str  # "s", "ms", "us", "MB", "files/s"
    ours: float | None
    ref: float | None = None
    ref_name: str = ""
    note: str = ""
    ratio: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.ratio is None and self.ours and self.ref:
            higher_is_better = self.unit.endswith("/s")
            self.ratio = self.ours / self.ref if higher_is_better else self.ref / self.ours


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "files/s":
        return f"{value:,.0f} files/s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    digits = 3 if value < 1 else 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:,.{digits}f} {'µs' if unit == 'us' else unit}"


def cells(row: Row) -> list[str]:
    ref = fmt(row.ref, row.unit) if row.ref is not None or row.ref_name else "—"
    if row.ref_name and row.ref is not None:
        ref = f"{ref} ({row.ref_name})"
    elif row.ref_name:
        ref = f"n/a ({row.ref_name})"
    ratio = (
        "—" if row.ratio is None else f"{row.ratio:.2f}x" if row.ratio < 10 else f"{row.ratio:.1f}x"
    )
    return [row.bench, fmt(row.ours, row.unit), ref, ratio, row.note]


HEAD = ["benchmark", "sm-lint", "reference", "ratio", "note"]


def text_table(rows: list[Row]) -> str:
    body = [cells(r) for r in rows]
    widths = [max(len(HEAD[i]), *(len(b[i]) for b in body)) for i in range(4)]
    out = []
    line = "  ".join(
        h.ljust(w) if i in (0,) else h.rjust(w)
        for i, (h, w) in enumerate(zip(HEAD[:4], widths, strict=True))
    )
    out.append(line + "  note")
    out.append("-" * (len(line) + 6))
    for b in body:
        out.append(
            "  ".join(b[i].ljust(widths[i]) if i == 0 else b[i].rjust(widths[i]) for i in range(4))
            + ("  " + b[4] if b[4] else "")
        )
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    out = ["| " + " | ".join(HEAD) + " |", "|---|--:|--:|--:|---|"]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells(r)) + " |")
    return "\n".join(out)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# ---------------------------------------------------------------- measuring processes


@dataclass
class Run:
    wall: float
    rc: int
    stdout: str
    stderr: str
    max_rss_mb: float | None  # the largest single process (GNU time / getrusage)
    tree_mb: float | None  # peak of the whole process tree's PSS, sampled
    #: User + system CPU seconds of the command and its waited-for children (GNU time);
    #: less disturbed than wall time when other processes load the machine.
    cpu: float | None = None


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

# Fallback when GNU time is missing: a fresh child that runs the command and reports
# RUSAGE_CHILDREN.ru_maxrss (KiB on Linux) of that one command.
_RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0


def _tree_pss_kb(root: int) -> int:
    """PSS of every descendant of *root* (not root itself: that is the time wrapper)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        total += _pss_kb(pid)
    return total


def measure(command: list[str], cwd: Path | None = None, sample: bool = True) -> Run:
    """Run *command* once as a fresh process: wall time, exit code, output, peak memory."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss", delete=False) as handle:
        report = Path(handle.name)
    if GNU_TIME:
        wrapped = [GNU_TIME, "-v", "-o", str(report), *command]
    else:
        wrapped = [PY, "-c", _RUSAGE_WRAPPER, str(report), *command]
    peak = 0
    stop = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(
        wrapped, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    def sampler() -> None:
        nonlocal peak
        samples = 0
        while not stop.wait(0.01 if samples < 20 else 0.1):  # short runs get samples too
            samples += 1
            peak = max(peak, _tree_pss_kb(proc.pid))

    thread = threading.Thread(target=sampler, daemon=True) if sample else None
    if thread:
        thread.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    if thread:
        thread.join()
    text = report.read_text()
    report.unlink()
    rss: float | None = None
    cpu: float | None = None
    if GNU_TIME:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        rss = int(found.group(1)) / 1024 if found else None
        times = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text)
        cpu = sum(float(t) for t in times) if len(times) == 2 else None
        if "Command exited with non-zero status" in err or "Command terminated" in err:
            err = "\n".join(x for x in err.splitlines() if not x.startswith("\tCommand"))
    elif text.strip():
        rss = int(text) / 1024
    tree = peak / 1024 if sample and peak else None
    return Run(wall, proc.returncode, out, err, rss, tree, cpu)


def runs_of(
    command: list[str],
    n: int,
    cwd: Path | None = None,
    ok: tuple[int, ...] = (0, 1),
    before: Callable[[], None] | None = None,
    traceback_ok: bool = False,
) -> list[Run]:
    result = []
    for _ in range(n):
        if before:
            before()
        r = measure(command, cwd)
        # A crash exits 1 like a run with findings: a traceback is a failure, not a time.
        crashed = not traceback_ok and "Traceback (most recent call last)" in r.stderr
        if r.rc not in ok or crashed:
            tail = (r.stderr.strip().splitlines() or ["(no stderr)"])[-1]
            raise RuntimeError(f"{' '.join(command)} exited {r.rc}: {tail}")
        result.append(r)
    return result


def interleaved(
    commands: list[tuple[list[str], Callable[[], None] | None]], n: int, cwd: Path | None = None
) -> list[list[Run]]:
    """*n* runs of each command (with its *before*), taken in turn (A B C A B C ...): a
    drift in the machine's speed then falls on every command alike, so that their ratio
    holds where their times do not."""
    runs: list[list[Run]] = [[] for _ in commands]
    for _ in range(n):
        for (command, before), out in zip(commands, runs, strict=True):
            out.extend(runs_of(command, 1, cwd, before=before))
    return runs


def median_wall(runs: list[Run]) -> float:
    return statistics.median(r.wall for r in runs)


def median_cpu(runs: list[Run]) -> float | None:
    known = [r.cpu for r in runs if r.cpu is not None]
    return statistics.median(known) if known else None


def max_of(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def tool(name: str) -> str:
    """The real console script (not a pyenv shim, which costs a bash start)."""
    script = Path(sysconfig.get_path("scripts")) / name
    return str(script) if script.exists() else (shutil.which(name) or name)


# ---------------------------------------------------------------- the machine


def busy_cpu() -> float:
    """CPU seconds the whole machine spent busy (not idle or waiting), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user/nice
    return (sum(fields) - idle - guest) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds of this process and of its waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


TENSORFLOW = ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tf-nightly")


def machine() -> str:
    def version(*names: str) -> str:
        for name in names:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                pass
        return "not installed"

    ruff = subprocess.run([tool("ruff"), "--version"], capture_output=True, text=True, check=False)
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "sm_lint"], capture_output=True, text=True
    ).stdout.splitlines()
    state = head.stdout.strip() or "?"
    if dirty:
        state += f" + uncommitted changes in {len(dirty)} sm_lint file(s)"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join(
        [
            f"CPUs: {os.cpu_count()} ({platform.processor() or platform.machine()}), "
            f"load average at start {load}",
            f"Python {platform.python_version()} ({sys.executable})",
            f"tensorflow {version(*TENSORFLOW)}, sm-lint {version('sm-lint')}, "
            f"{ruff.stdout.strip() or 'ruff ?'}, pygls {version('pygls')}",
            f"sm-lint source: {REPO} at {state}",
            f"memory measured with {'GNU time -v' if GNU_TIME else 'getrusage(RUSAGE_CHILDREN)'}",
        ]
    )
