"""The language server, as a real process over stdio, driven by pytest-lsp."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import lsp_client_fixture
from tests.lsp_client import SERVER_COMMAND, answer_server_requests, handshake, initialize_params

FIXTURES = Path(__file__).parent / "fixtures" / "models"
PROJECT = Path(tempfile.mkdtemp(prefix="sm-lint-lsp-"))
shutil.copytree(FIXTURES / "keras_export_dense", PROJECT / "models" / "dense")
shutil.copytree(FIXTURES / "module_multi", PROJECT / "models" / "multi")
(PROJECT / "src").mkdir()

SOURCE = """import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))
print(out["output_0"])
"""
GOOD_LINE = "out = infer(keras_tensor=tf.constant(np.random.rand(4, 5), dtype=tf.float32))"


client = lsp_client_fixture(PROJECT)


async def _published(client: LanguageClient) -> None:
    """The next publishDiagnostics, or a test failure (never a hang) after 30 s."""
    await asyncio.wait_for(
        client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=30
    )


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
    await _published(client)
    return list(client.diagnostics[uri])


async def _change(
    client: LanguageClient, name: str, text: str, version: int
) -> list[lsp.Diagnostic]:
    uri = _uri(name)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await _published(client)
    return list(client.diagnostics[uri])


@pytest.mark.asyncio
async def test_diagnostics_on_open(client: LanguageClient) -> None:
    diagnostics = await _open(client, "open.py", SOURCE)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in diagnostics] == [
        ("SM005", 5, 25)
    ]
    d = diagnostics[0]
    assert d.source == "sm-lint"
    assert d.severity == lsp.DiagnosticSeverity.Error
    # The code links its rule's page (the one shipped in the package: nothing published).
    assert d.code_description is not None
    assert d.code_description.href.startswith("file://")
    assert d.code_description.href.endswith("/sm_lint/rule_docs/SM005.md")
    assert "expects float32, got float64 tf.Tensor (4, 5)" in d.message


@pytest.mark.asyncio
async def test_edit_introduces_then_fixes_a_mistake(client: LanguageClient) -> None:
    good = SOURCE.replace(SOURCE.splitlines()[5], GOOD_LINE)
    assert await _open(client, "edit.py", good) == []
    bad = good.replace('out["output_0"]', 'out["scores"]')
    after = await _change(client, "edit.py", bad, 2)
    assert [(d.code, d.range.start.line) for d in after] == [("SM010", 6)]
    assert await _change(client, "edit.py", good, 3) == []


@pytest.mark.asyncio
async def test_close_clears_diagnostics(client: LanguageClient) -> None:
    assert await _open(client, "close.py", SOURCE)
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri=_uri("close.py")))
    )
    await _published(client)
    assert list(client.diagnostics[_uri("close.py")]) == []


@pytest.mark.asyncio
async def test_hover(client: LanguageClient) -> None:
    await _open(client, "hover.py", SOURCE)
    uri = _uri("hover.py")
    on_call = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=uri), lsp.Position(5, 7))
    )
    assert on_call is not None and isinstance(on_call.contents, lsp.MarkupContent)
    table = on_call.contents.value
    assert "| `keras_tensor` | float32 | (?, 5) |" in table
    assert "| `output_0` | float32 | (?, 10) |" in table
    assert "models/dense" in table
    on_arg = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=uri), lsp.Position(5, 30))
    )
    assert on_arg is not None and isinstance(on_arg.contents, lsp.MarkupContent)
    assert "float64 tf.Tensor (4, 5)" in on_arg.contents.value
    assert "expects `keras_tensor`: float32 (?, 5)" in on_arg.contents.value


@pytest.mark.asyncio
async def test_completion(client: LanguageClient) -> None:
    text = SOURCE + 'again = infer()\nkey = model.signatures[""]\nout[""]\n'
    await _open(client, "complete.py", text)
    uri = _uri("complete.py")

    async def labels(line: int, character: int) -> list[str]:
        result = await client.text_document_completion_async(
            lsp.CompletionParams(lsp.TextDocumentIdentifier(uri=uri), lsp.Position(line, character))
        )
        assert isinstance(result, lsp.CompletionList)
        return [item.label for item in result.items]

    assert await labels(7, 14) == ["keras_tensor"]
    assert await labels(8, 24) == ["serve", "serving_default"]
    assert await labels(9, 5) == ["output_0"]
    # Half-typed code: no closing parenthesis yet.
    await _change(client, "complete.py", SOURCE + "again = infer(\n", 2)
    assert await labels(7, 14) == ["keras_tensor"]


@pytest.mark.asyncio
async def test_completion_quotes_names_that_are_not_identifiers(client: LanguageClient) -> None:
    shutil.copytree(FIXTURES / "tf1_builder", PROJECT / "models" / "tf1", dirs_exist_ok=True)
    text = (
        'import tensorflow as tf\nm = tf.saved_model.load("models/tf1")\n'
        'm.signatures["serving_default"]()\n'
    )
    await _open(client, "tf1.py", text)
    result = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri=_uri("tf1.py")), lsp.Position(2, 32))
    )
    assert isinstance(result, lsp.CompletionList)
    inserts = {item.label: item.insert_text for item in result.items}
    assert inserts == {"my/y": '**{"my/y": }', "x:0": '**{"x:0": }'}


def _apply(text: str, edits: list[lsp.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        start, end = edit.range.start, edit.range.end
        head = "".join(lines[: start.line]) + lines[start.line][: start.character]
        tail = lines[end.line][end.character :] + "".join(lines[end.line + 1 :])
        lines = (head + edit.new_text + tail).splitlines(keepends=True)
    return "".join(lines)


async def _actions(
    client: LanguageClient, uri: str, diagnostics: list[lsp.Diagnostic]
) -> list[lsp.Command | lsp.CodeAction]:
    """The code actions offered at the first of *diagnostics*."""
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range,
            context=lsp.CodeActionContext(diagnostics=diagnostics),
        )
    )
    assert actions is not None
    return actions


@pytest.mark.asyncio
async def test_code_actions_fix_the_finding(client: LanguageClient) -> None:
    diagnostics = await _open(client, "fix.py", SOURCE)
    uri = _uri("fix.py")
    actions = await _actions(client, uri, diagnostics)
    titles = [a.title for a in actions if isinstance(a, lsp.CodeAction)]
    assert titles == ["cast to float32 (SM005)", "Add `# noqa: SM005`"]
    for action, expected in zip(actions, ([], []), strict=True):
        assert isinstance(action, lsp.CodeAction) and action.edit and action.edit.changes
        fixed = _apply(SOURCE, list(action.edit.changes[uri]))
        assert await _change(client, "fix.py", fixed, 10 + len(titles)) == expected
        titles.pop()


RESTORED = """import numpy as np
import tensorflow as tf

