"""TF Hub and Kaggle handles without configuration: cache layouts, the load forms sm-lint
recognises, ``--verbose``, ``calls`` and the editor's info note. No TensorFlow here: the
caches hold the committed fixture models (test_oracle_hub.py checks the same layouts against
the real libraries)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from sm_lint.api import Linter
from sm_lint.config import Config
from sm_lint.diagnostics import Severity
from sm_lint.models.hub_cache import (
    kagglehub_cache_dir,
    kagglehub_lookup,
    tfhub_cache_dir,
    tfhub_handle_kind,
)
from tests.conftest import code_notebook
from tests.test_cli import FIXTURES, sm_lint

HANDLE = "https://tfhub.dev/google/spice/2"
KAGGLE = "google/dense/tensorFlow2/small"


@pytest.fixture
def caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    tfhub = tmp_path / "tfhub"
    shutil.copytree(
        FIXTURES / "keras_export_dense", tfhub / hashlib.sha1(HANDLE.encode()).hexdigest()
    )
    variation = tmp_path / "kaggle" / "models" / "google" / "dense" / "tensorFlow2" / "small"
    shutil.copytree(FIXTURES / "keras_saved", variation / "1")
    (variation / "1.complete").touch()
    shutil.copytree(FIXTURES / "module_multi", variation / "3")
    (variation / "3.complete").touch()
    shutil.copytree(FIXTURES / "keras_two_inputs", variation / "4")  # no marker: incomplete
    env = {"TFHUB_CACHE_DIR": str(tfhub), "KAGGLEHUB_CACHE": str(tmp_path / "kaggle")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def test_cache_folders_follow_the_libraries(tmp_path: Path) -> None:
    assert tfhub_cache_dir({"TFHUB_CACHE_DIR": "/c"}) == Path("/c")
    assert tfhub_cache_dir({}).name == "tfhub_modules"
    assert kagglehub_cache_dir({"KAGGLEHUB_CACHE": "/k"}) == Path("/k")
    assert kagglehub_cache_dir({"HOME": "/home/u"}) == Path("/home/u/.cache/kagglehub")
    assert tfhub_handle_kind("https://tfhub.dev/a/b/1") == "cache"
    assert tfhub_handle_kind("https://tfhub.dev/a/b/1", {"TFHUB_MODEL_LOAD_FORMAT": "UNCOMPRESSED"})
    assert tfhub_handle_kind("gs://bucket/m.tar.gz") == "cache"
    assert tfhub_handle_kind("gs://bucket/m") == "remote"
    assert tfhub_handle_kind("models/m") == "path"


def test_kaggle_versions(caches: dict[str, str]) -> None:
    base = Path(caches["KAGGLEHUB_CACHE"]) / "models" / "google" / "dense" / "tensorFlow2" / "small"
    assert kagglehub_lookup(f"{KAGGLE}/1").folder == base / "1"
    assert kagglehub_lookup(f"{KAGGLE}/01").folder == base / "1"  # int("01"), like kagglehub
    assert kagglehub_lookup(f"{KAGGLE}/4").folder is None  # no .complete marker
    unversioned = kagglehub_lookup(KAGGLE)
    assert unversioned.folder == base / "3" and "highest complete" in unversioned.reason
    assert kagglehub_lookup(f"{KAGGLE}/0").folder == base / "3"  # 0 is "no version" to kagglehub


SOURCE = f"""import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import kagglehub

