"""Projects in the language server (the real server process over stdio): a file that
imports its model from another module gets its findings, pointing at the load in that
module, and is published again when that module changes in the editor or on disk."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.conftest import lsp_client_fixture

FIXTURES = Path(__file__).parent / "fixtures" / "models"
PROJECT = Path(tempfile.mkdtemp(prefix="sm-lint-lsp-projects-"))
(PROJECT / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
shutil.copytree(FIXTURES / "keras_export_dense", PROJECT / "models" / "dense")
(PROJECT / "app").mkdir()
(PROJECT / "app" / "__init__.py").write_text("")
MODEL = (
    "import os\nimport tensorflow as tf\n\n"
    "HERE = os.path.dirname(os.path.dirname(__file__))\n"
    "MODEL = tf.saved_model.load(os.path.join(HERE, 'models', 'dense'))\n"
)
ELSEWHERE = MODEL.replace("'dense'", "'gone'")  # a folder without a model: nothing checked
HANDLERS = (
    "import numpy as np\nfrom app.model import MODEL\n\n"
    "MODEL.signatures['serving_default'](keras_tensor=np.zeros((2, 7), np.float32))\n"
)

client = lsp_client_fixture(PROJECT)


def _uri(name: str) -> str:
    return (PROJECT / "app" / name).as_uri()


async def _until(
    client: LanguageClient, uri: str, wanted: Callable[[list[lsp.Diagnostic]], bool]
) -> list[lsp.Diagnostic]:
    """The diagnostics of *uri* once a publication satisfies *wanted* (a failure, never a
    hang, after 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        found = list(client.diagnostics.get(uri, []))
        if uri in client.diagnostics and wanted(found):
            return found
        left = deadline - time.monotonic()
        assert left > 0, f"no publication of {uri} as wanted: {found}"
        with contextlib.suppress(TimeoutError):  # the assertion above says what is missing
            await asyncio.wait_for(
                client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=left
            )


def _open(client: LanguageClient, name: str, text: str) -> None:
    (PROJECT / "app" / name).write_text(text)
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=_uri(name), language_id="python", version=1, text=text)
        )
    )


def _codes(found: list[lsp.Diagnostic]) -> list[str]:
    return [str(d.code) for d in found]


@pytest.mark.asyncio
async def test_an_importer_follows_the_module_it_imports(client: LanguageClient) -> None:
    _open(client, "model.py", MODEL)
    _open(client, "handlers.py", HANDLERS)
    handlers = _uri("handlers.py")
    found = await _until(client, handlers, lambda f: _codes(f) == ["SM008"])
    (place,) = found[0].related_information or []
    assert place.location.uri == _uri("model.py")
    assert place.location.range.start == lsp.Position(line=4, character=28)
    assert place.message.startswith("the model is loaded here")

    # the module edited in the editor (not saved): the importer sees its text
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=_uri("model.py"), version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=ELSEWHERE)],
        )
    )
    await _until(client, handlers, lambda f: f == [])
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=_uri("model.py"), version=3),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=MODEL)],
        )
    )
    await _until(client, handlers, lambda f: _codes(f) == ["SM008"])

    # closed in the editor, then changed on disk: the watcher's event
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri=_uri("model.py")))
    )
    (PROJECT / "app" / "model.py").write_text(ELSEWHERE)
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            [lsp.FileEvent(uri=_uri("model.py"), type=lsp.FileChangeType.Changed)]
        )
    )
    await _until(client, handlers, lambda f: f == [])
    (PROJECT / "app" / "model.py").write_text(MODEL)
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            [lsp.FileEvent(uri=_uri("model.py"), type=lsp.FileChangeType.Changed)]
        )
    )
    await _until(client, handlers, lambda f: _codes(f) == ["SM008"])


HELPERS = (
    "import tensorflow as tf\n\n\n"
    "def predict(model, rows):\n"
    "    return model.signatures['serving_default'](keras_tensor=tf.constant(rows))\n"
)
LENDER = (
    "import os\nimport numpy as np\nimport tensorflow as tf\nfrom app import helpers\n\n"
    "HERE = os.path.dirname(os.path.dirname(__file__))\n"
    "m = tf.saved_model.load(os.path.join(HERE, 'models', 'dense'))\n"
    "helpers.predict(m, np.zeros((2, 7), np.float32))\n"
)


@pytest.mark.asyncio
async def test_a_model_handed_to_another_module_is_checked_there(client: LanguageClient) -> None:
    """The editor reports what another module's function does with the open file's model,
    at the call, and follows that module's unsaved text."""
    _open(client, "helpers.py", HELPERS)
    _open(client, "lender.py", LENDER)
    lender = _uri("lender.py")
    found = await _until(client, lender, lambda f: _codes(f) == ["SM008"])
    assert found[0].range.start == lsp.Position(line=7, character=0)
    assert "app/helpers.py:5, when called here with float32" in found[0].message
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=_uri("helpers.py"), version=2),
            content_changes=[
                lsp.TextDocumentContentChangeWholeDocument(
                    text=HELPERS.replace("tf.constant(rows)", "tf.constant(rows)[:, :5]")
                )
            ],
        )
    )
    await _until(client, lender, lambda f: f == [])
