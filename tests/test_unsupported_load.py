"""SM017 unsupported-load, by spelling and by installed version: Keras 3's load_model of a
SavedModel folder is reported only where the ``keras`` package itself is called and the
installed keras (package metadata) is 3 or later; ``tf_keras`` and ``tf.keras`` spellings,
however imported, are not (tf_keras reads the folder; tf.keras is tf_keras where
TF_USE_LEGACY_KERAS is set when the program runs). ``hub.Module`` is reported where the
installed tensorflow_hub is 0.16 or later. Real TensorFlow re-measures these forms in
tests/test_oracle_keras_forms.py."""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path

import pytest

from sm_lint import installed
from sm_lint.api import lint_source
from sm_lint.config import Config
from sm_lint.rules import sm017_unsupported_load
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sm017")
    shutil.copytree(FIXTURES / "module_multi", folder / "models" / "multi")
    shutil.copytree(FIXTURES / "module_multi", folder / "models" / "served" / "1")
    shutil.copytree(FIXTURES / "module_multi", folder / "models" / "configured")
    (folder / "models" / "configured" / "config.json").write_text("{}")
    return folder


def _codes(root: Path, source: str) -> list[str]:
    found = lint_source(source, root / "case.py", Config(models=(root / "models",)))
    return [d.code for d in found]


@pytest.mark.parametrize(
    "source",
    [
        'import keras\nm = keras.models.load_model("models/multi")',
        'import keras\nm = keras.saving.load_model("models/multi")',
        'from keras import models\nm = models.load_model("models/multi")',
        'from keras.models import load_model\nm = load_model("models/multi")',
        'import keras as K\nm = K.saving.load_model("./models/multi/")',
    ],
)
def test_the_keras_package_with_keras_3_refuses_a_savedmodel_folder(
    root: Path, source: str
) -> None:
    assert installed.major_minor("keras") >= (3, 0)  # type: ignore[operator]
    assert _codes(root, source) == ["SM017"]


@pytest.mark.parametrize(
    "source",
    [
        'import tf_keras\nm = tf_keras.models.load_model("models/multi")',
        'from tf_keras import models\nm = models.load_model("models/multi")',
        'from tf_keras.saving import load_model\nm = load_model("models/multi")',
        'import tensorflow as tf\nm = tf.keras.models.load_model("models/multi")',
        'from tensorflow import keras\nm = keras.models.load_model("models/multi")',
        'from tensorflow.keras import models\nm = models.load_model("models/multi")',
        'import tensorflow.keras as keras\nm = keras.saving.load_model("models/multi")',
        # Keras 3 reads these otherwise (an Orbax checkpoint, a Keras folder): not certain.
        'import keras\nm = keras.models.load_model("models/served")',
        'import keras\nm = keras.models.load_model("models/configured")',
        # Keras' own formats and paths it fetches first.
        'import keras\nm = keras.models.load_model("models/multi.keras")',
        'import keras\nm = keras.models.load_model("gs://bucket/models/multi")',
    ],
)
def test_other_spellings_and_folders_are_left_alone(root: Path, source: str) -> None:
    assert "SM017" not in _codes(root, source)


def test_signatures_of_a_keras_load_stay_checked(root: Path) -> None:
    source = 'import tf_keras\nm = tf_keras.models.load_model("models/multi")\n'
    assert _codes(root, source + 'm.signatures["serving_default"](nope=1)') == ["SM002"]
    source = source.replace("tf_keras", "keras")
    assert _codes(root, source + 'm.signatures["serving_default"](nope=1)') == [
        "SM017",
        "SM002",
    ]


def test_keras_2_installed_reads_the_folder(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict follows the installed keras: Keras 2's load_model read SavedModels."""
    versions = {"keras": (2, 15), "tensorflow_hub": (0, 15)}
    monkeypatch.setattr(sm017_unsupported_load, "major_minor", versions.get)
    assert _codes(root, 'import keras\nm = keras.models.load_model("models/multi")') == []
    assert _codes(root, 'import tensorflow_hub as hub\nm = hub.Module("models/multi")') == []


def test_hub_module_with_tensorflow_hub_0_16(root: Path) -> None:
    assert installed.major_minor("tensorflow_hub") >= (0, 16)  # type: ignore[operator]
    for source in (
        'import tensorflow_hub as hub\nm = hub.Module("models/multi")',
        'from tensorflow_hub import Module\nm = Module("https://tfhub.dev/google/x/1")',
    ):
        assert _codes(root, source) == ["SM017"], source


def test_installed_versions_are_read_from_metadata() -> None:
    for package in installed.PACKAGES:
        version = importlib.metadata.version(package)
        assert installed.major_minor(package) == tuple(map(int, version.split(".")[:2]))
    assert installed.signature() == tuple((p, installed.major_minor(p)) for p in installed.PACKAGES)


def test_the_installed_versions_key_the_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another keras or tensorflow_hub installed: cached results and facts are not served."""
    from sm_lint import results

    monkeypatch.setattr(results, "_DIGEST", None)
    now = results.code_digest()
    monkeypatch.setattr(results, "_DIGEST", None)
    monkeypatch.setattr(installed, "signature", lambda: (("keras", (2, 15)),))
    assert results.code_digest() != now
