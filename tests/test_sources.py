"""One way to read sources: every frontend reads ``.py`` files and notebooks through the same
document (program text + cell map), so none of them can disagree on what a file contains.

The matrix runs each command-line frontend (lint, ``calls``, ``--fix``, ``--diff``,
``--verbose``) on a ``.py`` file, a notebook holding the same code in cells (one cell of it
does not parse) and a malformed notebook, through the real CLI; the language server test
opens the same three as text documents and the notebook as an LSP notebook document.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from sm_lint.diagnostics import Diagnostic, Edit, Fix, Severity
from sm_lint.sources import Cell, Document, Location, SourceKind
from tests.conftest import git
from tests.test_cli import sm_lint

ROOT = Path(__file__).resolve().parent.parent
MODEL = Path(__file__).parent / "fixtures" / "models" / "keras_export_dense"

PY = """import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))
print(out["scores"])
"""
BAD_CELL = "def exercise(:\n    pass  # YOUR CODE HERE"
CELLS: list[tuple[str, str]] = [
    ("markdown", "# The same program, in cells"),
    ("code", "import numpy as np\nimport tensorflow as tf\n"),
    (
        "code",
        'model = tf.saved_model.load("models/dense")\ninfer = model.signatures["serving_default"]',
    ),
    ("code", "%matplotlib inline\nout = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))"),
    ("code", BAD_CELL),
    ("code", 'print(out["scores"])'),
]
MALFORMED = '{"nbformat": 4, "cells": [{"cell_type": "code", "source": "tf.saved_model'


def _bad_cell_column() -> int:
    try:
        compile(BAD_CELL, "cell", "exec")
    except SyntaxError as error:
        assert error.lineno == 1 and error.offset is not None
        return error.offset
    raise AssertionError("the bad cell compiles")


def notebook(cells: list[tuple[str, str]], **top: Any) -> dict[str, Any]:
    """An nbformat 4 notebook as Jupyter writes it (sources as lists of lines)."""
    return {
        "cells": [
            {
                "cell_type": kind,
                "metadata": {},
                "source": source.splitlines(keepends=True),
                **({"execution_count": None, "outputs": []} if kind == "code" else {}),
            }
            for kind, source in cells
        ],
        "metadata": top.pop("metadata", {"language_info": {"name": "python"}}),
        "nbformat": top.pop("nbformat", 4),
        "nbformat_minor": 5,
    }


def dump(nb: dict[str, Any]) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def project(tmp_path: Path) -> Path:
    shutil.copytree(MODEL, tmp_path / "models" / "dense")
    (tmp_path / "code.py").write_text(PY)
    (tmp_path / "cells.ipynb").write_text(dump(notebook(CELLS)))
    (tmp_path / "bad.ipynb").write_text(MALFORMED)
    return tmp_path


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return sm_lint(*args, cwd=cwd, env={"PYTHONPATH": str(ROOT)})


def where(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(d.get("cell"), d["line"], d["column"], d["code"]) for d in findings]


def cell_sources(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]


# ------------------------------------------------------------------------- the matrix
FILES = ["code.py", "cells.ipynb", "bad.ipynb"]
LINT = {
    "code.py": [(None, 6, 26, "SM005"), (None, 7, 11, "SM010")],
    # Cell 5 does not parse: its SM900 is at its own line, and cells 2-4 and 6 are still
    # analysed as one program (loaded in cell 3, called in cell 4, indexed in cell 6).
    "cells.ipynb": [
        (4, 2, 26, "SM005"),
        (5, 1, _bad_cell_column(), "SM900"),
        (6, 1, 11, "SM010"),
    ],
    "bad.ipynb": [(None, 1, 1, "SM900")],
}


@pytest.mark.parametrize("name", FILES)
def test_lint(tmp_path: Path, name: str) -> None:
    result = cli(project(tmp_path), name, "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    assert where(findings) == LINT[name]
    if name == "bad.ipynb":
        assert findings[0]["message"].startswith("cannot read the notebook: invalid JSON")
    text = cli(tmp_path, name).stdout
    if name == "cells.ipynb":  # the caret excerpt is the cell's own line
        assert "cells.ipynb:cell 4:2:26: SM005" in text
        assert "2 | out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))" in text
        assert "1 | def exercise(:" in text


@pytest.mark.parametrize("name", FILES)
def test_calls(tmp_path: Path, name: str) -> None:
    result = cli(project(tmp_path), "calls", name, "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    if name == "bad.ipynb":
        assert records == []
        assert "bad.ipynb:1:1: SM900 cannot read the notebook" in result.stderr
        return
    (record,) = records
    expected = {"cell": None, "line": 6, "column": 7}
    if name == "cells.ipynb":
        expected = {"cell": 4, "line": 2, "column": 7}
    assert {k: record.get(k) for k in ("cell", "line", "column")} == expected
    assert (tmp_path / record["model"]).resolve() == (tmp_path / "models" / "dense").resolve()
    assert record["model_source"] == "path"
    assert record["arguments"] == [
        {"name": "keras_tensor", "kind": "tensor", "dtype": "float64", "shape": [4, 5]}
    ]
    text = cli(tmp_path, "calls", name).stdout
    assert (f"{name}:cell 4:2:7:" if name == "cells.ipynb" else f"{name}:6:7:") in text


FIXED_CALL = "out = infer(keras_tensor=tf.cast(tf.constant(np.random.rand(4, 5)), tf.float32))"


@pytest.mark.parametrize("name", FILES)
def test_fix(tmp_path: Path, name: str) -> None:
    target = project(tmp_path) / name
    before = target.read_text()
    result = cli(tmp_path, name, "--fix", "--format", "json")
    after = target.read_text()
    if name == "bad.ipynb":
        assert after == before
        assert where(json.loads(result.stdout)) == LINT[name]
        return
    # The cast is a safe fix; renaming the output key by similarity is not (--unsafe-fixes).
    if name == "code.py":
        assert after == PY.replace(PY.splitlines()[5], FIXED_CALL)
        assert where(json.loads(result.stdout)) == [LINT[name][1]]
        cli(tmp_path, name, "--fix", "--unsafe-fixes")
        assert target.read_text() == after.replace("scores", "output_0")
        return
    sources = cell_sources(target)
    assert sources[3] == "%matplotlib inline\n" + FIXED_CALL
    assert sources[5] == 'print(out["scores"])'
    assert sources[4] == BAD_CELL  # the cell that does not parse is left as it was
    assert where(json.loads(result.stdout)) == LINT[name][1:]
    cli(tmp_path, name, "--fix", "--unsafe-fixes")
    assert cell_sources(target)[5] == 'print(out["output_0"])'
    assert cell_sources(target)[4] == BAD_CELL


@pytest.mark.parametrize("name", FILES)
def test_diff(tmp_path: Path, name: str) -> None:
    target = project(tmp_path) / name
    before = target.read_text()
    result = cli(tmp_path, name, "--diff")
    assert target.read_text() == before  # --diff never writes
    if name == "bad.ipynb":
        assert result.returncode == 0 and result.stdout == ""
        return
    assert result.returncode == 1
    removed = [line for line in result.stdout.splitlines() if line.startswith("-")]
    added = [line for line in result.stdout.splitlines() if line.startswith("+")]
    if name == "code.py":
        assert f"+{FIXED_CALL}" in added
    else:  # the notebook's JSON line, escaped as in the file
        assert any("tf.cast(tf.constant(np.random.rand(4, 5)), tf.float32)" in a for a in added)
    assert len(removed) == len(added) == 2  # the ---/+++ header and the fixed line


@pytest.mark.parametrize("name", FILES)
def test_verbose(tmp_path: Path, name: str) -> None:
    result = cli(project(tmp_path), name, "--verbose")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    if name == "bad.ipynb":
        assert "cannot read the notebook" in result.stdout
        return
    load = "code.py:4:29:" if name == "code.py" else "cells.ipynb:cell 3:1:29:"
    assert f'sm-lint: {load} "models/dense" -> ' in result.stderr, result.stderr


# ------------------------------------------------------------- the translation pair
def test_positions_move_through_one_pair_with_ipython_offsets() -> None:
    """Program <-> cell positions, where IPython removed characters at a line's start (cell 4
    was indented by four spaces as a block)."""
    document = Document(
        "n.ipynb",
        SourceKind.NOTEBOOK,
        "x = 1\ny = f(x)\n",
        "",
        b"",
        cells=(Cell(2, 1, 1, (0,)), Cell(4, 2, 1, (4,))),
    )
    assert document.to_cell(2, 5) == Location(1, 9, 4)
    assert document.to_program(Location(1, 9, 4)) == (2, 5)
    assert document.to_program(Location(1, 2, 4)) == (2, 1)  # inside what IPython removed
    assert document.to_program(Location(1, 1, 3)) is None  # a cell left out
    assert document.to_cell(3, 1) is None  # past the program
    edit = Edit(2, 5, 2, 9, "g(x)")
    finding = Diagnostic("n.ipynb", 2, 5, 2, 9, "SM005", Severity.ERROR, "m", fix=Fix("f", (edit,)))
    placed = document.place(finding)
    assert (placed.cell, placed.line, placed.column, placed.end_line, placed.end_column) == (
        4,
        1,
        9,
        1,
        13,
    )
    assert placed.fix is not None and placed.fix.edits == (Edit(1, 9, 1, 13, "g(x)"),)


# ------------------------------------------------------------- regressions (issue 13)
def test_fix_after_a_lone_cr_edits_the_right_line(tmp_path: Path) -> None:
    project(tmp_path)
    source = (
        "import numpy as np\n"
        "import tensorflow as tf  # TODO\r# pasted\n"
        'infer = tf.saved_model.load("models/dense").signatures["serving_default"]\n'
        "batch = np.ones((2, 5))\n"
        "more = infer(tf.constant(batch, dtype=tf.float32))\n"
        "logs = print(tf.constant(batch, dtype=tf.float32))\n"
    )
    (tmp_path / "cr.py").write_bytes(source.encode())
    result = cli(tmp_path, "cr.py", "--fix")
    fixed = (tmp_path / "cr.py").read_bytes().decode()
    assert "more = infer(keras_tensor=tf.constant(batch, dtype=tf.float32))" in fixed
    assert "logs = print(tf.constant(batch, dtype=tf.float32))" in fixed
    assert fixed.count("\r") == 1
    assert "Fixed 1 finding." in result.stdout


def test_fix_crlf_notebook(tmp_path: Path) -> None:
    """git's autocrlf writes notebooks with CRLF: they are fixed, and stay CRLF."""
    project(tmp_path)
    text = dump(notebook(CELLS[:4])).replace("\n", "\r\n")
    (tmp_path / "crlf.ipynb").write_bytes(text.encode())
    result = cli(tmp_path, "crlf.ipynb", "--fix")
    after = (tmp_path / "crlf.ipynb").read_bytes().decode()
    assert "Fixed 1 finding." in result.stdout, result.stdout + result.stderr
    assert after == text.replace(json.dumps(CELLS[3][1].splitlines()[1]), json.dumps(FIXED_CALL))


