"""sm-lint owns only the cache folders it created: it marks them (CACHEDIR.TAG), writes its
``.gitignore`` and cleans only inside them, refuses a cache folder that would hold the
project, a models root, a hub cache or ``observed.json``, and does not follow a cache
symlink that a repository ships out of the project. Each test runs the real CLI in a
subprocess on real folders (real git repositories where git matters)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import git
from tests.test_cli import DEMO, sm_lint

BAD_CALL = DEMO / "src" / "predict_dense.py"
TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
TWO_DAYS = 2 * 24 * 3600


def _project(root: Path, settings: str = "", repo: bool = True) -> Path:
    """A project (a git repository unless *repo* is false) with the demo's dense model and
    one file with a dtype mistake."""
    project = root / "project"
    (project / "src").mkdir(parents=True)
    shutil.copytree(DEMO / "models", project / "models")
    shutil.copy(BAD_CALL, project / "src" / "predict_dense.py")
    (project / "pyproject.toml").write_text(
        f'[tool.sm-lint]\nmodels = ["models"]\n{settings}', encoding="utf-8"
    )
    if repo:
        git(project, "init", "-q")
    return project


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every path below *folder* (links not followed) with a file's bytes."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            out[rel] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return out


def _old(path: Path) -> None:
    then = time.time() - TWO_DAYS
    os.utime(path, (then, then))


def _refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 with one clear line on stderr, naming the reason."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sm-lint: error: cache folder"), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def _untracked(project: Path) -> list[str]:
    result = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


# ------------------------------------------------------------------ data loss
def test_cache_dir_dot_in_a_git_repository_never_hides_the_project(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _refused(sm_lint("--cache-dir", ".", "src", cwd=project), "project")
    # No `.gitignore` = `*` at the root: git still sees the project, and so does sm-lint.
    assert not (project / ".gitignore").exists()
    assert "src/predict_dense.py" in _untracked(project)
    after = sm_lint("--no-cache", ".", cwd=project)
    assert after.returncode == 1, after.stdout + after.stderr
    assert "SM005" in after.stdout


def test_cache_dir_dot_never_deletes_user_run_folders(tmp_path: Path) -> None:
    project = _project(tmp_path, repo=False)
    run = project / "results" / "run-2024"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text("epoch,loss\n1,0.5\n")
    _old(run)
    _refused(sm_lint("--cache-dir", ".", "src", cwd=project), "project")
    assert (run / "metrics.csv").read_text() == "epoch,loss\n1,0.5\n"
    assert not (project / ".gitignore").exists()


def test_a_folder_holding_anything_else_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    project = _project(tmp_path)
    data = project / "data"
    (data / "results" / "run-7").mkdir(parents=True)
    (data / "results" / "run-7" / "weights.bin").write_bytes(b"\x00\x01")
    (data / "notes.txt").write_text("keep me\n")
    _old(data / "results" / "run-7")
    before = _tree(data)
    _refused(sm_lint("--cache-dir", "data", "src", cwd=project), "did not create", "CACHEDIR.TAG")
    assert _tree(data) == before  # no .gitignore, no tag, nothing cleaned
    assert "data/notes.txt" in _untracked(project)


def test_only_sm_lints_own_run_folders_are_cleaned(tmp_path: Path) -> None:
    project = _project(tmp_path)
    first = sm_lint("src", cwd=project)
    assert first.returncode == 1, first.stderr
    results = project / ".sm-lint" / "cache" / "results"
    dead = results / "run-123-0badf00d"  # a journal of a run that died two days ago
    dead.mkdir()
    (dead / "123.jsonl").write_text("")
    _old(dead)
    other = results / "run-notes"  # not a name sm-lint gives its journals
    other.mkdir()
    (other / "keep.txt").write_text("keep\n")
    _old(other)
    (project / "src" / "predict_dense.py").write_text(BAD_CALL.read_text() + "\n# changed\n")
    os.utime(project / "src" / "predict_dense.py", (time.time() - 10, time.time() - 10))
    again = sm_lint("src", cwd=project)
    assert again.returncode == 1, again.stderr
    assert not dead.exists()
    assert (other / "keep.txt").read_text() == "keep\n"


# ---------------------------------------------------- folders sm-lint reads
@pytest.mark.parametrize(
    ("cache_dir", "env", "words"),
    [
        ("models", {}, ("models folder",)),
        (".sm-lint", {}, ("observed.json",)),
        ("..", {}, ("project",)),
        ("{shared}", {"TFHUB_CACHE_DIR": "{shared}/tfhub"}, ("TF Hub cache",)),
        ("{shared}", {"KAGGLEHUB_CACHE": "{shared}/kaggle"}, ("kagglehub cache",)),
    ],
)
def test_a_cache_folder_holding_what_sm_lint_reads_is_refused(
    tmp_path: Path, cache_dir: str, env: dict[str, str], words: tuple[str, ...]
) -> None:
    # A warm run would not see changes there (the cache never records its own folder).
    project = _project(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    env = {k: v.format(shared=shared) for k, v in env.items()}
    for folder in env.values():
        Path(folder).mkdir()
    before = _tree(tmp_path)
    result = sm_lint("--cache-dir", cache_dir.format(shared=shared), "src", cwd=project, env=env)
    _refused(result, *words)
    assert _tree(tmp_path) == before


def test_a_configured_cache_dir_holding_the_project_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path, 'cache-dir = "."\n')
    _refused(sm_lint("src", cwd=project), "project")
    assert not (project / ".gitignore").exists()


def test_models_changed_inside_the_cache_folder_are_never_served_stale(tmp_path: Path) -> None:
    # Before: the second run answered from the cache although the model had changed.
    project = _project(tmp_path)
    _refused(sm_lint("--cache-dir", "models", "src", cwd=project), "models folder")


# ------------------------------------------------------------------ marking
def test_the_cache_folder_is_marked_as_a_cache(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = sm_lint("src", cwd=project)
    assert result.returncode == 1, result.stderr
    cache = project / ".sm-lint" / "cache"
    assert (cache / "CACHEDIR.TAG").read_text().splitlines()[0] == TAG_SIGNATURE
    assert (cache / ".gitignore").read_text() == "*\n"
    untracked = _untracked(project)
    assert "src/predict_dense.py" in untracked
    assert not [p for p in untracked if p.startswith(".sm-lint/cache")]


def test_an_empty_folder_and_a_cache_of_an_earlier_version_are_taken(tmp_path: Path) -> None:
    project = _project(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert sm_lint("--cache-dir", str(empty), "src", cwd=project).returncode == 1
    assert (empty / "CACHEDIR.TAG").read_text().startswith(TAG_SIGNATURE)
    # What sm-lint wrote before it marked its folders: a .gitignore, results, facts.
    legacy = project / ".sm-lint" / "cache"
    (legacy / "results").mkdir(parents=True)
    (legacy / "ab").mkdir()
    (legacy / ".gitignore").write_text("*\n")
    result = sm_lint("src", cwd=project)
    assert result.returncode == 1, result.stderr
    assert (legacy / "CACHEDIR.TAG").read_text().startswith(TAG_SIGNATURE)


# ----------------------------------------------------------------- symlinks
@pytest.mark.parametrize("link", [".sm-lint/cache", ".sm-lint"])
def test_a_shipped_cache_symlink_out_of_the_project_is_not_followed(
    tmp_path: Path, link: str
) -> None:
    project = _project(tmp_path)
    outside = tmp_path / "home-of-the-user"
    run = outside / "results" / "run-1-deadbeef"
    run.mkdir(parents=True)
    (run / "thesis.tex").write_text("chapter 1\n")
    _old(run)
    (project / link).parent.mkdir(parents=True, exist_ok=True)
    (project / link).symlink_to(outside, target_is_directory=True)
    before = _tree(outside)
    result = sm_lint("src", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr  # the lint itself runs
    assert "SM005" in result.stdout
    warning = [line for line in result.stderr.splitlines() if "symbolic link" in line]
    assert len(warning) == 1 and str(outside) in warning[0], result.stderr
    assert "Traceback" not in result.stderr
    assert _tree(outside) == before


def test_a_shipped_symlink_to_an_empty_folder_is_not_written_either(tmp_path: Path) -> None:
    project = _project(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project / ".sm-lint").mkdir()
    (project / ".sm-lint" / "cache").symlink_to(outside, target_is_directory=True)
    result = sm_lint("src", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "symbolic link" in result.stderr
    assert list(outside.iterdir()) == []


def test_a_cache_dir_given_on_the_command_line_may_be_a_symlink(tmp_path: Path) -> None:
    # The user's own choice (a cache on another disk) is followed, as ruff does.
    project = _project(tmp_path)
    real = tmp_path / "fast-disk" / "sm-lint"
    real.mkdir(parents=True)
    link = tmp_path / "cache-link"
    link.symlink_to(real, target_is_directory=True)
    for _ in range(2):
        result = sm_lint("--cache-dir", str(link), "src", cwd=project)
        assert result.returncode == 1, result.stderr
        assert "symbolic link" not in result.stderr
    assert (real / "CACHEDIR.TAG").read_text().startswith(TAG_SIGNATURE)
    assert list((real / "results").glob("*.json"))


def test_a_symlink_inside_a_marked_cache_folder_is_refused(tmp_path: Path) -> None:
    # A repository may ship a marked folder whose results lead elsewhere: not cleaned there.
    project = _project(tmp_path)
    outside = tmp_path / "outside"
    run = outside / "run-1-deadbeef"
    run.mkdir(parents=True)
    (run / "keep.txt").write_text("keep\n")
    _old(run)
    cache = project / ".sm-lint" / "cache"
    cache.mkdir(parents=True)
    (cache / "CACHEDIR.TAG").write_text(TAG_SIGNATURE + "\n")
    (cache / "results").symlink_to(outside, target_is_directory=True)
    before = _tree(outside)
    _refused(sm_lint("src", cwd=project), "symbolic link")
    assert _tree(outside) == before
