"""Differential oracle for the Keras ways into a SavedModel (docs/design.md, "Keras layers
and TF1 Hub modules"): ``hub.KerasLayer(handle, signature=, output_key=,
signature_outputs_as_dict=)`` built against models with and without ``__call__`` and a TF1
Hub format module; ``keras.layers.TFSMLayer(path, call_endpoint=)`` called with a tensor, a
list, a tuple, a dict or ``inputs=``; ``hub.load`` / ``tf.saved_model.load`` of a model
that is not callable, called. Each generated program is linted and run with real
TensorFlow in this one process: sm-lint must report an error exactly where TensorFlow
raises (no false error, no missed rejection among the generated forms).
Keras symbolic inputs (``keras.Input``, ``tf_keras.Input``) are among the values passed.
SavedModel folders are loaded with Keras 3's and tf_keras' ``load_model`` (the folders under
``models/`` and one the program exports itself), their signatures called, and ``hub.Module``
(gone from tensorflow_hub 0.16) is called: SM017 where the installed versions reject them.
``SM_LINT_FUZZ_BUDGET=N`` raises the number of programs (all of them at about 200).

The forms sm-lint does not check yet are run too (``UNCHECKED``): TensorFlow must still
reject each, and sm-lint must stay silent (no guess), so the list stays true.
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
hub = pytest.importorskip("tensorflow_hub")
keras = pytest.importorskip("keras")
pytest.importorskip("tf_keras", reason="hub.KerasLayer needs tf_keras with Keras 3")

from sm_lint.api import lint_source  # noqa: E402
from sm_lint.config import Config  # noqa: E402
from sm_lint.diagnostics import Severity  # noqa: E402
from sm_lint.models import read_signatures  # noqa: E402
from tests.conftest import FIXTURES  # noqa: E402
from tests.tf_support import run_with_tensorflow  # noqa: E402

BUDGET = int(os.environ.get("SM_LINT_FUZZ_BUDGET", "0") or 0) or 70


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, make_models: ModuleType) -> Path:
    """``models/``: the TF1 Hub module, a model of signatures only (module_multi), Keras
    exports of one and two inputs, and ``callable`` (a ``__call__`` beside its signature)."""
    root = tmp_path_factory.mktemp("keras_forms") / "models"
    for name, fixture in (
        ("tf1", "tf1_hub_module"),
        ("multi", "module_multi"),
        ("dense", "keras_export_dense"),
        ("two", "keras_two_inputs"),
    ):
        shutil.copytree(FIXTURES / fixture, root / name)
    signature = make_models._signature

    class Callable(tf.Module):  # type: ignore[misc]
        @signature(tf.TensorSpec([None, 3], tf.float32, name="x"))
        def __call__(self, x: Any) -> Any:
            return x * 2.0

        @signature(tf.TensorSpec([None, 3], tf.float32, name="x"))
        def serve(self, x: Any) -> Any:
            return {"y": x * 2.0, "z": x}

    module = Callable()
    make_models._save_module(module, root / "callable", {"serving_default": module.serve})
    # A TF Serving layout (numeric versions) and a SavedModel folder with a config.json.
    shutil.copytree(root / "dense", root / "versioned" / "1")
    shutil.copytree(root / "dense", root / "configured")
    (root / "configured" / "config.json").write_text("{}")
    return root


# ------------------------------------------------------------------------ the generator
#: hub.KerasLayer options, by model: each model's signature keys and outputs.
_HUB_OPTIONS = {
    "tf1": [
        "",
        'output_key="logits"',
        'output_key="nope"',
        "signature_outputs_as_dict=True",
        'output_key="default", signature_outputs_as_dict=True',
        'signature="default", output_key="logits"',
        'signature="nope"',
        'arguments={"y": 1.0}',
    ],
    "multi": [
        "",
        'signature="serving_default"',
        'signature="serving_default", output_key="y"',
        'signature="serving_default", signature_outputs_as_dict=True',
        'signature="serving_default", output_key="y", signature_outputs_as_dict=True',
        "signature_outputs_as_dict=True",
        'output_key="y"',
        'signature="nope", output_key="y"',
        'signature="serving_default", output_key="y", arguments={"bogus": 1}',
    ],
    "callable": [
        "",
        'signature="serving_default", output_key="y"',
        'signature="serving_default"',
        "signature_outputs_as_dict=True",
    ],
}
#: What a built layer is called with, by input width (the models' inputs are float32).
_HUB_INPUTS = {
    3: [
        "np.ones((2, 3))",
        "tf.ones((2, 3), tf.float64)",
        "np.ones((2, 4))",
        "tf_keras.Input(shape=(3,))",
        "tf_keras.Input(shape=(4,))",
    ],
    4: [
        "np.ones((2, 4))",
        "tf.ones((2, 4), tf.int32)",
        "np.ones((2, 3))",
        "tf_keras.Input(shape=(4,), dtype='int32')",
        "tf_keras.Input(shape=(4, 1))",
    ],
}
_WIDTH = {"tf1": 3, "multi": 4, "callable": 3}

_TFSM_ENDPOINTS = {
    "dense": ["", 'call_endpoint="serving_default"'],
    "two": ["", 'call_endpoint="serving_default"'],
    "multi": ['call_endpoint="serving_default"', 'call_endpoint="pair"'],
}
_TFSM_INPUTS = {
    "dense": [
        "np.ones((2, 5))",
        "tf.ones((2, 5), tf.float64)",
        "inputs=np.ones((2, 5))",
        "tf.ones((2, 5), tf.int32)",
        "np.ones((2, 4))",
        "[np.ones((2, 5))]",
        '{"keras_tensor": np.ones((2, 5))}',
        "keras.Input(shape=(5,))",
        "keras.Input(shape=(4,))",
        "keras.Input(shape=(5,), dtype='int32')",
        "keras.Input(shape=(5,), dtype='float16', batch_size=3)",
    ],
    "two": [
        "[np.ones((2, 10)), np.ones((2, 5))]",
        "[tf.ones((2, 10), tf.float64), tf.ones((2, 5))]",
        "inputs=[tf.ones((2, 10)), tf.ones((2, 5))]",
        "(tf.ones((2, 10)), tf.ones((2, 5)))",
        "[tf.ones((2, 5)), tf.ones((2, 10))]",
        "[tf.ones((2, 10))]",
        "[tf.ones((2, 10)), tf.ones((2, 5), tf.int32)]",
        "tf.ones((2, 10))",
        '{"a": tf.ones((2, 10)), "b": tf.ones((2, 5))}',
        'inputs={"a": tf.ones((2, 10)), "b": tf.ones((2, 5))}',
        "[keras.Input(shape=(10,)), keras.Input(shape=(5,))]",
        "[keras.Input(shape=(10,)), keras.Input(shape=(4,))]",
    ],
    "multi": [
        "np.ones((2, 4))",
        "inputs=np.ones((2, 4), np.float32)",
        "np.ones((2, 3))",
        "[np.ones((2, 3)), np.ones((2, 3))]",
        '{"left": np.ones((2, 3)), "right": np.ones((2, 3))}',
    ],
}
#: (endpoint, input) pairs of the above in UNCHECKED instead.
_TFSM_UNCHECKED = {("", "keras.Input(shape=(5,), dtype='int32')")}
_RESTORED = [
    'm = tf.saved_model.load("models/{model}")\nm({value})',
    'm = hub.load("models/{model}")\nm({value})',
    'm = hub.load("models/{model}")\nm({value}, signature="default", as_dict=True)',
    'm = hub.load("models/{model}")\nm.signatures["{key}"](x={value})',
]

#: Loading a SavedModel folder with Keras' load_model (Keras 3 refuses it; tf_keras reads it
#: and its signatures stay checkable) and with hub.Module (gone from tensorflow_hub 0.16).
_LOAD_FUNCTIONS = [
    "keras.models.load_model",
    "keras.saving.load_model",
    "tf_keras.models.load_model",
    "tf_keras.saving.load_model",
]
_LOAD_PATHS = {
    "dense": ('"models/dense"', "keras_tensor", 5),
    "multi": ('"models/multi"', "x", 4),
    "callable": ('pathlib.Path("models/callable")', "x", 3),
}
_LOAD_USES = [
    "",
    'm.signatures["serving_default"]({name}=tf.ones((2, {width})))',
    'm.signatures["serving_default"](nope=tf.ones((2, {width})))',
    'm.signatures["serving_default"]({name}=tf.ones((2, {width}), tf.int32))',
]
_HUB_MODULES = [
    'm = hub.Module("models/tf1")',
    'm = hub.Module("https://tfhub.dev/google/nnlm-en-dim128/1")',
    'm = hub.Module("models/tf1", trainable=False)\nm(np.ones((2, 3), np.float32))',
    'm = hub.load("models/tf1")\nm.signatures["default"](x=np.ones((2, 3), np.float32))',
]

#: A folder the program exports itself, then loads with Keras' load_model.
_EXPORT = (
    'e = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])\ne.export("{out}")\n'
)
_SAVES_THEN_LOADS = [
    _EXPORT + 'm = keras.models.load_model("{out}")',
    _EXPORT + 'm = tf_keras.models.load_model("{out}")',
    _EXPORT
    + 'm = tf_keras.models.load_model("{out}")\nm.signatures["serve"](nope=np.ones((2, 3)))',
]

#: Forms TensorFlow rejects that sm-lint does not check (yet): it must stay silent on them.
UNCHECKED = [
    # A TF1 module's signature= without output_key= (it defaults to "default"): the layer's
    # call is not followed.
    'layer = hub.KerasLayer("models/tf1", signature="tokens")\nlayer(np.ones((2, 3)))',
    # output_key= without signature= on a model with __call__: whether __call__ returns a
    # dict is not read from the model (here it returns a tensor: ValueError).
    'layer = hub.KerasLayer("models/callable", output_key="y")\nlayer(np.ones((2, 3)))',
    # Keyword arguments other than inputs= (Keras demands `inputs`; extra ones reach the
    # endpoint).
    'layer = keras.layers.TFSMLayer("models/two", call_endpoint="serving_default")\n'
    "layer(a=tf.ones((2, 10)), b=tf.ones((2, 5)))",
    # A Keras 3 Input into a tf_keras layer (hub.KerasLayer) and a tf_keras Input into a
    # Keras 3 one (TFSMLayer): the analysis spells the two packages alike.
    'layer = hub.KerasLayer("models/callable")\nlayer(keras.Input(shape=(3,)))',
    'layer = keras.layers.TFSMLayer("models/dense")\nlayer(tf_keras.Input(shape=(5,)))',
    # A Keras Input's dtype: checked by the restored function `serve`, not by a signature
    # (accepted through call_endpoint="serving_default"), so not reported.
    'layer = keras.layers.TFSMLayer("models/dense")\n'
    "layer(keras.Input(shape=(5,), dtype='int32'))",
    # tf.keras' load_model of a SavedModel folder: Keras 3 refuses it unless
    # TF_USE_LEGACY_KERAS is set where the program runs (then tf_keras reads it).
    'tf.keras.models.load_model("models/dense")',
    # Keras 3's load_model of a folder of numeric versions (read as an Orbax checkpoint) or
    # of a folder with a config.json (read as a Keras folder): other errors, not reported.
    'keras.models.load_model("models/versioned")',
    'keras.models.load_model("models/configured")',
]


@dataclass(frozen=True)
class Program:
    name: str
    source: str


def _all_programs() -> list[Program]:
    out = []
    for model, options in _HUB_OPTIONS.items():
        for i, option in enumerate(options):
            for j, value in enumerate(_HUB_INPUTS[_WIDTH[model]]):
                args = ", ".join(part for part in (f'"models/{model}"', option) if part)
                source = f"layer = hub.KerasLayer({args})\nlayer({value})"
                out.append(Program(f"hub-{model}-{i}-{j}", source))
    for model, endpoints in _TFSM_ENDPOINTS.items():
        for i, endpoint in enumerate(endpoints):
            for j, value in enumerate(_TFSM_INPUTS[model]):
                if (endpoint, value) in _TFSM_UNCHECKED:
                    continue
                args = ", ".join(part for part in (f'"models/{model}"', endpoint) if part)
                source = f"layer = keras.layers.TFSMLayer({args})\nlayer({value})"
                out.append(Program(f"tfsm-{model}-{i}-{j}", source))
    for model, key, value in (
        ("tf1", "default", "np.ones((2, 3), np.float32)"),
        ("multi", "serving_default", "np.ones((2, 4), np.float32)"),
        ("callable", "serving_default", "np.ones((2, 3), np.float32)"),
    ):
        for i, form in enumerate(_RESTORED):
            source = form.format(model=model, value=value, key=key)
            out.append(Program(f"restored-{model}-{i}", source))
    for model, (path, name, width) in _LOAD_PATHS.items():
        for i, function in enumerate(_LOAD_FUNCTIONS):
            for j, use in enumerate(_LOAD_USES):
                lines = [f"m = {function}({path})", use.format(name=name, width=width)]
                source = "\n".join(line for line in lines if line)
                out.append(Program(f"load-{model}-{i}-{j}", source))
    for i, source in enumerate(_HUB_MODULES):
        out.append(Program(f"hub-module-{i}", source))
    for i, form in enumerate(_SAVES_THEN_LOADS):
        out.append(Program(f"export-load-{i}", form.format(out=f"exported_{i}")))
    return out


def programs() -> list[Program]:
    """A sample of every form (all of them where the budget allows), always the same."""
    every = _all_programs()
    if len(every) <= BUDGET:
        return every
    return random.Random(3).sample(every, BUDGET)


HEADER = (
    "import numpy as np\nimport tensorflow as tf\nimport tensorflow_hub as hub\nimport keras\n"
    "import tf_keras\nimport pathlib\n"
)


def _verdict(models: Path, source: str) -> tuple[list[str], bool, str]:
    program = HEADER + source + "\n"
    findings = lint_source(program, models.parent / "case.py", Config(models=(models,)))
    errors = [f"{d.code} {d.message}" for d in findings if d.severity is Severity.ERROR]
    cwd = Path.cwd()
    os.chdir(models.parent)  # the programs name their models relative to the file
    try:
        outcome = run_with_tensorflow(program, {"__name__": "__program__"})
    finally:
        os.chdir(cwd)
    return errors, outcome.ok, str(outcome)


def test_generated_programs_agree_with_tensorflow(models: Path) -> None:
    chosen = programs()
    disagreements: list[str] = []
    rejections = found = false_errors = 0
    for program in chosen:
        errors, ok, outcome = _verdict(models, program.source)
        rejections += not ok
        found += (not ok) and bool(errors)
        false_errors += ok and bool(errors)
        if ok == bool(errors):
            disagreements.append(
                f"--- {program.name}: TensorFlow {outcome}, sm-lint {errors or 'no error'}\n"
                f"{program.source}"
            )
    print(
        f"keras-forms oracle: {len(chosen)} programs, {rejections} rejected by TensorFlow, "
        f"{found} of them found, {false_errors} false errors"
    )
    assert not disagreements, "\n".join(disagreements)
    assert rejections >= len(chosen) // 4  # the generator reaches rejections


def test_the_reader_knows_which_loaded_objects_are_callable(models: Path) -> None:
    """``root_callable`` and ``hub_v1``, against the objects TensorFlow and tensorflow_hub
    load (a TF1 Hub module with tags ``[]``, as hub.load does)."""
    seen = {}
    for folder in sorted(models.iterdir()):
        if folder.name in ("versioned", "configured"):
            continue  # copies of dense, for load_model
        model = read_signatures(folder)
        loaded = hub.load(str(folder)) if model.hub_v1 else tf.saved_model.load(str(folder))
        assert model.root_callable is callable(loaded), folder.name
        assert model.hub_v1 is bool(getattr(loaded, "_is_hub_module_v1", False)), folder.name
        seen[folder.name] = (model.root_callable, model.hub_v1)
    assert seen["callable"] == (True, False) and seen["tf1"] == (False, True)
    assert seen["multi"] == seen["dense"] == (False, False)


@pytest.mark.parametrize("source", UNCHECKED)
def test_unchecked_forms_are_rejected_and_left_alone(models: Path, source: str) -> None:
    errors, ok, _outcome = _verdict(models, source)
    assert not ok, f"TensorFlow now accepts it: move it out of UNCHECKED\n{source}"
    assert not errors, f"sm-lint now checks it: move it into the generator\n{errors}"
