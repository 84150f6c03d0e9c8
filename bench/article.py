"""Benchmark 2: time to find the seed article's example-1 bugs: ``sm-lint FILE`` vs
``python FILE`` until it fails (TensorFlow import, model load, the first failing call)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from common import FINDING, FIXTURES, PY, SM_LINT, Row, log, median_wall, runs_of

ARTICLE = '''\
"""The seed article's example 1, the model loaded from a fixture instead of built."""
import numpy as np
import tensorflow as tf

loaded_model = tf.saved_model.load({model!r})

# "Incorrect" per the article (it expects a batch-size error).
incorrect_input = np.random.rand(64, 5)
predictions = loaded_model.signatures['serving_default'](tf.constant(incorrect_input))

# "Correct" per the article; it fails the same way: a float64 tensor into a float32 input.
correct_input = np.random.rand(32, 5)
predictions = loaded_model.signatures['serving_default'](tf.constant(correct_input))
print(predictions)
'''


def bench_article(tmp: Path, quick: bool) -> list[Row]:
    folder = tmp / "article"
    folder.mkdir()
    script = folder / "article_example1.py"
    script.write_text(ARTICLE.format(model=str(FIXTURES / "keras_export_dense")))
    n_ours, n_py = (1, 1) if quick else (5, 3)
    log(f"2/5 article: sm-lint x{n_ours + 1}, python x{n_py}")
    lint = [*SM_LINT, str(script), "--models", str(FIXTURES)]
    runs_of(lint, 1, folder)  # warm-up
    ours = runs_of(lint, n_ours, folder, ok=(1,))
    codes = Counter(FINDING.findall(ours[-1].stdout))
    theirs = runs_of([PY, str(script)], n_py, folder, ok=tuple(range(1, 256)), traceback_ok=True)
    error = next(
        (x for x in reversed(theirs[-1].stderr.splitlines()) if "Error" in x), "(no error line)"
    )
    error_type = error.split(":")[0].split(".")[-1]
    found = ", ".join(f"{c} x{n}" for c, n in sorted(codes.items()))
    print("## 2. The article's example 1: sm-lint vs running it\n")
    print(f"script: {script}")
    print(f"sm-lint: median {median_wall(ours):.3f} s of {n_ours}, exit {ours[-1].rc}: {found}")
    print(
        f"python:  median {median_wall(theirs):.3f} s of {n_py}, "
        f"exit {theirs[-1].rc}: {error[:160]}"
    )
    print()
    return [
        Row(
            "article ex. 1: time to the first error report",
            "s",
            median_wall(ours),
            median_wall(theirs),
            "python script.py until it fails",
            f"sm-lint reports both bad calls at once ({found}); "
            f"python stops at the first ({error_type})",
        )
    ]
