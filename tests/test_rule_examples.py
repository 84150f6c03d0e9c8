"""Every rule's own examples, linted against real SavedModels (as Fixit's VALID/INVALID
cases and ruff's per-rule fixtures): a rule's bad example produces that rule's code and no
other, its good example nothing. The examples are what `sm-lint rules`, SARIF and the
README show, so this keeps the documentation true.

Each example runs as ``import numpy as np`` / ``import tensorflow as tf``, the rule's
``setup``, then the example, in a file beside a ``models/`` folder: the example model set
below (committed fixtures under the names the examples use, plus a corrupt one). Whether
TensorFlow really rejects, casts or accepts each kind of value is measured by the oracle
suites (test_semantics_oracle.py, test_oracle_calls.py); this test checks the examples.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from sm_lint.api import lint_source
from sm_lint.config import Config
from sm_lint.diagnostics import Diagnostic, Rule
from sm_lint.rules import RULES, UNITS
from sm_lint.rules.sm017_unsupported_load import keras3
from tests.conftest import FIXTURES

#: The example model set: the folder name an example loads (``models/dense``) -> the
#: committed fixture it is. A rule whose example needs another model adds a row here.
EXAMPLE_MODELS = {
    "dense": "keras_export_dense",  # keras_tensor float32 (?, 5) -> output_0; serve(_default)
    "two_inputs": "keras_two_inputs",  # a (?, 10), b (?, 5), concatenated
    "multi": "module_multi",  # classify_image (uint8 image), pair (left/right), ...
}

PRELUDE = "import numpy as np\nimport tensorflow as tf\n"

#: Rules whose bad example is a rejection only with some installed library versions: the
#: code is expected where the installed version (package metadata) rejects it, else
#: nothing (SM017's: Keras 3 refuses a SavedModel folder, Keras 2 read it).
VERSIONED = {"SM017": keras3}


@pytest.fixture(scope="module")
def example_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``models/``: the example models, and ``broken`` (a saved_model.pb cut
    in half, which no protobuf reader accepts)."""
    root = tmp_path_factory.mktemp("rule-examples")
    models = root / "models"
    for name, fixture in EXAMPLE_MODELS.items():
        shutil.copytree(FIXTURES / fixture, models / name)
    pb = (FIXTURES / EXAMPLE_MODELS["dense"] / "saved_model.pb").read_bytes()
    (models / "broken").mkdir()
    (models / "broken" / "saved_model.pb").write_bytes(pb[: len(pb) // 2])
    return root


def _lint(root: Path, rule: Rule, example: str) -> list[Diagnostic]:
    program = PRELUDE + "\n".join(part for part in (rule.setup, example) if part) + "\n"
    return lint_source(program, root / "example.py", Config(models=(root / "models",)))


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_bad_example_produces_its_rule(example_root: Path, rule: Rule) -> None:
    found = _lint(example_root, rule, rule.bad)
    rejected = VERSIONED.get(rule.code, lambda: True)()
    expected = {rule.code} if rejected else set()
    assert {d.code for d in found} == expected, [(d.code, d.message) for d in found]


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_good_example_produces_nothing(example_root: Path, rule: Rule) -> None:
    found = _lint(example_root, rule, rule.good)
    assert found == [], [(d.code, d.message) for d in found]


def test_each_rule_is_one_unit_named_by_its_code() -> None:
    """One unit per code, the module ``sm_lint/rules/smNNN_<name>.py`` (the name with
    underscores) that defines it."""
    assert len(UNITS) == len(RULES)
    for unit in UNITS:
        name = f"{unit.rule.code.lower()}_{unit.rule.name.replace('-', '_')}"
        assert importlib.import_module(f"sm_lint.rules.{name}").UNIT is unit
