"""The JSON schema of ``[tool.sm-lint]`` (for editors' TOML completion and checking) against
the configuration loader itself: the same keys, and a table is valid for the schema exactly
when sm-lint accepts it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from sm_lint import config
from sm_lint.config import ConfigError, load_config, tomllib
from sm_lint.rules.catalogue import RULES

SCHEMA_FILE = Path(config.__file__).parent / "schema" / "sm-lint.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text())

# (pyproject.toml's [tool.sm-lint] body) — accepted and rejected alike.
TABLES = [
    'models = ["models"]',
    'models = "models"',
    "models = [1]",
    'select = ["SM"]',
    'select = "SM"',
    'select = ["SM005", "ALL"]',
    'select = ["XX1"]',
    'ignore = ["SM00"]',
    'extend-select = ["SM010"]',
    'exclude = ["build", "gen/*"]',
    'extend-exclude = ["x"]',
    "force-exclude = true",
    'force-exclude = "yes"',
    "respect-gitignore = false",
    "respect-gitignore = 1",
    'tag-set = ["serve", "gpu"]',
    'cache-dir = ".cache/sm-lint"',
    'cache-dir = ""',
    "unsafe-fixes = true",
    "unsafe-fixes = 0",
    "modles = []",
    '[tool.sm-lint.per-file-ignores]\n"tests/*" = ["SM006"]',
    '[tool.sm-lint.per-file-ignores]\n"tests/*" = "SM006"',
    '[tool.sm-lint.severity]\nSM006 = "error"',
    '[tool.sm-lint.severity]\nSM006 = "fatal"',
    '[tool.sm-lint.severity]\nSM999 = "error"',
    '[tool.sm-lint.model-paths]\n"gs://bucket/models" = "models"',
    '[tool.sm-lint.model-paths]\n"gs://bucket/models" = 3',
]


def _text(body: str) -> str:
    """The pyproject.toml holding *body* (a table of its own, or keys of [tool.sm-lint])."""
    return f"[tool.sm-lint]\n{body}\n"


def test_the_schema_is_a_valid_schema_with_every_key_the_loader_knows() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert set(SCHEMA["properties"]) == config._KEYS
    assert SCHEMA["properties"]["severity"]["propertyNames"]["enum"] == sorted(RULES)


@pytest.mark.parametrize("body", TABLES)
def test_the_schema_accepts_exactly_what_sm_lint_accepts(tmp_path: Path, body: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(_text(body))
    try:
        load_config(pyproject)
        accepted = True
    except ConfigError:
        accepted = False
    table = tomllib.loads(_text(body))["tool"]["sm-lint"]
    valid = jsonschema.Draft7Validator(SCHEMA).is_valid(table)
    assert valid == accepted, body


def test_the_schema_ships_in_the_package() -> None:
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert "schema/*.json" in pyproject["tool"]["setuptools"]["package-data"]["sm_lint"]