def test_fix_bom_notebook(tmp_path: Path) -> None:
    """Jupyter opens a notebook that starts with a UTF-8 BOM: it is linted and fixed, and
    keeps its BOM."""
    project(tmp_path)
    text = "\ufeff" + dump(notebook(CELLS[:4]))
    (tmp_path / "bom.ipynb").write_bytes(text.encode())
    found = json.loads(cli(tmp_path, "bom.ipynb", "--format", "json").stdout)
    assert where(found) == [(4, 2, 26, "SM005")]
    assert "Fixed 1 finding." in cli(tmp_path, "bom.ipynb", "--fix").stdout
    after = (tmp_path / "bom.ipynb").read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and FIXED_CALL.encode() in after


@pytest.mark.parametrize(
    "layout",
    [
        lambda nb: dump(nb).replace('"nbformat": 4', '"nbformat":  4'),
        lambda nb: json.dumps(nb, separators=(",", ":")),
        lambda nb: json.dumps(nb, indent="\t", ensure_ascii=True).replace("\n", "\n\n"),
    ],
    ids=["odd-spacing", "minified", "blank-lines"],
)
def test_fix_notebook_whose_formatting_cannot_be_reproduced(tmp_path: Path, layout: Any) -> None:
    """Formatting json.dumps cannot reproduce: only the fixed characters inside the JSON
    strings change, every other byte stays."""
    project(tmp_path)
    text = layout(notebook(CELLS[:4]))
    (tmp_path / "odd.ipynb").write_text(text)
    result = cli(tmp_path, "odd.ipynb", "--fix")
    assert "Fixed 1 finding." in result.stdout, result.stdout + result.stderr
    call = CELLS[3][1].splitlines()[1]
    assert (tmp_path / "odd.ipynb").read_text() == text.replace(call, FIXED_CALL)


