"""JSON-RPC and LSP conformance on top of pygls: every request gets an answer.

pygls 2.1 leaves some requests unanswered, which makes a client wait forever:

- a request whose params fail lsprotocol's validation (a negative line, a ``null``
  character) raises inside ``json.loads``' object hook; the read loop logs it and drops the
  message. Here it gets ``InvalidParams`` (-32602) naming the bad fields;
- a message without ``"jsonrpc"`` is handed on as a bare dict and fails; a request gets
  ``InvalidRequest`` (-32600);
- requests after ``shutdown`` are dropped; LSP wants ``InvalidRequest``;
- requests before ``initialize`` fail on the missing workspace with a bare internal error;
  LSP wants ``ServerNotInitialized`` (-32002).

A handler that raises already gets an error response from pygls; :meth:`report` also logs
it to the client (pygls only logs request failures to stderr).

Documents that are not open are read from disk by pygls on every access, blocking its only
thread (a FIFO hangs the server). :class:`SafeWorkspace` reads such a file once, only if
it is a regular file, without ever blocking, and otherwise fails that one request with a
message (``RequestFailed``). Its documents split lines as LSP does (:class:`LspTextDocument`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from cattrs import transform_error
from cattrs.errors import ClassValidationError
from lsprotocol import types as lsp
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import TextDocument, Workspace

#: The most an unopened document read from disk may hold (a bigger one fails the request).
MAX_UNOPENED_BYTES = 16 * 2**20


class DocumentUnavailable(JsonRpcException):
    """A request names a document that is not open and cannot be read from disk."""

    CODE = lsp.LSPErrorCodes.RequestFailed.value
    MESSAGE = "Request Failed"


class HandlerFailed(JsonRpcInternalError):
    """A request handler failed; the failure has been logged to the client already."""


class _Rejected:
    """A message that could not be structured; what to answer (requests only)."""

    def __init__(self, msg_id: Any, method: str, error: JsonRpcException) -> None:
        self.id = msg_id
        self.method = method
        self.error = error


class SmLintProtocol(LanguageServerProtocol):
    """pygls' protocol, answering every request (see the module docstring)."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if not isinstance(data, dict) or "method" not in data:
                raise
            method = str(data.get("method"))
            cause = error.__cause__
            if isinstance(cause, ClassValidationError):
                details = "; ".join(transform_error(cause, path="message"))
                params = json.dumps(data.get("params"), default=repr)[:200]
                error = JsonRpcInvalidParams(
                    f"Invalid params for {method}: {details} (params: {params})"
                )
            # Notifications (no id) are answered by nothing: the rejection is only logged.
            return _Rejected(data.get("id"), method, error)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Rejected):
            self.log(f"sm-lint: rejected {message.method}: {message.error.message}")
            if message.id is not None:
                self._send_response(message.id, None, message.error.to_response_error())
            return
        if isinstance(message, dict):  # no "jsonrpc" member: not a JSON-RPC 2.0 message
            if "id" in message and "method" in message:
                error = JsonRpcInvalidRequest('Invalid Request: "jsonrpc": "2.0" is missing')
                self._send_response(message["id"], None, error.to_response_error())
            self.log(f"sm-lint: ignored a message that is not JSON-RPC 2.0: {message!r:.200}")
            return
        method = getattr(message, "method", None)
        msg_id = getattr(message, "id", None)
        if method is not None and msg_id is not None:  # a request
            if self._shutdown and method != lsp.EXIT:
                error = JsonRpcInvalidRequest(f"Invalid Request: {method} after shutdown")
                self._send_response(msg_id, None, error.to_response_error())
                return
            if self._workspace is None and method not in (lsp.INITIALIZE, lsp.SHUTDOWN):
                not_yet = JsonRpcServerNotInitialized(f"{method} before initialize")
                self._send_response(msg_id, None, not_yet.to_response_error())
                return
        super().handle_message(message)

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Error) -> None:
        """A window/logMessage to the client (nothing before it can receive one)."""
        if self.writer is not None:
            self.notify(lsp.WINDOW_LOG_MESSAGE, lsp.LogMessageParams(kind, message))

    @property
    def _workspace(self) -> Workspace | None:
        return self.__dict__.get("_sm_lint_workspace")

    @_workspace.setter
    def _workspace(self, workspace: Workspace | None) -> None:
        # pygls builds a plain Workspace in its initialize handler: make it a SafeWorkspace.
        if workspace is not None and type(workspace) is Workspace:
            workspace.__class__ = SafeWorkspace
        self.__dict__["_sm_lint_workspace"] = workspace


class SafeWorkspace(Workspace):
    """A Workspace that reads a document which is not open once, without blocking, and
    only if it is a regular file."""

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        if source is None:  # not opened by the client: pygls would read it on every access
            source = read_unopened(doc_uri)
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )


# LSP (and Python) end a line at \n, \r\n or \r only.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


class LspTextDocument(TextDocument):
    """A TextDocument whose lines end where LSP says they do.

    pygls splits with ``str.splitlines``, which also breaks at form feed, vertical tab,
    ``\x1c``-``\x1e``, ``\x85``, ``\u2028`` and ``\u2029``: an incremental edit below such a
    character lands on the wrong line and the server's copy drifts from the editor's."""

    @property
    def lines(self) -> Sequence[str]:
        found = _LINE.findall(self.source)
        return tuple(found[:-1])  # the last match is the empty one at the end


def read_unopened(uri: str) -> str:
    """The text of a document the client has not opened: a regular file read without
    blocking, "" for a URI that is not a file; DocumentUnavailable otherwise."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return ""
    path = unquote(parsed.path)
    try:
        # O_NONBLOCK: opening a FIFO or a device must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise DocumentUnavailable(
            f"{path} is not open in the editor and cannot be read: {error.strerror or error}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DocumentUnavailable(
                f"{path} is not open in the editor and is not a regular file: not read"
            )
        if info.st_size > MAX_UNOPENED_BYTES:
            raise DocumentUnavailable(
                f"{path} is not open in the editor and too large to read "
                f"({info.st_size} bytes; at most {MAX_UNOPENED_BYTES})"
            )
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", errors="replace")


def report(protocol: SmLintProtocol, error: Exception, source: object) -> None:
    """Log a failure pygls caught (in a handler, or reading a message) to the client;
    requests also get an error response from pygls."""
    if not isinstance(error, HandlerFailed):  # those were logged where they happened
        protocol.log(f"sm-lint: {getattr(source, '__name__', source)}: {error}")


async def pull_settings(server: LanguageServer, section: str) -> dict[str, Any] | None:
    """The client's settings for *section* (``workspace/configuration``), or None when the
    client does not offer them, fails, or has none for it."""
    workspace = server.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return None
    root = server.workspace.root_uri
    params = lsp.ConfigurationParams(items=[lsp.ConfigurationItem(scope_uri=root, section=section)])
    try:
        result = await asyncio.wait_for(server.workspace_configuration_async(params), 10)
    except (JsonRpcException, asyncio.TimeoutError) as error:
        server.window_log_message(
            lsp.LogMessageParams(
                lsp.MessageType.Warning, f"sm-lint: workspace/configuration failed: {error}"
            )
        )
        return None
    settings = result[0] if isinstance(result, (list, tuple)) and result else None
    return settings if isinstance(settings, dict) else None
