"""Signatures derived from source: linking loads to saves, unknown parts, frontends.

The naming rules themselves are measured against real TensorFlow in
tests/test_derived_oracle.py; these tests pin how derived signatures reach the findings,
``sm-lint calls``, hover and the cache, without TensorFlow.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from sm_lint.api import Linter
from sm_lint.cache import decode_facts, encode_facts
from sm_lint.config import Config
from sm_lint.editor import hover
from sm_lint.rules import sm017_unsupported_load as sm017
from tests.conftest import code_notebook

MODULE = """\
import os
import tempfile
import numpy as np
import tensorflow as tf

class Doubler(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def __call__(self, x):
        return {"y": x * 2.0}

"""
BAD_CALL = "loaded.signatures['serving_default'](x=tf.zeros([2, 3], tf.float64))\n"


def _lint(source: str, path: Path) -> list[str]:
    path.write_text(source)
    return [f"{d.line}:{d.code}" for d in Linter(Config()).lint_source(source, path)]


def _codes(source: str, path: Path) -> list[str]:
    return [c.split(":")[1] for c in _lint(source, path)]


def test_temporary_directory_links_save_and_load(tmp_path: Path) -> None:
    source = MODULE + textwrap.dedent(
        """\
        with tempfile.TemporaryDirectory() as folder:
            tf.saved_model.save(Doubler(), os.path.join(folder, "m"))
            loaded = tf.saved_model.load(os.path.join(folder, "m"))
            loaded.signatures["serving_default"](x=tf.zeros([2, 3], tf.float64))
        """
    )
    assert _codes(source, tmp_path / "p.py") == ["SM005"]


def test_same_variable_links_even_when_its_text_is_unknown(tmp_path: Path) -> None:
    source = MODULE + textwrap.dedent(
        """\
        import sys
        out = sys.argv[1]
        tf.saved_model.save(Doubler(), out)
        loaded = tf.saved_model.load(out)
        """
    )
    assert _codes(source + BAD_CALL, tmp_path / "p.py") == ["SM005"]
    # The variable changed between save and load: not the same folder, nothing checked.
    rebound = source.replace(
        "loaded = tf.saved_model.load(out)", "out = sys.argv[2]\nloaded = tf.saved_model.load(out)"
    )
    assert _codes(rebound + BAD_CALL, tmp_path / "q.py") == []


def test_load_before_the_save_is_not_linked(tmp_path: Path) -> None:
    source = MODULE + textwrap.dedent(
        """\
        path = os.path.join(tempfile.mkdtemp(), "m")
        loaded = tf.saved_model.load(path)
        tf.saved_model.save(Doubler(), path)
        """
    )
    assert _codes(source + BAD_CALL, tmp_path / "p.py") == []


def test_a_folder_the_program_creates_is_never_sm011(tmp_path: Path) -> None:
    target = tmp_path / "out" / "model"
    load = f'loaded = tf.saved_model.load("{target}")\n'
    assert _codes(MODULE + load, tmp_path / "p.py") == ["SM011"]
    save = f'tf.saved_model.save(Doubler(), "{target}")\n'
    assert _codes(MODULE + save + load, tmp_path / "q.py") == []
    # A save whose signatures cannot be derived still creates the folder.
    unknown = f'tf.saved_model.save(make_model(), "{target}")\n'
    assert _codes(MODULE + unknown + load + BAD_CALL, tmp_path / "r.py") == []


def test_pathlib_and_fstring_paths(tmp_path: Path) -> None:
    for setup, save, load in (
        ("base = pathlib.Path(tempfile.mkdtemp())\n", 'base / "m"', 'str(base / "m")'),
        ("base = tempfile.mkdtemp()\n", 'f"{base}/m"', 'os.path.join(base, "m")'),
        ("", '"relative/m"', '"./relative/m/"'),
    ):
        source = (
            "import pathlib\n"
            + MODULE
            + setup
            + f"tf.saved_model.save(Doubler(), {save})\nloaded = tf.saved_model.load({load})\n"
        )
        assert _codes(source + BAD_CALL, tmp_path / "p.py") == ["SM005"], (save, load)
    # Different folders below the same fresh folder are different models.
    other = (
        MODULE
        + 'base = tempfile.mkdtemp()\ntf.saved_model.save(Doubler(), os.path.join(base, "a"))\n'
        + 'loaded = tf.saved_model.load(os.path.join(base, "b"))\n'
    )
    assert _codes(other + BAD_CALL, tmp_path / "q.py") == []


def test_unknown_dtype_and_loop_built_signature_are_not_checked(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """\
        import os, tempfile
        import tensorflow as tf
        kind = tf.float64 if os.environ.get("X") else tf.float32
        specs = []
        for width in (3, 4):
            specs.append(tf.TensorSpec([None, width], tf.float32))

        class A(tf.Module):
            @tf.function(input_signature=[tf.TensorSpec([None, 2], kind, name="v")])
            def __call__(self, v):
                return v

        @tf.function(input_signature=specs)
        def both(a, b):
            return a

        p = os.path.join(tempfile.mkdtemp(), "a")
        q = os.path.join(tempfile.mkdtemp(), "b")
        tf.saved_model.save(A(), p)
        tf.saved_model.save(tf.Module(), q, signatures=both)
        fa = tf.saved_model.load(p).signatures["serving_default"]
        fb = tf.saved_model.load(q).signatures["serving_default"]
        fa(v=tf.zeros([2, 2], tf.int32))
        fa(v=tf.zeros([2, 5], tf.float64))
        fa(w=tf.zeros([2, 2]))
        fb(anything=1)
        tf.saved_model.load(q).signatures["other"]
        """
    )
    # dtype unknown: only the shape and the name are checked; the loop-built signature's
    # inputs are unknown, its key is known.
    assert _lint(source, tmp_path / "p.py") == ["24:SM008", "25:SM002", "27:SM001"]


def test_unnamed_keras_input_exported_matches_keras_tensor_names(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """\
        import os, tempfile
        import keras
        import tensorflow as tf
        path = os.path.join(tempfile.mkdtemp(), "m")
        model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(1)])
        model.export(path)
        fn = tf.saved_model.load(path).signatures["serve"]
        fn(keras_tensor_12=tf.zeros([2, 6]))
        fn(keras_tensor=tf.zeros([2, 5]))
        fn(inputs=tf.zeros([2, 6]))
        fn(tf.zeros([2, 6]))
        """
    )
    assert _lint(source, tmp_path / "p.py") == ["9:SM008", "10:SM002", "11:SM004"]


def test_calls_json_and_hover_say_where_the_model_came_from(tmp_path: Path) -> None:
    source = MODULE + 'path = os.path.join(tempfile.mkdtemp(), "m")\n'
    source += "tf.saved_model.save(Doubler(), path)\nloaded = tf.saved_model.load(path)\n"
    source += BAD_CALL
    program = tmp_path / "p.py"
    program.write_text(source)
    out = subprocess.run(
        [sys.executable, "-m", "sm_lint", "calls", str(program), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    (record,) = json.loads(out.stdout)
    assert record["model_source"] == "source"
    assert record["model_saved_at"] == 12
    assert record["unresolved_reason"] is None
    assert record["derived_signature"] == {
        "inputs": {"x": {"dtype": "float32", "shape": [None, 3]}},
        "outputs": ["y"],
    }
    analysis = Linter(Config()).analyze_source(source, program)
    found = hover(analysis, 14, 3)
    assert found is not None and "derived from source: saved at line 12" in found.markdown
    assert "`x` | float32 | (?, 3)" in found.markdown


def test_saves_survive_the_cache(tmp_path: Path) -> None:
    source = MODULE + "tf.saved_model.save(Doubler(), '/no/such/m')\n"
    facts = Linter(Config()).analyze_source(source, tmp_path / "p.py").facts
    assert facts is not None and facts.saves
    assert decode_facts(encode_facts(facts)) == facts


def test_notebook_save_and_call_in_different_cells(tmp_path: Path) -> None:
    cells = [
        MODULE,
        'path = os.path.join(tempfile.mkdtemp(), "m")\ntf.saved_model.save(Doubler(), path)\n',
        "loaded = tf.saved_model.load(path)\n",
        BAD_CALL,
    ]
    notebook = code_notebook(cells)
    findings = Linter(Config()).lint_notebook(json.dumps(notebook), tmp_path / "n.ipynb")
    assert [(f.cell, f.line, f.code) for f in findings] == [(4, 1, "SM005")]


ODD_SAVES = [
    "tf.saved_model.save()",
    "tf.saved_model.save(*parts)",
    "tf.saved_model.save(**options)",
    "tf.saved_model.save(Doubler(), path, signatures=lambda x: x)",
    "tf.saved_model.save(Doubler(), path, signatures={k: f for k, f in pairs})",
    "tf.saved_model.save(Doubler(), path, signatures={**extra})",
    "tf.saved_model.save(Doubler(), path, signatures=Doubler().__call__.get_concrete_function(*a))",
    "tf.saved_model.save(Doubler(), path, signatures=total.get_concrete_function(tf.TensorSpec()))",
    "tf.saved_model.save(Doubler(), path, signatures=total.get_concrete_function(x=1, y=2))",
    "tf.saved_model.save(keras.Model(), path)",
    "tf.saved_model.save(keras.Sequential(None), path)",
    "tf.saved_model.save(keras.Sequential([keras.Input(**shape_kwargs)]), path)",
    "tf.saved_model.save(keras.Sequential([keras.layers.Dense(2, input_shape=dims)]), path)",
    "keras.Sequential([keras.Input((0x10,)), keras.Input((2,))]).export(path)",
    "keras.Model(keras.Input(shape=(-1,)), None).export(path, format=fmt)",
    "keras.Model({1: keras.Input((2,))}, [keras.layers.Dense(1)(x) for x in y]).export(path)",
    "Doubler().export(path)",
    "tf.saved_model.save(Broken(), path)",
    "tf.saved_model.save(Selfish(), path)",
]
ODD_PRELUDE = MODULE + textwrap.dedent(
    """\
    import keras
    specs = []
    for width in range(3):
        specs.append(tf.TensorSpec([None, width], tf.float32))
    kind = tf.float64 if os.environ.get("X") else tf.float32

    @tf.function(input_signature=specs)
    def total(*args):
        return {0x1: args, "b": {"c": args}}

    class Broken(Broken if False else tf.Module):
        @tf.function(input_signature=[{1: tf.TensorSpec([2]), "a": [tf.TensorSpec(None, kind)]}])
        def __call__(self, x):
            return x[0x0], x["a"][1_0]

    class Selfish(tf.Module):
        def __init__(self):
            setattr(self, "f", total)
            self.g = tf.function(lambda v: v, input_signature=specs)

        @tf.function(input_signature=[tf.TensorSpec(dtype=kind, shape=[None, None])])
        def h(self, v):
            return

    path = os.path.join(tempfile.mkdtemp(), "m")
    """
)


def test_odd_saves_never_crash_nor_report(tmp_path: Path) -> None:
    """Bad input: saves nothing can be derived from are analysed without a crash, and a
    call through them is never reported (only the shape of what is known)."""
    for number, save in enumerate(ODD_SAVES):
        source = ODD_PRELUDE + save + "\nloaded = tf.saved_model.load(path)\n"
        source += "loaded.signatures['serving_default'](x=tf.zeros([2, 3]), y=1)\n"
        assert _lint(source, tmp_path / f"odd{number}.py") == [], save


def test_the_programs_own_save_wins_over_an_existing_folder(
    tmp_path: Path, fixture_models: Path
) -> None:
    """Resolution order: mapping, source, path, hub cache. The save runs before the load and
    writes the folder, so what the load reads is what the program saved, not what is on disk
    now."""
    existing = tmp_path / "existing"
    shutil.copytree(fixture_models / "keras_export_dense", existing)
    source = MODULE + f'tf.saved_model.save(Doubler(), "{existing}")\n'
    source += f'loaded = tf.saved_model.load("{existing}")\n' + BAD_CALL
    program = tmp_path / "p.py"
    analysis = Linter(Config()).analyze_source(source, program)
    (resolved,) = analysis.loads.values()
    assert resolved.resolution.source == "source"
    assert resolved.model is not None and resolved.model.saved_at is not None
    assert _lint(source, program) == ["13:SM005"]
    # The user's mapping still wins over everything.
    mapped = Linter(Config(model_paths={str(existing): existing})).analyze_source(source, program)
    assert [r.resolution.source for r in mapped.loads.values()] == ["mapping"]


def test_a_save_into_the_working_folder_then_its_load(tmp_path: Path) -> None:
    """tensorflow/docs' jax2tf guide: `tf.saved_model.save(m, "./")` then
    `tf.saved_model.load("./")` — the folder exists (it holds the notebook) but is no
    SavedModel yet: no SM012, the program's own save is the model."""
    source = MODULE + 'tf.saved_model.save(Doubler(), "./")\n'
    source += 'loaded = tf.saved_model.load("./")\n' + BAD_CALL
    assert _lint(source, tmp_path / "p.py") == ["13:SM005"]
    cells = [
        MODULE,
        'tf.saved_model.save(Doubler(), "./")\n',
        'restored = tf.saved_model.load("./")\n',
    ]
    path = tmp_path / "jax2tf.ipynb"
    text = json.dumps(code_notebook(cells))
    path.write_text(text)
    assert [d.code for d in Linter(Config()).lint_source(text, path)] == []