@pytest.mark.parametrize("metadata", [[], "python", 3, None])
def test_malformed_metadata_sinks_nothing(tmp_path: Path, metadata: Any) -> None:
    """Jupyter opens a notebook whose metadata is malformed (it logs a validation error):
    sm-lint lints it, and never aborts the run."""
    project(tmp_path)
    (tmp_path / "cells.ipynb").write_text(dump(notebook(CELLS, metadata=metadata)))
    result = cli(tmp_path, ".", "--format", "json")
    assert result.returncode == 1, result.stderr
    by_file = {(Path(d["path"]).name, d["code"]) for d in json.loads(result.stdout)}
    assert {("cells.ipynb", "SM005"), ("code.py", "SM005"), ("bad.ipynb", "SM900")} <= by_file


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ('"4"', 'cannot read the notebook: "nbformat" must be the number 4, not "4"'),
        ("3", "cannot read the notebook: nbformat 3 is not supported (only nbformat 4)"),
    ],
)
def test_nbformat_version_messages(tmp_path: Path, version: str, message: str) -> None:
    project(tmp_path)
    text = dump(notebook(CELLS)).replace('"nbformat": 4', f'"nbformat": {version}')
    (tmp_path / "v.ipynb").write_text(text)
    findings = json.loads(cli(tmp_path, "v.ipynb", "code.py", "--format", "json").stdout)
    assert [(Path(d["path"]).name, d["code"], d["message"]) for d in findings][-1] == (
        "v.ipynb",
        "SM900",
        message,
    )
    assert [Path(d["path"]).name for d in findings[:-1]] == ["code.py", "code.py"]


