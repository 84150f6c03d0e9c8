"""Editor integrations under lsp/, each driven by the real editor where one installs here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "models"
BAD = """import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
model.signatures["serving_default"](keras_tensor=tf.constant(np.random.rand(2, 5)))
"""


def _project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "keras_export_dense", tmp_path / "models" / "dense")
    (tmp_path / "pyproject.toml").write_text('[tool.sm-lint]\nmodels = ["models"]\n')
    (tmp_path / "app.py").write_text(BAD)
    return tmp_path


@pytest.mark.skipif(
    shutil.which("nvim") is None,
    reason="Neovim is not installed (.ci/run installs it with apt-get)",
)
def test_neovim_shows_the_finding(tmp_path: Path) -> None:
    project = _project(tmp_path)
    out = tmp_path / "diagnostics.json"
    env = {
        **os.environ,
        "SM_LINT_FILE": str(project / "app.py"),
        "SM_LINT_OUT": str(out),
        "SM_LINT_CMD": json.dumps([sys.executable, "-m", "sm_lint", "server"]),
    }
    script = ROOT / "lsp" / "neovim" / "test_diagnostics.lua"
    subprocess.run(
        ["nvim", "--headless", "--clean", "-c", f"luafile {script}"],
        cwd=project,
        env=env,
        timeout=120,
        capture_output=True,
        check=False,
    )
    data = json.loads(out.read_text())
    assert data["ok"], data
    found = [(d["lnum"], d["code"], d["source"]) for d in data["diagnostics"]]
    assert found == [(4, "SM005", "sm-lint")]
    assert "expects float32, got float64 tf.Tensor (2, 5)" in data["diagnostics"][0]["message"]


@pytest.mark.skipif(shutil.which("nvim") is None, reason="Neovim is not installed")
def test_neovim_server_config_for_vim_lsp_config(tmp_path: Path) -> None:
    """lsp/sm_lint.lua (Neovim 0.11's vim.lsp.config file) is a valid table naming the server."""
    out = tmp_path / "config.json"
    config = ROOT / "lsp" / "neovim" / "lsp" / "sm_lint.lua"
    lua = (
        f"local c = dofile({json.dumps(str(config))}); "
        f"local f = io.open({json.dumps(str(out))}, 'w'); "
        "f:write(vim.fn.json_encode(c)); f:close()"
    )
    subprocess.run(
        ["nvim", "--headless", "--clean", "-c", f"lua {lua}", "-c", "qa!"],
        timeout=60,
        capture_output=True,
        check=False,
    )
    data = json.loads(out.read_text())
    assert data["cmd"] == ["sm-lint", "server"]
    assert data["filetypes"] == ["python"]
    assert "pyproject.toml" in data["root_markers"]


# Helix's own default servers for Python (helix-editor/helix languages.toml): the snippet must
# keep them, because Helix replaces a language's server list rather than extending it.
HELIX_DEFAULT_PYTHON_SERVERS = ["ruff", "jedi", "pylsp"]


def test_helix_configuration_adds_sm_lint_beside_the_default_servers() -> None:
    config = tomllib.loads((ROOT / "lsp" / "helix" / "languages.toml").read_text())
    server = config["language-server"]["sm-lint"]
    assert server["command"] == "sm-lint" and server["args"] == ["server"]
    python = next(lang for lang in config["language"] if lang["name"] == "python")
    assert python["language-servers"] == [*HELIX_DEFAULT_PYTHON_SERVERS, "sm-lint"]


def test_emacs_configuration_names_the_server() -> None:
    text = (ROOT / "lsp" / "emacs" / "sm-lint.el").read_text()
    assert '"sm-lint" "server"' in text and "eglot-server-programs" in text


@pytest.mark.skipif(shutil.which("npm") is None, reason="Node.js/npm is not installed")
def test_vscode_extension_builds_and_its_unit_tests_pass(tmp_path: Path) -> None:
    source = ROOT / "lsp" / "vscode"
    work = tmp_path / "vscode"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    for step in (
        ["npm", "ci", "--no-audit", "--no-fund"],
        ["npm", "run", "compile"],
        ["npm", "test"],
        ["npm", "run", "package"],
    ):
        result = subprocess.run(step, cwd=work, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, (step, result.stdout[-2000:], result.stderr[-2000:])
    vsix = work / "sm-lint.vsix"
    with zipfile.ZipFile(vsix) as archive:
        names = archive.namelist()
    # Bundled: one JavaScript file, no node_modules, no sources.
    assert [n for n in names if n.endswith(".js")] == ["extension/dist/extension.js"]
    assert not [n for n in names if "node_modules" in n or n.endswith(".ts")]
    package = json.loads((work / "package.json").read_text())
    assert package["main"] == "./dist/extension.js"
    settings = package["contributes"]["configuration"]["properties"]
    assert {
        "smLint.path",
        "smLint.interpreter",
        "smLint.models",
        "smLint.select",
        "smLint.ignore",
        "smLint.args",
    } <= set(settings)
