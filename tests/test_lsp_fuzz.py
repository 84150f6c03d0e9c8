"""The language server under random edits, random requests and malformed requests.

A real server process (``python -m sm_lint server``) driven by pytest-lsp. A seeded random
sequence of incremental ``didChange`` edits (insertions and deletions of characters, words
and lines, given as ranges in UTF-16 code units) is interleaved with hover, completion,
inlay-hint and code-action requests at random positions, and with malformed requests
(positions past the end, negative and huge numbers, unknown URIs, closed documents). The
server must answer every request within a timeout and stay alive, must never log an
internal failure for a request that is valid, and a final full-text change back to a known
source must publish exactly the findings the core API computes for it.

``SM_LINT_FUZZ_BUDGET`` (a float, default 1) scales the number of edits: 200 by default,
up to 1000 at budget 5 or more. ``SM_LINT_FUZZ_SEED`` fixes the seed (printed on every
run, so a failure reproduces with ``SM_LINT_FUZZ_SEED=<seed>``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import random
import re
import shutil
import tempfile
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from sm_lint.api import lint_source
from sm_lint.config import Config
from tests.conftest import lsp_client_fixture
from tests.lsp_client import SERVER_COMMAND, answer_server_requests, handshake, initialize_params

T = TypeVar("T")

FIXTURES = Path(__file__).parent / "fixtures" / "models"
BUDGET = float(os.environ.get("SM_LINT_FUZZ_BUDGET", "1") or "1")
EDITS = max(20, min(1000, int(200 * BUDGET)))
SEED = int(os.environ.get("SM_LINT_FUZZ_SEED", "20240611"))
TIMEOUT = 30.0  # seconds for any one answer: a failure, never a hang

PROJECT = Path(tempfile.mkdtemp(prefix="sm-lint-lsp-fuzz-"))
shutil.copytree(FIXTURES / "keras_export_dense", PROJECT / "models" / "dense")
shutil.copytree(FIXTURES / "module_multi", PROJECT / "models" / "multi")
(PROJECT / "src").mkdir()

SOURCE = """import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))
print(out["output_0"], out["scores"])
multi = tf.saved_model.load("models/multi")
pair = multi.signatures["pair"]
joined = pair(left=np.zeros((32, 3), np.float32), right=np.zeros((16, 3), np.float32))
label = multi.signatures["classify_image"](image=np.random.rand(1, 8, 8, 3))["label"]
s = "\u00e9\U0001f60b"; again = infer(keras_tensor=np.zeros((2, 7), np.float32))
missing = multi.signatures["nope"]
"""

# Text the random edits insert: Python punctuation, words that make signature calls,
# non-ASCII (two- and four-byte UTF-8, a UTF-16 surrogate pair), tabs and newlines.
# Also the characters str.splitlines breaks at where LSP and Python do not (form feed,
# \x85, \u2028): the server's documents must not split lines there.
CHARS = [
    *"()[]{}\"',.=:#+-*/ _\t\n\\0123456789abcxyzN",
    *("\u00e9", "\U0001f60b", "\u4e2d", "\x0c", "\x85", "\u2028"),
]
WORDS = [
    "infer(",
    "infer(keras_tensor=",
    "keras_tensor=",
    "np.zeros((2, 5), np.float32)",
    "np.random.rand(8, 5)",
    "tf.constant(",
    "tf.cast(x, tf.float32)",
    'model.signatures["',
    'multi.signatures["pair"](',
    'out["',
    '["output_0"]',
    "left=",
    "right=np.zeros((2, 3))",
    ")",
    "))",
    "\n",
    "\r\n",
    "\n    ",
    "def f(x):\n    return infer(keras_tensor=x)\n",
    "class C:\n    def __init__(self):\n        self.f = infer\n",
    "# noqa: SM005",
    '"""',
    "'''",
    "if True:\n\t",
    "[[" * 30,
    "]]" * 30,
    "\U0001f60b" * 5,
    "lambda: ",
    "async def g():\n    await ",
    "match x:\n    case [a]:\n        ",
]
LINES = [
    "out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))",
    "bad = infer(wrong=np.zeros((1, 5), np.float32))",
    'x = model.signatures["serve"](keras_tensor=np.zeros((3, 5), np.float32))["output_0"]',
    'multi.signatures["lookup"](ids=[1, 2], text=["a", "b"])',
    "",
    "    ",
    "pass",
    "import os",
    "m2 = tf.saved_model.load(os.path.join('models', 'multi'))",
]


