"""Which configuration applies to which file (issue 15.1), excludes (15.6) and standard input
(15.6): the real command line in subprocesses, and a monorepo through real pre-commit."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from sm_lint.config import Config, deciding_folder, is_excluded, nearest_config, project_root
from tests.conftest import git, lsp_client_fixture
from tests.test_precommit import _pre_commit

MODEL = Path(__file__).parent / "fixtures" / "models" / "keras_export_dense"

BAD = """import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
model.signatures["serving_default"](inputs=np.zeros((2, 5), np.float32))
"""
FIXED = BAD.replace("inputs=", "keras_tensor=")


def sm_lint(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def found(*args: str, cwd: Path, stdin: str | None = None) -> set[tuple[str, int, str]]:
    result = sm_lint(*args, "--output-format", "json", "--no-cache", cwd=cwd, stdin=stdin)
    assert result.returncode in (0, 1), result.stderr
    return {(str(d["path"]), d["line"], d["code"]) for d in json.loads(result.stdout)}


def _package(root: Path, name: str, settings: str) -> None:
    """A package with its own models folder, pyproject.toml and one bad call."""
    (root / name / "src").mkdir(parents=True)
    shutil.copytree(MODEL, root / name / "models" / "dense")
    (root / name / "pyproject.toml").write_text(f"[tool.sm-lint]\n{settings}")
    (root / name / "src" / "serve.py").write_text(BAD)


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """Two packages: `a` ignores SM002 and excludes gen/, `b` configures nothing special.
    The model path "models/dense" only resolves from each package's own root."""
    root = tmp_path / "mono"
    _package(root, "a", 'ignore = ["SM002"]\nextend-exclude = ["gen"]\n')
    _package(root, "b", "")
    (root / "b" / "gen").mkdir()
    (root / "b" / "gen" / "made.py").write_text(BAD)
    (root / "a" / "gen").mkdir()
    (root / "a" / "gen" / "made.py").write_text(BAD)
    return root


def test_each_file_takes_its_nearest_configuration_in_any_order(monorepo: Path) -> None:
    expected = {("b/src/serve.py", 5, "SM002")}
    assert found("a/src/serve.py", "b/src/serve.py", cwd=monorepo) == expected
    assert found("b/src/serve.py", "a/src/serve.py", cwd=monorepo) == expected
    # Walking the whole repository: a's excludes apply below a, not below b.
    assert found(".", cwd=monorepo) == {*expected, ("b/gen/made.py", 5, "SM002")}


def test_config_flag_applies_one_configuration_to_all(monorepo: Path) -> None:
    # a's settings (ignore SM002, models relative to a/) for every file.
    assert found("--config", "a/pyproject.toml", "a/src", "b/src", cwd=monorepo) == set()
    assert found("--config", "b/pyproject.toml", "a/src/serve.py", cwd=monorepo) == {
        ("a/src/serve.py", 5, "SM002")
    }


def test_flags_override_each_files_configuration(monorepo: Path) -> None:
    # Command-line flags win over both packages' settings.
    assert found("--ignore", "SM002", "a/src", "b/src", cwd=monorepo) == set()
    # --ignore replaces a's configured ignore (as in ruff): a's call is reported again.
    assert found("--ignore", "SM900", "a/src", "b/src", cwd=monorepo) == {
        ("a/src/serve.py", 5, "SM002"),
        ("b/src/serve.py", 5, "SM002"),
    }