# ------------------------------------------------------------------ .gitignore / .ignore
def _tree(root: Path, files: list[str]) -> None:
    shutil.copytree(MODEL, root / "models" / "dense")
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(PY.replace("models/dense", str(root / "models" / "dense")))


LAYOUT = [
    "keep.py",
    "generated/gen.py",
    "logs/a.py",
    "logs/keep_me.py",
    "sub/deep.py",
    "sub/local.py",
    "scratch.py",
    "tmp.ipynb",
]


def _paths(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode in (0, 1), result.stderr
    return sorted({os.path.normpath(d["path"]) for d in json.loads(result.stdout)})


def test_gitignore_in_a_git_repository(tmp_path: Path) -> None:
    _tree(tmp_path, LAYOUT)
    git(tmp_path, "init", "-q")
    ignored = ["generated/", "logs/*", "!logs/keep_me.py", "/scratch.py", "*.ipynb"]
    (tmp_path / ".gitignore").write_text("\n".join(ignored) + "\n")
    (tmp_path / "sub" / ".gitignore").write_text("local.py\n")
    (tmp_path / "sub" / "scratch.py").write_text(PY)  # /scratch.py is anchored at the top
    found = _paths(cli(tmp_path, ".", "--format", "json"))
    assert found == ["keep.py", "logs/keep_me.py", "sub/deep.py", "sub/scratch.py"]
    # Walking a subfolder still honours the ignore files above it.
    assert _paths(cli(tmp_path, "sub", "--format", "json")) == ["sub/deep.py", "sub/scratch.py"]
    # A file named explicitly is always linted.
    assert _paths(cli(tmp_path, "generated/gen.py", "--format", "json")) == ["generated/gen.py"]
    everything = _paths(cli(tmp_path, ".", "--format", "json", "--no-respect-gitignore"))
    assert len(everything) == len(LAYOUT) + 1
    (tmp_path / "pyproject.toml").write_text("[tool.sm-lint]\nrespect-gitignore = false\n")
    assert len(_paths(cli(tmp_path, ".", "--format", "json"))) == len(LAYOUT) + 1


def test_gitignore_outside_git_and_dot_ignore(tmp_path: Path) -> None:
    """Outside a git repository .gitignore means nothing (as for ruff); .ignore always
    counts, and overrides .gitignore."""
    _tree(tmp_path, ["a.py", "b.py", "c.py"])
    (tmp_path / ".gitignore").write_text("a.py\nb.py\n")
    (tmp_path / ".ignore").write_text("c.py\n")
    assert _paths(cli(tmp_path, ".", "--format", "json")) == ["a.py", "b.py"]
    git(tmp_path, "init", "-q")
    assert _paths(cli(tmp_path, ".", "--format", "json")) == []
    (tmp_path / ".ignore").write_text("!b.py\n")
    assert _paths(cli(tmp_path, ".", "--format", "json")) == ["b.py", "c.py"]


# ------------------------------------------------------------------- language server
LSP_PROJECT = project(Path(tempfile.mkdtemp(prefix="sm-lint-sources-lsp-")))


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "sm_lint", "server"])
)
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            root_uri=LSP_PROJECT.as_uri(),
            initialization_options={"models": ["models"]},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _diagnostics(client: LanguageClient, uris: list[str]) -> dict[str, list[Any]]:
    for _ in range(300):  # each document gets its diagnostics, never a hang
        if all(u in client.diagnostics for u in uris):
            break
        await asyncio.sleep(0.1)
    return {
        u: [(d.code, d.range.start.line, d.range.start.character) for d in client.diagnostics[u]]
        for u in uris
    }


