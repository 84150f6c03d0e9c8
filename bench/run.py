"""Every sm-lint benchmark in one run, summed up in one table of ratios.

    python bench/run.py            # the full run (about 10 minutes on 2 cores)
    python bench/run.py --quick    # a smoke run with few repetitions (about 2 minutes)

One module per benchmark, each a function ``(tmp, quick) -> list[Row]``; common.py has the
shared runner (rows, tables, measuring processes, the machine):

1. show_models.py: ``sm-lint show --format json DIR`` vs TensorFlow's ``saved_model_cli show
   --all --dir DIR`` on the fixture models (bench/bench_show.py's functions).
2. article.py: time to find the seed article's example-1 bugs: ``sm-lint FILE`` vs ``python
   FILE`` until it fails (TensorFlow import + model load + the first failing call).
3. tree.py: whole-repository lint vs ``ruff check --select F401``: a generated tree (2,000
   files, 5% calling signatures, 50 SavedModels), and standard-library modules plus calling
   files; wall time, files/s, peak memory; cold and warm (on-disk caches), ``--jobs 1`` vs
   the default, when sm-lint has those flags.
4. lsp.py: language server latency over stdio: didChange -> publishDiagnostics (debounce
   subtracted) on a 2,000-line file, and hover.
5. guard.py: runtime guard overhead per accepted call, numpy and tf.Tensor input.

Ratios are "how many times better sm-lint is": reference / sm-lint for times and memory,
sm-lint / reference for throughput, so above 1 sm-lint wins, below 1 it loses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from article import bench_article
from common import Row, busy_cpu, log, machine, markdown_table, own_cpu, text_table
from guard import bench_guard
from lsp_latency import bench_lsp
from show_models import bench_show_models
from tree import bench_tree

BENCHMARKS: dict[str, Callable[[Path, bool], list[Row]]] = {
    "show": bench_show_models,
    "article": bench_article,
    "tree": bench_tree,
    "lsp": bench_lsp,
    "guard": bench_guard,
}


def _compiled() -> str:
    """Byte-compile the measured sm-lint, as pip does when it installs a package: with
    PYTHONDONTWRITEBYTECODE set, an editable checkout would otherwise recompile every edited
    module in every timed run (10-20 ms each)."""
    import compileall

    import sm_lint

    package = Path(sm_lint.__file__).resolve().parent
    ok = compileall.compile_dir(str(package), quiet=1)
    return f"byte-compiled {package}: {'ok' if ok else 'FAILED'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument(
        "--only", help="comma-separated subset of: show,article,tree,lsp,guard (default: all)"
    )
    args = parser.parse_args(argv)
    benches = BENCHMARKS
    chosen = list(benches) if not args.only else [x.strip() for x in args.only.split(",")]
    unknown = [x for x in chosen if x not in benches]
    if unknown:
        parser.error(f"--only: unknown {', '.join(unknown)}")
    print(f"# sm-lint benchmarks{' (--quick)' if args.quick else ''}\n")
    print(machine())
    print(_compiled())
    print()
    tmp = Path(tempfile.mkdtemp(prefix="sm-lint-bench-"))
    rows: list[Row] = []
    failures: list[str] = []
    loads: list[str] = []  # each section's duration and the CPU share other processes took
    started = time.perf_counter()
    try:
        for name in chosen:
            try:
                section, busy, own = time.perf_counter(), busy_cpu(), own_cpu()
                rows.extend(benches[name](tmp, args.quick))
                took = time.perf_counter() - section
                others = (busy_cpu() - busy) - (own_cpu() - own)
                share = max(0.0, others) / (took * (os.cpu_count() or 1)) * 100
                loads.append(f"{name} {took:.0f} s, others {share:.0f}%")
            except Exception as error:  # one broken benchmark must not hide the others
                failures.append(f"{name}: {type(error).__name__}: {error}")
                log(f"{name} FAILED: {error}")
                rows.append(Row(f"{name}: FAILED", "s", None, note=str(error)[:120]))
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    legend = (
        "ratio = how many times better sm-lint is (reference / sm-lint for times and memory, "
        "sm-lint / reference for files/s): above 1 sm-lint wins. "
        f'Whole run: {elapsed:.0f} s ({"; ".join(loads)}). "others": the share of the '
        f"{os.cpu_count()} CPUs that processes outside this benchmark used meanwhile "
        "(/proc/stat minus this run's own CPU time); above a few % the numbers are disturbed."
    )
    print("## Summary\n")
    print(text_table(rows))
    print()
    print(legend)
    print("\n## Summary (Markdown)\n")
    print(markdown_table(rows))
    print()
    print(legend)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