def test_project_root_from_git_without_pyproject(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src" / "deep").mkdir(parents=True)
    shutil.copytree(MODEL, repo / "models" / "dense")
    (repo / "src" / "deep" / "serve.py").write_text(BAD)
    # Without .git there is no root: "models/dense" from src/deep is a folder not found.
    assert found("serve.py", cwd=repo / "src" / "deep") == {("serve.py", 4, "SM011")}
    git(repo, "init", "-q")
    assert project_root(repo / "src" / "deep" / "serve.py") == repo.resolve()
    # The same result from any working directory: the models folder is the root's.
    expected = {("serve.py", 5, "SM002")}
    assert found("serve.py", cwd=repo / "src" / "deep") == expected
    assert found("src/deep/serve.py", cwd=repo) == {("src/deep/serve.py", 5, "SM002")}


def test_exclude_replaces_and_extend_exclude_adds(monorepo: Path) -> None:
    b = monorepo / "b"
    both = {("src/serve.py", 5, "SM002"), ("gen/made.py", 5, "SM002")}
    assert found(".", cwd=b) == both
    assert found(".", "--extend-exclude", "gen", cwd=b) == {("src/serve.py", 5, "SM002")}
    assert found(".", "--exclude", "serve.py", cwd=b) == {("gen/made.py", 5, "SM002")}
    # --exclude replaces the defaults too: a folder named build is walked again.
    (b / "build").mkdir()
    (b / "build" / "out.py").write_text(BAD)
    assert ("build/out.py", 5, "SM002") not in found(".", cwd=b)
    assert ("build/out.py", 5, "SM002") in found(".", "--exclude", "gen", cwd=b)
    # A pattern with a folder in it matches paths below the project root.
    assert found(".", "--extend-exclude", "gen/*", cwd=b) == {("src/serve.py", 5, "SM002")}


def test_force_exclude_for_files_named_explicitly(monorepo: Path) -> None:
    b = monorepo / "b"
    made = ("gen/made.py", 5, "SM002")
    # Named explicitly, a file is linted even when excluded...
    assert found("gen/made.py", "--extend-exclude", "gen", cwd=b) == {made}
    # ...unless --force-exclude is given, or force-exclude is configured.
    assert found("gen/made.py", "--extend-exclude", "gen", "--force-exclude", cwd=b) == set()
    (b / "pyproject.toml").write_text('[tool.sm-lint]\nextend-exclude = ["gen"]\n')
    assert found("gen/made.py", cwd=b) == {made}
    (b / "pyproject.toml").write_text(
        '[tool.sm-lint]\nextend-exclude = ["gen"]\nforce-exclude = true\n'
    )
    assert found("gen/made.py", "src/serve.py", cwd=b) == {("src/serve.py", 5, "SM002")}
    assert found("gen/made.py", "--no-force-exclude", cwd=b) == {made}
    bad = sm_lint("gen/made.py", cwd=b, stdin=None)
    assert bad.returncode == 0 and "All checks passed" in bad.stdout


def test_a_folders_deciding_folder_has_its_configuration(tmp_path: Path) -> None:
    """The command line asks each folder's configuration of the nearest folder that holds a
    pyproject.toml or .git (resolved): the same answer as walking up from the folder itself,
    through links, nested and table-less pyprojects, .git files and missing folders."""
    root = tmp_path / "repo"
    for folder in ("a/b/c", "a/d", "e/f", "g/h", "elsewhere/x"):
        (root / folder).mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "pyproject.toml").write_text("[tool.sm-lint]\nselect = ['SM001']\n")
    (root / "a/b/pyproject.toml").write_text("[project]\nname = 'b'\n")  # no table
    (root / "e/pyproject.toml").write_text("[tool.sm-lint]\nignore = ['SM002']\n")
    (root / "e/f/.git").write_text("gitdir: ../../.git\n")
    (root / "g/pyproject.toml").mkdir()  # a folder of that name is no configuration
    (root / "a/link").symlink_to(root / "e/f")
    (tmp_path / "loose/y").mkdir(parents=True)  # outside any project
    folders = [
        *(p for p in [root, *root.rglob("*"), tmp_path / "loose/y"] if p.is_dir()),
        root / "missing",
        root / "a/b/c/..",
    ]
    memo: dict[str, str] = {}
    for folder in reversed(folders):
        expected = nearest_config(folder)
        assert nearest_config(Path(deciding_folder(str(folder), memo))) == expected, folder


