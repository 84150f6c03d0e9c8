"""Differential oracle for models held by classes, caches and configurations, in one file,
across the modules of a project and across the cells of a notebook.

Each shape (a predictor class whose ``__init__`` loads the model, a subclass calling
``super().__init__``, a ``@property``, ``@classmethod`` / ``@staticmethod`` loaders, an
``lru_cache`` loader, a ``functools.partial`` of a loader, dataclass and NamedTuple
configurations, instances and classes imported from another module, a function of an earlier
notebook cell) is generated with a correct or a mutated call, linted with sm-lint and run
with real TensorFlow in this one process. Every call TensorFlow rejects must be found; a
call that runs must get no error.

Models loaded in different ``if`` branches: each program runs once per branch, the branch
chosen by an environment variable; a call every branch rejects must be found, any other
must get no error (``test_a_model_chosen_in_branches_is_reported_where_every_branch_rejects``).

``SM_LINT_FUZZ_BUDGET=N`` adds 20 generated calls per unit of N (random kinds, dtypes,
shapes and keywords) to the fixed ones, each tried in every shape.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from sm_lint.api import lint_paths  # noqa: E402
from sm_lint.diagnostics import Severity  # noqa: E402
from tests.conftest import code_notebook  # noqa: E402
from tests.test_projects_oracle import _run, cached_load  # noqa: E402, F401
from tests.tf_support import run_with_tensorflow  # noqa: E402

MODELS = Path(__file__).resolve().parent / "fixtures" / "models"
DENSE = "keras_export_dense"  # serving_default: keras_tensor float32 (?, 5)
FLOAT64 = "keras_float64"  # serving_default: keras_tensor float64 (?, 5)
PATH = f"'models/{DENSE}'"
BUDGET = float(os.environ.get("SM_LINT_FUZZ_BUDGET", "0") or "0")

#: (the arguments of a signature call, the value alone where a helper adds the keyword).
CASES = [
    ("keras_tensor=tf.constant(np.zeros((2, 5), np.float32))", True),
    ("keras_tensor=np.zeros((3, 5))", True),  # float64 numpy: cast, accepted
    ("keras_tensor=tf.constant(np.zeros((2, 7), np.float32))", False),
    ("keras_tensor=tf.constant(np.zeros((2, 5), np.float64))", False),
    ("keras_tensor=np.zeros((5,), np.float32)", False),
    ("x=tf.constant(np.zeros((2, 5), np.float32))", False),
]

HEAD = "import functools\nimport numpy as np\nimport tensorflow as tf\n"
#: The pre-check skips a file that only imports its model from another module (it looks
#: for a loader's name in the file itself): such entry points name ``tf.saved_model``.
READY = "READY = tf.saved_model\n"
PREDICTOR = (
    "class Predictor:\n"
    "    def __init__(self, path):\n"
    "        self.model = tf.saved_model.load(path)\n"
    "        self.fn = self.model.signatures['serving_default']\n\n"
    "    def predict(self, x):\n"
    "        return self.fn(keras_tensor=x)\n\n"
    "    @property\n"
    "    def signature(self):\n"
    "        return self.model.signatures['serving_default']\n\n"
    "    @classmethod\n"
    "    def from_dir(cls, path):\n"
    "        return cls(path)\n\n"
    "    @staticmethod\n"
    "    def load(path):\n"
    "        return tf.saved_model.load(path)\n\n\n"
)
SUBCLASS = (
    "class DensePredictor(Predictor):\n"
    "    def __init__(self, path):\n"
    "        super().__init__(path)\n"
    "        self.name = 'dense'\n\n\n"
)

#: name -> (entry point, files); ARGS is a call's arguments, VALUE the value alone (only
#: for the cases whose keyword is right).
SHAPES: dict[str, tuple[str, dict[str, str]]] = {
    "method of an instance": (
        "main.py",
        {"main.py": HEAD + PREDICTOR + f"Predictor({PATH}).predict(VALUE)\n"},
    ),
    "attribute set in __init__": (
        "main.py",
        {"main.py": HEAD + PREDICTOR + f"p = Predictor({PATH})\np.fn(ARGS)\n"},
    ),
    "inherited method, super().__init__": (
        "main.py",
        {"main.py": HEAD + PREDICTOR + SUBCLASS + f"DensePredictor({PATH}).predict(VALUE)\n"},
    ),
    "property returning the signature": (
        "main.py",
        {"main.py": HEAD + PREDICTOR + SUBCLASS + f"DensePredictor({PATH}).signature(ARGS)\n"},
    ),
    "classmethod loader": (
        "main.py",
        {"main.py": HEAD + PREDICTOR + f"Predictor.from_dir({PATH}).fn(ARGS)\n"},
    ),
    "staticmethod loader": (
        "main.py",
        {
            "main.py": HEAD
            + PREDICTOR
            + f"Predictor.load({PATH}).signatures['serving_default'](ARGS)\n"
        },
    ),
    "lru_cache loader": (
        "main.py",
        {
            "main.py": HEAD + "\n\n@functools.lru_cache(maxsize=None)\ndef get_model(path):\n"
            "    return tf.saved_model.load(path)\n\n\n"
            f"get_model({PATH})\nget_model({PATH}).signatures['serving_default'](ARGS)\n"
        },
    ),
    "functools.cache loader": (
        "main.py",
        {
            "main.py": HEAD + "\n\n@functools.cache\ndef get_model():\n"
            f"    return tf.saved_model.load({PATH})\n\n\n"
            "get_model().signatures['serving_default'](ARGS)\n"
        },
    ),
    "partial of a user loader": (
        "main.py",
        {
            "main.py": HEAD + "\n\ndef load_model(base, name, tags=None):\n"
            "    return tf.saved_model.load(base + '/' + name)\n\n\n"
            "load = functools.partial(load_model, 'models', tags=['serve'])\n"
            f"load('{DENSE}').signatures['serving_default'](ARGS)\n"
        },
    ),
    "dataclass configuration": (
        "main.py",
        {
            "main.py": HEAD + "from dataclasses import dataclass\n\n\n@dataclass(frozen=True)\n"
            f"class Config:\n    model_dir: str = {PATH}\n    batch: int = 2\n\n\n"
            "cfg = Config(batch=4)\n"
            "tf.saved_model.load(cfg.model_dir).signatures['serving_default'](ARGS)\n"
        },
    ),
    "NamedTuple configuration": (
        "main.py",
        {
            "main.py": HEAD + "from typing import NamedTuple\n\n\n"
            f"class Config(NamedTuple):\n    model_dir: str = {PATH}\n    key: str = "
            "'serving_default'\n\n\ncfg = Config()\n"
            "tf.saved_model.load(cfg.model_dir).signatures[cfg.key](ARGS)\n"
        },
    ),
    "instance of a class of another module": (
        "main.py",
        {
            "serving/__init__.py": "",
            "serving/predictor.py": "import tensorflow as tf\n\n\n" + PREDICTOR,
            "main.py": HEAD + READY + "from serving.predictor import Predictor\n\n"
            f"p = Predictor({PATH})\np.fn(ARGS)\n",
        },
    ),
    "singleton of another module, property": (
        "main.py",
        {
            "serving/__init__.py": "from .predictor import PREDICTOR\n",
            "serving/predictor.py": "import os\nimport tensorflow as tf\n\n\n"
            + PREDICTOR
            + "PREDICTOR = Predictor(os.path.join(os.path.dirname(os.path.dirname(__file__)), "
            f"'models', '{DENSE}'))\n",
            "main.py": HEAD
            + READY
            + "from serving import PREDICTOR\n\nPREDICTOR.signature(ARGS)\n",
        },
    ),
    "classmethod of a class of another module": (
        "main.py",
        {
            "predictors.py": "import tensorflow as tf\n\n\n" + PREDICTOR + SUBCLASS,
            "main.py": HEAD + READY + "from predictors import DensePredictor\n\n"
            f"DensePredictor.from_dir({PATH}).signature(ARGS)\n",
        },
    ),
    "dataclass with a pathlib default of another module": (
        "main.py",
        {
            "conf.py": "from dataclasses import dataclass\nfrom pathlib import Path\n\n"
            f"NAME = '{DENSE}'\n\n\n@dataclass\nclass Settings:\n"
            "    MODEL_PATH: Path = Path(__file__).parent / 'models' / NAME\n",
            "main.py": HEAD + "from conf import Settings\n\ncfg = Settings()\n"
            "tf.saved_model.load(str(cfg.MODEL_PATH)).signatures['serving_default'](ARGS)\n",
        },
    ),
    "function of an earlier notebook cell": (
        "main.ipynb",
        {
            "main.ipynb": json.dumps(
                code_notebook(
                    [
                        HEAD + "\n\ndef run(fn, x):\n    return fn(keras_tensor=x)\n",
                        f"model = tf.saved_model.load({PATH})\n",
                        "run(model.signatures['serving_default'], VALUE)\n",
                    ]
                )
            )
        },
    ),
}

#: A choice of two models, checked for false errors (the branch test below runs each branch).
UNFOLLOWED: dict[str, tuple[str, dict[str, str]]] = {
    "models of if/else branches": (
        "main.py",
        {
            "main.py": HEAD + "import sys\n\nif len(sys.argv) > 99:\n"
            f"    m = tf.saved_model.load('models/{FLOAT64}')\nelse:\n"
            f"    m = tf.saved_model.load({PATH})\n"
            "m.signatures['serving_default'](ARGS)\n"
        },
    ),
}


def _fuzzed(count: int, seed: int = 23) -> list[tuple[str, bool]]:
    """Generated arguments (whether each is accepted is for TensorFlow to say)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        dtype = rng.choice(["np.float32", "np.float64", "np.int32", "np.int64"])
        shape = rng.choice(["(2, 5)", "(1, 5)", "(4, 5)", "(2, 6)", "(5,)", "(1, 2, 5)"])
        tensor = rng.random() < 0.5 and shape != "(5,)"  # a rank-1 tensor may compute
        value = f"np.zeros({shape}, {dtype})"
        value = f"tf.constant({value})" if tensor else value
        keyword = rng.choice(["keras_tensor"] * 4 + ["x", "inputs"])
        out.append((f"{keyword}={value}", keyword == "keras_tensor"))
    return out


