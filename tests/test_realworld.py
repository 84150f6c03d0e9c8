"""Real-world shapes of code, each run for real with TensorFlow and linted.

Every case holds one signature call. The linter owes an error exactly when TensorFlow fails
on it (or when a tensor's shape contradicts the signature), with the expected code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sm_lint.api import Linter, lint_source
from sm_lint.config import Config
from tests.tf_support import run_with_tensorflow

pytest.importorskip("tensorflow")

MODELS = Path(__file__).parent / "fixtures" / "models"

CASES: dict[str, tuple[str, set[str]]] = {
    "self_attributes_across_methods": (
        """
import numpy as np
import tensorflow as tf

class Predictor:
    def __init__(self, path):
        self.model = tf.saved_model.load({models!r} + "/keras_export_dense")
        self.infer = self.model.signatures["serving_default"]

    def predict(self):
        return self.infer(keras_tensor=tf.constant(np.random.rand(3, 5)))

Predictor(None).predict()
""",
        {"SM005"},
    ),
    "self_model_signature_in_other_method": (
        """
import numpy as np
import tensorflow as tf

class Predictor:
    def __init__(self):
        self.model = tf.saved_model.load({models!r} + "/module_multi")

    def predict(self, n):
        batch = np.zeros((n, 4), dtype=np.float32)
        return self.model.signatures["serving_default"](x=batch)["z"]

Predictor().predict(2)
""",
        {"SM010"},
    ),
    "module_constants_for_key_and_path": (
        """
import os
import numpy as np
import tensorflow as tf

MODEL_DIR = os.path.join({models!r}, "module_multi")
SIGNATURE = "classify_image"
BATCH = 2

def main():
    model = tf.saved_model.load(MODEL_DIR)
    classify = model.signatures[SIGNATURE]
    images = np.zeros((BATCH, 8, 8, 3), dtype="uint8")
    return classify(images=images)

main()
""",
        {"SM002"},
    ),
    "default_key_constant_and_fstring_path": (
        """
import tensorflow as tf
from tensorflow.saved_model import load

root = {models!r}
name = "keras_two_inputs"
model = load(f"{{root}}/{{name}}")
fn = model.signatures[tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY]
fn(a=tf.zeros((4, 10)), b=tf.zeros((4, 5)))
""",
        set(),
    ),
    "compat_v2_alias_and_get": (
        """
import numpy as np
import tensorflow.compat.v2 as tf2

m = tf2.saved_model.load({models!r} + "/module_multi")
scale = m.signatures.get("scale")
scale(temperature=np.float32(0.5), matrix=np.ones((3, 3), np.float32))
""",
        {"SM008"},
    ),
    "pathlib_parent_and_branches_that_agree": (
        """
import sys
from pathlib import Path
import numpy as np
import tensorflow as tf

base = Path({models!r})
if len(sys.argv) > 5:
    batch = np.zeros((2, 3), dtype=np.float32)
else:
    batch = np.zeros((2, 3), dtype=np.float32)
model = tf.saved_model.load(str(base / "tf1_builder"))
model.signatures["serving_default"](**{{"x:0": batch, "my/y": batch[:, :2]}})
""",
        {"SM008"},
    ),
    "branches_that_disagree_stay_unknown": (
        """
import sys
import numpy as np
import tensorflow as tf

if len(sys.argv) > 5:
    batch = np.zeros((2, 4), dtype=np.float32)
else:
    batch = np.zeros((3, 4), dtype=np.float64)
model = tf.saved_model.load({models!r} + "/module_multi")
model.signatures["serving_default"](x=batch)
""",
        set(),
    ),
    "tfsm_layer_float64_into_float32": (
        """
import numpy as np
import keras

layer = keras.layers.TFSMLayer({models!r} + "/keras_export_dense", call_endpoint="serving_default")
layer(np.random.rand(4, 5))
""",
        set(),
    ),
    "tfsm_layer_int64_into_float32": (
        """
import numpy as np
import keras

layer = keras.layers.TFSMLayer({models!r} + "/keras_export_dense", call_endpoint="serving_default")
layer(np.ones((4, 5), dtype=np.int64))
""",
        {"SM005"},
    ),
    "tfsm_layer_wrong_endpoint": (
        """
import keras

layer = keras.layers.TFSMLayer({models!r} + "/module_multi", call_endpoint="classify")
""",
        {"SM001"},
    ),
    "tfsm_layer_float_image_into_uint8": (
        """
import numpy as np
from keras.layers import TFSMLayer

layer = TFSMLayer({models!r} + "/module_multi", call_endpoint="classify_image")
layer(np.random.rand(1, 8, 8, 3))
""",
        {"SM005"},
    ),
    "keyword_loop_variable_is_unknown": (
        """
import numpy as np
import tensorflow as tf

model = tf.saved_model.load({models!r} + "/keras_export_dense")
infer = model.signatures["serving_default"]
for rows in (1, 2):
    x = np.zeros((rows, 5), np.float32)
    infer(keras_tensor=x)
""",
        set(),
    ),
    "serving_layout_picks_the_highest_version": (
        """
import numpy as np
import tensorflow as tf

model = tf.saved_model.load({models!r} + "/serving/dense/2")
model.signatures["serving_default"](x=np.zeros((1, 2), np.float32))
""",
        {"SM008"},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_world_case(name: str, tmp_path: Path) -> None:
    template, expected = CASES[name]
    source = template.format(models=str(MODELS))
    findings = lint_source(source, str(tmp_path / "case.py"), Config(models=(MODELS,)))
    errors = {d.code for d in findings if d.severity.value == "error"}
    outcome = run_with_tensorflow(source, {"__name__": "case"})
    assert errors == expected, (outcome, findings)
    assert bool(errors) == (not outcome.ok), (outcome, findings)


def test_hub_load_with_a_mapping(tmp_path: Path) -> None:
    handle = "https://tfhub.dev/example/dense/1"
    source = (
        "import numpy as np\n"
        "import tensorflow_hub as hub\n"
        f"model = hub.load({handle!r})\n"
        "model.signatures['serving_default'](inputs=np.zeros((1, 5), np.float32))\n"
    )
    unmapped = lint_source(source, str(tmp_path / "hub.py"), Config())
    assert unmapped == []  # an unmapped hub handle is not checked, and not "not found"
    config = Config(model_paths={handle: MODELS / "keras_export_dense"})
    mapped = lint_source(source, str(tmp_path / "hub.py"), config)
    assert [(d.line, d.code) for d in mapped] == [(4, "SM002")]
    assert "did you mean 'keras_tensor'" in mapped[0].message
    # The same call on the mapped local copy, for real.
    real = source.replace("import tensorflow_hub as hub", "import tensorflow as tf").replace(
        f"hub.load({handle!r})", f"tf.saved_model.load({str(MODELS / 'keras_export_dense')!r})"
    )
    assert not run_with_tensorflow(real).ok


def test_branches_keep_only_what_they_agree_on() -> None:
    source = CASES["branches_that_disagree_stay_unknown"][0].format(models=str(MODELS))
    facts = Linter(Config(models=(MODELS,))).analyze_source(source, None).facts
    assert facts is not None
    value = facts.calls[0].arguments[0].value
    assert (value.kind.value, value.dtype, value.shape) == ("ndarray", None, (None, 4))
