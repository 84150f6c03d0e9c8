"""The README's promises: the two commands, the generated rules table, every flag."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sm_lint.cli import _lint_parser
from sm_lint.output.rules import rules_table

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


def test_precommit_snippet_names_a_rev_that_exists() -> None:
    """pre-commit needs a tag the repository really has, or a commit: no invented version."""
    rev = re.search(r"^\s*rev:\s*(\S+)", README, re.M)
    assert rev is not None
    value = rev.group(1)
    if re.fullmatch(r"v?\d+(\.\d+)*", value):
        tags = subprocess.run(
            ["git", "tag", "--list", value], cwd=ROOT, capture_output=True, text=True
        ).stdout.split()
        assert value in tags, f"README's pre-commit rev {value!r} is not a tag of this repository"


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
