"""Jupyter notebooks: the CLI, --fix, the pre-commit hook and malformed files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git as _git
from tests.test_precommit import _run

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = Path(__file__).parent / "fixtures" / "notebooks" / "saved_model_guide.ipynb"
MODEL = Path(__file__).parent / "fixtures" / "models" / "keras_export_dense"


def _project(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    shutil.copytree(MODEL, tmp_path / "models" / "dense")
    return tmp_path


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        # This checkout's sm-lint, not whichever one is installed.
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_findings_name_the_cell(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = _lint(project, NOTEBOOK.name, "--format", "json")
    assert result.returncode == 1, result.stderr
    found = [(d["cell"], d["line"], d["column"], d["code"]) for d in json.loads(result.stdout)]
    # The model is loaded in cell 5 and called in cell 6; the %%bash cell 8 is skipped, the
    # magics of cells 2 and 6 are neutralised in place, and cell 9's noqa holds.
    assert found == [(6, 3, 31, "SM005"), (7, 1, 16, "SM010")]
    text = _lint(project, NOTEBOOK.name).stdout
    assert "saved_model_guide.ipynb:cell 6:3:31: SM005" in text
    assert "3 | labeling = infer(keras_tensor=tf.constant(batch))" in text


def test_folders_are_walked_for_notebooks(tmp_path: Path) -> None:
    project = _project(tmp_path)
    data = json.loads(_lint(project, ".", "--format", "json").stdout)
    assert {Path(d["path"]).name for d in data} == {NOTEBOOK.name}


def test_fix_rewrites_only_the_changed_cells(tmp_path: Path) -> None:
    project = _project(tmp_path)
    target = project / NOTEBOOK.name
    before = target.read_text()
    result = _lint(project, NOTEBOOK.name, "--fix", "--unsafe-fixes")
    after = target.read_text()
    assert "Fixed 2 findings." in result.stdout
    old, new = json.loads(before), json.loads(after)
    changed = [i for i, (a, b) in enumerate(zip(old["cells"], new["cells"], strict=True)) if a != b]
    assert changed == [5, 6]
    for a, b in zip(old["cells"], new["cells"], strict=True):
        assert {k: v for k, v in a.items() if k != "source"} == {
            k: v for k, v in b.items() if k != "source"
        }  # outputs and metadata kept
    assert old["metadata"] == new["metadata"]
    # Formatting kept: only the two fixed source lines differ, trailing newline included.
    diff = [(x, y) for x, y in zip(before.splitlines(), after.splitlines(), strict=True) if x != y]
    assert diff == [
        (
            '    "labeling = infer(keras_tensor=tf.constant(batch))"',
            '    "labeling = infer(keras_tensor=tf.cast(tf.constant(batch), tf.float32))"',
        ),
        ('    "print(labeling[\\"predictions\\"])"', '    "print(labeling[\\"output_0\\"])"'),
    ]
    assert after.endswith("}\n")
    assert json.loads(_lint(project, NOTEBOOK.name, "--format", "json").stdout) == []


# Each mentions tf.saved_model, as a notebook worth linting does (others are not parsed).
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json: tf.saved_model.load", "invalid JSON"),
        ('{"nbformat": 4, "metadata": {"note": "tf.saved_model"}}', "no list of cells"),
        (
            '{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}], "x": "saved_model"}',
            "source is not text",
        ),
        (
            '{"nbformat": 4, "cells": [{"cell_type": "code", "source": ["saved_model", 1]}]}',
            "source is not text",
        ),
        (
            '{"nbformat": 3, "worksheets": [], "cells": [], "x": "saved_model"}',
            "nbformat 3 is not supported",
        ),
    ],
)
def test_malformed_notebooks_get_a_clear_finding(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "bad.ipynb").write_text(content)
    result = _lint(tmp_path, "bad.ipynb", "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    findings = json.loads(result.stdout)
    assert [d["code"] for d in findings] == ["SM900"]
    assert reason in findings[0]["message"]


def test_pre_commit_hook_checks_notebooks(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    project = _project(tmp_path / "nb")
    repo, rev = hook_repo
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: sm-lint\n"
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    result = _run(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "saved_model_guide.ipynb:cell 6:3:31: SM005" in result.stdout
    assert "saved_model_guide.ipynb:cell 7:1:16: SM010" in result.stdout


# ------------------------------------------------------- notebooks people really run


def _notebook(tmp_path: Path, name: str, cells: list[str], metadata: dict[str, object]) -> Path:
    data = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": metadata,
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": c,
            }
            for c in cells
        ],
    }
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


PYTHON = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def test_a_cell_that_starts_with_a_future_import(tmp_path: Path) -> None:
    # training-data-analyst's shape: a later cell opens with `from __future__ import ...`.
    # IPython compiles each cell on its own and accepts it; the notebook is analysed whole.
    project = _project(tmp_path)
    _notebook(
        project,
        "future.ipynb",
        [
            "import numpy as np\n",
            "from __future__ import absolute_import, division, print_function\n"
            "from __future__ import (\n    unicode_literals,\n)\n"
            "import tensorflow as tf\n"
            'model = tf.saved_model.load("models/dense")\n',
            'model.signatures["serving_default"](keras_tensor=tf.constant(np.zeros((2, 5))))\n',
        ],
        PYTHON,
    )
    result = _lint(project, "future.ipynb", "--no-cache", "--output-format", "json")
    found = [(d["cell"], d["line"], d["code"]) for d in json.loads(result.stdout)]
    assert found == [(3, 1, "SM005")], result.stdout


def test_a_notebook_in_another_language_is_skipped_quietly(tmp_path: Path) -> None:
    # An R notebook (IRkernel's metadata) that happens to call load_model_tf: like ruff, a
    # notebook whose language is not Python is not linted, and is no error.
    project = _project(tmp_path)
    r_kernel = {
        "kernelspec": {"display_name": "R", "language": "R", "name": "ir"},
        "language_info": {"name": "R", "codemirror_mode": "r", "file_extension": ".r"},
    }
    _notebook(
        project, "r.ipynb", ["library(keras)\nm <- load_model_tf('models/dense')\n"], r_kernel
    )
    # Only the kernelspec says it (no language_info): skipped too.
    _notebook(
        project,
        "julia.ipynb",
        ["m = saved_model.load('models/dense')\nx = 1:3\n"],
        {"kernelspec": {"display_name": "Julia", "language": "julia", "name": "julia-1.9"}},
    )
    for name in ("r.ipynb", "julia.ipynb"):
        result = _lint(project, name, "--no-cache")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SM900" not in result.stdout
    # A folder walk too, beside a Python notebook whose language is spelled "Python".
    _notebook(project, "py.ipynb", ["x = 1\n"], {"language_info": {"name": "Python"}})
    result = _lint(project, ".", "--no-cache")
    assert result.returncode == 1 and "SM900" not in result.stdout  # the guide's findings
