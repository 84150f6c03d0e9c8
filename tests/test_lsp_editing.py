"""Editing help from the language server, as a real process over stdio: "fix all" on save
(the ``source.fixAll.sm-lint`` code action) and completion in half-typed code."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from sm_lint.api import Linter
from sm_lint.config import Config
from sm_lint.fixes import fix_source
from tests.conftest import lsp_client_fixture
from tests.lsp_client import RawServer, initialize_params

FIXTURES = Path(__file__).parent / "fixtures" / "models"
PROJECT = Path(tempfile.mkdtemp(prefix="sm-lint-lsp-editing-"))
shutil.copytree(FIXTURES / "keras_export_dense", PROJECT / "models" / "dense")
(PROJECT / "src").mkdir()

HEAD = """import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
"""
# Two safe fixes (casts), one unsafe (a rename guessed by similarity), one without a fix.
FIXABLE = (
    HEAD
    + """out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))
again = infer(keras_tensr=tf.constant(np.random.rand(4, 5), dtype=tf.float32))
more = infer(keras_tensor=tf.constant(np.ones((3, 5))))
print(out["output0"])
"""
)
GOOD = HEAD + "result = infer(keras_tensor=tf.zeros((2, 5)))\n"

client = lsp_client_fixture(PROJECT)


def _uri(name: str) -> str:
    return (PROJECT / "src" / name).as_uri()


async def _open(client: LanguageClient, name: str, text: str) -> list[lsp.Diagnostic]:
    uri = _uri(name)
    (PROJECT / "src" / name).write_text(text)
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    await asyncio.wait_for(
        client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=30
    )
    return list(client.diagnostics[uri])


async def _change(client: LanguageClient, name: str, text: str, version: int) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=_uri(name), version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await asyncio.wait_for(
        client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=30
    )


def _apply(text: str, edits: list[lsp.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        start, end = edit.range.start, edit.range.end
        head = "".join(lines[: start.line]) + (
            lines[start.line][: start.character] if start.line < len(lines) else ""
        )
        tail = (lines[end.line][end.character :] if end.line < len(lines) else "") + "".join(
            lines[end.line + 1 :]
        )
        lines = (head + edit.new_text + tail).splitlines(keepends=True)
    return "".join(lines)


async def _actions(
    client: LanguageClient, uri: str, only: list[str] | None, diagnostics: list[lsp.Diagnostic]
) -> list[lsp.CodeAction]:
    found = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            context=lsp.CodeActionContext(
                diagnostics=diagnostics,
                only=list(only) if only is not None else None,
                trigger_kind=lsp.CodeActionTriggerKind.Automatic,
            ),
        )
    )
    return [a for a in found or [] if isinstance(a, lsp.CodeAction)]


# ------------------------------------------------------------------ fix all (on save)


def test_fix_all_is_advertised_in_the_capabilities() -> None:
    server = RawServer(PROJECT)
    try:
        answer = server.initialize(initialize_params(PROJECT))
        provider = answer["result"]["capabilities"]["codeActionProvider"]
    finally:
        server.close()
    assert "source.fixAll.sm-lint" in provider["codeActionKinds"]
    assert "quickfix" in provider["codeActionKinds"]


@pytest.mark.asyncio
async def test_fix_all_on_save_applies_the_safe_fixes_as_the_command_line_does(
    client: LanguageClient,
) -> None:
    diagnostics = await _open(client, "fixall.py", FIXABLE)
    assert sorted(d.code for d in diagnostics if isinstance(d.code, str)) == [
        "SM002",
        "SM005",
        "SM005",
        "SM010",
    ]
    uri = _uri("fixall.py")
    # What an editor asks on save (VS Code's editor.codeActionsOnSave "source.fixAll").
    for only in (["source.fixAll"], ["source.fixAll.sm-lint"], ["source"]):
        actions = await _actions(client, uri, only, [])
        assert [(a.kind, a.is_preferred) for a in actions] == [("source.fixAll.sm-lint", None)]
    action = actions[0]
    assert action.edit is not None and action.edit.changes is not None
    fixed = _apply(FIXABLE, list(action.edit.changes[uri]))
    # The same text `sm-lint --fix` writes: the same fix rounds and verification.
    linter = Linter(Config().with_overrides(models=(PROJECT / "models",), project_root=PROJECT))
    assert fixed == fix_source(linter, FIXABLE, PROJECT / "src" / "fixall.py").text
    assert fixed.count("tf.cast(") == 2
    assert "keras_tensr=" in fixed and 'out["output0"]' in fixed  # unsafe fixes are not applied
    await _change(client, "fixall.py", fixed, 2)
    left = sorted(d.code for d in client.diagnostics[uri] if isinstance(d.code, str))
    assert left == ["SM002", "SM010"]
    # Nothing safe left to fix: no action.
    assert await _actions(client, uri, ["source.fixAll"], []) == []


@pytest.mark.asyncio
async def test_fix_all_only_when_asked_for(client: LanguageClient) -> None:
    diagnostics = await _open(client, "asked.py", FIXABLE)
    uri = _uri("asked.py")
    # The light bulb (no kinds asked) and a quick-fix request get the quick fixes only.
    for only in (None, ["quickfix"]):
        kinds = {a.kind for a in await _actions(client, uri, only, diagnostics)}
        assert kinds == {lsp.CodeActionKind.QuickFix}
    # A request for "fix all" only gets no quick fixes.
    kinds = {a.kind for a in await _actions(client, uri, ["source.fixAll"], diagnostics)}
    assert kinds == {"source.fixAll.sm-lint"}
    assert await _actions(client, uri, ["source.organizeImports"], diagnostics) == []


@pytest.mark.asyncio
async def test_fix_all_in_a_notebook_cell(client: LanguageClient) -> None:
    path = PROJECT / "src" / "fix.ipynb"
    cells = [
        "import numpy as np\nimport tensorflow as tf",
        "# A markdown cell between the code cells.",
        'model = tf.saved_model.load("models/dense")\ninfer = model.signatures["serving_default"]',
        "out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))",
    ]
    uris = [f"vscode-notebook-cell:{path.as_posix()}#c{i}" for i in range(len(cells))]
    client.notebook_document_did_open(
        lsp.DidOpenNotebookDocumentParams(
            notebook_document=lsp.NotebookDocument(
                uri=path.as_uri(),
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    lsp.NotebookCell(
                        kind=lsp.NotebookCellKind.Markup if i == 1 else lsp.NotebookCellKind.Code,
                        document=u,
                    )
                    for i, u in enumerate(uris)
                ],
            ),
            cell_text_documents=[
                lsp.TextDocumentItem(
                    uri=u, language_id="markdown" if i == 1 else "python", version=1, text=t
                )
                for i, (u, t) in enumerate(zip(uris, cells, strict=True))
            ],
        )
    )
    for _ in range(300):
        if client.diagnostics.get(uris[3]):
            break
        await asyncio.sleep(0.1)
    assert [d.code for d in client.diagnostics[uris[3]]] == ["SM005"]
    # Cells without a fix: no action; the cell with one: an edit of that cell only.
    assert await _actions(client, uris[2], ["source.fixAll"], []) == []
    actions = await _actions(client, uris[3], ["source.fixAll"], [])
    assert len(actions) == 1 and actions[0].edit and actions[0].edit.changes
    assert list(actions[0].edit.changes) == [uris[3]]
    fixed = _apply(cells[3], list(actions[0].edit.changes[uris[3]]))
    assert (
        fixed == "out = infer(keras_tensor=tf.cast(tf.constant(np.random.rand(4, 5)), tf.float32))"
    )


# ------------------------------------------------------------------ completion


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("typed", "cursor", "replaced"),
    [
        ('print(result["', None, ""),  # an unclosed string in an unclosed subscript and call
        ("print(result['out", None, "out"),
        ('result[""', 8, ""),  # the editor closed the quote, not the bracket
        ('result["]', 8, ""),  # the editor closed the bracket, not the quote
        ('value = float(result["', None, ""),
        ('if result["', None, ""),  # the header of a block, before its colon
        ('print(\n    result["', None, ""),  # the call opened on an earlier line
    ],
)
async def test_output_key_completion_in_half_typed_code(
    client: LanguageClient, typed: str, cursor: int | None, replaced: str
) -> None:
    name = f"half_{typed.encode().hex()}_{cursor}.py"
    text = GOOD + typed + "\nprint('done')\n"
    await _open(client, name, text)
    lines = text.splitlines()
    line = len(GOOD.splitlines()) + typed.count("\n")
    character = cursor if cursor is not None else len(lines[line])
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            lsp.TextDocumentIdentifier(uri=_uri(name)), lsp.Position(line, character)
        )
    )
    assert isinstance(result, lsp.CompletionList)
    assert [item.label for item in result.items] == ["output_0"]
    edit = result.items[0].text_edit
    assert isinstance(edit, lsp.TextEdit)
    assert edit.range.start == lsp.Position(line, character - len(replaced))
    assert edit.range.end == lsp.Position(line, character)
    assert edit.new_text == "output_0"