def test_bad_force_exclude_value_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sm-lint]\nforce-exclude = "yes"\n')
    (tmp_path / "x.py").write_text("x = 1\n")
    result = sm_lint("x.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "force-exclude must be true or false" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [(), ("check",)])
def test_stdin_is_linted_under_its_filename_with_its_configuration(
    monorepo: Path, command: tuple[str, ...]
) -> None:
    # The name decides the configuration: under a/, SM002 is ignored.
    args = (*command, "-", "--stdin-filename")
    assert found(*args, "b/src/new.py", cwd=monorepo, stdin=BAD) == {("b/src/new.py", 5, "SM002")}
    assert found(*args, "a/src/new.py", cwd=monorepo, stdin=BAD) == set()
    # --stdin-filename without a path reads standard input too, as in ruff.
    assert found(*command, "--stdin-filename", "b/src/new.py", cwd=monorepo, stdin=BAD) == {
        ("b/src/new.py", 5, "SM002")
    }
    text = sm_lint(*args, "b/src/new.py", cwd=monorepo, stdin=BAD)
    assert text.returncode == 1
    # The excerpt comes from standard input: the file does not exist.
    assert "5 | model.signatures" in text.stdout
    assert not (monorepo / "b" / "src" / "new.py").exists()


def test_stdin_honours_force_exclude(monorepo: Path) -> None:
    args = ("-", "--stdin-filename", "b/gen/new.py", "--extend-exclude", "gen")
    assert found(*args, cwd=monorepo, stdin=BAD) == {("b/gen/new.py", 5, "SM002")}
    assert found(*args, "--force-exclude", cwd=monorepo, stdin=BAD) == set()
    fixed = sm_lint(*args, "--force-exclude", "--fix", cwd=monorepo, stdin=BAD)
    assert fixed.returncode == 0 and fixed.stdout == BAD


def test_stdin_fix_writes_the_fixed_source_to_stdout(monorepo: Path) -> None:
    args = ("-", "--stdin-filename", "b/src/serve.py", "--fix", "--unsafe-fixes")
    result = sm_lint(*args, cwd=monorepo, stdin=BAD)
    assert result.returncode == 0, result.stderr
    assert result.stdout == FIXED
    assert "Fixed 1 finding" in result.stderr
    # Nothing on disk changed: the named file is only a name.
    assert (monorepo / "b" / "src" / "serve.py").read_text() == BAD
    # Without the unsafe rename the source passes through and the finding is reported.
    kept = sm_lint("-", "--stdin-filename", "b/src/serve.py", "--fix", cwd=monorepo, stdin=BAD)
    assert kept.returncode == 1
    assert kept.stdout == BAD
    assert "SM002" in kept.stderr


def test_stdin_misuse_is_a_clear_error(monorepo: Path) -> None:
    result = sm_lint("-", "b/src/serve.py", cwd=monorepo, stdin=BAD)
    assert result.returncode == 2 and "standard input" in result.stderr
    result = sm_lint("b/src", "--stdin-filename", "x.py", cwd=monorepo)
    assert result.returncode == 2 and "--stdin-filename goes with the path -" in result.stderr


def test_is_excluded_looks_below_the_project_root_only(tmp_path: Path) -> None:
    # A project that itself lives in a folder called build is not excluded by `build`.
    root = tmp_path / "build" / "proj"
    (root / "src").mkdir(parents=True)
    config = Config(project_root=root)
    assert not is_excluded(root / "src" / "x.py", config)
    assert is_excluded(root / "build" / "x.py", config)
    assert is_excluded(root / "src" / "x.py", Config(project_root=root, exclude=("src/*",)))


def test_help_lists_the_new_flags(tmp_path: Path) -> None:
    text = sm_lint("--help", cwd=tmp_path).stdout
    for flag in ("--exclude", "--extend-exclude", "--force-exclude", "--stdin-filename"):
        assert flag in text


def _hook_project(root: Path, hook_repo: tuple[Path, str]) -> None:
    repo, rev = hook_repo
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: sm-lint\n"
    )
    git(root, "init", "-q")
    git(root, "add", "-A")


