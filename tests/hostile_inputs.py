"""The probe's costliest inputs, as generators: the tests (tests/test_hostile_cost.py) assert
what sm-lint says about each, the benchmark (bench/hostile_cost.py) measures what each
costs (time, peak memory). Every source names a model load, so the pre-check never skips it.
"""

from __future__ import annotations

import json
from pathlib import Path


def head(model: str | Path) -> str:
    """A program that loads *model* and looks up its serving signature."""
    return (
        "import numpy as np\n"
        "import tensorflow as tf\n"
        f"m = tf.saved_model.load({str(model)!r})\n"
        'infer = m.signatures["serving_default"]\n'
    )


def huge_source(model: str | Path, size: int = 16 * 2**20) -> str:
    """Dense code far over the source size limit (the probe's 16 MB)."""
    line = "x = [1, 2, 3, 4, 5, 6, 7, 8]\n"
    return head(model) + line * (size // len(line))


def tensor_specs(model: str | Path, size: int = 467 * 1024) -> str:
    """One input_signature of TensorSpecs, *size* bytes in all (the probe's 467 KB)."""
    lines = [head(model), "@tf.function(input_signature=[\n"]
    total, n = 0, 0
    while total < size:
        line = f'    tf.TensorSpec(shape=[None, 5], dtype=tf.float32, name="x{n}"),\n'
        lines.append(line)
        total += len(line)
        n += 1
    lines.append("])\ndef serve(*args):\n    return args[0]\n")
    return "".join(lines)


def list_rows(model: str | Path, rows: int = 25_000) -> str:
    """A list literal of *rows* rows passed to a signature (the probe's 25,000 rows)."""
    body = "".join(f"    [{n % 10}, 2, 3, 4, 5],\n" for n in range(rows))
    return head(model) + "data = [\n" + body + "]\nout = infer(keras_tensor=tf.constant(data))\n"


def call_chain(model: str | Path, functions: int = 10_000) -> str:
    """*functions* functions each calling the next, the last calling the signature."""
    defs = "".join(f"def f{n}(x):\n    return f{n + 1}(x)\n" for n in range(functions))
    last = f"def f{functions}(x):\n    return infer(keras_tensor=x)\n"
    return head(model) + defs + last + "f0(tf.constant(np.random.rand(4, 5)))\n"


def flat_sum(model: str | Path, terms: int = 8000) -> str:
    """One expression: a flat sum of *terms* terms (8,000 crashed libcst's parser)."""
    return head(model) + "x = 1" + " + 1" * (terms - 1) + "\n"


def boolean_chain(model: str | Path, operands: int = 20_000) -> str:
    """``x and x and ...``: flat for CPython, one level per operand for libcst."""
    return head(model) + "ok = x" + " and x" * (operands - 1) + "\n"


def subscript_chains(model: str | Path, depth: int, size: int = 500 * 1024) -> str:
    """Statements ``y = x[0][0]...`` of *depth* subscripts each, *size* bytes in all."""
    line = "y = x" + "[0]" * depth + "\n"
    return head(model) + line * max(1, size // len(line))


def observed_json(folder: str, loads: int = 200_000, line: int = 3) -> str:
    """``.sm-lint/observed.json`` with *loads* folders recorded at one load site (line
    *line* of ``probe.py``), as a hand edit or a hostile checkout could hold."""
    text = f"m = tf.saved_model.load({folder!r})"
    spec = {"dtype": "float32", "shape": [None, 5], "encoding": "dense"}
    signature = {"method": "tensorflow/serving/predict", "inputs": {"x": spec}, "outputs": {}}
    model = {"tf2": True, "tags": ["serve"], "signatures": {"serving_default": signature}}
    entries = [
        {"folder": f"{folder}{n}", "tags": ["serve"], "count": 1, "model": model}
        for n in range(loads)
    ]
    site = {"end_line": line, "text": text, "loads": entries}
    return json.dumps({"version": 1, "sites": {}, "models": {f"probe.py:{line}": site}})


def nested_json(depth: int = 100_000) -> str:
    """A JSON document nested *depth* levels deep (json.loads raises RecursionError)."""
    return "[" * depth + "]" * depth
