"""Benchmark 1: ``sm-lint show --format json DIR`` vs ``saved_model_cli show --all`` on the
fixture models, through bench_show.py's functions."""

from __future__ import annotations

import math
import shutil
import statistics
from pathlib import Path

import bench_show
from common import ENV, FIXTURES, SM_LINT, Row, log

from sm_lint.models import discover_models, resolve_model_dir


def bench_show_models(tmp: Path, quick: bool) -> list[Row]:
    root = FIXTURES
    if quick:  # two models only: saved_model_cli costs a TensorFlow import per run
        root = tmp / "show-models"
        for name in ("keras_export_dense", "tf1_builder"):
            shutil.copytree(FIXTURES / name, root / name)
    runs = 1 if quick else 3
    log(f"1/5 show: warming up, then {runs} run(s) of each tool per model")
    first = resolve_model_dir(discover_models([root])[0])
    env = dict(ENV)
    bench_show.timed([*SM_LINT, "show", "--format", "json", str(first)], env)
    bench_show.timed([*bench_show.saved_model_cli(), "show", "--all", "--dir", str(first)], env)
    rows, baseline = bench_show.run(root, runs, 0)
    print("## 1. sm-lint show --format json vs saved_model_cli show --all\n")
    print(bench_show.table(rows, baseline, runs))
    print()
    ours = sum(r.sm_lint for r in rows)
    theirs = sum(r.saved_model_cli for r in rows)
    ratios = [r.ratio for r in rows]
    geo = math.exp(statistics.fmean(math.log(x) for x in ratios))
    return [
        Row(
            f"show: {len(rows)} fixture models, sum of per-model medians",
            "s",
            ours,
            theirs,
            "saved_model_cli show --all",
            f"per model {min(ratios):.0f}x to {max(ratios):.0f}x, geo-mean {geo:.0f}x; "
            f"python startup {baseline * 1000:.0f} ms",
        )
    ]