def _write(root: Path, files: dict[str, str], args: str) -> None:
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (root / "models").symlink_to(MODELS, target_is_directory=True)
    value = args.split("=", 1)[1]
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("ARGS", args).replace("VALUE", value.replace('"', '\\"')))


def _execute(root: Path, main: str) -> BaseException | str | None:
    """Run the entry point for real: a script as ``python main.py``, a notebook's cells in
    order in one namespace (as a kernel runs them)."""
    if not main.endswith(".ipynb"):
        return _run(root, main, (root / main).parent)
    cells = json.loads((root / main).read_text())["cells"]
    namespace: dict[str, Any] = {}
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for cell in cells:
            outcome = run_with_tensorflow("".join(cell["source"]), namespace)
            if not outcome.ok:
                return outcome.error
    finally:
        os.chdir(cwd)
    return None


def _errors(root: Path, main: str) -> list[str]:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return [
            d.code for d in lint_paths([main]) if d.severity is Severity.ERROR and d.code < "SM9"
        ]
    finally:
        os.chdir(cwd)


def _compare(
    tmp_path: Path, shapes: dict[str, tuple[str, dict[str, str]]], cases: list[tuple[str, bool]]
) -> tuple[int, int, list[str], list[str]]:
    """(programs run, rejected by TensorFlow, rejections sm-lint missed, false errors)."""
    ran, rejected, missed, false_errors = 0, 0, [], []
    for index, (shape, (main, files)) in enumerate(shapes.items()):
        # A helper taking the value alone keeps the right keyword: those cases only.
        value_only = any("VALUE" in text for text in files.values())
        for number, (args, keyword_right) in enumerate(cases):
            if value_only and not keyword_right:
                continue
            root = tmp_path / f"p{index}_{number}"
            _write(root, files, args)
            error = _execute(root, main)
            found = _errors(root, main)
            ran += 1
            what = f"{shape} with {args}: {error!r} / {found}"
            if error is not None:
                rejected += 1
                if not found:
                    missed.append(what)
            elif found:
                false_errors.append(what)
    return ran, rejected, missed, false_errors


