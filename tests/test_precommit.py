"""The pre-commit hooks, run by the real ``pre-commit`` executable in a real git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import git as _git

ROOT = Path(__file__).resolve().parent.parent
MODEL = Path(__file__).parent / "fixtures" / "models" / "keras_export_dense"

BAD = """import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
model.signatures["serving_default"](inputs=np.zeros((2, 5), np.float32))
"""
GOOD = BAD.replace("inputs=", "keras_tensor=")


def _pre_commit() -> list[str]:
    exe = shutil.which("pre-commit")
    return [exe] if exe else [sys.executable, "-m", "pre_commit"]


def _project(tmp_path: Path, source: str, hook: str, hook_repo: tuple[Path, str]) -> Path:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    shutil.copytree(MODEL, project / "models" / "dense")
    (project / "src" / "serve.py").write_text(source)
    (project / "pyproject.toml").write_text('[tool.sm-lint]\nmodels = ["models"]\n')
    repo, rev = hook_repo
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: {hook}\n"
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    return project


def _run(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [*_pre_commit(), *args], cwd=project, capture_output=True, text=True, env=env, timeout=900
    )


def test_hook_fails_on_a_bad_call(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    project = _project(tmp_path, BAD, "sm-lint", hook_repo)
    result = _run(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "src/serve.py:5:37: SM002 'inputs' is not an input" in result.stdout
    assert "did you mean 'keras_tensor'?" in result.stdout


def test_hook_passes_on_a_good_call(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    project = _project(tmp_path, GOOD, "sm-lint", hook_repo)
    result = _run(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_fix_hook_applies_safe_fixes_only(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    # A positional argument made the keyword it binds to: safe, so the hook writes it.
    positional = GOOD.replace("keras_tensor=np.zeros", "np.zeros").replace(
        "np.zeros((2, 5), np.float32)", "tf.zeros((2, 5))"
    )
    project = _project(tmp_path, positional, "sm-lint-fix", hook_repo)
    result = _run(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 1  # files were modified
    assert (project / "src" / "serve.py").read_text() == positional.replace(
        "tf.zeros(", "keras_tensor=tf.zeros("
    )
    # A rename chosen by similarity is a guess: reported, never written by the hook.
    guessed = _project(tmp_path / "guess", BAD, "sm-lint-fix", hook_repo)
    result = _run(guessed, pre_commit_home, "run", "--all-files")
    assert result.returncode == 1
    assert "fix (unsafe): rename to keras_tensor" in result.stdout
    assert (guessed / "src" / "serve.py").read_text() == BAD


def test_try_repo(tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    project = _project(tmp_path, BAD, "sm-lint", hook_repo)
    result = _run(project, pre_commit_home, "try-repo", str(hook_repo[0]), "sm-lint", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SM002" in result.stdout
