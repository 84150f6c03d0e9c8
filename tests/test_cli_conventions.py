"""Conventions ruff users expect from the command line: where the cache goes, which findings
fail a run. Each test runs the real CLI in a subprocess on real files."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.test_cli import DEMO, findings_json, sm_lint

BAD_CALL = DEMO / "src" / "predict_dense.py"


def _project(tmp_path: Path, settings: str = "") -> Path:
    """A project with the demo's dense model and one file with a dtype mistake."""
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    shutil.copytree(DEMO / "models", project / "models")
    shutil.copy(BAD_CALL, project / "src" / "predict_dense.py")
    (project / "pyproject.toml").write_text(
        f'[tool.sm-lint]\nmodels = ["models"]\n{settings}', encoding="utf-8"
    )
    return project


def _cache_entries(folder: Path) -> list[Path]:
    return list(folder.rglob("*.json")) if folder.exists() else []


def test_cache_is_not_written_into_a_project_merely_linted(tmp_path: Path) -> None:
    project = _project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = sm_lint(str(project / "src"), cwd=elsewhere)
    assert result.returncode == 1, result.stderr
    assert not (project / ".sm-lint").exists()
    assert _cache_entries(elsewhere / ".sm-lint" / "cache")


def test_cache_dir_flag_and_environment_variable(tmp_path: Path) -> None:
    project = _project(tmp_path)
    flag_dir, env_dir = tmp_path / "flag-cache", tmp_path / "env-cache"
    result = sm_lint("src", "--cache-dir", str(flag_dir), cwd=project)
    assert result.returncode == 1, result.stderr
    assert _cache_entries(flag_dir)
    result = sm_lint("src", cwd=project, env={"SM_LINT_CACHE_DIR": str(env_dir)})
    assert result.returncode == 1, result.stderr
    assert _cache_entries(env_dir)
    # The flag wins over the variable, as in ruff.
    both = tmp_path / "both"
    sm_lint("src", "--cache-dir", str(both), cwd=project, env={"SM_LINT_CACHE_DIR": str(env_dir)})
    assert _cache_entries(both)
    assert not (project / ".sm-lint").exists()
    assert (flag_dir / ".gitignore").read_text() == "*\n"


def test_cache_dir_from_configuration(tmp_path: Path) -> None:
    project = _project(tmp_path, 'cache-dir = "build/lint-cache"\n')
    result = sm_lint("src", cwd=project)
    assert result.returncode == 1, result.stderr
    assert _cache_entries(project / "build" / "lint-cache")
    assert not (project / ".sm-lint").exists()


def test_bad_cache_dir_setting_is_a_configuration_error(tmp_path: Path) -> None:
    project = _project(tmp_path, "cache-dir = 3\n")
    result = sm_lint("src", cwd=project)
    assert result.returncode == 2
    assert "cache-dir" in result.stderr and "Traceback" not in result.stderr


def test_info_findings_are_shown_and_never_fail_the_run(tmp_path: Path) -> None:
    project = _project(tmp_path, '[tool.sm-lint.severity]\nSM005 = "info"\nSM004 = "info"\n')
    findings = findings_json("src", cwd=project)
    assert findings and {f["severity"] for f in findings} == {"info"}
    result = sm_lint("src", cwd=project)
    assert result.returncode == 0, result.stdout
    assert "SM005" in result.stdout


def test_a_warning_still_fails_the_run(tmp_path: Path) -> None:
    project = _project(tmp_path, '[tool.sm-lint.severity]\nSM005 = "warning"\n')
    result = sm_lint("src", cwd=project)
    assert result.returncode == 1
    assert "SM005" in result.stdout