@pytest.mark.asyncio
async def test_server_text_documents(client: LanguageClient) -> None:
    """A .py file, a notebook opened as plain text (findings where the cell's text is in the
    JSON) and a malformed notebook."""
    uris = {name: (LSP_PROJECT / name).as_uri() for name in FILES}
    for name, uri in uris.items():
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(
                    uri=uri,
                    language_id="python" if name.endswith(".py") else "json",
                    version=1,
                    text=(LSP_PROJECT / name).read_text(),
                )
            )
        )
    found = await _diagnostics(client, list(uris.values()))
    assert found[uris["code.py"]] == [("SM005", 5, 25), ("SM010", 6, 10)]
    assert found[uris["bad.ipynb"]] == [("SM900", 0, 0)]
    lines = (LSP_PROJECT / "cells.ipynb").read_text().splitlines()
    at = {code: lines[line][char:] for code, line, char in found[uris["cells.ipynb"]]}
    assert at["SM005"].startswith("tf.constant(np.random.rand(4, 5))")
    assert at["SM900"].startswith(':\\n"')  # "def exercise(:" in its JSON string
    assert at["SM010"].startswith('\\"scores\\"')
    # Quick fixes are cell text: in the JSON they would need escaping, and a suppression
    # comment would break the JSON. None is offered.
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uris["cells.ipynb"]),
            range=lsp.Range(lsp.Position(0, 0), lsp.Position(len(lines), 0)),
            context=lsp.CodeActionContext(
                diagnostics=list(client.diagnostics[uris["cells.ipynb"]])
            ),
        )
    )
    assert actions is not None and len(actions) == 0


@pytest.mark.asyncio
async def test_server_notebook_document(client: LanguageClient) -> None:
    """An LSP notebook document: built like the notebook file, findings per cell."""
    path = (LSP_PROJECT / "cells.ipynb").as_posix()
    cell_uris = [f"vscode-notebook-cell:{path}#c{i}" for i in range(len(CELLS))]
    kinds = {"code": lsp.NotebookCellKind.Code, "markdown": lsp.NotebookCellKind.Markup}
    client.notebook_document_did_open(
        lsp.DidOpenNotebookDocumentParams(
            notebook_document=lsp.NotebookDocument(
                uri=(LSP_PROJECT / "cells.ipynb").as_uri(),
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    lsp.NotebookCell(kind=kinds[kind], document=u)
                    for u, (kind, _source) in zip(cell_uris, CELLS, strict=True)
                ],
            ),
            cell_text_documents=[
                lsp.TextDocumentItem(
                    uri=u,
                    language_id="python" if kind == "code" else "markdown",
                    version=1,
                    text=source,
                )
                for u, (kind, source) in zip(cell_uris, CELLS, strict=True)
            ],
        )
    )
    code_cells = [u for u, (kind, _s) in zip(cell_uris, CELLS, strict=True) if kind == "code"]
    found = await _diagnostics(client, code_cells)
    # The same findings as the file's (test_lint), 0-based, in each cell's own lines.
    assert [found[u] for u in code_cells] == [
        [],
        [],
        [("SM005", 1, 25)],
        [("SM900", 0, _bad_cell_column() - 1)],
        [("SM010", 0, 10)],
    ]
    hovered = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=cell_uris[3]), lsp.Position(1, 8))
    )
    assert hovered is not None and isinstance(hovered.contents, lsp.MarkupContent)
    assert "| `keras_tensor` | float32 | (?, 5) |" in hovered.contents.value