loaded = tf.saved_model.load("models/multi")
out = loaded.image.classify(np.zeros((2, 8, 8, 3), np.float32))
bad = loaded.image.classify(tf.zeros((2, 8, 8, 3)))
"""


@pytest.mark.asyncio
async def test_restored_function_calls_hover_and_hint_like_signature_calls(
    client: LanguageClient,
) -> None:
    diagnostics = await _open(client, "restored.py", RESTORED)
    # A tf.Tensor's dtype is exact under an input_signature; a numpy array is cast.
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("SM013", 5)]
    uri = _uri("restored.py")
    on_callee = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=uri), lsp.Position(4, 20))
    )
    assert on_callee is not None and isinstance(on_callee.contents, lsp.MarkupContent)
    text = on_callee.contents.value
    assert "**image.classify**" in text and "models/multi" in text
    assert "`loaded.image.classify(image)`" in text
    assert "input_signature: `(uint8 (?, 8, 8, 3))`" in text
    on_arg = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=uri), lsp.Position(4, 40))
    )
    assert on_arg is not None and isinstance(on_arg.contents, lsp.MarkupContent)
    assert on_arg.contents.value.startswith("**image**: float32 numpy array (2, 8, 8, 3)")
    assert "declared as `uint8 (?, 8, 8, 3)`" in on_arg.contents.value
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(lsp.Position(0, 0), lsp.Position(10, 0)),
        )
    )
    assert hints is not None
    assert [(h.position.line, h.label) for h in hints] == [
        (4, ": float32 (2, 8, 8, 3)"),
        (5, ": float32 (2, 8, 8, 3)"),
    ]


@pytest.mark.asyncio
async def test_inlay_hints(client: LanguageClient) -> None:
    await _open(client, "hints.py", SOURCE)
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=lsp.TextDocumentIdentifier(uri=_uri("hints.py")),
            range=lsp.Range(lsp.Position(0, 0), lsp.Position(10, 0)),
        )
    )
    assert hints is not None
    assert [(h.position.line, h.position.character, h.label) for h in hints] == [
        (5, 58, ": float64 (4, 5)")
    ]


@pytest.mark.asyncio
async def test_model_change_on_disk_republishes(client: LanguageClient) -> None:
    text = (
        "import numpy as np\nimport tensorflow as tf\n"
        'm = tf.saved_model.load("models/swap")\n'
        'm.signatures["serving_default"](x=np.zeros((2, 4), np.float32))\n'
    )
    swap = PROJECT / "models" / "swap"
    shutil.copytree(FIXTURES / "module_multi", swap, dirs_exist_ok=True)
    assert await _open(client, "swap.py", text) == []
    shutil.copy(FIXTURES / "keras_export_dense" / "saved_model.pb", swap / "saved_model.pb")
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[
                lsp.FileEvent(
                    uri=(swap / "saved_model.pb").as_uri(), type=lsp.FileChangeType.Changed
                )
            ]
        )
    )
    await _published(client)
    await asyncio.sleep(0.2)
    codes = [d.code for d in client.diagnostics[_uri("swap.py")]]
    assert codes == ["SM002"]


@pytest.mark.asyncio
async def test_untitled_document(client: LanguageClient) -> None:
    uri = "untitled:Untitled-1"
    text = SOURCE.replace('"models/dense"', repr(str(PROJECT / "models" / "dense")))
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    await _published(client)
    assert [d.code for d in client.diagnostics[uri]] == ["SM005"]


@pytest.mark.asyncio
async def test_a_failing_request_does_not_kill_the_server(client: LanguageClient) -> None:
    missing = (PROJECT / "src" / "never-opened.py").as_uri()
    # Not open and not on disk: an error response that says so, and a log message.
    with pytest.raises(JsonRpcException, match="not open in the editor"):
        await client.text_document_hover_async(
            lsp.HoverParams(lsp.TextDocumentIdentifier(uri=missing), lsp.Position(0, 0))
        )
    for _ in range(100):  # the log message follows the response
        if any("not open in the editor" in m.message for m in client.log_messages):
            break
        await asyncio.sleep(0.05)
    assert any("not open in the editor" in m.message for m in client.log_messages)
    # Still serving.
    assert [d.code for d in await _open(client, "alive.py", SOURCE)] == ["SM005"]


@pytest.mark.asyncio
async def test_hover_shows_values_observed_at_run_time(client: LanguageClient) -> None:
    text = (
        'import tensorflow as tf\nmodel = tf.saved_model.load("models/dense")\n'
        "def predict(batch):\n"
        '    return model.signatures["serving_default"](keras_tensor=batch)\n'
    )
    folder = PROJECT / ".sm-lint"
    folder.mkdir(exist_ok=True)
    (folder / "observed.json").write_text(
        json.dumps(
            {
                "version": 1,
                "sites": {
                    "src/observed.py:4": {
                        "keras_tensor": [
                            {"kind": "ndarray", "dtype": "float64", "shape": [64, 5], "count": 3}
                        ]
                    }
                },
            }
        )
    )
    diagnostics = await _open(client, "observed.py", text)
    assert [d.code for d in diagnostics] == []  # float64 arrays are cast: no finding
    result = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=_uri("observed.py")), lsp.Position(3, 63))
    )
    assert result is not None and isinstance(result.contents, lsp.MarkupContent)
    assert "observed at run time: float64 (64, 5) (numpy array, 3 times)" in result.contents.value


NOTEBOOK_CELLS = [
    "import numpy as np\nimport tensorflow as tf\n%matplotlib inline",
    "model = tf.saved_model.load('models/dense')\ninfer = model.signatures['serving_default']",
    "batch = np.random.rand(8, 5)\nout = infer(keras_tensor=tf.constant(batch))",
    "out['scores']",
]


async def _open_notebook(client: LanguageClient, name: str, cells: list[str]) -> list[str]:
    uri = (PROJECT / "src" / name).as_uri()
    cell_uris = [
        f"vscode-notebook-cell:{(PROJECT / 'src' / name).as_posix()}#c{i}"
        for i in range(len(cells))
    ]
    client.notebook_document_did_open(
        lsp.DidOpenNotebookDocumentParams(
            notebook_document=lsp.NotebookDocument(
                uri=uri,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    lsp.NotebookCell(kind=lsp.NotebookCellKind.Code, document=u) for u in cell_uris
                ],
            ),
            cell_text_documents=[
                lsp.TextDocumentItem(uri=u, language_id="python", version=1, text=t)
                for u, t in zip(cell_uris, cells, strict=True)
            ],
        )
    )
    for _ in range(300):  # every cell gets its diagnostics, possibly in one burst
        if all(u in client.diagnostics for u in cell_uris):
            break
        await asyncio.sleep(0.1)
    return cell_uris


@pytest.mark.asyncio
async def test_notebook_cells(client: LanguageClient) -> None:
    cells = await _open_notebook(client, "guide.ipynb", NOTEBOOK_CELLS)
    found = {
        i: [
            (d.code, d.range.start.line, d.range.start.character)
            for d in client.diagnostics.get(uri, [])
        ]
        for i, uri in enumerate(cells)
    }
    # Loaded in cell 2, called in cell 3, indexed in cell 4: one program, per-cell positions.
    assert found == {0: [], 1: [], 2: [("SM005", 1, 25)], 3: [("SM010", 0, 4)]}
    hovered = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=cells[2]), lsp.Position(1, 8))
    )
    assert hovered is not None and isinstance(hovered.contents, lsp.MarkupContent)
    assert "| `keras_tensor` | float32 | (?, 5) |" in hovered.contents.value
    completion = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri=cells[3]), lsp.Position(0, 5))
    )
    assert isinstance(completion, lsp.CompletionList)
    assert [item.label for item in completion.items] == ["output_0"]
    assert completion.items[0].text_edit is not None
    assert completion.items[0].text_edit.range.start.line == 0  # in the cell's own lines


DERIVED = """import os, tempfile
import tensorflow as tf

