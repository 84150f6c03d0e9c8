"""Shared fixtures. Importable without TensorFlow: TF is imported only inside the fixtures
that need it, so the tests that read the committed models run anywhere."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp_client import SERVER_COMMAND, answer_server_requests, handshake, initialize_params

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


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A commit of this checkout, working tree included, for pre-commit to install from."""
    clone = tmp_path_factory.mktemp("hook-repo") / "sm-lint"
    shutil.copytree(
        ROOT,
        clone,
        ignore=shutil.ignore_patterns(
            ".git",
            "__pycache__",
            "*.egg-info",
            ".pytest_cache",
            ".mypy_cache",
            ".ruff_cache",
            "node_modules",
            "build",
        ),
    )
    git(clone, "init", "-q")
    git(clone, "add", "-A")
    git(clone, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "hooks")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    return clone, rev


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def code_notebook(
    sources: Sequence[str | list[str]], markdown_first: str | None = None
) -> dict[str, Any]:
    """An nbformat 4.5 notebook with one code cell per source (optionally a markdown cell
    first), as Jupyter writes it."""
    cells: list[dict[str, Any]] = []
    if markdown_first is not None:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": markdown_first})
    cells.extend(
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": source,
        }
        for source in sources
    )
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def cli_in_process(args: list[str]) -> tuple[int, str, str]:
    """sm-lint's main() in this process: (exit code, stdout, stderr)."""
    import contextlib
    import io

    from sm_lint.cli import main
    from sm_lint.output import report

    out, err = io.StringIO(), io.StringIO()
    # report.write's default stream is the sys.stdout of its first import: point it here.
    defaults = report.write.__defaults__
    report.write.__defaults__ = (out,)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: Any = main(args)
            except SystemExit as exit_:
                code = exit_.code
    finally:
        report.write.__defaults__ = defaults
    return int(code), out.getvalue(), err.getvalue()


def lsp_client_fixture(project: Path) -> Any:
    """A pytest-lsp ``client`` fixture: the real server over stdio, initialised on *project*
    with the shared handshake (assign it to a module's ``client``)."""

    @pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
    async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
        answer_server_requests(lsp_client)
        await handshake(lsp_client, initialize_params(project))
        yield
        await lsp_client.shutdown_session()

    return client