def _fuzz_config() -> Config:
    return Config(models=(PROJECT / "models",), project_root=PROJECT)


# --------------------------------------------------------------------------- the document


def _split(text: str) -> list[str]:
    """The document's lines as LSP sees them: \\n, \\r\\n and \\r end a line."""
    return re.split(r"\r\n|\r|\n", text)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Document:
    """The client's copy of a document; positions in UTF-16 code units, as LSP wants."""

    uri: str
    text: str
    version: int = 1

    def position(self, offset: int) -> lsp.Position:
        before = self.text[:offset]
        lines = _split(before)
        return lsp.Position(line=len(lines) - 1, character=_utf16(lines[-1]))

    def snap(self, offset: int) -> int:
        """*offset* moved off the middle of a \\r\\n pair (LSP cannot name that place)."""
        offset = max(0, min(offset, len(self.text)))
        if 0 < offset < len(self.text) and self.text[offset - 1 : offset + 1] == "\r\n":
            offset -= 1
        return offset

    def random_position(self, rng: random.Random) -> lsp.Position:
        return self.position(self.snap(rng.randint(0, len(self.text))))

    def edit(self, start: int, end: int, new: str) -> lsp.TextDocumentContentChangePartial:
        """Replace text[start:end] with *new*; the change to send for it."""
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(self.position(start), self.position(end)), text=new
        )
        self.text = self.text[:start] + new + self.text[end:]
        self.version += 1
        return change


