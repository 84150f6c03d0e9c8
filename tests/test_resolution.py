"""The resolution chain (sm_lint/analysis/resolve.py): which step found each load's model,
and, for a load no step resolves, why, as data (``Resolution.unchecked``) that ``--verbose``
turns into advice without reading the reason's text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sm_lint.analysis.resolve import ModelSource, Unchecked
from sm_lint.api import Linter
from sm_lint.config import Config
from tests.test_cli import FIXTURES

HANDLE = "https://tfhub.dev/google/not/cached/1"

LOADS = {
    "found": 'tf.saved_model.load("keras_export_dense")',
    "unknown": "tf.saved_model.load(sys.argv[1])",
    "missing": 'tf.saved_model.load("no/such/model")',
    "remote": 'tf.saved_model.load("gs://bucket/model")',
    "not_cached": f"hub.load({HANDLE!r})",
    "kaggle_malformed": 'tf.saved_model.load(kagglehub.model_download("not-a-handle"))',
    "keras_file": 'tf.keras.models.load_model("model.keras")',
    "unreadable": 'tf.saved_model.load("broken")',
    "derived": "tf.saved_model.load(SAVED)",
}

EXPECTED = {
    "found": (ModelSource.PATH, None),
    "unknown": (None, Unchecked.PATH_UNKNOWN),
    "missing": (None, Unchecked.NOT_FOUND),
    "remote": (None, Unchecked.REMOTE),
    "not_cached": (None, Unchecked.NOT_CACHED),
    "kaggle_malformed": (None, Unchecked.NOT_READABLE_HERE),
    "keras_file": (None, Unchecked.NOT_READABLE_HERE),
    "unreadable": (None, Unchecked.UNREADABLE),
    "derived": (ModelSource.SOURCE, None),
}

HEADER = """\
import sys
import tensorflow as tf
import tensorflow_hub as hub
import kagglehub


class M(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def __call__(self, x):
        return {"y": x}


SAVED = "/tmp/sm-lint-resolution-test/saved"
tf.saved_model.save(M(), SAVED)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURES / "keras_export_dense", tmp_path / "keras_export_dense")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "saved_model.pb").write_bytes(b"\xff not a protobuf")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kaggle"))
    return tmp_path


def test_each_load_says_which_step_found_it_or_why_not(project: Path) -> None:
    names = list(LOADS)
    source = HEADER + "".join(f"{name} = {LOADS[name]}\n" for name in names)
    analysis = Linter(Config(project_root=project)).analyze_source(source, project / "job.py")
    assert analysis.facts is not None
    resolved = [analysis.loads[load.id] for load in analysis.facts.loads]
    assert len(resolved) == len(names)
    got = {
        name: (r.resolution.source if r.model is not None else None, r.resolution.unchecked)
        for name, r in zip(names, resolved, strict=True)
    }
    assert got == EXPECTED
    for r in resolved:
        source = r.resolution.source
        assert source is None or json.dumps(source) == json.dumps(source.value)


@pytest.mark.parametrize(
    ("load", "advice"),
    [
        ("tf.saved_model.load(sys.argv[1])", "run the program once with `sm-lint run"),
        ('tf.saved_model.load("no/such/model")', "pass --models with the folder"),
        ('tf.saved_model.load("broken")', "re-export the model"),
        ('tf.keras.models.load_model("model.keras")', "to a local copy in [tool.sm-lint"),
        (f"hub.load({HANDLE!r})", None),  # the reason says what to run
        ('tf.saved_model.load("gs://bucket/model")', None),  # the reason says to map it
    ],
)
def test_verbose_advice_follows_the_data(project: Path, load: str, advice: str | None) -> None:
    from sm_lint.cli import _checkable_hint

    source = "import sys\nimport tensorflow as tf\nimport tensorflow_hub as hub\n"
    source += f"m = {load}\n"
    analysis = Linter(Config(project_root=project)).analyze_source(source, project / "job.py")
    assert analysis.facts is not None
    hint = _checkable_hint(analysis, analysis.facts.loads[0].id)
    if advice is None:
        assert hint == ""
    else:
        assert advice in hint
