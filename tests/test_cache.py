"""The analysis cache and parallel workers: same answers, never stale, safe when shared."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sm_lint.api import Linter
from sm_lint.cache import FOLDER, FactsCache
from sm_lint.config import Config

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
FIXTURES = Path(__file__).parent / "fixtures" / "models"


def _tree(tmp_path: Path, copies: int = 0) -> Path:
    project = tmp_path / "demo"
    shutil.copytree(DEMO, project)
    source = (project / "src" / "classify.py").read_text()
    for i in range(copies):
        (project / "src" / f"copy_{i}.py").write_text(source)
    return project


def _lint(project: Path, *args: str) -> list[dict[str, object]]:
    result = subprocess.run(
        [sys.executable, "-m", "sm_lint", "src", "--models", "models", "--format", "json", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_warm_run_is_served_from_the_cache_with_the_same_findings(tmp_path: Path) -> None:
    project = _tree(tmp_path)
    config = Config(models=(project / "models",), project_root=project)
    cold = Linter(config, cache=FactsCache(project / FOLDER))
    first = cold.lint_paths([project / "src"])
    assert cold.cache is not None and cold.cache.misses == 4 and cold.cache.hits == 0
    warm = Linter(config, cache=FactsCache(project / FOLDER))
    assert warm.lint_paths([project / "src"]) == first
    assert warm.cache is not None and warm.cache.hits == 4 and warm.cache.misses == 0
    assert first == Linter(config).lint_paths([project / "src"])  # and without a cache


def test_a_changed_model_is_never_served_stale(tmp_path: Path) -> None:
    project = _tree(tmp_path)
    before = _lint(project)
    assert any(d["code"] == "SM010" for d in before)
    # The image classifier's output is renamed: the cached facts are reused, but the
    # findings follow the new model.
    target = project / "models" / "image_classifier"
    shutil.rmtree(target)
    shutil.copytree(FIXTURES / "module_multi", target)  # serving_default: x float32 (?, 4)
    after = [d for d in _lint(project) if str(d["path"]).endswith("classify.py")]
    codes = {d["code"] for d in after}
    assert "SM002" in codes  # 'image' is no input of the new model (it takes x)
    assert not codes & {"SM006", "SM007"}  # the old model's findings are gone
    assert all("'x'" in str(d["message"]) for d in after if d["code"] == "SM002")


def test_a_changed_file_or_setting_is_reanalysed(tmp_path: Path) -> None:
    project = _tree(tmp_path)
    _lint(project)
    path = project / "src" / "classify.py"
    path.write_text(path.read_text().replace('scores["predictions"]', 'scores["probabilities"]'))
    assert not any(d["code"] == "SM010" for d in _lint(project))
    assert {d["code"] for d in _lint(project, "--select", "SM006")} == {"SM006"}


def test_a_corrupt_cache_entry_is_ignored(tmp_path: Path) -> None:
    project = _tree(tmp_path)
    expected = _lint(project)
    for entry in (project / ".sm-lint" / "cache").rglob("*.json"):
        entry.write_text('{"schema": 1, "facts": {"__t": "Nope"}}')
    assert _lint(project) == expected


def test_jobs_and_concurrent_runs_agree(tmp_path: Path) -> None:
    project = _tree(tmp_path, copies=40)
    serial = _lint(project, "--jobs", "1", "--no-cache")
    assert len(serial) > 40
    assert _lint(project, "--jobs", "2", "--no-cache") == serial
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "sm_lint", "src", "--models", "models", "--format", "json"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for out, err in outputs:
        assert "Traceback" not in err
        assert json.loads(out) == serial
    assert not [p for p in (project / ".sm-lint").rglob(".entry.*")]  # no torn temp files
    assert os.path.exists(project / ".sm-lint" / "cache" / ".gitignore")


def test_facts_found_by_other_analysis_code_are_never_served(tmp_path: Path) -> None:
    """Another checkout or a development build with the same version number must not read
    this one's cache entries: the key covers sm-lint's own code."""
    project = _tree(tmp_path)
    package = tmp_path / "pkg"
    shutil.copytree(ROOT / "sm_lint", package / "sm_lint")
    env = {**os.environ, "PYTHONPATH": str(package)}
    cache = project / ".sm-lint" / "cache"

    def run() -> int:
        result = subprocess.run(
            [sys.executable, "-m", "sm_lint", "src", "--models", "models"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert result.returncode == 1, result.stderr
        # Facts entries only: the result cache's index (results/) is counted below.
        return len([p for p in cache.rglob("*.json") if "results" not in p.parts])

    first = run()
    assert first == 4
    assert run() == first  # same code: served from the cache, nothing new written
    with (package / "sm_lint" / "analysis" / "interpreter.py").open("a") as handle:
        handle.write("\n# a change to the analysis code\n")
    assert run() == 2 * first  # changed code: every file analysed afresh
    # The result cache's index is keyed by the code too: a second index, the first unread.
    assert len(list((cache / "results").glob("*.json"))) == 2