def test_keras_load_model_of_an_hdf5_file_is_not_a_savedmodel_load(tmp_path: Path) -> None:
    """`load_model("smile-model.hdf5")`: tf_keras and Keras 3 read .h5, .hdf5 and .keras
    files as their own formats (saving_utils.is_hdf5_filepath): not a SavedModel, no SM011."""
    source = textwrap.dedent(
        """\
        import numpy as np
        from tensorflow.keras.models import load_model
        model = load_model("smile-model.hdf5")
        other = load_model("weights/model.h5")
        third = load_model("model.keras")
        """
    )
    assert _codes(source, tmp_path / "p.py") == []


def test_keras_load_model_of_a_saved_folder_is_not_sm011(tmp_path: Path) -> None:
    """The folder the program exports is no SM011; Keras 3's load_model refuses it (SM017,
    with Keras 3 installed), tf_keras' reads it."""
    target = tmp_path / "exported"
    source = textwrap.dedent(
        f"""\
        import keras
        import tf_keras
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
        model.export("{target}")
        reloaded = tf_keras.models.load_model("{target}")
        """
    )
    assert _codes(source, tmp_path / "p.py") == []
    keras3 = source.replace("tf_keras.models", "keras.models")
    assert _codes(keras3, tmp_path / "p.py") == (["SM017"] if sm017.keras3() else [])


