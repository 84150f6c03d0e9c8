"""Differential oracle for values that cross the modules of a project.

Small projects (a singleton model imported from a package through an ``__init__``
re-export, a loader function with its path from a config module, a ``src/`` layout with a
preprocessing helper, a model path that is an environment variable's default across
modules and in one file, a notebook importing the project's package) are generated with a
correct or a mutated call, linted with sm-lint and run with real TensorFlow in this one
process. Every call TensorFlow rejects must be found through the project; a call that runs
must get no error. The entry points name no loader themselves (they import the model or
the function that loads it): the pre-check must follow their imports.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from sm_lint.api import lint_paths  # noqa: E402
from sm_lint.diagnostics import Severity  # noqa: E402
from tests.test_projects import SERVING_MODEL  # noqa: E402

MODELS = Path(__file__).resolve().parent / "fixtures" / "models"
DENSE = "keras_export_dense"  # serving_default: keras_tensor float32 (?, 5)
#: A variable no one sets: the default is what runs.
UNSET = "SM_LINT_ORACLE_NEVER_SET"

#: The value handed to the helper or the call: accepted ones and rejected ones.
VALUES = [
    "np.zeros((2, 5), np.float32)",
    "np.zeros((2, 7), np.float32)",
    "np.zeros((5,), np.float32)",
    "np.zeros((3, 2, 5), np.float32)",
]

SHAPES: dict[str, tuple[str, dict[str, str]]] = {
    "singleton through a package": (
        "main.py",
        {
            "serving/__init__.py": "from .model import MODEL\n",
            "serving/model.py": (
                "import tensorflow as tf\nfrom .paths import MODEL_DIR\n"
                "MODEL = tf.saved_model.load(MODEL_DIR)\n"
            ),
            "serving/paths.py": (
                f"import os\nMODEL_DIR = os.path.join(os.path.dirname(os.path.dirname("
                f"__file__)), 'models', '{DENSE}')\n"
            ),
            "main.py": (
                "import numpy as np\nimport tensorflow as tf\nfrom serving import MODEL\n"
                "MODEL.signatures['serving_default'](keras_tensor=tf.constant(VALUE))\n"
            ),
        },
    ),
    "loader function and config": (
        "main.py",
        {
            "conf.py": (
                f"from pathlib import Path\nNAME = '{DENSE}'\n"
                "MODEL_PATH = Path(__file__).parent / 'models' / NAME\n"
            ),
            "pretrained.py": (
                "import tensorflow as tf\nimport conf\n\n\ndef fetch_model():\n"
                "    return tf.saved_model.load(str(conf.MODEL_PATH))\n"
            ),
            "main.py": (
                "import numpy as np\nimport tensorflow as tf\nfrom pretrained import "
                "fetch_model\nm = fetch_model()\n"
                "m.signatures['serving_default'](keras_tensor=tf.constant(VALUE))\n"
            ),
        },
    ),
    "src layout with a preprocessing helper": (
        "src/app/main.py",
        {
            "src/app/__init__.py": "",
            "src/app/features.py": (
                "import numpy as np\n\n\ndef prepare(x):\n    return np.expand_dims(x, 0)\n"
            ),
            "src/app/main.py": (
                "import numpy as np\nimport tensorflow as tf\nfrom app.features import prepare\n"
                f"m = tf.saved_model.load(f'models/{{\"{DENSE}\"}}')\n"
                "m.signatures['serving_default'](keras_tensor=tf.constant(prepare(VALUE)))\n"
            ),
        },
    ),
    "environment variable's default across modules": (
        "main.py",
        {
            "conf.py": (f"import os\nMODEL_DIR = os.environ.get('{UNSET}', 'models/{DENSE}')\n"),
            "pretrained.py": (
                "import tensorflow as tf\nfrom conf import MODEL_DIR\n"
                "MODEL = tf.saved_model.load(MODEL_DIR)\n"
            ),
            "main.py": (
                "import numpy as np\nfrom pretrained import MODEL\n"
                "MODEL.signatures['serving_default'](keras_tensor=VALUE)\n"
            ),
        },
    ),
    "environment variable or a default, in one file": (
        "main.py",
        {
            "main.py": (
                "import os\nimport numpy as np\nimport tensorflow as tf\n"
                f"m = tf.saved_model.load(os.getenv('{UNSET}') or 'models/{DENSE}')\n"
                "m.signatures['serving_default'](keras_tensor=VALUE)\n"
            ),
        },
    ),
    "notebook importing the project's package": (
        "notebooks/explore.ipynb",
        {
            "app/__init__.py": "",
            "app/model.py": (
                "import os\nimport tensorflow as tf\n"
                "ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
                f"MODEL = tf.saved_model.load(os.path.join(ROOT, 'models', '{DENSE}'))\n"
            ),
            "notebooks/explore.ipynb": json.dumps(
                {
                    "cells": [
                        {
                            "cell_type": "code",
                            "metadata": {},
                            "execution_count": None,
                            "outputs": [],
                            "source": source,
                        }
                        for source in (
                            "import numpy as np\nfrom app.model import MODEL\n",
                            "MODEL.signatures['serving_default'](keras_tensor=VALUE)\n",
                        )
                    ],
                    "metadata": {"language_info": {"name": "python"}},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            ),
        },
    ),
}


def _script(root: Path, main: str) -> str:
    """The file to run for *main*: itself, or a notebook's code cells as one script beside
    it (run in order, as Run All does)."""
    if not main.endswith(".ipynb"):
        return main
    cells = json.loads((root / main).read_text())["cells"]
    code = "\n".join(c["source"] for c in cells if c["cell_type"] == "code")
    script = main.removesuffix(".ipynb") + "_run_all.py"
    (root / script).write_text(code)
    return script


def _run(root: Path, main: str, search: Path) -> BaseException | None:
    """Run the project's entry point as ``python main.py`` would (cwd: the root)."""
    before = set(sys.modules)
    cwd = os.getcwd()
    sys.path.insert(0, str(search))
    os.chdir(root)
    try:
        runpy.run_path(str(root / main), run_name="__main__")
    except Exception as error:  # any failure is data here
        return error
    finally:
        os.chdir(cwd)
        sys.path.remove(str(search))
        for name in set(sys.modules) - before:
            if not name.startswith(("tensorflow", "keras", "numpy", "google", "absl")):
                del sys.modules[name]
    return None