def test_sources_sit_below_the_analysis() -> None:
    """One direction: the reading layer imports nothing of sm-lint but the findings' types,
    the loader table (the pre-check's words; a leaf of plain data) and itself, so no
    frontend or analysis detail can leak into how a file is read. Its project layout (how
    an import finds a file) is a leaf of the standard library the analysis reads too."""
    import ast as python_ast

    allowed = (
        "sm_lint.sources",
        "sm_lint.diagnostics",
        "sm_lint.analysis.loaders",
    )
    for leaf_path in ("analysis/loaders.py", "sources/layout.py"):
        leaf = python_ast.parse((ROOT / "sm_lint" / leaf_path).read_text())
        for node in python_ast.walk(leaf):  # the leaves themselves import nothing of sm-lint
            if isinstance(node, python_ast.ImportFrom):
                assert not (node.module or "").startswith("sm_lint"), node.module
            elif isinstance(node, python_ast.Import):
                assert not any(alias.name.startswith("sm_lint") for alias in node.names)
    for file in (ROOT / "sm_lint" / "sources").glob("*.py"):
        tree = python_ast.parse(file.read_text())
        for node in python_ast.walk(tree):
            names = []
            if isinstance(node, python_ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, python_ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("sm_lint"):
                    assert name.startswith(allowed), f"{file.name} imports {name}"
                assert name.split(".")[0] not in ("tensorflow", "numpy", "libcst"), name


@pytest.mark.parametrize("ensure_ascii", [False, True])
@pytest.mark.parametrize("as_lines", [False, True])
def test_cell_text_is_found_in_the_notebook_json(ensure_ascii: bool, as_lines: bool) -> None:
    """Where each character of a cell's source is in the JSON text (escapes, surrogate
    pairs, sources as one string or as lines): what the server uses for a notebook opened as
    plain text."""
    from sm_lint.sources.notebook import source_offsets

    sources = ['x = "caf\u00e9 \U0001f600\\t\\"q\\""\n\ty = 1\r\n', "", "z\n\n"]
    nb = notebook([("markdown", "# t"), *(("code", s) for s in sources)])
    for cell, source in zip(nb["cells"][1:], sources, strict=True):
        cell["source"] = source.splitlines(keepends=True) if as_lines else source
    text = json.dumps(nb, indent=1, ensure_ascii=ensure_ascii)
    offsets = source_offsets(text)
    assert sorted(offsets) == [1, 2, 3, 4]  # every cell with a source
    for index, source in zip((2, 3, 4), sources, strict=True):
        found = offsets[index]
        assert len(found) == len(source) + 1
        for i, char in enumerate(source):
            at = found[i]
            size = 1 if text[at] != "\\" else 2 if text[at + 1] != "u" else 6
            if text[at : at + 2] == "\\u" and 0xD800 <= int(text[at + 2 : at + 6], 16) < 0xDC00:
                size = 12  # a surrogate pair: one character
            assert json.loads(f'"{text[at : at + size]}"') == char, (index, i)
        assert text[found[-1]] in '"['  # one past the end: the closing quote (or an empty list)


def test_excerpts_of_crlf_sources_carry_no_carriage_return(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "crlf.py").write_bytes(PY.replace("\n", "\r\n").encode())
    cells = [(kind, source.replace("\n", "\r\n")) for kind, source in CELLS]
    (tmp_path / "crlf.ipynb").write_text(dump(notebook(cells)))
    result = cli(tmp_path, "crlf.py", "crlf.ipynb")
    assert "6 | out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))\n" in result.stdout
    assert "2 | out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))\n" in result.stdout
    assert "\r" not in result.stdout