def _pre_commit_run(root: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [*_pre_commit(), "run", "--files", *files],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def test_monorepo_through_pre_commit(
    monorepo: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    (monorepo / "b" / "pyproject.toml").write_text('[tool.sm-lint]\nextend-exclude = ["gen"]\n')
    _hook_project(monorepo, hook_repo)
    files = ["a/src/serve.py", "b/gen/made.py", "b/src/serve.py"]
    outputs = []
    for order in (files, files[::-1]):
        result = _pre_commit_run(monorepo, pre_commit_home, *order)
        assert result.returncode == 1, result.stdout + result.stderr
        reported = {line.split(":")[0] for line in result.stdout.splitlines() if ": SM" in line}
        # b's call is reported; a ignores SM002, and b's gen/ is excluded even though
        # pre-commit names the file (the hook passes --force-exclude).
        assert reported == {"b/src/serve.py"}, result.stdout
        outputs.append(reported)
    assert outputs[0] == outputs[1]
    only_a = _pre_commit_run(monorepo, pre_commit_home, "a/src/serve.py", "b/gen/made.py")
    assert only_a.returncode == 0, only_a.stdout + only_a.stderr


RUN_THEN_LINT = """import sys

import numpy as np
import tensorflow as tf

loaded = tf.saved_model.load(sys.argv[1])
infer = loaded.signatures["serving_default"]


def bad():
    return infer(keras_tensor=np.zeros((4, 3), np.float32))


if __name__ == "__main__":
    infer(keras_tensor=np.zeros((4, 5), np.float32))
"""


def test_run_and_lint_agree_on_the_project_root_from_git(tmp_path: Path) -> None:
    """Without pyproject.toml, ``sm-lint run`` in a sub-folder saves what it saw under the
    git root, where the static side (run from anywhere in the repository) looks."""
    repo = tmp_path / "repo"
    (repo / "jobs").mkdir(parents=True)
    shutil.copytree(MODEL, repo / "models" / "dense")
    (repo / "jobs" / "job.py").write_text(RUN_THEN_LINT)
    git(repo, "init", "-q")
    ran = subprocess.run(
        [sys.executable, "-m", "sm_lint", "run", "job.py", "../models/dense"],
        cwd=repo / "jobs",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert ran.returncode == 0, ran.stderr
    assert (repo / ".sm-lint" / "observed.json").is_file()
    assert not (repo / "jobs" / ".sm-lint").exists()
    expected = {("jobs/job.py", 11, "SM008")}
    assert found("jobs/job.py", cwd=repo) == expected
    assert found("job.py", cwd=repo / "jobs") == {("job.py", 11, "SM008")}


# ------------------------------------------------------------------ the language server
LSP_MONOREPO = Path(tempfile.mkdtemp(prefix="sm-lint-mono-"))
_package(LSP_MONOREPO, "a", 'ignore = ["SM002"]\n')
_package(LSP_MONOREPO, "b", "")


client = lsp_client_fixture(LSP_MONOREPO)


@pytest.mark.asyncio
async def test_server_takes_each_documents_nearest_configuration(client: LanguageClient) -> None:
    """One workspace, two packages: each open document follows its own package's settings
    (a ignores SM002; "models/dense" resolves from each package's root)."""
    codes = {}
    for name in ("a", "b"):
        uri = (LSP_MONOREPO / name / "src" / "serve.py").as_uri()
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=BAD)
            )
        )
        await asyncio.wait_for(
            client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=30
        )
        codes[name] = [(d.code, d.range.start.line) for d in client.diagnostics[uri]]
    assert codes == {"a": [], "b": [("SM002", 4)]}