def _line_bounds(doc: Document, rng: random.Random) -> tuple[int, int]:
    """Offsets of the start and end (after its line break) of a random line."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", doc.text)]
    index = rng.randrange(len(starts))
    start = starts[index]
    end = starts[index + 1] if index + 1 < len(starts) else len(doc.text)
    return start, end


def random_edit(doc: Document, rng: random.Random) -> lsp.TextDocumentContentChangePartial:
    """One random incremental edit, applied to *doc*."""
    kind = rng.choices(
        ["char", "word", "delete", "delete_line", "insert_line", "duplicate_line", "replace"],
        weights=[30, 20, 20, 8, 10, 5, 7],
    )[0]
    at = doc.snap(rng.randint(0, len(doc.text)))
    if kind == "char":
        return doc.edit(at, at, rng.choice(CHARS))
    if kind == "word":
        return doc.edit(at, at, rng.choice(WORDS))
    if kind == "delete":
        end = doc.snap(at + rng.choice([1, 1, 1, 2, 3, 5, 10, 40]))
        return doc.edit(at, max(at, end), "")
    if kind == "replace":
        end = doc.snap(at + rng.randint(0, 12))
        return doc.edit(at, max(at, end), rng.choice(WORDS + CHARS))
    start, end = _line_bounds(doc, rng)
    if kind == "delete_line":
        return doc.edit(start, end, "")
    if kind == "insert_line":
        return doc.edit(start, start, rng.choice(LINES) + rng.choice(["\n", "\n", "\r\n"]))
    line = doc.text[start:end]
    return doc.edit(end, end, line if line.endswith(("\n", "\r")) else "\n" + line)


# --------------------------------------------------------------------------- the server


client = lsp_client_fixture(PROJECT)


async def _answer(awaitable: Awaitable[T], what: str, timeout: float = TIMEOUT) -> T:
    """The answer to a request, or a test failure (never a hang)."""
    try:
        # shield: a late answer must find its future still pending, not cancelled.
        return await asyncio.wait_for(asyncio.shield(awaitable), timeout=timeout)
    except asyncio.TimeoutError:
        pytest.fail(f"no answer to {what} within {timeout} s: the server hangs")


def _alive(client: LanguageClient) -> None:
    server = client._server  # the server process pytest-lsp started
    assert server is not None and server.returncode is None, "the server process died"
    assert client.error is None, f"the client saw a fatal server error: {client.error}"


def _failures(client: LanguageClient, uri: str, what: str = "") -> list[str]:
    """Internal failures the server logged for *uri* (its ``guarded`` wrapper), of
    *what* ("analysis", "hover", ...) or of any kind."""
    return [
        m.message
        for m in client.log_messages
        if m.type == lsp.MessageType.Error and f"{what} failed for {uri}:" in m.message
    ]


def _open(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )


def _change(client: LanguageClient, doc: Document, changes: list[Any]) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
            content_changes=changes,
        )
    )


async def _sync(client: LanguageClient, doc: Document) -> None:
    """Make the server lint *doc* now, and wait until its findings have arrived.

    didSave lints synchronously; the server handles messages in order, so once the answer
    to the next request is in, the publishDiagnostics sent before it has been handled."""
    client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=doc.uri))
    )
    await _answer(
        client.text_document_inlay_hint_async(
            lsp.InlayHintParams(
                text_document=lsp.TextDocumentIdentifier(uri=doc.uri),
                range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            )
        ),
        "a round trip after didSave",
    )


def _expected(text: str, path: Path) -> list[tuple[str, int, int, int, int]]:
    """What the core API finds in *text*, as LSP ranges (0-based, UTF-16 columns)."""
    lines = _split(text)

    def column(line: int, col: int) -> int:
        return _utf16(lines[line - 1][: col - 1]) if line - 1 < len(lines) else col - 1

    return sorted(
        (
            d.code,
            d.line - 1,
            column(d.line, d.column),
            d.end_line - 1,
            column(d.end_line, d.end_column),
        )
        for d in lint_source(text, path, _fuzz_config())
    )


def _published(client: LanguageClient, uri: str) -> list[tuple[str, int, int, int, int]]:
    return sorted(
        (
            str(d.code),
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
        )
        for d in client.diagnostics.get(uri, [])
    )


# --------------------------------------------------------------------------- requests


async def random_request(
    client: LanguageClient, doc: Document, rng: random.Random, failed: list[str]
) -> str:
    """One valid request at a random place of *doc*; its name. A failure the server
    logs while answering it (its ``guarded`` wrapper caught an exception) goes to
    *failed*."""
    before = len(_failures(client, doc.uri))
    kind = await _random_request(client, doc, rng)
    failed.extend(f"{kind}: {m}" for m in _failures(client, doc.uri)[before:])
    return kind


async def _random_request(client: LanguageClient, doc: Document, rng: random.Random) -> str:
    ident = lsp.TextDocumentIdentifier(uri=doc.uri)
    kind = rng.choice(["hover", "completion", "inlay", "action"])
    if kind == "hover":
        position = doc.random_position(rng)
        await _answer(
            client.text_document_hover_async(lsp.HoverParams(ident, position)),
            f"hover at {position}",
        )
    elif kind == "completion":
        position = doc.random_position(rng)
        result = await _answer(
            client.text_document_completion_async(lsp.CompletionParams(ident, position)),
            f"completion at {position}",
        )
        assert result is None or isinstance(result, (lsp.CompletionList, list))
    elif kind == "inlay":
        a, b = sorted([doc.random_position(rng), doc.random_position(rng)], key=_key)
        await _answer(
            client.text_document_inlay_hint_async(lsp.InlayHintParams(ident, lsp.Range(a, b))),
            f"inlay hints in {a}-{b}",
        )
    else:
        a, b = sorted([doc.random_position(rng), doc.random_position(rng)], key=_key)
        diagnostics = list(client.diagnostics.get(doc.uri, []))
        await _answer(
            client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=ident,
                    range=lsp.Range(a, b),
                    context=lsp.CodeActionContext(diagnostics=diagnostics),
                )
            ),
            f"code actions in {a}-{b}",
        )
    return kind


def _key(p: lsp.Position) -> tuple[int, int]:
    return (p.line, p.character)


@dataclass
class Malformed:
    """Malformed requests sent so far, and how each was answered."""

    answers: list[tuple[str, str]] = field(default_factory=list)


# Positions LSP allows (uinteger: 0 to 2**31 - 1) that no document has.
_RAW_POSITIONS = [
    {"line": 2**31 - 1, "character": 2**31 - 1},
    {"line": 0, "character": 2**31 - 1},
    {"line": 3, "character": 10**6},
    {"line": 10**6, "character": 0},
]
# Positions LSP does not allow: the request must get an error response.
_INVALID_POSITIONS = [
    {"line": -1, "character": 0},
    {"line": 0, "character": -5},
    {"line": 2**53, "character": 0},
    {"line": 0, "character": None},
    {"line": [], "character": 0},
]


def _send_raw(client: LanguageClient, method: str, params: Any) -> asyncio.Future[Any]:
    """Send a request as raw JSON, bypassing the client's types and validation (pygls
    would serialise *params* as the method's params class)."""
    protocol = client.protocol
    msg_id = f"raw-{uuid.uuid4()}"
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    protocol._request_futures[msg_id] = future
    protocol._result_types[msg_id] = protocol.get_result_type(method)
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return asyncio.wrap_future(future)