def test_saves_in_branches_and_loops_are_not_trusted(tmp_path: Path) -> None:
    """Which save wrote the folder depends on the run: nothing is checked, and the folder
    the program creates is still never SM011."""
    target = tmp_path / "m"
    other = textwrap.dedent(
        """\
        class Other(tf.Module):
            @tf.function(input_signature=[tf.TensorSpec([None], tf.float64, name="z")])
            def __call__(self, z):
                return z
        """
    )
    load = f'loaded = tf.saved_model.load("{target}")\n' + BAD_CALL
    branches = f'if os.environ.get("A"):\n    tf.saved_model.save(Doubler(), "{target}")\n'
    branches += f'else:\n    tf.saved_model.save(Other(), "{target}")\n'
    assert _codes(MODULE + other + branches + load, tmp_path / "p.py") == []
    loop = 'for _ in range(int(os.environ.get("N", "1"))):\n'
    loop += f'    tf.saved_model.save(Doubler(), "{target}")\n'
    assert _codes(MODULE + loop + load, tmp_path / "q.py") == []
    # Both branches save the same model: still linked and checked.
    same = branches.replace("Other()", "Doubler()")
    assert _codes(MODULE + same + load, tmp_path / "r.py") == ["SM005"]


def test_export_of_a_model_this_analysis_does_not_know_is_not_sm011(tmp_path: Path) -> None:
    target = tmp_path / "mobilenet"
    source = textwrap.dedent(
        f"""\
        import tensorflow as tf
        model = tf.keras.applications.MobileNetV2()
        model.export("{target}")
        loaded = tf.saved_model.load("{target}")
        loaded.signatures["serving_default"](x=1)
        """
    )
    assert _codes(source, tmp_path / "p.py") == []


