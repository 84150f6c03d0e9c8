"""The language server: a thin pygls adapter from LSP to the core API.

Diagnostics on open, change (debounced; stale results dropped) and save; hover, completion,
quick fixes and inlay hints from :mod:`sm_lint.editor`. An exception while analysing a
document is logged to the client and never stops the server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from sm_lint import __version__
from sm_lint.api import FileAnalysis, Linter, is_internal_error
from sm_lint.config import ByFolder, Config, ConfigError, default_models
from sm_lint.diagnostics import Diagnostic, Severity
from sm_lint.editor import Span, completions, hover, inlay_hints
from sm_lint.fixes import fix_cells, fix_document
from sm_lint.locations import kagglehub_cache_dir, observed_file, tfhub_cache_dir
from sm_lint.lsp_protocol import HandlerFailed, SmLintProtocol, pull_settings, report
from sm_lint.models import clear_cache
from sm_lint.output.rule_links import rule_url
from sm_lint.sources import (
    Document,
    Location,
    SourceKind,
    from_cells,
    from_text,
    kind_of,
    prechecked,
)
from sm_lint.sources.layout import overlay
from sm_lint.sources.lines import line_starts, position
from sm_lint.sources.noqa import NOQA
from sm_lint.sources.notebook import source_offsets
from sm_lint.sources.reach import Reach

# Long enough to fold a burst of keystrokes into one analysis, short enough that the
# findings follow the typing (the analysis of an edit itself takes ~0.01-0.03 s on the
# benchmark's 2,000 lines: only the functions the edit touched are analysed again).
DEBOUNCE_SECONDS = 0.075

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}

T = TypeVar("T")


class SmLintServer(LanguageServer):
    """Holds the settings, one Linter, and each open document's latest version."""

    def __init__(self) -> None:
        super().__init__(
            "sm-lint",
            __version__,
            notebook_document_sync=lsp.NotebookDocumentSyncOptions(
                notebook_selector=[
                    lsp.NotebookDocumentFilterWithCells(
                        notebook="jupyter-notebook", cells=[lsp.NotebookCellLanguage("python")]
                    )
                ],
                save=True,
            ),
            protocol_cls=SmLintProtocol,
        )
        self.settings: dict[str, Any] = {}
        self.linter = Linter(Config(), handle_notes=True)
        #: Folder -> the linter of its nearest configuration (see linter_for).
        self.linters = self._by_folder()
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.analyses: dict[tuple[str | None, str], FileAnalysis] = {}
        #: Open document (URI) -> the project modules its last analysis read: it is linted
        #: again when one of them changes (edited in the editor or on disk).
        self.imports: dict[str, frozenset[str]] = {}
        self._pull: asyncio.Future[None] | None = None
        #: The file watchers registered with the client (see watch), and their registration.
        self.watching: tuple[str, ...] = ()
        self._watch_id: str | None = None
        self._watch_count = 0

    # ------------------------------------------------------------ settings
    def configure(self, settings: dict[str, Any] | None) -> None:
        """(Re)build the linters from the pyproject.toml files and client settings: the
        workspace's for documents without a path, each document's nearest otherwise."""
        if settings is not None:
            self.settings = {k.replace("_", "-"): v for k, v in settings.items()}
        self.linters = self._by_folder()
        self.linter = self.linters.get(self.root())
        self.analyses = {}

    def linter_for(self, path: str | None) -> Linter:
        """The linter of the configuration nearest to *path*, as the command line finds it
        (the workspace's for a document without a path)."""
        if path is None:
            return self.linter
        return self.linters.get(os.path.dirname(os.path.abspath(path)))

    def forget(self, uri: str) -> None:
        """Drop what the linters keep for the open document *uri* (it was closed)."""
        for linter in {id(x): x for x in (self.linter, *self.linters.values())}.values():
            linter.forget(uri)
        self.imports.pop(uri, None)

    # ------------------------------------------------------------ imported modules
    def edited(self, uri: str, closed: bool = False) -> None:
        """The text document *uri* changed in the editor (or was closed: its file on disk
        counts again): modules importing it see its text, and open importers are linted
        again."""
        document = self.workspace.text_documents.get(uri)
        path = notebook_path(uri)  # (the document is gone once closed)
        if path is None or not path.endswith(".py"):
            return
        text = None if closed or document is None else document.source.encode()
        overlay(path, text)
        self.module_changed(path, uri)

    def module_changed(self, path: str, changed_uri: str | None = None) -> None:
        """Lint again every open document whose last analysis read the module at *path*."""
        path = os.path.abspath(path)
        for uri, modules in list(self.imports.items()):
            if uri == changed_uri or path not in modules:
                continue
            if uri in self.workspace.notebook_documents:
                self.schedule(uri, self.lint_notebook)
            elif uri in self.workspace.text_documents:
                self.schedule(uri)

    def _note_imports(self, uri: str, analysis: FileAnalysis) -> None:
        facts = analysis.facts
        modules = frozenset(os.path.abspath(p) for p, _ in facts.imports) if facts else frozenset()
        if modules:
            self.imports[uri] = modules
        else:
            self.imports.pop(uri, None)

    def _by_folder(self) -> ByFolder[Linter]:
        """Folder -> linter; folders with the same configuration share one (and its model
        discovery). A configuration error is logged and the defaults are used."""

        def logged(error: ConfigError) -> None:
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, str(error)))

        return ByFolder(self._linter, logged)

    def _linter(self, pyproject: Path | None, config: Config) -> Linter:
        """The linter of *config* (read from *pyproject*) with the client's settings."""
        root = self.root()
        base = root or Path.cwd()
        s = self.settings
        changes: dict[str, Any] = {}
        if isinstance(s.get("models"), list):
            changes["models"] = tuple(base / str(m) for m in s["models"])
        else:
            changes["models"] = default_models(config, base)
        for key in ("select", "ignore"):
            if isinstance(s.get(key), list):
                changes[key] = tuple(str(c).upper() for c in s[key])
        mapping = s.get("model-paths") or s.get("modelPaths")
        if isinstance(mapping, dict):
            changes["model_paths"] = {str(k): base / str(v) for k, v in mapping.items()}
        if config.project_root is None and root is not None:
            changes["project_root"] = root
        return Linter(config.with_overrides(**changes), handle_notes=True)

    def root(self) -> Path | None:
        uri = self.workspace.root_uri
        if not uri:
            return None
        return Path(unquote(urlparse(uri).path))

    # ------------------------------------------------------------ file watchers
    def watched_places(self) -> list[tuple[Path, str]]:
        """What the findings depend on outside the documents, as (folder, glob below it):
        every linter's model roots and mapped folders (their model files), the TF Hub and
        kagglehub caches (anything in them: folders, markers, locks) and each project's
        ``observed.json`` — inside the workspace or not."""
        places: dict[tuple[str, str], None] = {}
        linters = {id(x): x for x in (self.linter, *self.linters.values())}.values()
        for linter in linters:
            config = linter.config
            for folder in (*config.models, *config.model_paths.values()):
                for name in ("saved_model.pb", "saved_model.pbtxt"):
                    places[(os.path.abspath(folder), f"**/{name}")] = None
            record = observed_file(config.project_root or Path.cwd())
            places[(os.path.abspath(record.parent), record.name)] = None
        for cache in (tfhub_cache_dir(), kagglehub_cache_dir()):
            places[(os.path.abspath(cache), "**/*")] = None
        return [(Path(folder), glob) for folder, glob in places]

    def watch(self) -> None:
        """Register file watchers for :meth:`watched_places` (dynamically, when the client
        supports it); again, replacing the old registration, when the places change."""
        caps = self.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        relative = bool(watched.relative_pattern_support)
        watchers = [
            # Anywhere in the workspace, for the models and settings it holds.
            lsp.FileSystemWatcher(glob_pattern="**/saved_model.pb"),
            lsp.FileSystemWatcher(glob_pattern="**/saved_model.pbtxt"),
            lsp.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
            # A run recorded new models or values (`sm-lint run`, pytest --sm-lint).
            lsp.FileSystemWatcher(glob_pattern="**/.sm-lint/observed.json"),
            # The project's modules: an open file that imports one is linted again.
            lsp.FileSystemWatcher(glob_pattern="**/*.py"),
        ]
        for folder, glob in self.watched_places():
            pattern: lsp.GlobPattern = (
                lsp.RelativePattern(base_uri=folder.as_uri(), pattern=glob)
                if relative
                else f"{folder.as_posix()}/{glob}"
            )
            watchers.append(lsp.FileSystemWatcher(glob_pattern=pattern))
        key = tuple(str(w.glob_pattern) for w in watchers)
        if key == self.watching:
            return
        old = self._watch_id
        self._watch_count += 1
        self._watch_id = f"sm-lint-models-{self._watch_count}"
        self.watching = key
        if old is not None:
            self.client_unregister_capability(
                lsp.UnregistrationParams(
                    unregisterations=[
                        lsp.Unregistration(id=old, method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
                    ]
                )
            )
        registration = lsp.Registration(
            id=self._watch_id,
            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        self.client_register_capability(lsp.RegistrationParams(registrations=[registration]))

    def files_changed(self, changes: Sequence[lsp.FileEvent]) -> None:
        """A watched file changed: read the models again (discovery included) and publish
        every open document's findings anew; a Python module changed: lint again the open
        documents that import it."""
        sources = [c for c in changes if c.uri.endswith(".py")]
        for change in sources:
            path = notebook_path(change.uri)
            if path is not None:
                self.module_changed(path)
        if len(sources) == len(changes):
            return  # no model or setting changed
        if any(c.uri.endswith("pyproject.toml") for c in changes):
            self.configure(None)
        else:
            # Models may have appeared or gone under a root: discovery runs again.
            self.linters = self._by_folder()
            self.linter = self.linters.get(self.root())
        clear_cache()
        self.analyses.clear()
        self.relint_all()
        self.watch()

    # ------------------------------------------------------------ analysis
    def guarded(self, what: str, uri: str, action: Callable[[], T], default: T) -> T:
        """Run *action*; on any exception log it to the client and return *default*."""
        try:
            return action()
        except Exception as error:
            detail = "".join(traceback.format_exception(error)[-3:])
            self.window_log_message(
                lsp.LogMessageParams(
                    lsp.MessageType.Error, f"sm-lint: {what} failed for {uri}: {error}\n{detail}"
                )
            )
            return default

    def answer(self, what: str, uri: str, action: Callable[[], T]) -> T:
        """Run a request's *action*; a failure is logged and answered with an error."""
        failed = object()
        result = self.guarded(what, uri, action, failed)
        if result is failed:
            raise HandlerFailed(f"sm-lint: {what} failed for {uri}")
        return result  # type: ignore[return-value]

    def report_server_error(self, error: Exception, source: Any) -> None:
        report(self.protocol, error, source)  # type: ignore[arg-type]

    def pull_settings(self) -> None:
        """Ask the client for the ``smLint`` settings (when it offers workspace/configuration)
        and apply them over the current ones."""

        async def pull() -> None:
            pulled = await pull_settings(self, "smLint")
            if pulled is not None:
                self.configure({**self.settings, **pulled})
                self.relint_all()

        self._pull = asyncio.ensure_future(pull())  # kept: a task without a reference may vanish

    def lint(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        version = document.version
        findings = self.guarded("analysis", uri, lambda: self._lint(document), None)
        if findings is None:
            return  # analysis failed: keep what the client shows
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # a newer version arrived meanwhile: its own run will publish
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=findings)
        )
        self.watch()  # its folder's configuration may name other models roots

    def _lint(self, document: TextDocument) -> list[lsp.Diagnostic]:
        # Diagnostics always analyse afresh (the model reader re-checks each model's mtime),
        # and leave the result for the hovers and completions that follow.
        # Pre-checked as the command line reads files: one with no load word is skipped.
        source = from_text(document.source, document_path(document))
        linter = self.linter_for(source.path)
        source = prechecked(source, Reach())  # the project's modules as they are now
        analysis = linter.analyze(source, document.uri)  # parses only what changed
        self._remember(source, analysis)
        self._note_imports(document.uri, analysis)
        findings = linter.findings(analysis)  # a crash is this document's own SM900
        self._log_internal(document.uri, findings)
        if source.kind is SourceKind.NOTEBOOK:
            # A notebook opened as plain text: each finding where its cell's text is in
            # the JSON.
            findings = [in_notebook_text(source, d) for d in findings]
        return [to_lsp(document, d) for d in findings]

    def _log_internal(self, uri: str, findings: list[Diagnostic]) -> None:
        """An internal-error finding is also logged, as any failure of the server is."""
        for finding in findings:
            if is_internal_error(finding):
                self.window_log_message(
                    lsp.LogMessageParams(
                        lsp.MessageType.Error,
                        f"sm-lint: analysis failed for {uri}: {finding.message}",
                    )
                )

    def _remember(self, document: Document, analysis: FileAnalysis) -> None:
        self.analyses[(document.path, document.program)] = analysis
        while len(self.analyses) > 16:
            self.analyses.pop(next(iter(self.analyses)))

    def analysis(self, document: Document) -> FileAnalysis:
        """The analysis of *document*; hover, completion and hints on an unchanged document
        reuse the one its diagnostics were computed from."""
        found = self.analyses.get((document.path, document.program))
        if found is None:
            found = self.linter_for(document.path).analyze(document)
            self._remember(document, found)
        return found

    def schedule(self, uri: str, run: Callable[[str], None] | None = None) -> None:
        """Run *run* (default: lint) on *uri* after a short quiet period; a newer edit
        cancels the older run."""
        action = run or self.lint
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()

        async def later() -> None:
            await asyncio.sleep(DEBOUNCE_SECONDS)
            self.pending.pop(uri, None)
            action(uri)

        self.pending[uri] = asyncio.get_event_loop().create_task(later())

    def relint_all(self) -> None:
        cells = {c.document for nb in self.workspace.notebook_documents.values() for c in nb.cells}
        for uri in list(self.workspace.text_documents):
            if uri not in cells:
                self.lint(uri)
        for uri in list(self.workspace.notebook_documents):
            self.lint_notebook(uri)

    # ------------------------------------------------------------ notebooks
    def notebook_document(self, notebook: lsp.NotebookDocument) -> tuple[Document, list[str]]:
        """The notebook's document (built like a notebook file's), and each cell's URI (by
        position)."""
        uris = [cell.document for cell in notebook.cells]
        sources = [
            (i, self.workspace.get_text_document(cell.document).source)
            for i, cell in enumerate(notebook.cells, start=1)
            if cell.kind == lsp.NotebookCellKind.Code
        ]
        return from_cells(sources, notebook_path(notebook.uri)), uris

    def lint_notebook(self, uri: str) -> None:
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is None:
            return
        version = notebook.version

        def run() -> tuple[list[Diagnostic], list[str]]:
            document, uris = self.notebook_document(notebook)
            linter = self.linter_for(document.path)
            document = prechecked(document, Reach())  # as the command line reads the file
            analysis = linter.analyze(document, uri)  # parses only what changed
            self._remember(document, analysis)
            self._note_imports(uri, analysis)
            found = linter.findings(analysis)
            self._log_internal(uri, found)
            return found, uris

        result = self.guarded("analysis", uri, run, None)
        current = self.workspace.get_notebook_document(notebook_uri=uri)
        if result is None or current is None or current.version != version:
            return
        findings, uris = result
        for index, cell_uri in enumerate(uris, start=1):
            document = self.workspace.get_text_document(cell_uri)
            ours = [to_lsp(document, d, uris) for d in findings if d.cell == index]
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=cell_uri, diagnostics=ours)
            )
        self.watch()

    def view(self, uri: str) -> View:
        """What to analyse for a document: itself, or for a notebook cell the notebook's
        document and this cell's index in it."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is None:
            text = self.workspace.get_text_document(uri)
            return View(from_text(text.source, document_path(text)), None)
        document, uris = self.notebook_document(notebook)
        return View(document, uris.index(uri) + 1 if uri in uris else 0)


@dataclass(frozen=True)
class View:
    """The document an editor document belongs to, and which of its cells it is (None: the
    whole document)."""

    document: Document
    cell: int | None

    @property
    def usable(self) -> bool:
        """False for a notebook opened as plain text: its positions are JSON, not Python."""
        return self.cell is not None or self.document.kind is SourceKind.PYTHON

    def to_program(self, line: int, column: int) -> tuple[int, int] | None:
        return self.document.to_program(Location(line, column, self.cell))

    def from_program(self, span: Span) -> Span | None:
        """*span* in the program -> in this editor document; None when it is elsewhere."""
        start = self.document.to_cell(span.line, span.column)
        end = self.document.to_cell(span.end_line, span.end_column)
        if start is None or end is None or start.cell != self.cell or end.cell != self.cell:
            return None
        return Span(start.line, start.column, end.line, end.column)


def in_notebook_text(document: Document, finding: Diagnostic) -> Diagnostic:
    """A notebook finding (cell, line, column) moved to where that text is in the notebook's
    JSON; findings on the whole file stay at its start."""
    if finding.cell is None:
        return finding
    offsets = source_offsets(document.text).get(finding.cell)
    source = document.cell_source(finding.cell)
    if offsets is None or source is None:
        return dataclasses.replace(
            finding, line=1, column=1, end_line=1, end_column=1, cell=None, fix=None
        )
    cell_starts, text_starts = line_starts(source), line_starts(document.text)

    def at(line: int, column: int) -> tuple[int, int]:
        index = cell_starts[min(line, len(cell_starts)) - 1] + column - 1
        return position(text_starts, offsets[max(0, min(index, len(offsets) - 1))])

    (line, column), (end_line, end_column) = (
        at(finding.line, finding.column),
        at(finding.end_line, finding.end_column),
    )
    # The fix's edits are cell text; in the JSON they would need escaping: not offered.
    return dataclasses.replace(
        finding,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        cell=None,
        fix=None,
    )


def notebook_path(uri: str) -> str | None:
    if not uri.startswith("file:"):
        return None
    return unquote(urlparse(uri).path)


def document_path(document: TextDocument) -> str | None:
    """A file path for file: documents; None for untitled buffers."""
    if not document.uri.startswith("file:"):
        return None
    return document.path


def _position(document: TextDocument, line: int, column: int) -> lsp.Position:
    lines = document.lines
    position = lsp.Position(line=max(line - 1, 0), character=max(column - 1, 0))
    if position.line < len(lines):
        return document.position_codec.position_to_client_units(lines, position)
    return position


def _related(
    document: TextDocument, d: Diagnostic, cell_uris: list[str] | None
) -> list[lsp.DiagnosticRelatedInformation] | None:
    """A finding's related places; in a notebook each lives in its own cell's document."""
    out = []
    for r in d.related:
        uri = document.uri if r.path is None else Path(os.path.abspath(r.path)).as_uri()
        if r.cell is not None and cell_uris is not None and 0 < r.cell <= len(cell_uris):
            uri = cell_uris[r.cell - 1]
        same = uri == document.uri
        start = _position(document, r.line, r.column) if same else _raw(r.line, r.column)
        end = (
            _position(document, r.end_line, r.end_column)
            if same
            else _raw(r.end_line, r.end_column)
        )
        out.append(
            lsp.DiagnosticRelatedInformation(lsp.Location(uri, lsp.Range(start, end)), r.message)
        )
    return out or None


def _raw(line: int, column: int) -> lsp.Position:
    return lsp.Position(line=max(line - 1, 0), character=max(column - 1, 0))


def to_lsp(
    document: TextDocument, d: Diagnostic, cell_uris: list[str] | None = None
) -> lsp.Diagnostic:
    data: dict[str, Any] = {"code": d.code}
    if d.fix is not None:
        data["fix"] = {
            "description": d.fix.description,
            "safe": d.fix.safe,
            "edits": [[e.line, e.column, e.end_line, e.end_column, e.text] for e in d.fix.edits],
        }
    return lsp.Diagnostic(
        range=lsp.Range(
            _position(document, d.line, d.column), _position(document, d.end_line, d.end_column)
        ),
        message=d.message,
        severity=_SEVERITY[d.severity],
        code=d.code,
        code_description=_code_description(d.code),
        source="sm-lint",
        data=data,
        related_information=_related(document, d, cell_uris),
    )


def _code_description(code: str) -> lsp.CodeDescription | None:
    url = rule_url(code)
    return None if url is None else lsp.CodeDescription(href=url)


def _server_position(document: TextDocument, position: lsp.Position) -> tuple[int, int]:
    lines = document.lines
    if position.line < len(lines):
        server = document.position_codec.position_from_client_units(lines, position)
        return server.line + 1, server.character + 1
    return position.line + 1, position.character + 1


def create_server() -> SmLintServer:
    server = SmLintServer()

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: SmLintServer, params: lsp.InitializedParams) -> None:
        ls.watch()
        ls.pull_settings()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: SmLintServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        ls.configure(options if isinstance(options, dict) else {})

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SmLintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)
        ls.edited(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SmLintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)
        ls.edited(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SmLintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SmLintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.edited(params.text_document.uri, closed=True)
        ls.forget(params.text_document.uri)
        task = ls.pending.pop(params.text_document.uri, None)
        if task is not None:
            task.cancel()
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: SmLintServer, params: lsp.DidOpenNotebookDocumentParams) -> None:
        ls.lint_notebook(params.notebook_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: SmLintServer, params: lsp.DidChangeNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, ls.lint_notebook)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(ls: SmLintServer, params: lsp.DidSaveNotebookDocumentParams) -> None:
        ls.lint_notebook(params.notebook_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: SmLintServer, params: lsp.DidCloseNotebookDocumentParams) -> None:
        ls.forget(params.notebook_document.uri)
        for cell in params.cell_text_documents:
            ls.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=cell.uri, diagnostics=[])
            )

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: SmLintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.files_changed(params.changes)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def configuration(ls: SmLintServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict):
            ls.configure(settings.get("smLint", settings.get("sm-lint", settings)))
            ls.relint_all()
        ls.pull_settings()

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: SmLintServer, params: lsp.HoverParams) -> lsp.Hover | None:
        document = ls.workspace.get_text_document(params.text_document.uri)

        def run() -> lsp.Hover | None:
            line, column = _server_position(document, params.position)
            view = ls.view(document.uri)
            at = view.to_program(line, column) if view.usable else None
            if at is None:
                return None
            # Lines in the text (a derived model's save) are named as this view shows them.
            found = hover(ls.analysis(view.document), *at, document=view.document)
            if found is None:
                return None
            span = view.from_program(found.span) or Span(line, column, line, column)
            markdown = found.markdown
            return lsp.Hover(
                contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=markdown),
                range=lsp.Range(
                    _position(document, span.line, span.column),
                    _position(document, span.end_line, span.end_column),
                ),
            )

        return ls.answer("hover", document.uri, run)

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=["(", ",", '"', "'", "["]),
    )
    def on_completion(ls: SmLintServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        document = ls.workspace.get_text_document(params.text_document.uri)

        def run() -> lsp.CompletionList:
            line, column = _server_position(document, params.position)
            view = ls.view(document.uri)
            at = view.to_program(line, column) if view.usable else None
            if at is None:
                return lsp.CompletionList(is_incomplete=False, items=[])
            items = []
            source = view.document
            found = completions(ls.linter_for(source.path), source.program, source.path, *at)
            for i, c in enumerate(found):
                kind = (
                    lsp.CompletionItemKind.Variable
                    if c.kind == "input"
                    else lsp.CompletionItemKind.Value
                )
                edit = None
                replace = view.from_program(c.replace) if c.replace is not None else None
                if replace is not None:
                    edit = lsp.TextEdit(
                        range=lsp.Range(
                            _position(document, replace.line, replace.column),
                            _position(document, replace.end_line, replace.end_column),
                        ),
                        new_text=c.insert_text,
                    )
                items.append(
                    lsp.CompletionItem(
                        label=c.label,
                        detail=c.detail,
                        kind=kind,
                        sort_text=f"{i:04}",
                        insert_text=None if edit else c.insert_text,
                        text_edit=edit,
                    )
                )
            return lsp.CompletionList(is_incomplete=False, items=items)

        return ls.answer("completion", document.uri, run)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[
                lsp.CodeActionKind.QuickFix,
                FIX_ALL,
                lsp.CodeActionKind.SourceFixAll,
            ]
        ),
    )
    def on_code_action(ls: SmLintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        document = ls.workspace.get_text_document(params.text_document.uri)
        only = params.context.only

        def run() -> list[lsp.CodeAction]:
            actions = []
            if wanted(lsp.CodeActionKind.QuickFix, only):
                actions += code_actions(document, params.context.diagnostics)
            # Fixing the whole document analyses it several times: only when asked for (on
            # save, or the editor's source-action menu), never for the light bulb.
            if only is not None and wanted(FIX_ALL, only):
                fix_all = fix_all_action(ls, document)
                if fix_all is not None:
                    actions.append(fix_all)
            return actions

        return ls.answer("code action", document.uri, run)

    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintOptions())
    def on_inlay_hint(ls: SmLintServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
        document = ls.workspace.get_text_document(params.text_document.uri)

        def run() -> list[lsp.InlayHint]:
            view = ls.view(document.uri)
            if not view.usable:
                return []
            analysis = ls.analysis(view.document)
            first, last = params.range.start.line + 1, params.range.end.line + 1
            hints = []
            for h in inlay_hints(analysis):
                at = view.from_program(Span(h.line, h.column, h.line, h.column))
                if at is not None and first <= at.line <= last:
                    hints.append(
                        lsp.InlayHint(
                            position=_position(document, at.line, at.column),
                            label=h.label,
                            kind=lsp.InlayHintKind.Type,
                            padding_left=False,
                        )
                    )
            return hints

        return ls.answer("inlay hints", document.uri, run)

    return server


def code_actions(
    document: TextDocument, diagnostics: Sequence[lsp.Diagnostic]
) -> list[lsp.CodeAction]:
    """Each sm-lint finding's fix as a quick fix, and "add # noqa: SMxxx"."""
    actions: list[lsp.CodeAction] = []
    for diagnostic in diagnostics:
        if diagnostic.source != "sm-lint" or not isinstance(diagnostic.data, dict):
            continue
        code = str(diagnostic.data.get("code", diagnostic.code))
        fix = diagnostic.data.get("fix")
        if isinstance(fix, dict):
            edits = [
                lsp.TextEdit(
                    range=lsp.Range(
                        _position(document, e[0], e[1]), _position(document, e[2], e[3])
                    ),
                    new_text=e[4],
                )
                for e in fix["edits"]
            ]
            # An unsafe fix (a guess by similarity) is offered, marked, never preferred.
            safe = fix.get("safe", True) is True
            actions.append(
                lsp.CodeAction(
                    title=f"{fix['description']} ({code}{'' if safe else ', unsafe'})",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=safe,
                    edit=lsp.WorkspaceEdit(changes={document.uri: edits}),
                )
            )
        if kind_of(document.uri) is SourceKind.PYTHON:  # a comment in a notebook's JSON breaks it
            actions.append(_noqa_action(document, diagnostic, code))
    return actions


