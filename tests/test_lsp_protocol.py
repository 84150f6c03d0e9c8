"""JSON-RPC / LSP conformance of the language server, as a real process over stdio spoken to
in raw frames (tests/lsp_client.py: RawServer), so that malformed requests reach it as
sent.

Every request with an id gets a response: invalid params -> InvalidParams (-32602) with a
message, unknown methods -> MethodNotFound, no "jsonrpc" -> InvalidRequest, before
initialize -> ServerNotInitialized, after shutdown -> InvalidRequest, a handler failure ->
an error response and a log message. A document that is not open is read only if it is a
regular file (a FIFO never blocks the server). Settings are pulled with
workspace/configuration when the client offers it. positionEncoding is the one the
positions use (UTF-8 and UTF-16 on a non-ASCII line).

Most of these fail without sm_lint/lsp_protocol.py's SmLintProtocol (pygls 2.1 drops
invalid-params requests, messages without "jsonrpc" and requests after shutdown, and reads
unopened documents from disk on its only thread).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from tests.lsp_client import RawServer, client_capabilities, frame, initialize_params

FIXTURES = Path(__file__).parent / "fixtures" / "models"
SOURCE = """import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
s = "\u00e9\U0001f60b"; out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))
print(out["scores"])
"""
CALL_LINE = 5  # 0-based line of the call, after two non-ASCII characters (one astral)
ARGUMENT = SOURCE.splitlines()[CALL_LINE].index("tf.constant")  # in code points

INVALID_POSITIONS: list[Any] = [
    {"line": -1, "character": 0},
    {"line": 0, "character": -5},
    {"line": 2**53, "character": 0},
    {"line": 0, "character": None},
    {"line": [], "character": 0},
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lsp-protocol")
    shutil.copytree(FIXTURES / "keras_export_dense", root / "models" / "dense")
    (root / "src").mkdir()
    return root


def _server(project: Path, **capabilities: Any) -> Iterator[RawServer]:
    server = RawServer(project)
    try:
        answer = server.initialize(
            initialize_params(project, capabilities=client_capabilities(**capabilities))
        )
        assert "result" in answer, answer
        server.initialize_result = answer["result"]  # type: ignore[attr-defined]
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[RawServer]:
    yield from _server(project)


def _open(server: RawServer, uri: str, text: str) -> None:
    server.notify(
        lsp.TEXT_DOCUMENT_DID_OPEN,
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )


def _diagnostics(server: RawServer, uri: str, timeout: float = 30) -> list[dict[str, Any]]:
    found = server.wait_for(
        lambda m: (
            m.get("method") == lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS and m["params"]["uri"] == uri
        ),
        timeout,
    )
    assert found is not None, f"no diagnostics for {uri}"
    server.seen.remove(found)  # the next call waits for the next publication
    diagnostics: list[dict[str, Any]] = found["params"]["diagnostics"]
    return diagnostics


def _hover(uri: str, line: Any = 0, character: Any = 0) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def _logged(server: RawServer, text: str) -> bool:
    return any(text in m["params"]["message"] for m in server.notifications("window/logMessage"))


def _still_serving(server: RawServer, project: Path, name: str) -> None:
    uri = (project / "src" / name).as_uri()
    _open(server, uri, SOURCE)
    assert [d["code"] for d in _diagnostics(server, uri)] == ["SM005", "SM010"]
    assert server.alive()


# ------------------------------------------------------------------ every request answered


@pytest.mark.parametrize("position", INVALID_POSITIONS)
def test_invalid_params_get_invalid_params(server: RawServer, project: Path, position: Any) -> None:
    uri = (project / "src" / "a.py").as_uri()
    for method in (lsp.TEXT_DOCUMENT_HOVER, lsp.TEXT_DOCUMENT_COMPLETION):
        answer = server.request(method, {"textDocument": {"uri": uri}, "position": position}, 10)
        error = answer.get("error")
        assert error is not None and error["code"] == -32602, answer
        assert method in error["message"] and "position" in error["message"], error
    assert _logged(server, "Invalid params")


def test_missing_params_and_wrong_types(server: RawServer, project: Path) -> None:
    for params in ({}, None, [1, 2], {"textDocument": "x", "position": {}}):
        answer = server.request(lsp.TEXT_DOCUMENT_HOVER, params, 10)
        assert answer.get("error", {}).get("code") == -32602, (params, answer)
    # Notifications with invalid params get no response, and the server keeps serving.
    server.notify(lsp.TEXT_DOCUMENT_DID_CHANGE, {"textDocument": None})
    _still_serving(server, project, "after-invalid.py")


def test_unknown_methods(server: RawServer, project: Path) -> None:
    answer = server.request("sm-lint/no-such-method", {"x": 1}, 10)
    assert answer["error"]["code"] == -32601, answer
    assert "sm-lint/no-such-method" in answer["error"]["message"]
    server.notify("sm-lint/no-such-notification", {})
    server.notify("$/no-such-thing", {})
    _still_serving(server, project, "after-unknown.py")


def test_message_without_jsonrpc_member(server: RawServer) -> None:
    server.send({"id": "no-version", "method": lsp.TEXT_DOCUMENT_HOVER, "params": {}})
    answer = server.response("no-version", 10)
    assert answer["error"]["code"] == -32600, answer


def test_garbage_frames_do_not_stop_the_server(server: RawServer, project: Path) -> None:
    server.send_bytes(frame(b"{not json"))
    server.send_bytes(frame(b"[]"))
    server.send_bytes(frame(b'"a string"'))
    _still_serving(server, project, "after-garbage.py")


def test_a_failing_handler_answers_with_an_error_and_logs_it(
    server: RawServer, project: Path
) -> None:
    uri = (project / "src" / "fail.py").as_uri()
    _open(server, uri, SOURCE)
    _diagnostics(server, uri)
    # A diagnostic the client says came from sm-lint, carrying fix data sm-lint never made.
    bogus = {
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
        "message": "x",
        "source": "sm-lint",
        "code": "SM005",
        "data": {"code": "SM005", "fix": {"description": "d", "edits": [[1, 2]]}},
    }
    answer = server.request(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        {
            "textDocument": {"uri": uri},
            "range": bogus["range"],
            "context": {"diagnostics": [bogus]},
        },
        10,
    )
    assert answer.get("error", {}).get("code") == -32603, answer
    assert "code action failed" in answer["error"]["message"]
    assert _logged(server, f"code action failed for {uri}")
    assert server.alive()


def test_before_initialize_and_after_shutdown(project: Path) -> None:
    server = RawServer(project)
    try:
        uri = (project / "src" / "x.py").as_uri()
        early = server.request(lsp.TEXT_DOCUMENT_HOVER, _hover(uri), 60)
        assert early["error"]["code"] == -32002, early
        server.initialize(initialize_params(project))
        assert "result" in server.request(lsp.SHUTDOWN, None, 10)
        late = server.request(lsp.TEXT_DOCUMENT_HOVER, _hover(uri), 10)
        assert late["error"]["code"] == -32600, late
        server.notify(lsp.EXIT, None)
        assert server.process.wait(timeout=10) == 0
    finally:
        server.close()


# ------------------------------------------------------------------ documents not opened


def test_unopened_documents(server: RawServer, project: Path) -> None:
    regular = project / "src" / "on-disk.py"
    regular.write_text(SOURCE)
    answer = server.request(
        lsp.TEXT_DOCUMENT_HOVER, _hover(regular.as_uri(), CALL_LINE, ARGUMENT), 10
    )
    assert answer.get("result") is not None, answer  # read from disk, once
    missing = server.request(
        lsp.TEXT_DOCUMENT_HOVER, _hover((project / "src" / "missing.py").as_uri()), 10
    )
    assert missing["error"]["code"] == -32803, missing
    assert "not open in the editor" in missing["error"]["message"]
    folder = server.request(lsp.TEXT_DOCUMENT_HOVER, _hover(project.as_uri()), 10)
    assert folder["error"]["code"] == -32803, folder


def test_a_fifo_that_is_not_open_never_blocks_the_server(server: RawServer, project: Path) -> None:
    fifo = project / "src" / "pipe.py"
    os.mkfifo(fifo)
    answer = server.request(lsp.TEXT_DOCUMENT_HOVER, _hover(fifo.as_uri()), 10)
    assert answer["error"]["code"] == -32803, answer
    assert "not a regular file" in answer["error"]["message"]
    _still_serving(server, project, "after-fifo.py")


# ------------------------------------------------------------------ settings


def test_settings_are_pulled_with_workspace_configuration(project: Path) -> None:
    server = RawServer(project)
    server.settings = {"select": ["SM010"]}
    try:
        server.initialize(
            initialize_params(project, capabilities=client_capabilities(configuration=True))
        )
        uri = (project / "src" / "pulled.py").as_uri()
        _open(server, uri, SOURCE)
        codes: list[str] = []
        for _ in range(3):  # the open may be linted before the pulled settings arrive
            codes = [d["code"] for d in _diagnostics(server, uri)]
            if codes == ["SM010"]:
                break
        assert codes == ["SM010"]
        asked = [r for r in server.server_requests if r["method"] == lsp.WORKSPACE_CONFIGURATION]
        assert asked and asked[0]["params"]["items"][0]["section"] == "smLint"
        # A change notification without settings makes the server pull them again.
        server.settings = {"select": ["SM005"]}
        server.notify(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION, {"settings": None})
        for _ in range(3):
            codes = [d["code"] for d in _diagnostics(server, uri)]
            if codes == ["SM005"]:
                break
        assert codes == ["SM005"]
    finally:
        server.close()


def test_no_pull_without_the_client_capability(server: RawServer) -> None:
    assert not [r for r in server.server_requests if r["method"] == lsp.WORKSPACE_CONFIGURATION]


# ------------------------------------------------------------------ position encodings


@pytest.mark.parametrize(
    ("encodings", "expected", "units"),
    [
        (None, "utf-16", lambda s: len(s.encode("utf-16-le")) // 2),
        (["utf-8", "utf-16"], "utf-8", lambda s: len(s.encode("utf-8"))),
        (["utf-16"], "utf-16", lambda s: len(s.encode("utf-16-le")) // 2),
        (["utf-32"], "utf-32", len),
    ],
)
def test_position_encoding_on_a_non_ascii_line(
    project: Path, encodings: list[str] | None, expected: str, units: Any
) -> None:
    for server in _server(project, position_encodings=encodings):
        capabilities = server.initialize_result["capabilities"]  # type: ignore[attr-defined]
        assert capabilities.get("positionEncoding", "utf-16") == expected
        uri = (project / "src" / f"enc-{expected}.py").as_uri()
        _open(server, uri, SOURCE)
        found = [d for d in _diagnostics(server, uri) if d["code"] == "SM005"]
        line = SOURCE.splitlines()[CALL_LINE]
        assert found and found[0]["range"]["start"] == {
            "line": CALL_LINE,
            "character": units(line[:ARGUMENT]),
        }
        # A hover at the argument, in the same units, finds the argument.
        answer = server.request(
            lsp.TEXT_DOCUMENT_HOVER, _hover(uri, CALL_LINE, units(line[: ARGUMENT + 3]))
        )
        assert "float64 tf.Tensor (4, 5)" in answer["result"]["contents"]["value"], answer
