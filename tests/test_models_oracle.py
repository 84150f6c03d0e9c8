"""Oracle test for ``sm-lint show``: what it prints must be what TensorFlow itself reports.

The models are rebuilt with real TensorFlow (``regenerated_models``), each is read by
``sm-lint show --format json`` in a real subprocess, and the result is compared with
``tf.saved_model.load(dir).signatures`` (inputs from ``structured_input_signature``,
outputs from ``structured_outputs``) and with the method names in TensorFlow's own parse
of the SavedModel proto. The committed fixtures must match the regenerated ones, so a
stale fixture is caught.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("tensorflow", reason="the oracle is TensorFlow itself")

FIXTURES = Path(__file__).parent / "fixtures" / "models"
MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def _model_folders(root: Path) -> list[str]:
    """Folders under *root* that directly hold a SavedModel file, relative, sorted."""
    return sorted(
        Path(current).relative_to(root).as_posix()
        for current, _dirs, files in os.walk(root)
        if any(f in MODEL_FILES for f in files)
    )


def _is_version(folder: str) -> bool:
    leaf = folder.rpartition("/")[2]
    return "/" in folder and leaf.isascii() and leaf.isdigit()


def _expected_dirs(root: Path) -> dict[str, str]:
    """Each folder ``sm-lint show`` accepts -> the folder TensorFlow must load for it.

    Worked out independently of sm_lint: a model folder stands for itself; a TF Serving
    layout (``name/1``, ``name/2``, ...) stands for its highest numeric version, whatever
    non-numeric folders (``tmp_export/``) lie beside the versions.
    """
    out: dict[str, str] = {}
    versions: dict[str, list[int]] = {}
    for folder in _model_folders(root):
        out[folder] = folder
        if _is_version(folder):
            parent, _, leaf = folder.rpartition("/")
            versions.setdefault(parent, []).append(int(leaf))
    for layout, numbers in versions.items():
        out[layout] = f"{layout}/{max(numbers)}"
    return out


# Taken from the committed fixtures at collection time (no TensorFlow needed to collect);
# test_model_list_is_complete checks they are exactly what make_models builds.
EXPECTED_DIRS = _expected_dirs(FIXTURES)
ALL_DIRS = sorted(EXPECTED_DIRS)
# The model names make_models.FIXTURES uses: version folders collapsed into their layout.
MODELS = sorted(name for name in EXPECTED_DIRS if not _is_version(name))

Json = dict[str, Any]


def show_json(model_dir: Path) -> Json:
    """``sm-lint show --format json DIR`` run as a subprocess; must succeed silently."""
    proc = subprocess.run(
        [sys.executable, "-m", "sm_lint", "show", "--format", "json", str(model_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"sm-lint show {model_dir} failed:\n{proc.stderr}"
    assert proc.stderr == "", proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@functools.cache
def _show_cached(model_dir: str) -> str:
    return json.dumps(show_json(Path(model_dir)))


def show_json_cached(model_dir: Path) -> Json:
    return json.loads(_show_cached(str(model_dir)))  # type: ignore[no-any-return]


def _tf_spec(spec: Any) -> Json:
    import tensorflow as tf

    assert isinstance(spec, (tf.TensorSpec, tf.Tensor)), f"not a dense tensor: {spec!r}"
    shape = None if spec.shape.rank is None else spec.shape.as_list()
    return {"dtype": spec.dtype.name, "shape": shape}


def _tf_proto(model_dir: Path) -> Any:
    """TensorFlow's own parse of saved_model.pb / .pbtxt (tensorflow.SavedModel)."""
    from google.protobuf import text_format
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    pb, pbtxt = model_dir / "saved_model.pb", model_dir / "saved_model.pbtxt"
    if pb.exists():
        proto.ParseFromString(pb.read_bytes())
    else:
        text_format.Parse(pbtxt.read_text(), proto)
    return proto