async def _raw(client: LanguageClient, method: str, params: Any, timeout: float = TIMEOUT) -> str:
    """Send a raw request; how it was answered (a result or an error response)."""
    try:
        await _answer(_send_raw(client, method, params), f"raw {method} {params}", timeout)
    except Exception as error:  # an error response is an answer too
        return f"error: {type(error).__name__}"
    return "result"


async def malformed_request(
    client: LanguageClient, doc: Document, rng: random.Random, log: Malformed
) -> None:
    """One malformed request; it must be answered (a result or an error)."""
    ident = lsp.TextDocumentIdentifier(uri=doc.uri)
    lines = _split(doc.text)
    kind = rng.choice(
        ["past_end", "raw_position", "unknown_uri", "raw_range", "bad_diagnostic", "no_method"]
    )
    outcome = "result"
    try:
        if kind == "past_end":
            position = lsp.Position(
                line=min(len(lines) + rng.choice([0, 1, 100, 2**31]), 2**31 - 1),
                character=rng.choice([0, 1, 10**6, 2**31 - 1]),
            )
            request = rng.choice(["hover", "completion"])
            if request == "hover":
                await _answer(
                    client.text_document_hover_async(lsp.HoverParams(ident, position)),
                    f"hover past the end at {position}",
                )
            else:
                await _answer(
                    client.text_document_completion_async(lsp.CompletionParams(ident, position)),
                    f"completion past the end at {position}",
                )
            # A column past the end of an existing line.
            line = rng.randrange(len(lines))
            position = lsp.Position(line=line, character=_utf16(lines[line]) + rng.randint(1, 99))
            await _answer(
                client.text_document_hover_async(lsp.HoverParams(ident, position)),
                f"hover past the end of line {line}",
            )
        elif kind == "raw_position":
            method = rng.choice([lsp.TEXT_DOCUMENT_HOVER, lsp.TEXT_DOCUMENT_COMPLETION])
            outcome = await _raw(
                client,
                method,
                {"textDocument": {"uri": doc.uri}, "position": rng.choice(_RAW_POSITIONS)},
            )
        elif kind == "raw_range":
            start, end = rng.choice(_RAW_POSITIONS), rng.choice(_RAW_POSITIONS)
            method = rng.choice([lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.TEXT_DOCUMENT_CODE_ACTION])
            params: dict[str, Any] = {
                "textDocument": {"uri": doc.uri},
                "range": {"start": start, "end": end},
            }
            if method == lsp.TEXT_DOCUMENT_CODE_ACTION:
                params["context"] = {"diagnostics": []}
            outcome = await _raw(client, method, params)
        elif kind == "unknown_uri":
            uri = rng.choice(
                [
                    (PROJECT / "src" / "never-opened.py").as_uri(),
                    (PROJECT / "src" / "no" / "such" / "dir.py").as_uri(),
                    PROJECT.as_uri(),  # a folder
                    "untitled:Untitled-99",
                    "weird-scheme://host/x.py",
                    "file:///",
                    "",
                ]
            )
            outcome = await _raw(
                client,
                rng.choice([lsp.TEXT_DOCUMENT_HOVER, lsp.TEXT_DOCUMENT_COMPLETION]),
                {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}},
            )
        elif kind == "bad_diagnostic":
            # Diagnostics the client claims came from sm-lint, with data that did not.
            bogus = [
                lsp.Diagnostic(
                    range=lsp.Range(lsp.Position(10**6, 0), lsp.Position(10**6, 5)),
                    message="x",
                    source="sm-lint",
                    code="SM005",
                    data=rng.choice(
                        [
                            {"code": "SM005", "fix": {"description": "d", "edits": [[1, 2]]}},
                            {"code": "SM005", "fix": {"description": "d", "edits": "x"}},
                            {"code": "SM005", "fix": {"edits": [[10**6, 1, 10**6, 9, "t"]]}},
                            {"code": None},
                            ["not", "a", "dict"],
                            None,
                        ]
                    ),
                )
            ]
            try:  # fix data sm-lint never made: a result or an error response
                await _answer(
                    client.text_document_code_action_async(
                        lsp.CodeActionParams(
                            text_document=ident,
                            range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 1)),
                            context=lsp.CodeActionContext(diagnostics=bogus),
                        )
                    ),
                    "code actions for a bogus diagnostic",
                )
            except JsonRpcException:
                outcome = "error: JsonRpcException"
        else:
            outcome = await _raw(client, "sm-lint/no-such-method", {"x": 1})
    finally:
        log.answers.append((kind, outcome))


