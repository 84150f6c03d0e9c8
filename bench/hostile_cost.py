"""What the probe's costliest inputs cost: wall time and peak memory of one CLI run each,
for one or more sm-lint source trees side by side (e.g. a snapshot of main and a branch).

    python bench/hostile_cost.py TREE [TREE ...] [--only NAME,...] [--timeout S]

Each input (tests/hostile_inputs.py) is written to a fresh folder and linted as a fresh
process, ``--no-cache --jobs 1 --format json``, with the tree on PYTHONPATH; peak memory is
GNU time's maximum resident set size. A run past the timeout is killed and shown as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from tests import hostile_inputs as inputs  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "models"
MODEL = FIXTURES / "keras_export_dense"

#: name -> (file name, what to write in the project folder).
CASES: dict[str, Callable[[Path], str]] = {
    "huge-16MB": lambda root: _write(root, "probe.py", inputs.huge_source(MODEL)),
    "tensorspecs-467KB": lambda root: _write(root, "probe.py", inputs.tensor_specs(MODEL)),
    "list-25000-rows": lambda root: _write(root, "probe.py", inputs.list_rows(MODEL)),
    "call-chain-10000": lambda root: _write(root, "probe.py", inputs.call_chain(MODEL)),
    "sum-4000": lambda root: _write(root, "probe.py", inputs.flat_sum(MODEL, 4000)),
    "sum-8000": lambda root: _write(root, "probe.py", inputs.flat_sum(MODEL, 8000)),
    "and-20000": lambda root: _write(root, "probe.py", inputs.boolean_chain(MODEL)),
    "subscripts-100x": lambda root: _write(root, "probe.py", inputs.subscript_chains(MODEL, 100)),
    # The largest of each kind the limits let through (the costliest files analysed).
    "at-limit-rows-3000": lambda root: _write(root, "probe.py", inputs.list_rows(MODEL, 3000)),
    "at-limit-chain-5500": lambda root: _write(root, "probe.py", inputs.call_chain(MODEL, 5500)),
    "at-limit-specs-150KB": lambda root: _write(
        root, "probe.py", inputs.tensor_specs(MODEL, 150 * 1024)
    ),
    "at-limit-sub100-42KB": lambda root: _write(
        root, "probe.py", inputs.subscript_chains(MODEL, 100, 42 * 1024)
    ),
    "at-limit-sub900-7KB": lambda root: _write(
        root, "probe.py", inputs.subscript_chains(MODEL, 900, 7 * 1024)
    ),
    "observed-200000": lambda root: _observed(root, 200_000),
    "observed-50000": lambda root: _observed(root, 50_000),
}


def _write(root: Path, name: str, text: str) -> str:
    (root / name).write_text(text)
    return name


def _observed(root: Path, loads: int) -> str:
    (root / "pyproject.toml").write_text("[tool.sm-lint]\n")
    (root / ".sm-lint").mkdir()
    (root / ".sm-lint" / "observed.json").write_text(inputs.observed_json("models/m", loads))
    program = (
        "import tensorflow as tf\n\nm = tf.saved_model.load('models/m')\n"
        'infer = m.signatures["serving_default"]\n'
    )
    return _write(root, "probe.py", program)


def run(tree: Path, name: str, timeout: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        target = CASES[name](root)
        report = root / ".time"
        command = [
            "/usr/bin/time",
            "-v",
            "-o",
            str(report),
            sys.executable,
            "-m",
            "sm_lint",
            target,
            "--models",
            str(FIXTURES),
            "--no-cache",
            "--jobs",
            "1",
            "--format",
            "json",
        ]
        env = {**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1"}
        start = time.perf_counter()
        proc = subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return f"{name:20} killed after {timeout:.0f} s"
        wall = time.perf_counter() - start
        rss = next(
            (
                int(line.split(":")[1]) / 1024
                for line in report.read_text().splitlines()
                if "Maximum resident set size" in line
            ),
            float("nan"),
        )
        signal = next((ln for ln in report.read_text().splitlines() if "signal" in ln), "")
        try:
            found = [f"{d['code']}: {d['message'][:70]}" for d in json.loads(out)]
        except ValueError:
            found = [(err.strip().splitlines() or [signal.strip()])[-1][:90]]
        summary = "; ".join(sorted(set(found)))[:150]
        return f"{name:20} {wall:7.1f} s {rss:8.0f} MB  rc={proc.returncode}  {summary}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--only", default=",".join(CASES))
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    for name in args.only.split(","):
        for tree in args.trees:
            print(f"{tree}: {run(tree.resolve(), name, args.timeout)}", flush=True)


if __name__ == "__main__":
    main()
