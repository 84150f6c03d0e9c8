"""Differential oracle for values that reach a signature call through a function.

Generated programs (templates x values): the value reaches the call through a parameter,
a return value, a preprocessing helper, a method of a class holding the signature
function, a chain of functions, or a ``tf.data`` batch. Each program is linted with
sm-lint and run with real TensorFlow in this one process (the machinery of
tests/test_oracle_calls.py: the session's loaded model behind a recording proxy, the
verdict derived from what TensorFlow did with the real values).

The rules: never an error TensorFlow does not owe (zero false errors), never a warning
the real values do not call for, and at least 90% of the calls TensorFlow rejects found.
``SM_LINT_ORACLE_BUDGET`` (a float, default 1) adds that many times 24 random values.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from sm_lint.api import lint_source  # noqa: E402
from tests.oracle_cases import LOAD_LINE, MODELS_DIR  # noqa: E402
from tests.test_oracle_calls import CONFIG, LINT_PATH, derive, execute  # noqa: E402

BUDGET = float(os.environ.get("SM_LINT_ORACLE_BUDGET", "1") or "1")
MODEL = "keras_export_dense"  # serving_default: keras_tensor float32 (?, 5)

#: Values built at the outer call site; every one is accepted or rejected by TensorFlow.
VALUES = [
    "np.random.rand(16, 5)",
    "np.random.rand(16, 5).astype(np.float32)",
    "np.random.rand(16, 7)",
    "np.zeros((4, 5), np.float16)",
    "np.zeros((4, 5), np.int32)",
    "np.ones((3, 5), np.uint8)",
    "np.random.rand(5)",
    "np.random.rand(2, 3, 5)",
    "[[1.0, 2.0, 3.0, 4.0, 5.0]]",
    "tf.zeros((4, 5))",
    "tf.zeros((4, 5), tf.float64)",
    "tf.ones((4, 6))",
]


def _random_values(count: int) -> list[str]:
    rng = random.Random(12)
    out = []
    for _ in range(count):
        dtype = rng.choice(["float16", "float32", "float64", "int32", "int64", "uint8"])
        shape = tuple(rng.choice([1, 2, 5, 5, 5, 6]) for _ in range(rng.choice([1, 2, 2, 3])))
        if rng.random() < 0.5:
            out.append(f"np.ones({shape!r}, np.{dtype})")
        else:
            out.append(f"tf.ones({shape!r}, tf.{dtype})")
    return out


#: (template name, setup lines, call line); VALUE is replaced by a value.
TEMPLATES: list[tuple[str, str, str]] = [
    ("parameter", "def predict(batch):\n    return infer(keras_tensor=batch)", "predict(VALUE)"),
    (
        "parameter, tf.constant",
        "def predict(batch):\n    return infer(keras_tensor=tf.constant(batch))",
        "predict(VALUE)",
    ),
    (
        "parameter, convert_to_tensor",
        "def predict(batch):\n    x = tf.convert_to_tensor(batch)\n"
        "    return infer(keras_tensor=x)",
        "predict(batch=VALUE)",
    ),
    (
        "default argument",
        "def predict(batch, fn=infer):\n    return fn(keras_tensor=batch)",
        "predict(VALUE)",
    ),
    ("return value", "def make_batch():\n    return VALUE", "infer(keras_tensor=make_batch())"),
    (
        "return value through a variable",
        "def make_batch():\n    batch = VALUE\n    return batch\nb = make_batch()",
        "infer(keras_tensor=b)",
    ),
    (
        "helper, tf.cast",
        "def preprocess(img):\n    return tf.cast(img, tf.float32) / 255.0",
        "infer(keras_tensor=preprocess(VALUE))",
    ),
    (
        "helper, scaling",
        "def preprocess(img):\n    return img * 2.0",
        "infer(keras_tensor=preprocess(VALUE))",
    ),
    (
        "helper, numpy scalar",
        "def preprocess(img):\n    return np.float64(0.5) * img",
        "infer(keras_tensor=preprocess(VALUE))",
    ),
    (
        "chain of functions",
        "def run(t):\n    return infer(keras_tensor=t)\n"
        "def predict(batch):\n    return run(tf.constant(batch))",
        "predict(VALUE)",
    ),
    (
        "class holding the signature function",
        "class Predictor:\n    def __init__(self, fn):\n        self.fn = fn\n"
        "    def predict(self, batch):\n        return self.fn(keras_tensor=batch)\n"
        "p = Predictor(infer)",
        "p.predict(VALUE)",
    ),
    (
        "class, method calls a helper method",
        "class Predictor:\n    def __init__(self, model, key='serving_default'):\n"
        "        self.fn = model.signatures[key]\n"
        "    def prepare(self, batch):\n        return tf.convert_to_tensor(batch)\n"
        "    def predict(self, batch):\n        return self.fn(keras_tensor=self.prepare(batch))\n"
        "p = Predictor(loaded)",
        "p.predict(VALUE)",
    ),
    (
        "branch on a parameter",
        "def predict(batch, flat=False):\n    if flat:\n        batch = batch[0]\n"
        "    return infer(keras_tensor=batch)",
        "predict(VALUE)",
    ),
    (
        "early return in a helper",
        "def prep(x):\n    if len(x.shape) == 1:\n        return x[None]\n    return x",
        "infer(keras_tensor=prep(VALUE))",
    ),
    (
        "feed dict built by a helper",
        "def feed(x):\n    return {'keras_tensor': x}",
        "infer(**feed(VALUE))",
    ),
    (
        "feed dict filled by a helper",
        "def fill(d, x):\n    d['keras_tensor'] = x\nd = {}\nfill(d, VALUE)",
        "infer(**d)",
    ),
    (
        "recursion with a base case",
        "def prep(x, n):\n    if n == 0:\n        return x\n    return prep(x, n - 1)",
        "infer(keras_tensor=prep(VALUE, 2))",
    ),
    (
        "tf.data batch",
        "ds = tf.data.Dataset.from_tensor_slices(VALUE).batch(8)\nbatch = next(iter(ds))",
        "infer(keras_tensor=batch)",
    ),
    (
        "tf.data map of a lambda",
        "ds = tf.data.Dataset.from_tensor_slices(VALUE)\n"
        "ds = ds.map(lambda x: tf.cast(x, tf.float32)).batch(4)\nbatch = next(iter(ds))",
        "infer(keras_tensor=batch)",
    ),
    (
        "tf.data loop, numpy iterator",
        "ds = tf.data.Dataset.from_tensor_slices(VALUE).shuffle(4).batch(2)\n"
        "for batch in ds.as_numpy_iterator():",
        "infer(keras_tensor=batch)",
    ),
]


@dataclass(frozen=True)
class Program:
    template: str
    value: str
    setup: str
    call: str

    @property
    def source(self) -> str:
        lines = [
            "import numpy as np",
            "import tensorflow as tf",
            f'loaded = tf.saved_model.load("{(MODELS_DIR / MODEL).as_posix()}")',
            'infer = loaded.signatures["serving_default"]',
            self.setup.replace("VALUE", self.value),
            # A setup ending in a loop header gets the call as its body.
            ("    " if self.setup.endswith(":") else "")
            + f"result = {self.call.replace('VALUE', self.value)}",
        ]
        return "\n".join(lines) + "\n"


def programs() -> list[Program]:
    values = VALUES + _random_values(round(max(0.0, BUDGET - 1) * 24))
    return [
        Program(name, value, setup, call) for name, setup, call in TEMPLATES for value in values
    ]


@dataclass
class Outcome:
    program: Program
    breaks: bool
    errors: set[str]
    false_warnings: set[str]
    missing_warnings: set[str]
    tf_outcome: str
    findings: list[Any]


def _judge(program: Program, loaded: Any) -> Outcome | None:
    """None when the program fails before reaching the call (not a signature-call case)."""
    run = execute(program, loaded)  # type: ignore[arg-type]
    if run.fn is None or (run.error is not None and run.error_phase not in ("calling", "returned")):
        return None
    verdict = derive(run)
    findings = lint_source(program.source, LINT_PATH, CONFIG)
    on_call = [f for f in findings if f.line > LOAD_LINE]
    errors = {f.code for f in on_call if f.severity.value == "error"}
    warns = {f.code for f in on_call if f.severity.value == "warning"}
    return Outcome(
        program,
        verdict.breaks,
        errors,
        set() if verdict.breaks else (warns & {"SM006", "SM009"}) - verdict.warnings,
        set() if verdict.breaks else verdict.warnings - warns,
        verdict.tf_outcome,
        findings,
    )


def test_values_through_functions_match_tensorflow() -> None:
    loaded = tf.saved_model.load(str(MODELS_DIR / MODEL))
    outcomes = [o for p in programs() if (o := _judge(p, loaded)) is not None]
    rejected = [o for o in outcomes if o.breaks]
    found = [o for o in rejected if o.errors]
    false_errors = [o for o in outcomes if not o.breaks and o.errors]
    false_warnings = [o for o in outcomes if o.false_warnings]
    report = (
        f"{len(outcomes)} programs, {len(rejected)} rejected by TensorFlow, {len(found)} found, "
        f"{len(false_errors)} false errors, {len(false_warnings)} false warnings"
    )
    print(report)
    details = [
        f"{kind}: [{o.program.template}] {o.program.value}\n  TensorFlow: {o.tf_outcome}\n  "
        + "\n  ".join(f"{f.line}:{f.column} {f.code} {f.message}" for f in o.findings)
        for kind, group in (("false error", false_errors), ("false warning", false_warnings))
        for o in group
    ]
    assert not false_errors and not false_warnings, report + "\n" + "\n".join(details)
    assert len(outcomes) >= 80, report
    missed = [
        f"[{o.program.template}] {o.program.value}: {o.tf_outcome}"
        for o in rejected
        if not o.errors
    ]
    assert len(found) >= 0.9 * len(rejected), report + "\nmissed:\n" + "\n".join(missed)
    # Every template contributes checked programs (none silently fails before its call).
    assert {o.program.template for o in outcomes} == {t[0] for t in TEMPLATES}, report


def test_findings_name_the_caller() -> None:
    program = Program(TEMPLATES[1][0], "np.random.rand(16, 7)", TEMPLATES[1][1], TEMPLATES[1][2])
    findings = lint_source(program.source, LINT_PATH, CONFIG)
    inside = [f for f in findings if f.line == 6]
    assert {f.code for f in inside} == {"SM005", "SM008"}
    for finding in inside:
        assert "when `predict` is called at line 7 with float64 numpy array (16, 7)" in (
            finding.message
        )
        assert [(r.line, r.message) for r in finding.related] == [
            (7, "`predict` called here with float64 numpy array (16, 7)")
        ]
        assert finding.fix is None