class Doubler(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def __call__(self, x):
        return {"y": x * 2.0}

path = os.path.join(tempfile.mkdtemp(), "m")
tf.saved_model.save(Doubler(), path)
infer = tf.saved_model.load(path).signatures["serving_default"]
out = infer(x=tf.zeros([2, 3], tf.float64))
"""


@pytest.mark.asyncio
async def test_hover_on_a_model_the_program_saves_itself(client: LanguageClient) -> None:
    found = await _open(client, "derived.py", DERIVED)
    assert [(d.code, d.range.start.line) for d in found] == [("SM005", 11)]
    hovered = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=_uri("derived.py")), lsp.Position(11, 8))
    )
    assert hovered is not None and isinstance(hovered.contents, lsp.MarkupContent)
    assert "derived from source: saved at line 10" in hovered.contents.value
    assert "| `x` | float32 | (?, 3) |" in hovered.contents.value


@pytest.mark.asyncio
async def test_hover_in_a_notebook_names_the_cell_of_the_save(client: LanguageClient) -> None:
    head, _, rest = DERIVED.partition("path = ")
    save, _, call = ("path = " + rest).partition("infer = ")
    cells = await _open_notebook(client, "derived.ipynb", [head, save, "infer = " + call])
    hovered = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=cells[2]), lsp.Position(1, 8))
    )
    assert hovered is not None and isinstance(hovered.contents, lsp.MarkupContent)
    assert "derived from source: saved in cell 2, line 2" in hovered.contents.value
    assert [d.code for d in client.diagnostics[cells[2]]] == ["SM005"]


@pytest.mark.asyncio
async def test_finding_inside_a_function_points_at_its_caller(client: LanguageClient) -> None:
    text = (
        "import numpy as np\nimport tensorflow as tf\n\n"
        'model = tf.saved_model.load("models/dense")\n'
        'infer = model.signatures["serving_default"]\n\n'
        "def predict(batch):\n    return infer(keras_tensor=batch)\n\n"
        "predict(np.zeros((2, 7)))\n"
    )
    (diagnostic,) = await _open(client, "caller.py", text)
    assert (diagnostic.code, diagnostic.range.start.line) == ("SM008", 7)
    assert "when `predict` is called at line 10" in diagnostic.message
    (related,) = diagnostic.related_information or []
    assert related.location.uri == _uri("caller.py")
    assert (related.location.range.start.line, related.location.range.start.character) == (9, 0)
    assert related.message == "`predict` called here with float64 numpy array (2, 7)"


@pytest.mark.asyncio
async def test_hub_handle_not_cached_is_an_info_note(client: LanguageClient) -> None:
    handle = "https://tfhub.dev/sm-lint/never-cached-in-any-test/1"
    text = f"import tensorflow_hub as hub\nm = hub.load({handle!r})\n"
    diagnostics = await _open(client, "hub_note.py", text)
    assert [(d.code, d.severity, d.range.start.line) for d in diagnostics] == [
        ("SM011", lsp.DiagnosticSeverity.Information, 1)
    ]
    assert f"hub.resolve({handle!r})" in diagnostics[0].message


@pytest.mark.asyncio
async def test_a_file_whose_load_words_vanish_is_skipped_as_the_cli_skips_it(
    client: LanguageClient,
) -> None:
    assert [d.code for d in await _open(client, "vanish.py", SOURCE)] == ["SM005"]
    # Mid-edit: the load is gone and the file does not parse. The command line skips a file
    # that names no load without reading it further; the editor shows the same: nothing.
    text = "import numpy as np\n\ndef f(:\n    return np.zeros(3)\n"
    assert await _change(client, "vanish.py", text, 2) == []
    (PROJECT / "src" / "vanish.py").write_text(text)
    cli = subprocess.run(
        [sys.executable, "-m", "sm_lint", "src/vanish.py", "--no-cache"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0 and "SM900" not in cli.stdout, cli.stdout
    # With a load word back, a syntax error is reported by both.
    broken = SOURCE + "def f(:\n"
    assert [d.code for d in await _change(client, "vanish.py", broken, 3)] == ["SM900"]


# ------------------------------------------------ models outside the workspace, and watchers

OUTSIDE = Path(tempfile.mkdtemp(prefix="sm-lint-lsp-outside-"))
shutil.copytree(FIXTURES / "keras_export_dense", OUTSIDE / "models" / "dense")
(OUTSIDE / "tfhub").mkdir()
(OUTSIDE / "kaggle").mkdir()
WORKSPACE = Path(tempfile.mkdtemp(prefix="sm-lint-lsp-ws-"))
REGISTRATIONS: list[lsp.RegistrationParams] = []


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env={
            **os.environ,
            "TFHUB_CACHE_DIR": str(OUTSIDE / "tfhub"),
            "KAGGLEHUB_CACHE": str(OUTSIDE / "kaggle"),
        },
    )
)
async def outside(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    registered = answer_server_requests(lsp_client)
    params = initialize_params(WORKSPACE, models=[str(OUTSIDE / "models")])
    await handshake(lsp_client, params)
    for _ in range(200):  # the registration follows `initialized`
        if registered:
            break
        await asyncio.sleep(0.05)
    REGISTRATIONS[:] = registered
    yield
    await lsp_client.shutdown_session()


def _patterns() -> list[str]:
    found = []
    for params in REGISTRATIONS:
        for registration in params.registrations:
            options = registration.register_options  # plain JSON on the client side
            assert registration.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
            if isinstance(options, dict):
                found.extend(str(w.get("globPattern")) for w in options.get("watchers", []))
    return found


@pytest.mark.asyncio
async def test_watchers_cover_the_models_roots_caches_and_observed_json(
    outside: LanguageClient,
) -> None:
    patterns = _patterns()
    root = (OUTSIDE / "models").as_posix()
    assert f"{root}/**/saved_model.pb" in patterns
    assert f"{root}/**/saved_model.pbtxt" in patterns
    assert f"{(OUTSIDE / 'tfhub').as_posix()}/**/*" in patterns
    assert f"{(OUTSIDE / 'kaggle').as_posix()}/**/*" in patterns
    assert f"{(WORKSPACE / '.sm-lint').as_posix()}/observed.json" in patterns
    assert "**/saved_model.pb" in patterns  # and the workspace's own


@pytest.mark.asyncio
async def test_a_model_rewritten_outside_the_workspace_with_the_same_size_and_mtime(
    outside: LanguageClient,
) -> None:
    """No watched-files notification (a client that watches only the workspace) and the
    same size and mtime: the new inode / ctime still says the model changed."""
    text = SOURCE.replace('"models/dense"', '"dense"')
    uri = (WORKSPACE / "same.py").as_uri()
    outside.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, text))
    )
    await _published(outside)
    assert [d.code for d in outside.diagnostics[uri]] == ["SM005"]
    pb = OUTSIDE / "models" / "dense" / "saved_model.pb"
    before = pb.stat()
    data = pb.read_bytes().replace(b"keras_tensor", b"keras_tensoz")  # same size
    fresh = pb.with_name("saved_model.pb.new")
    fresh.write_bytes(data)
    os.utime(fresh, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(fresh, pb)
    after = pb.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    outside.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await _published(outside)
    codes = sorted(d.code for d in outside.diagnostics[uri] if d.code is not None)
    assert codes == ["SM002"], outside.diagnostics[uri]


@pytest.mark.asyncio
async def test_serving_payload_keys_hover_complete_and_fix(client: LanguageClient) -> None:
    """A TF Serving request body: hovering an instance key shows the input's dtype and
    shape, completion inside an instance object offers the input names, and the SM002
    quick fix renames the misspelled key in every instance."""
    url = "http://localhost:8501/v1/models/dense:predict"
    row = '{"keras_tensr": [1.0] * 5}'
    text = (
        f"import requests\nURL = {url!r}\n"
        f'requests.post(URL, json={{"instances": [{row}, {row}]}})\n'
        'requests.post(URL, json={"instances": [{""}]})\n'
    )
    diagnostics = await _open(client, "rest.py", text)
    uri = _uri("rest.py")
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("SM002", 2)]
    second = text.splitlines()[2].rindex("keras_tensr")
    on_key = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=uri), lsp.Position(2, second + 2))
    )
    assert on_key is not None and isinstance(on_key.contents, lsp.MarkupContent)
    assert "is not an input of `serving_default`" in on_key.contents.value
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            lsp.TextDocumentIdentifier(uri=uri),
            lsp.Position(3, text.splitlines()[3].index('{""}') + 2),
        )
    )
    assert isinstance(result, lsp.CompletionList)
    assert [(item.label, item.detail) for item in result.items] == [
        ("keras_tensor", "float32 (?, 5)")
    ]
    actions = await _actions(client, uri, diagnostics)
    rename = next(a for a in actions if isinstance(a, lsp.CodeAction) and "rename" in a.title)
    assert rename.edit is not None and rename.edit.changes
    fixed = _apply(text, list(rename.edit.changes[uri]))
    assert fixed.count('"keras_tensor"') == 2
    assert await _change(client, "rest.py", fixed, 2) == []
    on_fixed = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri=uri), lsp.Position(2, second + 2))
    )
    assert on_fixed is not None and isinstance(on_fixed.contents, lsp.MarkupContent)
    assert on_fixed.contents.value.startswith("**keras_tensor**: float32 (?, 5)")
    assert "this request sends shape (2, 5)" in on_fixed.contents.value
