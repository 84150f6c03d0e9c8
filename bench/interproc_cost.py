"""What following values through functions costs: CPU time, two source trees side by side.

    python bench/interproc_cost.py BEFORE_TREE AFTER_TREE [--rounds 3]

Both trees are sm-lint checkouts (e.g. /work/main and a branch). CPU time (user + system
of the child processes) is measured instead of wall time, so the comparison holds on a
machine other processes load; the rounds alternate between the trees.

1. Cold lint of bench/tree.py's generated repository (2,000 files, 50 SavedModels),
   ``--no-cache --jobs 1``.
2. One analysis of bench/lsp_latency.py's 2,000-line language-server file (``lint_source``, what
   the server runs after each edit), median of 5 in one process.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import lsp_latency  # noqa: E402  (the benchmark's 2,000-line language-server file)
import tree as tree_bench  # noqa: E402  (the benchmark's generated repository)
from common import FIXTURES  # noqa: E402

_ONE_FILE = """
import statistics, sys, time
import sm_lint
assert sm_lint.__file__.startswith(sys.argv[3]), sm_lint.__file__
from pathlib import Path
from sm_lint.api import lint_source
from sm_lint.config import Config
text = open(sys.argv[1]).read()
config = Config(models=(Path(sys.argv[2]),))
times = []
for _ in range(6):
    start = time.process_time()
    lint_source(text, sys.argv[1], config)
    times.append(time.process_time() - start)
print(statistics.median(times[1:]))
"""


def child_cpu(command: list[str], tree: Path, cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command,
        cwd=cwd,  # not a checkout: ``python -m`` would import sm_lint from the cwd
        env={**os.environ, "PYTHONPATH": str(tree), "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sm-lint-interproc-"))
    try:
        tree = tmp / "tree"
        facts = tree_bench.make_tree(tree, 2000, 50)
        lines, _ = lsp_latency.lsp_source()
        lsp = tmp / "lsp"
        shutil.copytree(FIXTURES / "keras_export_dense", lsp / "models" / "dense")
        (lsp / "long.py").write_text("\n".join(lines) + "\n")
        lint = [sys.executable, "-m", "sm_lint", str(tree), "--models", str(tree / "models")]
        lint += ["-q", "--no-cache", "--jobs", "1"]
        one = [sys.executable, "-c", _ONE_FILE, str(lsp / "long.py"), str(lsp / "models")]
        cold: dict[str, list[float]] = {"before": [], "after": []}
        server: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(args.rounds):
            for side in ("before", "after"):
                checkout = getattr(args, side)
                cold[side].append(child_cpu(lint, checkout, tmp))
                out = subprocess.run(
                    [*one, str(checkout.resolve())],
                    cwd=tmp,
                    env={**os.environ, "PYTHONPATH": str(checkout)},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if out.returncode != 0:
                    raise SystemExit(f"{checkout}: {out.stderr[-2000:]}")
                server[side].append(float(out.stdout.strip().splitlines()[-1]))
        print(f"tree: {facts['files']} files, {facts['calls']} signature calls")
        for name, data in (("cold lint, CPU s", cold), ("2,000-line file, CPU s", server)):
            b, a = statistics.median(data["before"]), statistics.median(data["after"])
            print(
                f"{name}: before {b:.3f} (runs {data['before']}), after {a:.3f} "
                f"(runs {data['after']}), change {(a / b - 1) * 100:+.1f}%"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
