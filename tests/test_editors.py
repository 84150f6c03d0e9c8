"""Editor integrations under lsp/, each driven by the real editor where one installs here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

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


def _nvim_version(binary: str) -> tuple[int, ...]:
    first = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.partition("\n")[0]  # "NVIM v0.11.4"
    digits = first.removeprefix("NVIM v").split("-")[0].split("+")[0].split(".")
    return tuple(int(d) for d in digits if d.isdigit())


def _nvim_011() -> str | None:
    """A Neovim with vim.lsp.config / vim.lsp.enable (0.11+): $SM_LINT_NVIM, else the one on
    PATH when it is new enough."""
    for binary in (os.environ.get("SM_LINT_NVIM"), shutil.which("nvim")):
        if binary and _nvim_version(binary) >= (0, 11):
            return binary
    return None


def _nvim_server_config(tmp_path: Path, nvim: str, path: str) -> dict[str, Any]:
    """lsp/neovim/test_vim_lsp_enable.lua run by *nvim* on a project whose file is in a
    subfolder (the root is found from the config's root_markers)."""
    project = _project(tmp_path)
    (project / "src").mkdir()
    (project / "app.py").rename(project / "src" / "app.py")
    out = tmp_path / "server.json"
    env = {
        **os.environ,
        "SM_LINT_FILE": str(project / "src" / "app.py"),
        "SM_LINT_OUT": str(out),
        "SM_LINT_CMD": json.dumps([sys.executable, "-m", "sm_lint", "server"]),
        "SM_LINT_PATH": path,
    }
    script = ROOT / "lsp" / "neovim" / "test_vim_lsp_enable.lua"
    subprocess.run(
        [nvim, "--headless", "--clean", "-c", f"luafile {script}"],
        cwd=project / "src",
        env=env,
        timeout=120,
        capture_output=True,
        check=False,
    )
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["ok"], data
    found = [(d["lnum"], d["code"], d["source"]) for d in data["diagnostics"]]
    assert found == [(4, "SM005", "sm-lint")]
    [client] = data["clients"]
    assert client["name"] == "sm_lint"
    assert client["cmd"] == [sys.executable, "-m", "sm_lint", "server"]
    assert Path(client["root_dir"]).resolve() == project.resolve()  # pyproject.toml's folder
    return data


@pytest.mark.skipif(
    _nvim_011() is None,
    reason="no Neovim 0.11+ (Debian 12's neovim is 0.7.2, without vim.lsp.config and "
    "vim.lsp.enable; set SM_LINT_NVIM to a 0.11+ nvim to run this)",
)
def test_neovim_011_starts_the_server_by_name_with_vim_lsp_enable(tmp_path: Path) -> None:
    """Neovim 0.11's own path: lsp/sm_lint.lua found by name on the runtimepath, a user's
    vim.lsp.config override merged into it, vim.lsp.enable; Neovim starts the real server
    when the Python file is opened, and the finding arrives."""
    nvim = _nvim_011()
    assert nvim is not None
    data = _nvim_server_config(tmp_path, nvim, "enable")
    assert data["filetype"] == "python"


@pytest.mark.skipif(shutil.which("nvim") is None, reason="Neovim is not installed")
def test_neovim_server_config_file_starts_a_working_server(tmp_path: Path) -> None:
    """lsp/sm_lint.lua (Neovim 0.11's vim.lsp.config file), found by name on the runtimepath
    and given as it is (cmd overridden) to the Neovim here through vim.lsp.start_client, the
    root found from its root_markers: the real server starts and the finding arrives. (On a
    Neovim older than 0.11, the most of the 0.11 path that can run.)"""
    _nvim_server_config(tmp_path, "nvim", "start_client")


# Helix's defaults for Python, recorded from its own languages.toml (the file's header says
# which commit): the snippet must keep them, because Helix replaces a language's server list
# rather than extending it.
HELIX_DEFAULTS = Path(__file__).parent / "fixtures" / "helix" / "languages.toml"


def _helix_merge(left: Any, right: Any, depth: int) -> Any:
    """How Helix merges a user's languages.toml over its defaults (helix-loader's
    merge_toml_values, called with depth 3): tables key by key, arrays of tables by their
    "name", anything deeper (a language's server list) replaced."""
    if isinstance(left, list) and isinstance(right, list):
        if depth == 0:
            return right
        items = list(left)
        for item in right:
            name = item.get("name") if isinstance(item, dict) else None
            position = next(
                (i for i, x in enumerate(items) if isinstance(x, dict) and x.get("name") == name),
                None,
            )
            if name is not None and position is not None:
                item = _helix_merge(items.pop(position), item, depth - 1)
            items.append(item)
        return items
    if isinstance(left, dict) and isinstance(right, dict):
        if depth == 0:
            return right
        merged = dict(left)
        for key, value in right.items():
            merged[key] = _helix_merge(left[key], value, depth - 1) if key in left else value
        return merged
    return right


def test_helix_configuration_adds_sm_lint_beside_the_default_servers() -> None:
    recorded = HELIX_DEFAULTS.read_text()
    assert "github.com/helix-editor/helix" in recorded and "commit:" in recorded
    defaults = tomllib.loads(recorded)
    default_python = next(x for x in defaults["language"] if x["name"] == "python")
    default_servers = default_python["language-servers"]
    assert default_servers[0] == "ty" and "zuban" in default_servers
    snippet = tomllib.loads((ROOT / "lsp" / "helix" / "languages.toml").read_text())
    server = snippet["language-server"]["sm-lint"]
    assert server["command"] == "sm-lint" and server["args"] == ["server"]
    python = next(lang for lang in snippet["language"] if lang["name"] == "python")
    assert python["language-servers"] == [*default_servers, "sm-lint"]
    # Merged as Helix merges it: Python keeps its other defaults (roots, file types, ...),
    # its servers are the defaults and sm-lint, and every server it names is defined.
    merged = _helix_merge(defaults, snippet, 3)
    language = next(x for x in merged["language"] if x["name"] == "python")
    assert language == {**default_python, "language-servers": [*default_servers, "sm-lint"]}
    assert set(language["language-servers"]) <= set(merged["language-server"])


def test_emacs_configuration_covers_both_python_modes_for_eglot_and_lsp_mode() -> None:
    text = (ROOT / "lsp" / "emacs" / "sm-lint.el").read_text()
    assert '"sm-lint" "server"' in text and "eglot-server-programs" in text
    assert "lsp-register-client" in text
    assert "'(python-mode python-ts-mode)" in text


def _emacs_has_eglot() -> bool:
    if shutil.which("emacs") is None:
        return False
    probe = subprocess.run(
        ["emacs", "--batch", "--eval", "(require 'eglot)"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _emacs_has_eglot(),
    reason="Emacs with eglot is not installed (.ci/run installs Debian's emacs-nox, "
    "elpa-eglot and elpa-lsp-mode)",
)
def test_emacs_shows_the_finding(tmp_path: Path) -> None:
    """sm-lint.el in a real Emacs: registered for python-mode and python-ts-mode with eglot
    and (when installed) lsp-mode, started from both modes' hooks; with eglot, opening the
    file starts the real server (the file's own `sm-lint server` command) and flymake gets
    the finding. (Debian 12's Emacs 28 has no python-ts-mode: that mode is checked as
    registered, the diagnostics come in python-mode.)"""
    project = _project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)  # eglot's project root
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "sm-lint"  # the Python under test, under the name sm-lint.el runs
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m sm_lint "$@"\n')
    shim.chmod(0o755)
    out = tmp_path / "emacs.json"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SM_LINT_FILE": str(project / "app.py"),
        "SM_LINT_OUT": str(out),
    }
    subprocess.run(
        ["emacs", "--batch", "-l", str(ROOT / "lsp" / "emacs" / "test-sm-lint.el")],
        cwd=project,
        env=env,
        timeout=120,
        capture_output=True,
        check=False,
    )
    data = json.loads(out.read_text())
    assert data["eglot_modes"] == ["python-mode", "python-ts-mode"]
    assert data["hooks"] == ["python-mode", "python-ts-mode"]
    if data["lsp_modes"] is not None:  # lsp-mode installed
        assert data["lsp_modes"] == ["python-mode", "python-ts-mode"]
        assert data["lsp_add_on"] is True
        assert data["lsp_language_ids"] == ["python", "python"]
    assert data["server"] == ["sm-lint", "server"]
    [finding] = data["diagnostics"]
    assert finding["line"] == 5 and finding["text"].startswith("sm-lint [SM005]: ")
    assert "expects float32, got float64 tf.Tensor (2, 5)" in finding["text"]


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
    # Opening a notebook starts the extension (its cells are in the document selector).
    assert "onNotebook:jupyter-notebook" in package["activationEvents"]
    settings = package["contributes"]["configuration"]["properties"]
    assert {
        "smLint.path",
        "smLint.interpreter",
        "smLint.models",
        "smLint.select",
        "smLint.ignore",
        "smLint.args",
    } <= set(settings)
