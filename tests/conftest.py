"""Shared fixtures. Importable without TensorFlow: TF is imported only inside the fixtures
that need it, so the tests that read the committed models run anywhere."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures" / "models"
MAKE_MODELS = TESTS / "fixtures" / "make_models.py"


@pytest.fixture(scope="session")
def fixture_models() -> Path:
    """The committed fixture SavedModels (tests/fixtures/models)."""
    return FIXTURES


def load_make_models() -> ModuleType:
    """tests/fixtures/make_models.py as a module (it imports TensorFlow and Keras)."""
    name = "sm_lint_tests_make_models"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, MAKE_MODELS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def make_models() -> ModuleType:
    """tests/fixtures/make_models.py, imported lazily (it needs TensorFlow and Keras 3)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    pytest.importorskip("tensorflow", reason="building the fixture models needs TensorFlow")
    pytest.importorskip("keras", reason="building the fixture models needs Keras 3")
    return load_make_models()


@pytest.fixture(scope="session")
def regenerated_models(tmp_path_factory: pytest.TempPathFactory, make_models: ModuleType) -> Path:
    """Every fixture model built afresh with real TensorFlow into a temp folder."""
    out = tmp_path_factory.mktemp("regenerated_models")
    make_models.build_fixtures(out)
    return out
