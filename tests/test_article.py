"""The seed article's three examples, run for real and linted: sm-lint must report what
TensorFlow really does, including where the article's "correct" code is wrong and where its
"incorrect" code works."""

from __future__ import annotations

from pathlib import Path

import pytest

from sm_lint.api import lint_source
from sm_lint.config import Config
from tests.tf_support import run_with_tensorflow

pytest.importorskip("tensorflow")

MODELS = Path(__file__).parent / "fixtures" / "models"

PRELUDE = """\
import numpy as np
import tensorflow as tf
loaded_model = tf.saved_model.load({path!r})
"""

# Each case: the model the article builds (as a fixture built the same way), the article's
# own lines (model building replaced by loading), and the line of the call to judge.
CASES = {
    "ex1_incorrect_batch_64": (
        "keras_export_dense",
        "incorrect_input = np.random.rand(64, 5)\n"
        "predictions = loaded_model.signatures['serving_default'](tf.constant(incorrect_input))\n",
        # The article expects a batch-size error; the real failure is float64 into float32.
        {"SM005"},
        {"SM004"},
    ),
    "ex1_correct_batch_32": (
        "keras_export_dense",
        "correct_input = np.random.rand(32,5)\n"
        "predictions = loaded_model.signatures['serving_default'](tf.constant(correct_input))\n",
        # The article's "correct" call fails in exactly the same way.
        {"SM005"},
        {"SM004"},
    ),
    "ex1_batch_64_float32": (
        "keras_export_dense",
        "x = np.random.rand(64, 5).astype(np.float32)\n"
        "predictions = loaded_model.signatures['serving_default'](keras_tensor=tf.constant(x))\n",
        # Any batch size fits the free batch dimension.
        set(),
        set(),
    ),
    "ex2_incorrect_a_12": (
        "article_two_inputs",
        "incorrect_a = np.random.rand(32, 12)\n"
        "incorrect_b = np.random.rand(32,5)\n"
        "predictions = loaded_model.signatures['serving_default']"
        "(a=tf.constant(incorrect_a), b=tf.constant(incorrect_b))\n",
        # The names a and b do not exist: Keras named the inputs keras_tensor, keras_tensor_1.
        {"SM002"},
        set(),
    ),
    "ex2_correct": (
        "article_two_inputs",
        "correct_a = np.random.rand(32,10)\n"
        "correct_b = np.random.rand(32,5)\n"
        "predictions = loaded_model.signatures['serving_default']"
        "(a=tf.constant(correct_a), b=tf.constant(correct_b))\n",
        {"SM002"},
        set(),
    ),
    "ex2_really_correct": (
        "article_two_inputs",
        "predictions = loaded_model.signatures['serving_default']"
        "(keras_tensor=np.random.rand(32, 10), keras_tensor_1=np.random.rand(32, 5))\n",
        set(),
        set(),
    ),
    "ex3_incorrect_float32": (
        "keras_float64",
        "incorrect_input = np.random.rand(32, 5).astype('float32')\n"
        "predictions = loaded_model.signatures['serving_default'](tf.constant(incorrect_input))\n",
        # The article says TensorFlow "might implicitly cast": it never casts a tensor.
        {"SM005"},
        {"SM004"},
    ),
    "ex3_correct_float64": (
        "keras_float64",
        "correct_input = np.random.rand(32, 5).astype('float64')\n"
        "predictions = loaded_model.signatures['serving_default'](tf.constant(correct_input))\n",
        set(),
        {"SM004"},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_article_example(name: str, tmp_path: Path) -> None:
    model, body, errors, warnings = CASES[name]
    source = PRELUDE.format(path=str(MODELS / model)) + body
    call_line = source.count("\n")  # the call is the last line
    findings = [
        d
        for d in lint_source(source, str(tmp_path / "article.py"), Config())
        if d.line == call_line
    ]
    found_errors = {d.code for d in findings if d.severity.value == "error"}
    found_warnings = {d.code for d in findings if d.severity.value == "warning"}

    outcome = run_with_tensorflow(source)
    # The verdict owed is computed from what TensorFlow did, not from intent.
    assert bool(found_errors) == (not outcome.ok), (outcome, findings)
    assert found_errors == errors, (outcome, findings)
    assert found_warnings == warnings, findings
