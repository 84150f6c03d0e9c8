"""Whole-process time of ``sm-lint show`` against TensorFlow's ``saved_model_cli show --all``.

For each SavedModel below ``--models`` (default: tests/fixtures/models) both commands are
run ``--runs`` times as fresh processes, after ``--warmup`` untimed runs; the table gives
the median wall-clock seconds of each and their ratio (saved_model_cli / sm-lint, so 10.0
means sm-lint is ten times faster). Both commands get the same folder: for a TF Serving
layout, its resolved version folder, since saved_model_cli does not follow layouts.

    python bench/bench_show.py [--models DIR] [--runs N] [--warmup N] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sm_lint.models import discover_models, resolve_model_dir

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODELS = REPO / "tests" / "fixtures" / "models"


def saved_model_cli() -> list[str]:
    """TensorFlow's CLI: the console script if on PATH, else the module."""
    found = shutil.which("saved_model_cli")
    if found:
        return [found]
    return [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}: {tail}")
    return elapsed


def median_time(command: list[str], runs: int, warmup: int, env: dict[str, str]) -> float:
    for _ in range(warmup):
        timed(command, env)
    return statistics.median(timed(command, env) for _ in range(runs))


@dataclass
class Row:
    model: str
    sm_lint: float
    saved_model_cli: float

    @property
    def ratio(self) -> float:
        return self.saved_model_cli / self.sm_lint


def run(models_root: Path, runs: int, warmup: int) -> tuple[list[Row], float]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    baseline = median_time([sys.executable, "-c", "pass"], runs, warmup, env)
    tf_cli = saved_model_cli()
    rows = []
    for model in discover_models([models_root]):
        folder = resolve_model_dir(model)
        name = model.relative_to(models_root).as_posix() if model != models_root else model.name
        ours = [sys.executable, "-m", "sm_lint", "show", "--format", "json", str(folder)]
        theirs = [*tf_cli, "show", "--all", "--dir", str(folder)]
        rows.append(
            Row(
                name,
                median_time(ours, runs, warmup, env),
                median_time(theirs, runs, warmup, env),
            )
        )
        print(f"  {name}: done", file=sys.stderr, flush=True)
    return rows, baseline


def table(rows: list[Row], baseline: float, runs: int) -> str:
    width = max([len("model"), len("overall"), *(len(r.model) for r in rows)])
    head = f"{'model':<{width}}  {'sm-lint (s)':>11}  {'saved_model_cli (s)':>19}  {'ratio':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.model:<{width}}  {r.sm_lint:>11.3f}  {r.saved_model_cli:>19.3f}  {r.ratio:>6.1f}x"
        )
    lines.append("-" * len(head))
    total_ours = sum(r.sm_lint for r in rows)
    total_theirs = sum(r.saved_model_cli for r in rows)
    geo = math.exp(statistics.fmean(math.log(r.ratio) for r in rows))
    lines.append(
        f"{'overall':<{width}}  {total_ours:>11.3f}  {total_theirs:>19.3f}  "
        f"{total_theirs / total_ours:>6.1f}x"
    )
    lines.append("")
    lines.append(
        f"medians of {runs} runs per command; overall = sums of the medians "
        f"(geometric mean of the ratios: {geo:.1f}x); "
        f"bare `python -c pass` startup: {baseline:.3f} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS, help="folder of models")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (1)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not args.models.is_dir():
        parser.error(f"--models {args.models}: no such folder")
    rows, baseline = run(args.models, args.runs, args.warmup)
    if not rows:
        parser.error(f"no SavedModels found below {args.models}")
    if args.json:
        out = {
            "runs": args.runs,
            "python_startup": baseline,
            "models": [{**asdict(r), "ratio": r.ratio} for r in rows],
        }
        print(json.dumps(out, indent=2))
    else:
        print(table(rows, baseline, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