# --------------------------------------------------------------------------- the fuzz


@pytest.mark.asyncio
async def test_random_edits_and_requests(client: LanguageClient) -> None:
    rng = random.Random(SEED)
    print(f"sm-lint LSP fuzz: seed {SEED} (SM_LINT_FUZZ_SEED), {EDITS} edits")
    path = PROJECT / "src" / "fuzz.py"
    path.write_text(SOURCE)
    doc = Document(path.as_uri(), SOURCE)
    _open(client, doc.uri, doc.text)
    await _sync(client, doc)
    assert _published(client, doc.uri) == _expected(SOURCE, path)
    malformed = Malformed()
    requests: list[str] = []
    failed: list[str] = []
    closed_probe = (PROJECT / "src" / "closed.py").as_uri()
    _open(client, closed_probe, SOURCE)

    for step in range(EDITS):
        batch = [random_edit(doc, rng) for _ in range(rng.choice([1, 1, 1, 2, 5]))]
        _change(client, doc, batch)
        roll = rng.random()
        if roll < 0.35:
            requests.append(await random_request(client, doc, rng, failed))
        elif roll < 0.45:
            await malformed_request(client, doc, rng, malformed)
        elif roll < 0.55:
            await asyncio.sleep(0.2)  # past the debounce: the linter runs on this text
        if step == EDITS // 2:
            # A closed document: requests for it and edits to it are answered or ignored.
            client.text_document_did_close(
                lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri=closed_probe))
            )
            # It is not on disk either: the answer is an error that says so.
            with pytest.raises(JsonRpcException, match="not open in the editor"):
                await _answer(
                    client.text_document_hover_async(
                        lsp.HoverParams(
                            lsp.TextDocumentIdentifier(closed_probe), lsp.Position(5, 8)
                        )
                    ),
                    "hover on a closed document",
                )
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=closed_probe, version=9),
                    content_changes=[lsp.TextDocumentContentChangeWholeDocument(text="x")],
                )
            )
        _alive(client)

    # Every valid request on the live document was served without an internal failure,
    # and no analysis of any intermediate text failed.
    failures = failed + _failures(client, doc.uri, "analysis")
    assert not failures, "\n\n".join(failures[:3])

    # Back to a known text: exactly the findings the core API computes for it.
    doc.version += 1
    doc.text = SOURCE
    _change(client, doc, [lsp.TextDocumentContentChangeWholeDocument(text=SOURCE)])
    await _sync(client, doc)
    await asyncio.sleep(0.4)  # a debounced run, if one is still due, publishes the same
    expected = _expected(SOURCE, path)
    # One planted mistake per rule it exercises, so the comparison means something.
    assert sorted(c for c, *_ in expected) == [
        "SM001",
        "SM005",
        "SM006",
        "SM008",
        "SM009",
        "SM010",
    ], expected
    assert _published(client, doc.uri) == expected
    _alive(client)
    print(
        f"requests: {len(requests)} valid, {len(malformed.answers)} malformed "
        f"({sum(1 for _, o in malformed.answers if o.startswith('error'))} error answers)"
    )