BASE = "https://tfhub.dev/google"
URLS = {{"spice": f"{{BASE}}/spice/2", "other": "https://tfhub.dev/google/other/1"}}
model = hub.load(URLS["spice"]).signatures["serving_default"]
model(keras_tensor=tf.constant(np.zeros((2, 5))))
layer = hub.KerasLayer(URLS["spice"], signature="serving_default", output_key="output_1")
layer(np.zeros((2, 5), np.float32))
multi = tf.saved_model.load(kagglehub.model_download("{KAGGLE}"))
multi.signatures["scale"](temperature=1.0, matrix=np.zeros((3, 3)))
missing = hub.load(URLS["other"])
missing.signatures["whatever"](x=1)
"""


def test_handles_resolve_through_the_caches(caches: dict[str, str], tmp_path: Path) -> None:
    linter = Linter(Config())
    analysis = linter.analyze_source(SOURCE, tmp_path / "p.py")
    sources = [analysis.loads[i].resolution.source for i in sorted(analysis.loads)]
    assert sources == ["hub-cache", "hub-cache", "kagglehub", None]
    codes = [(d.line, d.code) for d in linter.diagnose(analysis)]
    assert codes == [(9, "SM005"), (11, "SM010"), (13, "SM008")]


def test_verbose_says_what_to_run_and_calls_name_the_source(
    caches: dict[str, str], tmp_path: Path
) -> None:
    file = tmp_path / "p.py"
    file.write_text(SOURCE)
    result = sm_lint(str(file), "--verbose", "--no-cache", env=caches)
    assert result.returncode == 1, result.stderr
    assert "found in the TF Hub cache" in result.stderr
    expected = "hub.resolve('https://tfhub.dev/google/other/1')"
    assert "not in the TF Hub cache yet" in result.stderr and expected in result.stderr
    assert "SM011" not in result.stdout  # a handle not cached yet is no finding
    calls = sm_lint("calls", str(file), "--format", "json", "--no-cache", env=caches)
    data = json.loads(calls.stdout)
    assert [c["model_source"] for c in data] == ["hub-cache", "hub-cache", "kagglehub", None]


def test_the_editor_gets_an_info_note_for_a_handle_not_cached(
    caches: dict[str, str], tmp_path: Path
) -> None:
    linter = Linter(Config(), handle_notes=True)
    notes = [d for d in linter.lint_source(SOURCE, tmp_path / "p.py") if d.code == "SM011"]
    assert [(n.line, n.severity) for n in notes] == [(14, Severity.INFO)]
    assert "hub.resolve('https://tfhub.dev/google/other/1')" in notes[0].message


def test_keras_layer_without_a_signature_calls_the_models_own_call(
    caches: dict[str, str], tmp_path: Path
) -> None:
    """Without signature= the layer calls the root __call__; this Keras export has none,
    so its call is not checked, and building the layer fails (SM016, as does a signature=
    without output_key=; test_oracle_keras_forms.py measures both)."""
    source = (
        "import tensorflow_hub as hub\n"
        f"layer = hub.KerasLayer({HANDLE!r})\n"
        "layer(1)\n"
        f"both = hub.KerasLayer({HANDLE!r}, signature='serving_default')\n"
        "both(1)\n"
        f"bad = hub.KerasLayer({HANDLE!r}, signature='nope', output_key='x')\n"
    )
    linter = Linter(Config())
    analysis = linter.analyze_source(source, tmp_path / "p.py")
    assert analysis.facts is not None
    assert [call.key for call in analysis.facts.calls] == ["__call__"]
    assert all(load.model is not None for load in analysis.loads.values())
    assert analysis.loads[0].model is not None and analysis.loads[0].model.call is None
    assert [(d.code, d.line) for d in linter.diagnose(analysis)] == [
        ("SM016", 2),
        ("SM016", 4),
        ("SM001", 6),
    ]


def test_a_notebook_that_loads_from_tf_hub(caches: dict[str, str], tmp_path: Path) -> None:
    """The way notebooks use TF Hub: a URL constant in one cell, the load and the call in
    later ones, a shell install line; the finding names its cell."""
    cells = [
        "!pip install -q tensorflow-hub\nimport numpy as np\nimport tensorflow as tf\n"
        "import tensorflow_hub as hub",
        f'module_url = "{HANDLE}"',
        "model = hub.load(module_url)\ninfer = model.signatures['serving_default']",
        "infer(keras_tensor=tf.constant(np.ones((1, 5))))",
    ]
    notebook = code_notebook(cells)
    file = tmp_path / "hub.ipynb"
    file.write_text(json.dumps(notebook))
    result = sm_lint(str(file), "--format", "json", "--no-cache", env=caches)
    found = [(f["cell"], f["line"], f["code"]) for f in json.loads(result.stdout)]
    assert found == [(4, 1, "SM005")], result.stderr


def test_only_branches_on_certain_constants_are_folded(caches: dict[str, str]) -> None:
    """`if USE_MAIN:` on a constant picks its branch (the handle is known); a constant that a
    function rebinds with `global` is not certain, so the model stays unknown."""
    source = (
        "import tensorflow_hub as hub\n"
        "USE_MAIN = True\n"
        "TOGGLED = True\n"
        "def toggle():\n"
        "    global TOGGLED\n"
        "    TOGGLED = False\n"
        f"url = {HANDLE!r} if USE_MAIN else 'https://tfhub.dev/x/1'\n"
        "if TOGGLED:\n"
        f"    other = {HANDLE!r}\n"
        "else:\n"
        "    other = 'https://tfhub.dev/x/1'\n"
        "a = hub.load(url)\n"
        "b = hub.load(other)\n"
    )
    analysis = Linter(Config()).analyze_source(source, None)
    assert analysis.facts is not None
    assert [load.path for load in analysis.facts.loads] == [HANDLE, None]


def test_the_programs_own_cache_settings_are_followed(
    caches: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notebooks often set TFHUB_CACHE_DIR / KAGGLEHUB_CACHE themselves before loading: the
    cache is looked for there (a relative folder next to the source file)."""
    shutil.move(caches["TFHUB_CACHE_DIR"], tmp_path / "nb_cache")
    shutil.move(caches["KAGGLEHUB_CACHE"], tmp_path / "kh_cache")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("KAGGLEHUB_CACHE")
    source = (
        "import os\nimport tensorflow as tf\nimport tensorflow_hub as hub\nimport kagglehub\n"
        f"before = hub.load({HANDLE!r})\n"
        'os.environ["TFHUB_CACHE_DIR"] = "nb_cache"\n'
        f'os.environ["KAGGLEHUB_CACHE"] = {str(tmp_path / "kh_cache")!r}\n'
        f"after = hub.load({HANDLE!r})\n"
        f"kaggle = tf.saved_model.load(kagglehub.model_download({KAGGLE!r}))\n"
        "os.environ['TFHUB_CACHE_DIR'] = os.getcwd()\n"
        f"unknown = hub.load({HANDLE!r})\n"
    )
    analysis = Linter(Config()).analyze_source(source, tmp_path / "nb.py")
    resolutions = [analysis.loads[i].resolution for i in sorted(analysis.loads)]
    assert [r.source for r in resolutions] == [None, "hub-cache", "kagglehub", None]
    assert resolutions[1].model is not None and "nb_cache" in str(resolutions[1].model)
    assert "not known statically" in resolutions[3].reason