#: The kind of the "fix all" source action (on save: ``"source.fixAll"`` or this one).
FIX_ALL = "source.fixAll.sm-lint"


def wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether a code action of *kind* answers a request for the kinds *only* (a kind
    covers its sub-kinds: ``source`` covers ``source.fixAll.sm-lint``)."""
    return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)


def fix_all_action(ls: SmLintServer, document: TextDocument) -> lsp.CodeAction | None:
    """Every safe fix of the document (of its notebook for a cell), applied as ``--fix``
    applies them; None when there is nothing to fix."""
    notebook = ls.workspace.get_notebook_document(cell_uri=document.uri)
    if notebook is not None:
        cells = [
            (
                "code" if cell.kind == lsp.NotebookCellKind.Code else "markdown",
                ls.workspace.get_text_document(cell.document).source,
            )
            for cell in notebook.cells
        ]
        uris = [cell.document for cell in notebook.cells]
        path = notebook_path(notebook.uri)
        changed = fix_cells(ls.linter_for(path), cells, path)
        index = uris.index(document.uri) + 1 if document.uri in uris else 0
        fixed = changed.get(index)
    else:
        source = from_text(document.source, document_path(document))
        if source.kind is SourceKind.NOTEBOOK:
            return None  # a notebook opened as JSON text: fixed by `sm-lint --fix`
        result = fix_document(ls.linter_for(source.path), source)
        fixed = result.text if result.applied else None
    if fixed is None or fixed == document.source:
        return None
    return lsp.CodeAction(
        title="Fix all sm-lint findings that have a safe fix",
        kind=FIX_ALL,
        edit=lsp.WorkspaceEdit(changes={document.uri: [_replace_changed(document, fixed)]}),
    )


def _replace_changed(document: TextDocument, new: str) -> lsp.TextEdit:
    """One edit turning the document's text into *new*: the changed middle only, so that
    the cursor and the rest of the buffer stay where they are."""
    old = document.source
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return lsp.TextEdit(
        range=lsp.Range(_at_offset(document, start), _at_offset(document, len(old) - end)),
        new_text=new[start : len(new) - end],
    )


def _at_offset(document: TextDocument, offset: int) -> lsp.Position:
    """The client position of a code-point *offset* in the document's text."""
    lines = document.lines
    for number, text in enumerate(lines):
        last = number == len(lines) - 1 and not text.endswith(("\n", "\r"))
        if offset < len(text) or (offset == len(text) and last):
            return document.position_codec.position_to_client_units(
                lines, lsp.Position(number, offset)
            )
        offset -= len(text)
    return lsp.Position(len(lines), 0)


def _noqa_action(document: TextDocument, diagnostic: lsp.Diagnostic, code: str) -> lsp.CodeAction:
    line = diagnostic.range.start.line
    text = document.lines[line].rstrip("\r\n") if line < len(document.lines) else ""
    match = NOQA.search(text)
    if match and match.group("codes"):
        start, end, new = match.start(), match.end(), f"{match.group(0)}, {code}"
    elif match:
        start = end = len(text)
        new = ""
    else:
        start = end = len(text)
        new = f"  # noqa: {code}"
    char_start = document.position_codec.position_to_client_units(
        document.lines, lsp.Position(line, start)
    ).character
    char_end = document.position_codec.position_to_client_units(
        document.lines, lsp.Position(line, end)
    ).character
    edit = lsp.TextEdit(
        range=lsp.Range(lsp.Position(line, char_start), lsp.Position(line, char_end)), new_text=new
    )
    return lsp.CodeAction(
        title=f"Add `# noqa: {code}`",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=lsp.WorkspaceEdit(changes={document.uri: [edit]}),
    )


def serve(tcp: str | None = None) -> None:
    """Serve LSP over stdio, or over TCP at ``HOST:PORT``."""
    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