def test_calls_give_a_notebook_save_in_its_cell(tmp_path: Path) -> None:
    # The call's line is given in its cell; the save's line must be too, as hover says it.
    cells = [
        MODULE,
        'path = os.path.join(tempfile.mkdtemp(), "m")\n'
        "tf.saved_model.save(Doubler(), path)\nloaded = tf.saved_model.load(path)\n",
        BAD_CALL,
    ]
    notebook = tmp_path / "p.ipynb"
    notebook.write_text(json.dumps(code_notebook(cells)))
    run = [sys.executable, "-m", "sm_lint", "calls", str(notebook), "--no-cache"]
    out = subprocess.run([*run, "--format", "json"], capture_output=True, text=True)
    (record,) = json.loads(out.stdout)
    assert (record["cell"], record["model_saved_cell"], record["model_saved_at"]) == (3, 2, 2)
    text = subprocess.run(run, capture_output=True, text=True).stdout
    assert "saved at cell 2, line 2 (derived from source)" in text


def test_sm001_names_a_notebook_save_by_its_cell(tmp_path: Path) -> None:
    cells = [
        MODULE,
        'path = os.path.join(tempfile.mkdtemp(), "m")\n'
        "tf.saved_model.save(Doubler(), path)\nloaded = tf.saved_model.load(path)\n",
        BAD_CALL.replace("'serving_default'", "'serving'"),
    ]
    notebook = tmp_path / "p.ipynb"
    notebook.write_text(json.dumps(code_notebook(cells)))
    (finding,) = [d for d in Linter(Config()).lint_paths([notebook]) if d.code == "SM001"]
    assert "does not exist in the model saved in cell 2, line 2 " in finding.message