@pytest.mark.usefixtures("cached_load")
def test_every_rejection_is_found_through_classes_caches_and_configurations(
    tmp_path: Path,
) -> None:
    cases = CASES + _fuzzed(int(BUDGET * 20))
    ran, rejected, missed, false_errors = _compare(tmp_path, SHAPES, cases)
    print(f"{ran} programs, {rejected} rejected by TensorFlow")
    assert rejected >= len(SHAPES) * 2  # the mutations really are rejected
    assert not false_errors
    assert not missed, "\n".join(missed)


@pytest.mark.usefixtures("cached_load")
def test_models_of_branches_give_no_false_error(tmp_path: Path) -> None:
    _, rejected, _, false_errors = _compare(tmp_path, UNFOLLOWED, CASES)
    assert rejected >= 3
    assert not false_errors


# ---------------------------------------------------------------- models chosen in branches
#: Model folders a branch may load (each is a possibility sm-lint keeps).
SERVING = "serving/dense/2"  # serving_default: x float32 (?, 6)
KERAS_SAVED = "keras_saved"  # serving_default: inputs float32 (?, 3)
#: Sets of models the branches load, in branch order (the same folder twice: two loads).
BRANCH_MODELS = [
    (DENSE, FLOAT64),
    (DENSE, FLOAT64, DENSE),
    (DENSE, SERVING),
    (KERAS_SAVED, SERVING, FLOAT64),
]
#: Which branch runs: unknown statically, set per run.
BRANCH_VARIABLE = "SM_LINT_ORACLE_BRANCH"