# ----------------------------------------------------------------- handles as the libraries
# parse them (kagglehub/handle.py parse_model_handle; tensorflow_hub's resolver registry)


def test_a_kaggle_handle_never_leads_outside_the_kagglehub_cache(
    caches: dict[str, str], tmp_path: Path
) -> None:
    # kagglehub splits the handle on "/" and joins the parts below <cache>/models: "..", "."
    # or an empty part would name a folder outside the cache (here tmp_path/elsewhere/m/1,
    # complete marker and all). sm-lint reads only what is inside the cache.
    outside = tmp_path / "elsewhere" / "m"
    shutil.copytree(FIXTURES / "keras_export_dense", outside / "1")
    (outside / "1.complete").touch()
    escaping = "../../elsewhere/m/1"
    lookup = kagglehub_lookup(escaping)
    assert lookup.folder is None and not lookup.fillable
    assert "'..'" in lookup.reason
    assert kagglehub_lookup("../../elsewhere/m").folder is None  # the highest version too
    assert kagglehub_lookup("google/./tensorFlow2/small/1").folder is None
    source = (
        "import numpy as np\nimport tensorflow as tf\nimport kagglehub\n"
        f'm = tf.saved_model.load(kagglehub.model_download("{escaping}"))\n'
        'm.signatures["serving_default"](keras_tensor=np.zeros((2, 5)))\n'
    )
    linter = Linter(Config())
    analysis = linter.analyze_source(source, tmp_path / "p.py")
    (resolved,) = analysis.loads.values()
    assert resolved.model is None and resolved.resolution.unchecked is not None
    assert linter.diagnose(analysis) == []
    # A handle inside the cache still resolves.
    assert kagglehub_lookup(f"{KAGGLE}/1").folder is not None


def test_a_tfhub_load_format_tensorflow_hub_does_not_know_reads_no_cache(
    caches: dict[str, str], tmp_path: Path
) -> None:
    # tensorflow_hub's HTTP resolvers accept TFHUB_MODEL_LOAD_FORMAT "COMPRESSED" / "AUTO"
    # (unset or empty: AUTO) and "UNCOMPRESSED", exactly; any other value leaves the URL to
    # the path resolver, which fails ("... does not exist"): the cached folder is not read.
    for value in ("uncompressed", "compressed", "zip"):
        assert tfhub_handle_kind(HANDLE, {"TFHUB_MODEL_LOAD_FORMAT": value}) == "invalid"
    for value in ("", "AUTO", "COMPRESSED"):
        assert tfhub_handle_kind(HANDLE, {"TFHUB_MODEL_LOAD_FORMAT": value}) == "cache"
    assert tfhub_handle_kind(HANDLE, {"TFHUB_MODEL_LOAD_FORMAT": "UNCOMPRESSED"}) == "remote"
    # gs:// archives are downloaded whatever the format; other paths are paths.
    assert tfhub_handle_kind("gs://b/m.tgz", {"TFHUB_MODEL_LOAD_FORMAT": "zip"}) == "cache"
    assert tfhub_handle_kind("models/m", {"TFHUB_MODEL_LOAD_FORMAT": "zip"}) == "path"
    source = (
        "import os\nimport numpy as np\nimport tensorflow as tf\nimport tensorflow_hub as hub\n"
        'os.environ["TFHUB_MODEL_LOAD_FORMAT"] = "uncompressed"\n'
        f'm = hub.load("{HANDLE}")\n'
        'm.signatures["serving_default"](keras_tensor=tf.constant(np.zeros((2, 5))))\n'
    )
    linter = Linter(Config())
    analysis = linter.analyze_source(source, tmp_path / "p.py")
    (resolved,) = analysis.loads.values()
    assert resolved.model is None
    assert "TFHUB_MODEL_LOAD_FORMAT" in resolved.resolution.reason
    assert linter.diagnose(analysis) == []
