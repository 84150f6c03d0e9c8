"""One language-server client set-up, shared by the tests (tests/test_lsp*.py) and the
benchmark (bench/lsp.py): the server command, the initialize handshake, and a raw
JSON-RPC client for what typed clients cannot send (malformed frames and params).

Importable without pytest: the benchmark uses it too.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

#: How the tests and the benchmark start the server: a real process over stdio.
SERVER_COMMAND = [sys.executable, "-m", "sm_lint", "server"]


def client_capabilities(
    *, configuration: bool = False, position_encodings: list[str] | None = None
) -> lsp.ClientCapabilities:
    """What the clients here support: watched-file registration (the server registers its
    model watchers), optionally ``workspace/configuration`` and position encodings."""
    return lsp.ClientCapabilities(
        workspace=lsp.WorkspaceClientCapabilities(
            did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True
            ),
            configuration=configuration or None,
        ),
        general=(
            lsp.GeneralClientCapabilities(
                position_encodings=[lsp.PositionEncodingKind(e) for e in position_encodings]
            )
            if position_encodings is not None
            else None
        ),
    )


def initialize_params(
    root: Path,
    *,
    models: list[str] | None = None,
    capabilities: lsp.ClientCapabilities | None = None,
) -> lsp.InitializeParams:
    """The initialize request for a workspace at *root*; *models* (default ``["models"]``)
    go to the server as initialization options."""
    return lsp.InitializeParams(
        capabilities=capabilities or client_capabilities(),
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options={"models": ["models"] if models is None else models},
    )


def answer_server_requests(
    client: LanguageClient, settings: Callable[[], Any] | None = None
) -> list[lsp.RegistrationParams]:
    """Make *client* answer the requests the server sends: ``client/registerCapability``
    (the registrations are collected in the returned list; ``client/unregisterCapability``
    takes them out) and, when *settings* is given,
    ``workspace/configuration`` with ``settings()`` for every item."""
    registrations: list[lsp.RegistrationParams] = []

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        registrations.append(params)

    @client.feature(lsp.CLIENT_UNREGISTER_CAPABILITY)
    def unregister(params: lsp.UnregistrationParams) -> None:
        gone = {u.id for u in params.unregisterations}
        registrations[:] = [
            lsp.RegistrationParams([r for r in p.registrations if r.id not in gone])
            for p in registrations
        ]

    if settings is not None:

        @client.feature(lsp.WORKSPACE_CONFIGURATION)
        def configuration(params: lsp.ConfigurationParams) -> list[Any]:
            return [settings() for _ in params.items]

    return registrations


async def handshake(client: LanguageClient, params: lsp.InitializeParams) -> lsp.InitializeResult:
    """initialize, then initialized. pytest-lsp's client does both in ``initialize_session``
    (and checks the result); a plain pygls client does them here."""
    session = getattr(client, "initialize_session", None)
    if session is not None:
        result: lsp.InitializeResult = await session(params)
        return result
    result = await client.initialize_async(params)
    client.initialized(lsp.InitializedParams())
    return result


# ------------------------------------------------------------------ raw JSON-RPC client


def frame(body: bytes) -> bytes:
    """*body* with the LSP base-protocol header."""
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawServer:
    """The server as a process, spoken to in raw JSON-RPC frames.

    A reader thread parses every frame the server writes. Requests the server sends are
    answered at once: ``client/registerCapability`` with null, ``workspace/configuration``
    with ``self.settings`` for each item; everything else is kept in ``self.messages``.
    """

    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.settings: Any = None
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            SERVER_COMMAND,
            cwd=cwd,
            env=env or dict(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._lock = threading.Lock()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -------------------------------------------------------------- sending
    def send_bytes(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        with self._lock:
            stdin.write(data)
            stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(frame(json.dumps(message).encode()))

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> dict[str, Any]:
        """Send a request; its response (``result`` or ``error``), or AssertionError if none
        comes within *timeout* seconds."""
        msg_id = self.send_request(method, params)
        return self.response(msg_id, timeout)

    def send_request(self, method: str, params: Any) -> int:
        self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id

    # -------------------------------------------------------------- receiving
    def response(self, msg_id: Any, timeout: float = 30) -> dict[str, Any]:
        found = self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, timeout)
        assert found is not None, f"no response to request {msg_id} within {timeout} s"
        return found

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any] | None:
        """The first message so far or within *timeout* seconds that *match*es."""
        for message in self.seen:
            if match(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                if left > 0:
                    message = self.messages.get(timeout=left)
                else:
                    message = self.messages.get_nowait()
            except queue.Empty:
                return None
            self.seen.append(message)
            if match(message):
                return message
        return None

    def notifications(self, method: str) -> list[dict[str, Any]]:
        self.wait_for(lambda m: False, 0)  # take in what has arrived
        return [m for m in self.seen if m.get("method") == method and "id" not in m]

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while (message := read_frame(stdout)) is not None:
            if "method" in message and "id" in message:
                self.server_requests.append(message)
                self._answer(message)
            else:
                self.messages.put(message)

    def _answer(self, request: dict[str, Any]) -> None:
        result: Any = None
        if request["method"] == lsp.WORKSPACE_CONFIGURATION:
            items = request.get("params", {}).get("items", [])
            result = [self.settings for _ in items]
        self.send({"jsonrpc": "2.0", "id": request["id"], "result": result})

    # -------------------------------------------------------------- session
    def initialize(self, params: lsp.InitializeParams) -> dict[str, Any]:
        """The handshake; the initialize response."""
        from pygls.protocol import default_converter

        converter = default_converter()
        answer = self.request(lsp.INITIALIZE, converter.unstructure(params), timeout=60)
        self.notify(lsp.INITIALIZED, {})
        return answer

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """shutdown and exit when the server still answers; kill it otherwise."""
        try:
            if self.alive():
                self.request(lsp.SHUTDOWN, None, timeout=10)
                self.notify(lsp.EXIT, None)
                self.process.wait(timeout=10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()  # only the server this client started
                self.process.wait()
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    pipe.close()


def read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    """The next JSON-RPC message on *stream*, or None at its end."""
    length = None
    while True:
        header = stream.readline()
        if not header:
            return None
        if header in (b"\r\n", b"\n"):
            break
        name, _, value = header.decode("ascii").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    if length is None:
        return None
    body = stream.read(length)
    message: dict[str, Any] = json.loads(body)
    return message