def _branches(models: tuple[str, ...], indent: str = "") -> str:
    """``if``/``elif``/``else`` loading one of *models* by the environment variable."""
    lines = []
    for number, model in enumerate(models):
        test = f"os.environ['{BRANCH_VARIABLE}'] == '{number}'"
        head = "if" if number == 0 else "elif"
        if number == len(models) - 1:
            lines.append(f"{indent}else:")
        else:
            lines.append(f"{indent}{head} {test}:")
        # the middle branch loads through a helper: its load is in the helper
        load = "load_from" if number == 1 else "tf.saved_model.load"
        lines.append(f"{indent}    m = {load}('models/{model}')")
    return "\n".join(lines) + "\n"


HELPER = "import os\n\n\ndef load_from(path):\n    return tf.saved_model.load(path)\n\n\n"
#: The models with a restored function ``serve``.
SERVES = (DENSE, FLOAT64)
#: How the chosen model is called: a signature, a restored function, the object itself.
BRANCH_CALLS = {
    "signature": "m.signatures['serving_default'](ARGS)\n",
    "restored function": "m.serve(VALUE)\n",
    "object": "m(VALUE)\n",
}


def _branch_shapes(models: tuple[str, ...]) -> dict[str, tuple[str, dict[str, str]]]:
    """A choice of *models* in one file, in a module the entry point imports, and in a
    notebook's cells, called each way."""
    shapes = {}
    for form, call in BRANCH_CALLS.items():
        if form == "restored function" and not set(models) <= set(SERVES):
            continue  # AttributeError: sm-lint reports no missing attribute, one model or many
        branches = _branches(models)
        shapes[f"{form} in one file"] = ("main.py", {"main.py": HEAD + HELPER + branches + call})
        shapes[f"{form} in an imported module"] = (
            "main.py",
            {
                "lib.py": HEAD + HELPER + branches,
                "main.py": HEAD + READY + "from lib import m\n\n" + call,
            },
        )
        shapes[f"{form} in notebook cells"] = (
            "main.ipynb",
            {"main.ipynb": json.dumps(code_notebook([HEAD + HELPER, branches, call]))},
        )
    return shapes


