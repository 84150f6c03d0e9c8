"""Benchmark 5: the runtime guard's overhead per accepted call, numpy and tf.Tensor input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from common import ENV, FIXTURES, PY, REPO, Row, log

GUARD_SCRIPT = r"""
import json, statistics, sys, time, warnings
import numpy as np
import tensorflow as tf
from sm_lint.runtime import RECORDER, guard

path, n = sys.argv[1], int(sys.argv[2])
plain = tf.saved_model.load(path).signatures["serving_default"]
guarded = guard(tf.saved_model.load(path)).signatures["serving_default"]
x = np.random.rand(8, 5).astype(np.float32)
out = {}
with warnings.catch_warnings():
    warnings.simplefilter("error")  # an accepted call must not warn
    for label, arg in (("numpy", x), ("tensor", tf.constant(x))):
        for _ in range(30):
            plain(keras_tensor=arg)
            guarded(keras_tensor=arg)
        a, b = [], []
        for _ in range(n):  # interleaved, so drift hits both alike
            s = time.perf_counter_ns()
            plain(keras_tensor=arg)
            a.append(time.perf_counter_ns() - s)
            s = time.perf_counter_ns()
            guarded(keras_tensor=arg)
            b.append(time.perf_counter_ns() - s)
        out[label] = [statistics.median(a) / 1e3, statistics.median(b) / 1e3]
out["findings"] = len(RECORDER.findings)
print(json.dumps(out))
"""


def bench_guard(tmp: Path, quick: bool) -> list[Row]:
    n = 50 if quick else 500
    log(f"5/5 runtime guard: {n} calls each")
    proc = subprocess.run(
        [PY, "-c", GUARD_SCRIPT, str(FIXTURES / "keras_export_dense"), str(n)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"guard benchmark failed: {proc.stderr.strip().splitlines()[-1:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    print("## 5. Runtime guard overhead per call\n")
    rows = []
    for label, title in (("numpy", "numpy input"), ("tensor", "tf.Tensor input")):
        plain, guarded = data[label]
        print(f"{title}: unguarded {plain:.1f} µs, guarded {guarded:.1f} µs (medians of {n})")
        rows.append(
            Row(
                f"runtime guard, accepted call, {title}",
                "us",
                guarded,
                plain,
                "unguarded call",
                f"+{guarded - plain:.0f} µs (+{(guarded - plain) / plain * 100:.0f}%), "
                f"median of {n}",
            )
        )
    print(f"findings recorded (must be 0): {data['findings']}\n")
    return rows