@functools.cache
def tf_report(model_dir: str) -> tuple[Json, frozenset[str], frozenset[str]]:
    """(signatures as TF reports them, loaded.signatures keys, all signature_def keys)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(model_dir)
    (meta,) = _tf_proto(Path(model_dir)).meta_graphs
    signatures: Json = {}
    for key, fn in loaded.signatures.items():
        args, kwargs = fn.structured_input_signature
        assert args == (), f"{key}: positional input specs {args!r}"
        outputs = fn.structured_outputs
        assert isinstance(outputs, dict), f"{key}: outputs are not a dict: {outputs!r}"
        signatures[key] = {
            "method": meta.signature_def[key].method_name,
            "inputs": {name: _tf_spec(spec) for name, spec in kwargs.items()},
            "outputs": {name: _tf_spec(spec) for name, spec in outputs.items()},
        }
    return (
        signatures,
        frozenset(loaded.signatures.keys()),
        frozenset(meta.signature_def.keys()),
    )


# --------------------------------------------------------------------------- the oracle


@pytest.mark.parametrize("name", ALL_DIRS)
def test_show_matches_tensorflow(regenerated_models: Path, name: str) -> None:
    model_dir = regenerated_models / name
    tf_dir = regenerated_models / EXPECTED_DIRS[name]
    shown = show_json_cached(model_dir)
    expected, loaded_keys, all_keys = tf_report(str(tf_dir))

    assert shown["path"] == str(tf_dir)
    assert set(shown["signatures"]) == set(loaded_keys)
    assert loaded_keys, "TensorFlow reports no signatures: the fixture is broken"
    # Internal keys (such as __saved_model_init_op) exist in the proto but are not shown.
    assert set(shown["signatures"]) == {k for k in all_keys if not k.startswith("__")}
    for key, want in expected.items():
        assert shown["signatures"][key] == want, f"{name}: signature {key!r}"
    assert shown["signatures"] == expected


def test_model_list_is_complete(make_models: ModuleType) -> None:
    """Every model make_models builds is checked by the oracle above."""
    assert set(make_models.FIXTURES) == set(MODELS)


def test_serving_layout_picks_highest_version(
    regenerated_models: Path, fixture_models: Path
) -> None:
    assert EXPECTED_DIRS["serving/dense"] == "serving/dense/2"
    assert {"text_format", "serving/dense"} <= set(MODELS)
    for root in (regenerated_models, fixture_models):
        layout = root / "serving" / "dense"
        assert {p.name for p in layout.iterdir()} == {"1", "2", "tmp_export"}
        assert (layout / "tmp_export").is_dir()
        assert not any(p.name in MODEL_FILES for p in (layout / "tmp_export").iterdir())
    layout = regenerated_models / "serving" / "dense"
    shown = show_json_cached(layout)
    assert shown["path"] == str(layout / "2")
    # The two versions really differ, so picking the wrong one would be seen.
    v1, *_ = tf_report(str(layout / "1"))
    v2, *_ = tf_report(str(layout / "2"))
    assert v1 != v2
    assert shown["signatures"] == v2
    assert v2["serving_default"]["inputs"]["x"]["shape"] == [None, 6]


@pytest.mark.parametrize("root", ["regenerated", "committed"])
def test_text_format_model_has_only_pbtxt(
    regenerated_models: Path, fixture_models: Path, root: str
) -> None:
    folder = (regenerated_models if root == "regenerated" else fixture_models) / "text_format"
    assert (folder / "saved_model.pbtxt").is_file()
    assert not (folder / "saved_model.pb").exists()


# --------------------------------------------------------------------------- staleness


def _model_files(root: Path) -> set[str]:
    return {
        Path(current, f).relative_to(root).as_posix()
        for current, _dirs, files in os.walk(root)
        for f in files
        if f in MODEL_FILES
    }


def test_committed_fixtures_have_the_same_model_files(
    regenerated_models: Path, fixture_models: Path
) -> None:
    assert fixture_models == FIXTURES
    assert _model_files(fixture_models) == _model_files(regenerated_models)


@pytest.mark.parametrize("name", ALL_DIRS)
def test_committed_fixture_is_not_stale(
    regenerated_models: Path, fixture_models: Path, name: str
) -> None:
    committed = show_json_cached(fixture_models / name)
    fresh = show_json_cached(regenerated_models / name)
    assert committed["signatures"] == fresh["signatures"], (
        f"tests/fixtures/models/{name} is stale: rerun "
        "`python tests/fixtures/make_models.py tests/fixtures/models`"
    )