#: Fixed arguments: accepted by some models, by none, by all.
BRANCH_CASES = [
    "keras_tensor=tf.constant(np.zeros((2, 5), np.float32))",
    "keras_tensor=np.zeros((2, 5), np.float32)",
    "keras_tensor=np.zeros((2, 7), np.float32)",
    "x=tf.constant(np.zeros((2, 6), np.float32))",
    "x=np.zeros((2, 5), np.float32)",
    "inputs=np.zeros((2, 3), np.float32)",
    "y=np.zeros((2, 5), np.float32)",
]


def _branch_fuzzed(count: int, seed: int = 23) -> list[str]:
    """Generated arguments (whether each model accepts them is for TensorFlow to say)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        dtype = rng.choice(["np.float32", "np.float64", "np.int32"])
        shape = rng.choice(["(2, 5)", "(1, 5)", "(2, 6)", "(2, 3)", "(2, 7)", "(5,)"])
        tensor = rng.random() < 0.5 and shape != "(5,)"  # a rank-1 tensor may compute
        value = f"np.zeros({shape}, {dtype})"
        value = f"tf.constant({value})" if tensor else value
        keyword = rng.choice(["keras_tensor", "keras_tensor", "x", "inputs", "z"])
        out.append(f"{keyword}={value}")
    return out


def _write_branch(root: Path, files: dict[str, str], args: str) -> None:
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (root / "models").symlink_to(MODELS, target_is_directory=True)
    for name, text in files.items():
        value = args.split("=", 1)[1]
        text = text.replace("ARGS", args).replace("VALUE", value)
        (root / name).write_text(text)


@pytest.mark.usefixtures("cached_load")
def test_a_model_chosen_in_branches_is_reported_where_every_branch_rejects(
    tmp_path: Path,
) -> None:
    """Each program runs once per branch (the variable set per run): a call every branch's
    model rejects must be found; a call some branch's model runs must get no error."""
    cases = BRANCH_CASES + _branch_fuzzed(int(BUDGET * 20))
    ran = everywhere = partly = 0
    missed, false_errors = [], []
    saved = os.environ.get(BRANCH_VARIABLE)
    try:
        for index, models in enumerate(BRANCH_MODELS):
            for shape, (main, files) in _branch_shapes(models).items():
                for number, args in enumerate(cases):
                    root = tmp_path / f"b{index}_{len(shape)}_{shape.split()[-1]}_{number}"
                    _write_branch(root, files, args)
                    errors = []
                    for branch in range(len(models)):
                        os.environ[BRANCH_VARIABLE] = str(branch)
                        errors.append(_execute(root, main))
                    os.environ.pop(BRANCH_VARIABLE)
                    found = _errors(root, main)
                    ran += 1
                    what = f"{models} {shape} with {args}: {errors!r} / {found}"
                    if all(e is not None for e in errors):
                        everywhere += 1
                        if not found:
                            missed.append(what)
                    else:
                        partly += any(e is not None for e in errors)
                        if found:
                            false_errors.append(what)
    finally:
        os.environ.pop(BRANCH_VARIABLE, None)
        if saved is not None:
            os.environ[BRANCH_VARIABLE] = saved
    print(
        f"{ran} programs: rejected in every branch {everywhere}, in some {partly}; "
        f"missed {len(missed)}, false errors {len(false_errors)}"
    )
    assert everywhere >= len(BRANCH_MODELS)  # the mutations really are rejected
    assert partly >= len(BRANCH_MODELS)  # and some are rejected by one model only
    assert not false_errors, "\n".join(false_errors)
    assert not missed, "\n".join(missed)
