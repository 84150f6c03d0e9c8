"""The README's promises: the two commands, the generated rules table, every flag."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import sm_lint
from sm_lint.cli import _lint_parser
from sm_lint.output.rules import rules_table

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_rules_table_is_generated_from_the_catalogue() -> None:
    block = README.split("<!-- rules:start -->")[1].split("<!-- rules:end -->")[0]
    assert block.strip() == rules_table()


def test_second_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    commands = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert commands[1] == ci
    assert commands[0].startswith("python -m pip install -e . && sm-lint examples/demo/src")


def test_every_flag_is_documented() -> None:
    for action in _lint_parser()._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag not in ("--help", "--version"):
                assert f"`{flag}" in README, flag


def _git(*args: str, repo: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=60)


def _version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def _precommit_rev() -> str:
    rev = re.search(r"^\s*rev:\s*(\S+)", README, re.M)
    assert rev is not None
    return rev.group(1)


def test_version_is_one_in_pyproject_the_package_and_the_readme() -> None:
    """A release bumps them together: pyproject's version, ``sm-lint --version``, and every
    release tag and wheel the README names (pre-commit's rev, the CI snippet, the wheel)."""
    version = _version()
    assert sm_lint.__version__ == version
    tags = re.findall(r"(?<![\w.])v\d+\.\d+\.\d+(?![\w.-])", README)
    assert len(tags) >= 2, tags  # pre-commit's rev: and the CI snippet's install
    assert set(tags) == {f"v{version}"}, tags
    wheels = re.findall(r"sm_lint-[^/\s]+\.whl", README)
    assert wheels and set(wheels) == {f"sm_lint-{version}-py3-none-any.whl"}, wheels


def _check_rev(value: str, repo: Path) -> str | None:
    """Fails unless ``value`` is a commit of ``repo``, or the tag of the version this README
    describes; returns what could not be checked."""
    if re.fullmatch(r"[0-9a-f]{40}", value):
        assert _git("cat-file", "-e", f"{value}^{{commit}}", repo=repo).returncode == 0, value
        return None
    assert value == f"v{_version()}", "pre-commit's rev names the version this README describes"
    assert _git("check-ref-format", f"refs/tags/{value}", repo=repo).returncode == 0, value
    if not _git("tag", "--list", repo=repo).stdout.split():
        return f"this clone carries no tags: that {value} is a tag was not checked"
    assert _git("tag", "--list", value, repo=repo).stdout.split() == [value], (
        f"README's pre-commit rev {value!r} is not a tag of this repository"
    )
    # Made as the README's release procedure says: on a commit of this history whose
    # pyproject.toml has the tag's version.
    tagged = _git("show", f"{value}:pyproject.toml", repo=repo).stdout
    assert tomllib.loads(tagged)["project"]["version"] == value[1:], tagged
    assert _git("merge-base", "--is-ancestor", value, "HEAD", repo=repo).returncode == 0
    return None


def test_precommit_snippet_names_a_rev_that_exists() -> None:
    """pre-commit needs a tag the repository really has, or a commit: no invented version.

    A clone without tags (CI's fresh or shallow clone of main may carry none) cannot show that
    the tag exists; there the rev must still be a valid tag name for this version, and the
    test says what it could not check."""
    unchecked = _check_rev(_precommit_rev(), ROOT)
    if unchecked:
        warnings.warn(unchecked, stacklevel=1)


def test_rev_check_with_and_without_tags(tmp_path: Path) -> None:
    """The check above, on clones: without tags it checks what it can; with tags the rev must
    be one of them, on a commit whose pyproject.toml has its version."""
    repo = tmp_path / "clone"
    assert _git("clone", "-q", "--no-tags", str(ROOT), str(repo)).returncode == 0
    _git("tag", "--delete", *_git("tag", "--list", repo=repo).stdout.split(), repo=repo)
    rev = _precommit_rev()
    assert "no tags" in (_check_rev(rev, repo) or "")
    with pytest.raises(AssertionError):
        _check_rev("v999.0.0", repo)  # not this README's version
    _git("tag", "v0.0.0-other", repo=repo)
    with pytest.raises(AssertionError, match="is not a tag"):
        _check_rev(rev, repo)
    assert _git("tag", rev, repo=repo).returncode == 0
    assert _check_rev(rev, repo) is None


def test_ci_snippet_does_not_hide_configuration_errors() -> None:
    assert "|| true" not in README


def test_what_sm_lint_infers_example() -> None:
    """Each line of the README's inference example marked ``# SMxxx`` gets exactly those
    codes, and no other line gets a finding."""
    from sm_lint.api import lint_source
    from sm_lint.config import Config

    block = README.split("<!-- infers:start -->")[1].split("<!-- infers:end -->")[0]
    code = block.split("```python\n")[1].split("```")[0]
    models = ROOT / "tests" / "fixtures" / "models"
    head = (
        "import numpy as np\nimport tensorflow as tf\n"
        f"loaded = tf.saved_model.load({str(models / 'keras_export_dense')!r})\n"
        'infer = loaded.signatures["serving_default"]\n'
    )
    findings = lint_source(head + code, "example.py", Config(models=(models,)))
    got: dict[int, set[str]] = {}
    for d in findings:
        got.setdefault(d.line - 4, set()).add(d.code)
    expected = {
        n: set(re.findall(r"SM\d{3}", line.split("#")[-1]))
        for n, line in enumerate(code.splitlines(), start=1)
        if re.search(r"#.*SM\d{3}", line)
    }
    assert got == expected
