"""A model loaded in if/elif/else branches: each branch's model is a possibility; a call
is reported only where every possible model rejects it (the differential oracle is
tests/test_projects_classes_oracle.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sm_lint.api import Linter, lint_paths
from sm_lint.cache import _decode, _encode
from sm_lint.config import Config
from sm_lint.diagnostics import Diagnostic
from sm_lint.editor import inlay_hints

MODELS = Path(__file__).resolve().parent / "fixtures" / "models"
ROOT = Path(__file__).resolve().parent.parent
HEAD = "import sys\nimport numpy as np\nimport tensorflow as tf\n\n"


def _branches(*models: str) -> str:
    lines = []
    for number, model in enumerate(models):
        head = "if" if number == 0 else "elif"
        test = "else:" if number == len(models) - 1 else f"{head} sys.argv[1] == '{number}':"
        lines += [test, f"    m = tf.saved_model.load('models/{model}')"]
    return "\n".join(lines) + "\n"


def _project(tmp_path: Path, text: str) -> Path:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "models").symlink_to(MODELS, target_is_directory=True)
    (tmp_path / "main.py").write_text(HEAD + text)
    return tmp_path


def _lint(root: Path) -> list[Diagnostic]:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return lint_paths(["main.py"])
    finally:
        os.chdir(cwd)


def _calls(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", "calls", "main.py", *options],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


TWO = _branches("keras_export_dense", "keras_float64")  # keras_tensor (?, 5): f32 / f64


def test_a_call_every_possible_model_rejects_is_reported_once_per_model(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, TWO + "m.signatures['serving_default'](x=np.zeros((2, 5)))\n")
    found = _lint(root)
    assert [d.code for d in found] == ["SM002", "SM002"]
    assert {d.message.rsplit("(", 1)[1] for d in found} == {
        "with the model loaded at line 6).",
        "with the model loaded at line 8).",
    }
    assert all(d.fix is None for d in found)  # a fix for one model may break another


def test_a_call_one_possible_model_accepts_gets_nothing(tmp_path: Path) -> None:
    tensor = "tf.constant(np.zeros((2, 5), np.float32))"  # float32: only the first model's
    root = _project(tmp_path, TWO + f"m.signatures['serving_default'](keras_tensor={tensor})\n")
    assert _lint(root) == []


def test_a_group_gets_no_warning(tmp_path: Path) -> None:
    # A float64 array into float32 narrows (a warning alone); the float64 model takes it.
    root = _project(
        tmp_path, TWO + "m.signatures['serving_default'](keras_tensor=np.zeros((2, 5)))\n"
    )
    assert _lint(root) == []


def test_a_key_no_possible_model_has_is_reported_for_each(tmp_path: Path) -> None:
    root = _project(tmp_path, TWO + "m.signatures['nope'](x=1)\n")
    assert [d.code for d in _lint(root)] == ["SM001", "SM001"]


def test_calls_lists_the_site_once_per_possible_model(tmp_path: Path) -> None:
    root = _project(tmp_path, TWO + "m.signatures['serving_default'](keras_tensor=1)\n")
    text = _calls(root).stdout
    assert text.count("(one of 2 possible models)") == 2
    assert "models/keras_export_dense" in text and "models/keras_float64" in text
    records = json.loads(_calls(root, "--format", "json").stdout)
    assert [r["model"] for r in records] == ["models/keras_float64", "models/keras_export_dense"][
        ::-1
    ]
    assert [a["load_line"] for a in records[0]["alternatives"]] == [6, 8]
    assert records[0]["alternatives"] == records[1]["alternatives"]


def test_a_model_joined_with_an_unknown_value_stays_unknown(tmp_path: Path) -> None:
    text = "if sys.argv[1]:\n    m = tf.saved_model.load('models/keras_float64')\n"
    text += "else:\n    m = make()\nm.signatures['serving_default'](x=1)\n"
    root = _project(tmp_path, text)
    assert _lint(root) == []
    assert "0 calls found" in _calls(root).stdout


def test_the_same_load_in_both_branches_is_that_load(tmp_path: Path) -> None:
    text = "m = tf.saved_model.load('models/keras_float64')\nif sys.argv[1]:\n    k = m\n"
    text += "else:\n    k = m\nk.signatures['serving_default'](x=1)\n"
    root = _project(tmp_path, text)
    assert [d.message.endswith("(with the model") for d in _lint(root)] == [False]
    assert "possible models" not in _calls(root).stdout


def test_more_than_four_possible_models_are_unknown(tmp_path: Path) -> None:
    five = _branches(*["keras_float64"] * 5)
    root = _project(tmp_path / "five", five + "m.signatures['serving_default'](x=1)\n")
    assert _lint(root) == []
    four = _branches(*["keras_float64"] * 4)
    root = _project(tmp_path / "four", four + "m.signatures['serving_default'](x=1)\n")
    assert len(_lint(root)) == 4


def test_a_model_chosen_in_branches_passed_to_a_function_gives_no_false_error(
    tmp_path: Path,
) -> None:
    # Float32 suits only the first model; one caller's analysis does not group calls, so
    # the call inside the function is left alone.
    text = TWO + "\n\ndef run(model, x):\n    return model.signatures['serving_default'](x)\n\n\n"
    text += "run(m, tf.constant(np.zeros((2, 5), np.float32)))\n"
    assert _lint(_project(tmp_path, text)) == []


def test_the_editor_hints_an_argument_once(tmp_path: Path) -> None:
    root = _project(tmp_path, TWO + "m.signatures['serving_default'](x=np.zeros((2, 5)))\n")
    source = (root / "main.py").read_text()
    analysis = Linter(Config(project_root=root)).analyze_source(source, root / "main.py")
    assert analysis.facts is not None and len(analysis.facts.calls) == 2
    assert len(inlay_hints(analysis)) == 1


def test_grouped_facts_survive_the_cache(tmp_path: Path) -> None:
    root = _project(tmp_path, TWO + "m.signatures['serving_default'](x=np.zeros((2, 5)))\n")
    source = (root / "main.py").read_text()
    facts = Linter(Config(project_root=root)).analyze_source(source, root / "main.py").facts
    assert facts is not None
    assert _decode(json.loads(json.dumps(_encode(facts)))) == facts
    assert [len(c.alternatives) for c in facts.calls] == [2, 2]
    assert [lookup.alternatives for lookup in facts.lookups] == [(0, 1), (0, 1)]
