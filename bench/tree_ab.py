"""Two sm-lint checkouts side by side on the tree benchmark's two trees, in turn.

    python bench/tree_ab.py BEFORE_TREE AFTER_TREE [--rounds 10]

Both trees are sm-lint checkouts (e.g. a commit checked out with ``git worktree`` and
/work/main). Each round runs, for each checkout in turn, the cold lint (``--no-cache``) of
bench/tree.py's generated 2,000-file repository, of its standard-library tree (1,790 modules
plus 100 calling files) and of that tree's calling files alone, then ruff once on each tree.
On a machine whose speed drifts (shared, throttled) a single run of each says little; runs
taken in turn put the drift on both checkouts alike. Printed: the medians over the rounds,
the share of the wall time the non-calling files take (whole tree minus calling files
alone, over whole tree), the cold tree's ratio to ruff, and the spread.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import tree as tree_bench  # noqa: E402  (the benchmark's trees)
from common import PY, measure, tool  # noqa: E402


def wall(command: list[str], checkout: Path | None, cwd: Path) -> float:
    """Seconds one run of *command* takes, sm-lint imported from *checkout*."""
    if checkout is not None:
        command = ["env", f"PYTHONPATH={checkout}", *command]
    return measure(command, cwd, sample=False).wall


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    tmp = Path(tempfile.mkdtemp(prefix="sm-lint-tree-ab-"))
    try:
        generated, stdtree = tmp / "tree", tmp / "stdtree"
        tree_bench.make_tree(generated, 2000, 50)
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        for source in tree_bench.stdlib_sources(1900):
            target = stdtree / "lib" / source.relative_to(stdlib)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        tree_bench.make_tree(stdtree, 100, 10, seed=2, caller_share=1.0)
        for checkout in checkouts.values():  # byte-compile each, as an install does
            subprocess.run([PY, "-m", "compileall", "-q", str(checkout / "sm_lint")], check=False)

        def lint(root: Path, target: Path) -> list[str]:
            return [PY, "-m", "sm_lint", str(target), "--models", str(root / "models"), "-q"]

        runs: dict[str, list[float]] = {}
        ruff = [tool("ruff"), "check", "--select", "F401", "--quiet", "--no-cache"]
        for _ in range(args.rounds):
            for name, checkout in checkouts.items():
                for label, root, target in (
                    ("cold tree", generated, generated),
                    ("stdlib whole", stdtree, stdtree),
                    ("stdlib calling", stdtree, stdtree / "src"),
                ):
                    command = [*lint(root, target), "--no-cache"]
                    runs.setdefault(f"{name} {label}", []).append(wall(command, checkout, tmp))
            runs.setdefault("ruff cold tree", []).append(wall([*ruff, str(generated)], None, tmp))
            runs.setdefault("ruff stdlib", []).append(wall([*ruff, str(stdtree)], None, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    median = {key: statistics.median(values) for key, values in runs.items()}
    print(f"{args.rounds} rounds, wall seconds: median (min-max)")
    for key, values in runs.items():
        print(f"  {key:<22} {median[key]:.3f} ({min(values):.3f}-{max(values):.3f})")
    for name in checkouts:
        whole, calling = median[f"{name} stdlib whole"], median[f"{name} stdlib calling"]
        cold = median[f"{name} cold tree"]
        print(
            f"{name}: non-calling files {max(0.0, whole - calling) / whole * 100:.1f}% of the "
            f"stdlib tree's wall time; cold tree {cold / median['ruff cold tree']:.2f}x ruff"
        )


if __name__ == "__main__":
    main()