@pytest.fixture(scope="module")
def cached_load() -> Any:
    """One real load per model folder for the whole module (loads are slow)."""
    real = tf.saved_model.load
    loaded: dict[str, Any] = {}

    def load(path: Any, *args: Any, **kwargs: Any) -> Any:
        key = os.path.realpath(os.fspath(path))
        if key not in loaded:
            loaded[key] = real(path, *args, **kwargs)
        return loaded[key]

    tf.saved_model.load = load
    yield
    tf.saved_model.load = real


def test_every_rejection_is_found_through_the_project(tmp_path: Path, cached_load: Any) -> None:
    missed, false_errors, rejected = [], [], 0
    for index, (shape, (main, files)) in enumerate(SHAPES.items()):
        for number, value in enumerate(VALUES):
            root = tmp_path / f"p{index}_{number}"
            root.mkdir()
            (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
            (root / "models").symlink_to(MODELS, target_is_directory=True)
            for name, text in files.items():
                path = root / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text.replace("VALUE", value))
            # a src layout runs installed (src on the path), a notebook with the project
            # installed (its root on the path), others as a script
            search = root / "src" if (root / "src").is_dir() else (root / main).parent
            if main.endswith(".ipynb"):
                search = root
            os.environ.pop(UNSET, None)
            error = _run(root, _script(root, main), search)
            cwd = os.getcwd()
            os.chdir(root)
            try:
                found = [
                    d for d in lint_paths([main]) if d.severity is Severity.ERROR and d.code < "SM9"
                ]
            finally:
                os.chdir(cwd)
            what = f"{shape} with {value}: {error!r} / {[d.code for d in found]}"
            if error is not None:
                rejected += 1
                if not found:
                    missed.append(what)
            elif found:
                false_errors.append(what)
    assert rejected >= len(SHAPES) * 2  # the mutations really are rejected
    assert not false_errors
    assert not missed