@pytest.mark.asyncio
async def test_incremental_edits_keep_the_server_copy_exact(client: LanguageClient) -> None:
    """After random incremental edits, the server's text is the client's: a full lint of
    the server's copy (didSave) gives what the core API gives for the client's copy."""
    rng = random.Random(SEED + 1)
    path = PROJECT / "src" / "exact.py"
    path.write_text(SOURCE)
    doc = Document(path.as_uri(), SOURCE.replace("\n", "\r\n", 3))
    _open(client, doc.uri, doc.text)
    for _round in range(max(3, EDITS // 40)):
        for _ in range(20):
            _change(client, doc, [random_edit(doc, rng)])
        await _sync(client, doc)
        assert _published(client, doc.uri) == _expected(doc.text, path), repr(doc.text)
    failures = _failures(client, doc.uri)
    assert not failures, "\n\n".join(failures[:3])
    _alive(client)


# Settings a client may send that are not what the server expects.
GARBAGE_SETTINGS: list[Any] = [
    {"smLint": "a string"},
    {"smLint": {"models": 5, "select": "SM", "model-paths": [1, 2]}},
    {"smLint": {"models": [None, 3, "\u0000"], "select": [None], "ignore": [{}]}},
    {"sm-lint": {"modelPaths": {"": "", "gs://x": None}}},
    {"smLint": {"models": ["/" * 5000, "a" * 300]}},
    ["not", "a", "dict"],
    None,
    {},
]


@pytest.mark.asyncio
async def test_garbage_settings_and_model_changes_on_disk(client: LanguageClient) -> None:
    """Odd workspace/didChangeConfiguration payloads, then a model corrupted and restored
    on disk (workspace/didChangeWatchedFiles): the server keeps serving, reports SM012 for
    the corrupt model, and the original findings once it is back."""
    model = PROJECT / "models" / "corruptible"
    shutil.copytree(FIXTURES / "keras_export_dense", model, dirs_exist_ok=True)
    text = SOURCE.replace('"models/dense"', '"models/corruptible"')
    path = PROJECT / "src" / "settings.py"
    path.write_text(text)
    doc = Document(path.as_uri(), text)
    _open(client, doc.uri, text)
    await _sync(client, doc)
    expected = _expected(text, path)
    assert _published(client, doc.uri) == expected
    for settings in GARBAGE_SETTINGS:
        client.protocol._send_data(
            {
                "jsonrpc": "2.0",
                "method": lsp.WORKSPACE_DID_CHANGE_CONFIGURATION,
                "params": {"settings": settings},
            }
        )
        await _sync(client, doc)
        _alive(client)
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"smLint": {"models": ["models"]}})
    )
    await _sync(client, doc)
    assert _published(client, doc.uri) == expected

    pb = model / "saved_model.pb"
    good = pb.read_bytes()
    event = lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=pb.as_uri(), type=lsp.FileChangeType.Changed)]
    )
    try:
        pb.write_bytes(good[: len(good) // 3])
        client.workspace_did_change_watched_files(event)
        await _sync(client, doc)
        codes = [(c, line) for c, line, *_ in _published(client, doc.uri)]
        assert ("SM012", 3) in codes, codes
    finally:
        pb.write_bytes(good)
    client.workspace_did_change_watched_files(event)
    await _sync(client, doc)
    assert _published(client, doc.uri) == expected
    _alive(client)


# --------------------------------------------------------------------------- crashes, hangs


async def _survives(client: LanguageClient, name: str, text: str) -> list[str]:
    """Open *text*, then ask for a hover: the codes published for it (the server must
    answer and stay alive)."""
    path = PROJECT / "src" / name
    path.write_text(text)
    doc = Document(path.as_uri(), text)
    _open(client, doc.uri, text)
    await _sync(client, doc)
    await _answer(
        client.text_document_hover_async(
            lsp.HoverParams(lsp.TextDocumentIdentifier(doc.uri), lsp.Position(5, 8))
        ),
        f"hover after opening {name}",
        timeout=10,
    )
    _alive(client)
    return [str(d.code) for d in client.diagnostics.get(doc.uri, [])]


@pytest.mark.asyncio
async def test_deeply_nested_document_does_not_kill_the_server(client: LanguageClient) -> None:
    """3,000 nested brackets overflow the C stack of libcst's native parser; CPython
    refuses them first (SM900), so the server lives on."""
    codes = await _survives(client, "deep.py", SOURCE + "x = " + "[" * 3000 + "]" * 3000 + "\n")
    assert codes == ["SM900"]


@pytest.mark.asyncio
async def test_long_boolean_chain_does_not_kill_the_server(client: LanguageClient) -> None:
    """`x and x and ...` of 20,000 operands (CPython compiles it; libcst's native parser
    overflows the C stack on it): found too complex before libcst sees it, so the server
    lives on and says why the file is not analysed."""
    codes = await _survives(client, "chain.py", SOURCE + "ok = x" + " and x" * 20_000 + "\n")
    assert codes == ["SM900"]


# pygls splits lines with str.splitlines, which breaks at \x0c (form feed) and other
# characters that are not line breaks in LSP or Python; sm_lint/lsp_protocol.py's
# LspTextDocument works around it (this test fails without it).
@pytest.mark.asyncio
async def test_form_feed_line_separator(client: LanguageClient) -> None:
    path = PROJECT / "src" / "formfeed.py"
    text = SOURCE.replace("multi = ", "\x0c\nmulti = ")  # a form feed line, as in CPython
    doc = Document(path.as_uri(), text)
    _open(client, doc.uri, doc.text)
    # Fix the dtype mistake on the line below the form feed (label = ... uint8 input).
    start = doc.text.index("np.random.rand(1, 8, 8, 3)")
    end = start + len("np.random.rand(1, 8, 8, 3)")
    _change(client, doc, [doc.edit(start, end, "np.zeros((1, 8, 8, 3), np.uint8)")])
    await _sync(client, doc)
    assert _published(client, doc.uri) == _expected(doc.text, path)


async def _still_serving(client: LanguageClient, name: str) -> None:
    path = PROJECT / "src" / name
    path.write_text(SOURCE)
    doc = Document(path.as_uri(), SOURCE)
    _open(client, doc.uri, doc.text)
    await _sync(client, doc)
    assert _published(client, doc.uri) == _expected(SOURCE, path)
    _alive(client)


@pytest.mark.asyncio
async def test_invalid_params_do_not_stop_the_server(client: LanguageClient) -> None:
    """Requests and notifications whose params break the LSP schema (negative or too
    large positions, wrong types, missing fields) leave the server serving."""
    uri = (PROJECT / "src" / "fuzz.py").as_uri()
    for position in _INVALID_POSITIONS:
        for method in (lsp.TEXT_DOCUMENT_HOVER, lsp.TEXT_DOCUMENT_COMPLETION):
            _send_raw(client, method, {"textDocument": {"uri": uri}, "position": position})
    _send_raw(client, lsp.TEXT_DOCUMENT_HOVER, {})
    _send_raw(client, lsp.TEXT_DOCUMENT_HOVER, None)
    _send_raw(client, lsp.TEXT_DOCUMENT_INLAY_HINT, {"textDocument": {"uri": uri}})
    for notification in (
        {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"range": {}}]},
        {"textDocument": {"uri": uri}, "contentChanges": None},
        {"textDocument": None},
    ):
        client.protocol._send_data(
            {"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_DID_CHANGE, "params": notification}
        )
    # didChange for a document that was never opened, with a range past its end.
    client.protocol._send_data(
        {
            "jsonrpc": "2.0",
            "method": lsp.TEXT_DOCUMENT_DID_CHANGE,
            "params": {
                "textDocument": {"uri": (PROJECT / "src" / "ghost.py").as_uri(), "version": 2},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": 10**6, "character": 0},
                            "end": {"line": 10**6, "character": 4},
                        },
                        "text": "x",
                    }
                ],
            },
        }
    )
    await _still_serving(client, "after-invalid.py")


