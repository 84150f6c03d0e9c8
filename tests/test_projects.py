"""Projects, not files: models, loader functions, path constants and preprocessing helpers
defined in one module of a project reach the signature calls of another.

Small projects are written to tmp_path (flat modules, a package with relative imports and
``__init__`` re-exports, a ``src/`` layout, an import cycle, a missing module) and checked
with the real CLI against the fixture SavedModels (``models`` is a link to them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sm_lint.analysis.interpreter import analyse_imported
from sm_lint.analysis.program import Program
from sm_lint.sources.layout import module_name, project_root

MODELS = Path(__file__).resolve().parent / "fixtures" / "models"
DENSE = "keras_export_dense"  # serving_default: keras_tensor float32 (?, 5)


def write(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    if not (root / "models").exists():
        (root / "models").symlink_to(MODELS, target_is_directory=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def sm_lint(root: Path, *args: str) -> list[str]:
    """``CODE path:line`` of each finding of the real CLI run in *root*."""
    result = subprocess.run(
        [sys.executable, "-m", "sm_lint", *args, "--output-format", "concise"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    out = []
    for line in result.stdout.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and " SM" in line:
            out.append(f"{line.split(' ')[1]} {parts[0]}:{parts[1]}")
    return sorted(out)


def calls(root: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "sm_lint", "calls", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


SERVING = {
    "config.py": (
        "import os\nfrom pathlib import Path\n\n"
        f"MODEL_DIR = os.path.join(os.path.dirname(__file__), 'models', '{DENSE}')\n"
        f"HERE = Path(__file__).parent / 'models' / '{DENSE}'\n"
        f"NAME = '{DENSE}'\nRELATIVE = f'models/{{NAME}}'\n"
    ),
    "serving/__init__.py": "from .model import MODEL, fetch_model\n",
    "serving/model.py": (
        "import tensorflow as tf\nfrom config import MODEL_DIR, HERE\n\n"
        "MODEL = tf.saved_model.load(MODEL_DIR)\n\n\n"
        "def fetch_model():\n    return tf.saved_model.load(str(HERE))\n"
    ),
    "inference/features.py": (
        "import numpy as np\n\n\ndef make_input(n):\n"
        "    x = np.zeros((n, 5), np.float32)\n"
        "    return np.expand_dims(np.expand_dims(x, 0), -1)\n"
    ),
    "api/handlers.py": (
        "import numpy as np\nimport tensorflow as tf\n"
        "from serving import MODEL, fetch_model\nimport config\n"
        "from inference.features import make_input\n\n"
        "infer = MODEL.signatures['serving_default']\n"
        "infer(keras_tensor=np.zeros((2, 7), np.float32))\n"  # line 8: SM008
        "m = fetch_model()\n"
        "m.signatures['serving_default'](keras_tensor=make_input(3))\n"  # line 10: SM007
        "m2 = tf.saved_model.load(config.RELATIVE)\n"
        "m2.signatures['serving_default'](keras_tensor=np.zeros((2, 5), np.float32))\n"
    ),
}


def test_a_folder_and_a_single_file_follow_the_imports(tmp_path: Path) -> None:
    root = write(tmp_path, SERVING)
    expected = ["SM007 api/handlers.py:10", "SM008 api/handlers.py:8"]
    assert sm_lint(root, "--no-cache", ".") == expected
    assert sm_lint(root, "--no-cache", "api/handlers.py") == expected
    listed = calls(root, "api/handlers.py")
    assert "3 calls found (3 of signatures)" in listed
    assert listed.count(f"models/{DENSE}") == 3, listed  # every model resolved


def test_a_package_with_relative_imports_and_reexports(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pkg/__init__.py": "from .loader import fetch_model\nfrom . import conf\n",
            "pkg/conf.py": (
                f"from pathlib import Path\nMODEL_DIR = Path(__file__).parent.parent / "
                f"'models' / '{DENSE}'\n"
            ),
            "pkg/loader.py": (
                "import tensorflow as tf\nfrom .conf import MODEL_DIR\n\n\n"
                "def fetch_model():\n    return tf.saved_model.load(str(MODEL_DIR))\n"
            ),
            "pkg/sub/__init__.py": "",
            "pkg/sub/use.py": (
                "import numpy as np\nfrom .. import fetch_model\nimport pkg.loader as L\n"
                "from pkg import conf\nimport tensorflow as tf\n\n"
                "fetch_model().signatures['serving_default'](keras_tensor=np.ones((1, 6)))\n"
                "L.fetch_model()(keras_tensor=np.ones((1, 5), np.float32))\n"
                "tf.saved_model.load(str(conf.MODEL_DIR)).signatures['serving_default']("
                "keras_tensor=np.ones((1, 2, 5), np.float32))\n"
            ),
        },
    )
    found = sm_lint(root, "--no-cache", "pkg")
    assert "SM008 pkg/sub/use.py:7" in found
    assert "SM007 pkg/sub/use.py:9" in found
    # A Keras export has no __call__: TensorFlow raises "'_UserObject' object is not callable".
    assert [f for f in found if ":8" in f] == ["SM013 pkg/sub/use.py:8"]


def test_a_src_layout(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "src/app/__init__.py": "",
            "src/app/settings.py": (
                f"import os\nBASE = os.path.dirname(os.path.dirname(os.path.dirname("
                f"os.path.abspath(__file__))))\nMODEL_DIR = os.path.join(BASE, 'models', "
                f"'{DENSE}')\n"
            ),
            "src/app/main.py": (
                "import numpy as np\nimport tensorflow as tf\nfrom app.settings import "
                "MODEL_DIR\n\nm = tf.saved_model.load(MODEL_DIR)\n"
                "m.signatures['serving_default'](keras_tensor=np.ones((3, 4), np.float32))\n"
            ),
        },
    )
    assert sm_lint(root, "--no-cache", "src") == ["SM008 src/app/main.py:6"]
    assert project_root(root / "src/app/main.py") == root
    assert module_name(root / "src/app/main.py") == "app.main"
    assert module_name(root / "src/app/__init__.py") == "app"


def test_cycles_and_missing_modules_stay_unknown(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "a.py": (
                "import tensorflow as tf\nimport b\nfrom b import *\n"
                f"MODEL = tf.saved_model.load('models/{DENSE}')\n"
            ),
            "b.py": (
                "import a\nfrom a import MODEL as EARLY\n\n\ndef helper():\n    return a.MODEL\n"
            ),
            "main.py": (
                # (tf.saved_model named: the pre-check skips a file that only imports
                # its model from another module; see the closing note)
                "import numpy as np\nfrom b import EARLY, helper\nfrom a import MODEL\n"
                "from nowhere import thing\nfrom .nothing import other\n"
                "import ghost.pkg as g\nimport tensorflow as tf\nLOAD = tf.saved_model.load\n"
                "EARLY.signatures['serving_default'](keras_tensor=np.ones((2, 9), np.float32))\n"
                "helper().signatures['serving_default'](keras_tensor=np.ones((2, 9), np.float32))\n"
                "MODEL.signatures['serving_default'](keras_tensor=np.ones((2, 9), np.float32))\n"
                "thing(keras_tensor=np.ones((2, 9), np.float32))\n"
                "other.signatures['x'](keras_tensor=np.ones((2, 9), np.float32))\n"
                "g.load()(keras_tensor=np.ones((2, 9), np.float32))\n"
            ),
        },
    )
    found = sm_lint(root, "--no-cache", ".")
    # b imported first runs a to its end (a sees a half-built b): all three are known
    assert found == ["SM008 main.py:10", "SM008 main.py:11", "SM008 main.py:9"]
    assert sm_lint(root, "--no-cache", "main.py") == found


def test_resolution_as_python_runs_it(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "ns/inner/mod.py": "X = 1\n",  # namespace packages: no __init__.py
            "pkg/__init__.py": "",
            "pkg/mod.py": "",
            "pkg/deep/__init__.py": "",
            "pkg/deep/leaf.py": "",
            "numpy/readme.txt": "a folder named like a library is no namespace package",
        },
    )
    program = Program(root, analyse=analyse_imported)
    importer = str(root / "pkg/deep/leaf.py")
    assert program.resolve(importer, "ns.inner.mod") == root / "ns/inner/mod.py"
    assert program.resolve(importer, "ns") == root / "ns"
    assert program.resolve(importer, "mod", level=2) == root / "pkg/mod.py"
    assert program.resolve(importer, "", level=1) == root / "pkg/deep/__init__.py"
    assert program.resolve(importer, "pkg") == root / "pkg/__init__.py"
    assert program.resolve(importer, "numpy") is None
    assert program.resolve(importer, "missing.module") is None


def _age(root: Path, seconds: float = 100.0) -> None:
    stamp = time.time() - seconds
    for path in [*sorted(root.rglob("*"), reverse=True), root]:
        if not path.is_symlink():
            os.utime(path, (stamp, stamp))


def test_a_warm_run_after_editing_an_imported_module_equals_no_cache(tmp_path: Path) -> None:
    root = write(tmp_path, SERVING)
    _age(root)
    cold = sm_lint(root, ".")
    assert sm_lint(root, ".") == cold  # warm: answered from the caches
    features = root / "inference/features.py"
    features.write_text(
        features.read_text().replace("np.expand_dims(np.expand_dims(x, 0), -1)", "x")
    )
    _age(root)
    warm = sm_lint(root, ".")
    assert warm == sm_lint(root, "--no-cache", ".")
    assert "SM007 api/handlers.py:10" not in warm
    assert "SM008 api/handlers.py:8" in warm
    config = root / "config.py"  # the singleton's path: a folder without a model now
    config.write_text(config.read_text().replace(f"'{DENSE}')\nHERE", "'nothing')\nHERE"))
    _age(root)
    warm = sm_lint(root, ".")
    assert warm == sm_lint(root, "--no-cache", ".")
    assert "SM008 api/handlers.py:8" not in warm


@pytest.mark.parametrize("files", [{"single.py": "import os\n"}])
def test_a_file_importing_nothing_of_the_project_is_unchanged(
    tmp_path: Path, files: dict[str, str]
) -> None:
    root = write(tmp_path, files)
    assert sm_lint(root, "--no-cache", ".") == []


#: A project whose entry points name no loader: they import the model, a loader function or
#: a predictor from a module that loads it (the pre-check must not skip them).
IMPORTED = {
    "app/__init__.py": "",
    "app/model.py": (
        "import os\nimport tensorflow as tf\n\n"
        "HERE = os.path.dirname(os.path.dirname(__file__))\n"
        f"MODEL = tf.saved_model.load(os.path.join(HERE, 'models', '{DENSE}'))\n\n\n"
        "def fetch_model():\n    return MODEL\n"
    ),
    "app/reexport.py": "from app.model import MODEL, fetch_model\n",
    "app/handlers.py": (
        "import numpy as np\nfrom app.model import MODEL\nfrom app import reexport\n\n"
        "MODEL.signatures['serving_default'](keras_tensor=np.zeros((2, 7), np.float32))\n"
        "reexport.fetch_model().signatures['serving_default'](keras_tensor=np.zeros((2, 5)))\n"
        "reexport.MODEL.signatures['nope']\n"
    ),
    "app/plain.py": "import json\nfrom app import util\n\nprint(json.dumps(util.VALUE))\n",
    "app/util.py": "import os\nVALUE = os.sep  # a docstring saying tf.saved_model.load\n",
}


def test_a_file_that_only_imports_its_model_is_analysed(tmp_path: Path) -> None:
    root = write(tmp_path, IMPORTED)
    expected = ["SM001 app/handlers.py:7", "SM008 app/handlers.py:5"]
    assert sm_lint(root, "--no-cache", ".") == expected
    # one changed file, as pre-commit passes it
    assert sm_lint(root, "--no-cache", "app/handlers.py", "--models", "models") == expected
    assert sm_lint(root, "app/handlers.py") == expected  # through the caches, cold then warm
    assert sm_lint(root, "app/handlers.py") == expected
    listed = calls(root, "app/handlers.py")
    assert "2 calls found (2 of signatures)" in listed
    assert listed.count(f"models/{DENSE}") == 2, listed


def test_the_pre_check_follows_project_imports_only_to_a_loader(tmp_path: Path) -> None:
    from sm_lint.sources import read_file
    from sm_lint.sources.reach import Reach, imported_modules

    root = write(tmp_path, IMPORTED)
    reach = Reach()
    assert read_file(root / "app/handlers.py", reach=reach).analyse
    assert reach.followed(str(root / "app/handlers.py"))
    # imports of modules that reach no loader (the standard library is no project module)
    assert not read_file(root / "app/plain.py", reach=reach).analyse
    assert reach.followed(str(root / "app/plain.py"))  # its verdict depends on app/util.py
    assert not read_file(root / "app/util.py", reach=reach).analyse
    assert not reach.followed(str(root / "app/util.py"))
    assert imported_modules(
        b"import a.b as c, d\nfrom ..pkg import (x,\n  y as z)\nfrom . import m; "
        b"from q import \\\n  r\n"
    ) == [(0, "a.b", ()), (0, "d", ()), (2, "pkg", ("x", "y")), (1, "", ("m",)), (0, "q", ("r",))]


def test_a_cycle_and_a_submodule_import_reach_the_loader(tmp_path: Path) -> None:
    from sm_lint.sources.reach import Reach

    root = write(
        tmp_path,
        {
            "pkg/__init__.py": "from . import a\n",
            "pkg/a.py": "from . import b\n",
            "pkg/b.py": "from pkg import a\nfrom pkg import loader\n",
            "pkg/loader.py": "import tensorflow_hub as hub\n",
            "pkg/c.py": "from pkg import a\n",
            "lone/__init__.py": "from . import x\n",
            "lone/x.py": "from lone import y\n",
            "lone/y.py": "import lone.x\n",
        },
    )
    reach = Reach()
    for name in ("pkg/c.py", "pkg/a.py", "pkg/__init__.py"):
        path = root / name
        assert reach.through_imports(str(path), path.read_bytes()), name
    for name in ("lone/x.py", "lone/y.py", "lone/__init__.py"):
        path = root / name
        assert not reach.through_imports(str(path), path.read_bytes()), name


def test_the_pre_checks_resolution_on_strings_binds_what_resolve_binds(tmp_path: Path) -> None:
    """What the pre-check follows (:func:`resolve_in` on strings, no pathlib objects) is
    what the analysis resolves: links, namespaces, a folder named like a module, a name that
    is neither file nor folder, relative imports above the root."""
    from sm_lint.sources import layout

    root = write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/mod.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/deep.py": "",
            "space/inner.py": "",
            "json/x.py": "",  # a namespace folder named like a library: the library wins
            "src/lib/__init__.py": "",
            "dir.py/__init__.py": "",  # a folder named like a module file
            "plain": "",  # a file where a folder is looked for
            "caf\u00e9.py": "",
            "app/main.py": "",
            "app/helper.py": "",
        },
    )
    (root / "linked").symlink_to(root / "pkg", target_is_directory=True)
    (root / "alias.py").symlink_to(root / "pkg" / "mod.py")
    (root / "broken.py").symlink_to(root / "nowhere.py")
    os.mkfifo(root / "fifo.py")
    names = [
        "", "pkg", "pkg.mod", "pkg.sub", "pkg.sub.deep", "pkg.none", "space", "space.inner",
        "json", "json.x", "lib", "dir", "plain", "plain.x", "caf\u00e9", "linked",
        "linked.mod", "alias", "broken", "fifo", "app", "app.main", "helper", "main",
        "nowhere", "pkg..mod",
    ]  # fmt: skip
    for importer in (root / "app/main.py", root / "pkg/sub/deep.py", root / "dir.py/x.py"):
        bases = [str(b) for b in layout.search_path(importer, root)]
        for level in range(5):
            for module in names:
                want = layout.resolve(str(importer), module, level, root)
                got = layout.resolve_in(str(importer.parent), module, level, bases)
                assert got == (None if want is None else str(want)), (importer, level, module)
                if want is None:
                    continue
                for name in ("mod", "sub", "inner", "x", "deep", "none", "__init__"):
                    below = layout.submodule(str(want), name)
                    assert layout.submodule_in(str(want), name) == (
                        None if below is None else str(below)
                    ), (want, name)
                    assert layout.has_py_suffix(str(want)) == (want.suffix == ".py")


def test_a_walked_file_is_read_from_its_own_bytes(tmp_path: Path) -> None:
    """A module read while following another file's imports is not scanned again when the
    walk reaches it with the same bytes; with other bytes (an editor's), those count."""
    from sm_lint.sources.reach import Reach

    root = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/loader.py": "import tensorflow_hub as hub\n",
            "app/middle.py": "from app import loader\n",
            "app/top.py": "from app import middle\n",
        },
    )
    reach = Reach()
    top, middle = root / "app/top.py", root / "app/middle.py"
    assert reach.through_imports(str(top), top.read_bytes())
    assert reach.through_imports(str(middle), middle.read_bytes())
    assert reach.followed(str(middle))
    reach = Reach()
    assert reach.through_imports(str(top), top.read_bytes())
    assert not reach.through_imports(str(middle), b"import os\n")
    assert not reach.followed(str(middle))