# ------------------------------------------------- calls through another module's functions
#: name -> the caller's module (api/handlers.py, run as ``python -m api.handlers``); the
#: signature call is in serving/model.py, its value comes from the caller.
THROUGH: dict[str, str] = {
    "function of another module": (
        "import numpy as np\nfrom serving.model import predict\n\npredict(VALUE)\n"
    ),
    "method of another module's instance": (
        "import numpy as np\nfrom serving.model import PREDICTOR\n\nPREDICTOR.predict(VALUE)\n"
    ),
    "method of an instance built here from another module's class": (
        "import numpy as np\nfrom serving.model import MODEL_DIR, Predictor\n\n"
        "p = Predictor(MODEL_DIR)\np.predict(VALUE)\n"
    ),
    "function of another module called in a function here": (
        "import numpy as np\nfrom serving import model\n\n\ndef handle(x):\n"
        "    return model.predict(x)\n\n\nhandle(VALUE)\n"
    ),
    "the caller's model handed to another module's function": (
        "import numpy as np\nfrom serving.model import MODEL_DIR, predict_with\n\n"
        "m = tf.saved_model.load(MODEL_DIR)\npredict_with(m, VALUE)\n"
    ),
    "the caller's model handed over by keyword, in a function here": (
        "import numpy as np\nfrom serving import model as serving\n\n\ndef handle(x):\n"
        "    m = tf.saved_model.load(serving.MODEL_DIR)\n"
        "    return serving.predict_with(batch=x, model=m)\n\n\nhandle(VALUE)\n"
    ),
    "the caller's signature function handed to another module's function": (
        "import numpy as np\nfrom serving.model import MODEL_DIR, call_with\n\n"
        "fn = tf.saved_model.load(MODEL_DIR).signatures['serving_default']\n"
        "call_with(fn, VALUE)\n"
    ),
}
#: Functions of serving/model.py that call what their caller hands them.
LENDING = (
    "\n\ndef predict_with(model, batch):\n"
    "    return model.signatures['serving_default'](keras_tensor=batch)\n\n\n"
    "def call_with(fn, batch):\n"
    "    return fn(keras_tensor=batch)\n"
)

THROUGH_VALUES = [
    *VALUES,
    "np.zeros((3, 5))",  # float64 numpy: cast, accepted
    "tf.constant(np.zeros((2, 5), np.float64))",
    "tf.constant(np.zeros((2, 7), np.float32))",
    "np.zeros((2, 5), np.int64)",
    "[[1.0, 2.0, 3.0, 4.0, 5.0]]",
]


def _errors_by_file(root: Path, paths: list[str]) -> dict[str, list[str]]:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        found: dict[str, list[str]] = {}
        for d in lint_paths(paths):
            if d.severity is Severity.ERROR and d.code < "SM9":
                found.setdefault(d.path, []).append(d.code)
        return found
    finally:
        os.chdir(cwd)


def test_every_rejection_through_another_modules_function_is_found_once(
    tmp_path: Path, cached_load: Any
) -> None:
    """The caller's file alone (as pre-commit passes it) reports the call TensorFlow
    rejects inside another module's function; linting the folder reports it once, there."""
    missed, false_errors, twice, ran, rejected = [], [], [], 0, 0
    main = os.path.join("api", "handlers.py")
    for index, (shape, caller) in enumerate(THROUGH.items()):
        for number, value in enumerate(THROUGH_VALUES):
            root = tmp_path / f"t{index}_{number}"
            files = {
                "serving/__init__.py": "",
                "serving/model.py": SERVING_MODEL + LENDING,
                "api/__init__.py": "",
                "api/handlers.py": "import tensorflow as tf\n" + caller.replace("VALUE", value),
            }
            root.mkdir()
            (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
            (root / "models").symlink_to(MODELS, target_is_directory=True)
            for name, text in files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(text)
            error = _run(root, main, root)
            alone = _errors_by_file(root, [main]).get(main, [])
            everywhere = _errors_by_file(root, ["."])
            ran += 1
            what = f"{shape} with {value}: {error!r} / {alone} / {everywhere}"
            if everywhere != ({main: alone} if alone else {}):
                twice.append(what)
            if error is not None:
                rejected += 1
                if not alone:
                    missed.append(what)
            elif alone:
                false_errors.append(what)
    print(f"{ran} programs, {rejected} rejected by TensorFlow")
    assert rejected >= len(THROUGH) * 4  # the mutations really are rejected
    assert not false_errors, "\n".join(false_errors)
    assert not missed, "\n".join(missed)
    assert not twice, "\n".join(twice)