@pytest.mark.asyncio
async def test_request_with_invalid_params_gets_an_error_response(
    client: LanguageClient,
) -> None:
    uri = (PROJECT / "src" / "fuzz.py").as_uri()
    outcomes = await asyncio.gather(
        *(
            _raw(
                client,
                lsp.TEXT_DOCUMENT_HOVER,
                {"textDocument": {"uri": uri}, "position": position},
                timeout=2,
            )
            for position in _INVALID_POSITIONS
        )
    )
    assert all(o.startswith("error") for o in outcomes), outcomes


@pytest.mark.asyncio
async def test_request_for_a_fifo_does_not_hang_the_server(client: LanguageClient) -> None:
    fifo = PROJECT / "src" / "pipe.py"
    if not fifo.exists():
        os.mkfifo(fifo)
    blocked = _send_raw(
        client,
        lsp.TEXT_DOCUMENT_HOVER,
        {"textDocument": {"uri": fifo.as_uri()}, "position": {"line": 0, "character": 0}},
    )
    try:
        path = PROJECT / "src" / "after-fifo.py"
        path.write_text(SOURCE)
        outcome = await _raw(
            client,
            lsp.TEXT_DOCUMENT_HOVER,
            {"textDocument": {"uri": path.as_uri()}, "position": {"line": 5, "character": 8}},
            timeout=2,
        )
        assert outcome == "result"
    finally:
        # Unblock the server so that it can shut down: each read of the document opens
        # the FIFO again, so open and close its write end until the request is answered.
        for _ in range(200):
            if blocked.done():
                break
            with contextlib.suppress(OSError):  # ENXIO: no reader right now
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            await asyncio.sleep(0.02)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(blocked, timeout=5)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def bare_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    """A started server the test initializes itself (with its own workspace)."""
    answer_server_requests(lsp_client)
    yield
    if lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


# pyproject.toml files a TOML parser fails on in ways other than TOMLDecodeError.
BAD_PYPROJECTS = {
    "long_integer": "[tool.other]\nx = 1" + "0" * 5000 + "\n",
    "deep_arrays": "[tool.other]\nx = " + "[" * 50_000 + "]" * 50_000 + "\n",
}


@pytest.mark.parametrize("kind", list(BAD_PYPROJECTS))
@pytest.mark.asyncio
async def test_workspace_with_an_odd_pyproject(
    bare_client: LanguageClient, kind: str, tmp_path: Path
) -> None:
    root = tmp_path
    shutil.copytree(FIXTURES / "keras_export_dense", root / "models" / "dense")
    (root / "src").mkdir()
    (root / "pyproject.toml").write_text(BAD_PYPROJECTS[kind])
    await _answer(handshake(bare_client, initialize_params(root, models=[])), "initialize")
    path = root / "src" / "a.py"
    path.write_text(SOURCE)
    doc = Document(path.as_uri(), SOURCE)
    _open(bare_client, doc.uri, SOURCE)
    await _sync(bare_client, doc)
    assert "SM005" in [str(d.code) for d in bare_client.diagnostics.get(doc.uri, [])]
    _alive(bare_client)