def test_related_locations_point_at_the_load_in_the_other_module(tmp_path: Path) -> None:
    root = write(tmp_path, IMPORTED)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "sm_lint", "--no-cache", "app/handlers.py"),
            "--output-format",
            "json",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    findings = json.loads(result.stdout)
    assert {f["code"] for f in findings} == {"SM001", "SM008"}
    for finding in findings:
        assert finding["related"] == [
            {
                "line": 5,
                "column": 29,
                "end_line": 5,
                "end_column": 79,
                "message": f"the model is loaded here: os.path.join(HERE, 'models', '{DENSE}')",
                "path": "app/model.py",
            }
        ]
    result = subprocess.run(
        [sys.executable, "-m", "sm_lint", "--no-cache", ".", "--output-format", "sarif"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    results = json.loads(result.stdout)["runs"][0]["results"]
    assert len(results) == 2
    for found in results:
        (place,) = found["relatedLocations"]
        assert place["physicalLocation"]["artifactLocation"]["uri"] == "app/model.py"
        assert place["physicalLocation"]["region"]["startLine"] == 5
        assert found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
            "app/handlers.py"
        )


def test_an_environment_default_is_the_path_where_the_variable_is_unset(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "settings.py": (
                f"import os\nMODEL_DIR = os.environ.get('MODEL_DIR', 'models/{DENSE}')\n"
                f"OTHER = os.getenv('OTHER_DIR') or 'models/{DENSE}'\n"
            ),
            "main.py": (
                "import os\nimport numpy as np\nimport tensorflow as tf\n"
                "from settings import MODEL_DIR, OTHER\n\n"
                "m = tf.saved_model.load(MODEL_DIR)\n"
                "m.signatures['serving_default'](keras_tensor=np.zeros((2, 7), np.float32))\n"
                "o = tf.saved_model.load(OTHER)\n"
                "o.signatures['serving_default'](keras_tensor=np.zeros((2, 5), np.float32))\n"
                f"p = tf.saved_model.load(os.getenv('P', default='models/{DENSE}'))\n"
                "p.signatures['serving']\n"
                # built from a default: not followed, not checked
                f"q = tf.saved_model.load(os.path.join(os.getenv('Q', 'models'), '{DENSE}'))\n"
                "q.signatures['serving']\n"
            ),
        },
    )
    result = subprocess.run(
        [sys.executable, "-m", "sm_lint", "--no-cache", "main.py", "--verbose"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", "MODEL_DIR": "/elsewhere"},
    )
    found = [line for line in result.stdout.splitlines() if " SM0" in line]
    assert [line.split(": ")[1].split(" ")[0] for line in found] == ["SM008", "SM001"]
    assert found[0].startswith("main.py:7:") and found[0].endswith("(with MODEL_DIR unset).")
    assert found[1].startswith("main.py:11:") and found[1].endswith("(with P unset).")
    assert (
        f"main.py:6:25: MODEL_DIR is 'models/{DENSE}' where MODEL_DIR is unset (its default): "
        "findings about this model assume so" in result.stderr
    )
    assert "OTHER is" in result.stderr and "where OTHER_DIR is unset" in result.stderr


def json_of(root: Path, *args: str) -> list[dict[str, object]]:
    """The JSON output of the real CLI run in *root* (no cache)."""
    result = subprocess.run(
        [sys.executable, "-m", "sm_lint", *args, "--no-cache", "--output-format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


#: A module whose function and module-level instance's method call the model with what
#: their caller passes (shared with the oracle, tests/test_projects_oracle.py).
SERVING_MODEL = (
    "import tensorflow as tf\n\n"
    f"MODEL_DIR = 'models/{DENSE}'\n"
    "MODEL = tf.saved_model.load(MODEL_DIR)\n\n\n"
    "class Predictor:\n"
    "    def __init__(self, path):\n"
    "        self.fn = tf.saved_model.load(path).signatures['serving_default']\n\n"
    "    def predict(self, batch):\n"
    "        return self.fn(keras_tensor=batch)\n\n\n"
    "PREDICTOR = Predictor(MODEL_DIR)\n\n\n"
    "def predict(batch):\n"
    "    return MODEL.signatures['serving_default'](keras_tensor=batch)\n"
)
THROUGH_FUNCTIONS = {
    "serving/__init__.py": "",
    "serving/model.py": SERVING_MODEL
    + "\n\ndef fixed():\n"
    + "    return MODEL.signatures['serving_default'](keras_tensor=tf.zeros((2, 7)))\n",
    "api/__init__.py": "",
    "api/handlers.py": (
        "import numpy as np\n\n"
        "from serving.model import PREDICTOR, predict, fixed\n\n"
        "PREDICTOR.predict(np.zeros((2, 7)))\n"
        "predict(np.zeros((2, 7), np.float32))\n"
        "predict(np.zeros((2, 5), np.float32))\n"
        "fixed()\n"
    ),
}


def test_a_call_through_another_modules_function_is_reported_at_the_caller(
    tmp_path: Path,
) -> None:
    root = write(tmp_path, THROUGH_FUNCTIONS)
    findings = json_of(root, "api/handlers.py")
    assert [(f["path"], f["line"], f["code"]) for f in findings] == [
        ("api/handlers.py", 5, "SM008"),
        ("api/handlers.py", 6, "SM008"),
    ]
    method, function = findings
    assert method["message"].endswith(
        "(in `Predictor.predict` at serving/model.py:12, when called here with float64 numpy "
        "array (2, 7))"
    )
    assert method["related"][0] == {
        "line": 12,
        "column": 37,
        "end_line": 12,
        "end_column": 42,
        "message": "the signature call in `Predictor.predict`",
        "path": "serving/model.py",
    }
    assert "(in `predict` at serving/model.py:19, when called here" in function["message"]
    # the folder: each once, and the function that needs no caller in its own file
    assert sm_lint(root, "--no-cache", ".") == [
        "SM008 api/handlers.py:5",
        "SM008 api/handlers.py:6",
        "SM008 serving/model.py:23",
    ]
    listed = calls(root, "--no-cache", "api/handlers.py")
    assert (
        "serving/model.py:12:16: path -> models/keras_export_dense [serving_default] through "
        "Predictor.predict called at api/handlers.py line 5"
    ) in listed
    records = json_of(root, "calls", "api/handlers.py")
    assert [(r["path"], r["line"], r["called_from"]) for r in records] == [
        (
            "serving/model.py",
            12,
            [{"function": "Predictor.predict", "line": 5, "column": 1, "path": "api/handlers.py"}],
        ),
        (
            "serving/model.py",
            19,
            [{"function": "predict", "line": 6, "column": 1, "path": "api/handlers.py"}],
        ),
        (
            "serving/model.py",
            19,
            [{"function": "predict", "line": 7, "column": 1, "path": "api/handlers.py"}],
        ),
    ]


#: The caller's own model, or its signature function, handed to another module's helpers.
LENT = {
    "pkg/__init__.py": "",
    "pkg/helpers.py": (
        "import tensorflow as tf\n\n\n"
        "def predict(model, rows):\n"
        "    infer = model.signatures['serving_default']\n"
        "    return infer(keras_tensor=tf.constant(rows))\n\n\n"
        "def call(fn, rows):\n"
        "    return fn(inputs=rows)\n\n\n"
        "def warmed(model):\n"
        "    return model\n"
    ),
    "app.py": (
        "import numpy as np\nimport tensorflow as tf\nfrom pkg import helpers\n\n"
        f"model = tf.saved_model.load('models/{DENSE}')\n"
        "helpers.predict(model, np.zeros((4, 5), np.float32))\n"
        "helpers.predict(rows=np.zeros((4, 7), np.float32), model=model)\n"
        "helpers.call(model.signatures['serving_default'], np.zeros((4, 5), np.float32))\n"
        "again = helpers.warmed(model)\n"
        "again.signatures['serving_default'](keras_tensor=np.zeros((4, 3), np.float32))\n"
    ),
}


def test_a_model_handed_to_another_modules_function_is_checked_there(tmp_path: Path) -> None:
    """The function runs in its module on the caller's model: what it gets wrong is
    reported at the caller's call (the model is the caller's, its load stays the caller's),
    once when the folder is linted; a model handed back is the caller's own load."""
    root = write(tmp_path, LENT)
    findings = json_of(root, "app.py")
    assert [(f["path"], f["line"], f["code"]) for f in findings] == [
        ("app.py", 7, "SM008"),
        ("app.py", 8, "SM002"),
        ("app.py", 10, "SM008"),
    ]
    shape, name, returned = findings
    assert "(in `predict` at pkg/helpers.py:6, when called here with rows=float32" in str(
        shape["message"]
    )
    assert "(in `call` at pkg/helpers.py:10, when called here" in str(name["message"])
    # the load named in each is the caller's own (line 5 of app.py), not a copy of it
    # loaded in another file (which would be related, and named "of app.py")
    for finding in findings:
        assert finding["model"] == "models/keras_export_dense"
        assert all(r["path"] == "pkg/helpers.py" for r in finding.get("related", []))  # type: ignore[attr-defined]
    assert "of app.py" not in str(returned["message"])
    assert sorted(sm_lint(root, "--no-cache", ".")) == [
        "SM002 app.py:8",
        "SM008 app.py:10",
        "SM008 app.py:7",
    ]
