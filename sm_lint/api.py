"""The core API every frontend calls: the Linter (analyse documents, lint files, list
signature calls). Reading sources is :mod:`sm_lint.sources`' job."""

from __future__ import annotations

import fnmatch
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sm_lint import observed
from sm_lint.analysis.facts import Argument, FileFacts, ModelLoad, SignatureCall
from sm_lint.analysis.loaders import HandleKind, Loader, spec_for
from sm_lint.analysis.resolve import ModelResolver, ModelSource, ResolvedLoad
from sm_lint.cache import FactsCache
from sm_lint.checks import (
    Context,
    check_call,
    check_call_in_context,
    check_lookup,
    check_model,
    check_model_load,
    note_unchecked_handle,
)
from sm_lint.config import Config
from sm_lint.diagnostics import INTERNAL_ERROR, Diagnostic, Related, Severity, named_as
from sm_lint.observed import Observed
from sm_lint.results import file_signature
from sm_lint.rules.sm015_unused_noqa import unused_noqa
from sm_lint.semantics import Kind
from sm_lint.sources import (
    SOURCE_SUFFIXES,
    WHOLE_FILE,
    Document,
    SourceKind,
    from_bytes,
    from_text,
    iter_source_files,
    line_phrase,
    noqa_lines,
    read_file,
)
from sm_lint.sources.complexity import MAX_SOURCE_BYTES, code_size, too_big_message
from sm_lint.sources.lines import split_lines
from sm_lint.sources.reach import Reach
from sm_lint.workers import PARALLEL_MIN_FILES, lint_in_processes

if TYPE_CHECKING:  # the parser imports libcst, which a run served from the cache never needs
    from sm_lint.analysis.incremental import IncrementalParser

__all__ = [
    "MAX_SOURCE_BYTES",
    "SOURCE_SUFFIXES",
    "FileAnalysis",
    "Linter",
    "ResolvedLoad",
    "iter_source_files",
    "lint_paths",
    "lint_source",
]


@dataclass(frozen=True)
class FileAnalysis:
    """Facts of one file plus what each model load resolved to."""

    path: str
    facts: FileFacts | None
    loads: dict[int, ResolvedLoad] = field(default_factory=dict)
    syntax_error: Diagnostic | None = None
    #: Call id -> input name ("#0" for the first positional) -> what runs observed there.
    observed: dict[int, dict[str, list[Observed]]] = field(default_factory=dict)
    #: The document analysed: its cell map places the facts' positions for the user.
    document: Document | None = field(default=None, compare=False)

    def model_for(self, call: SignatureCall) -> ResolvedLoad | None:
        return self.loads.get(call.load_id)


class Linter:
    """Lints sources against one configuration; model reads and discovery are shared."""

    def __init__(
        self,
        config: Config | None = None,
        observer: Callable[[FileAnalysis], None] | None = None,
        cache: FactsCache | None = None,
        handle_notes: bool = False,
    ) -> None:
        self.config = config or Config()
        #: Add info notes for hub / Kaggle handles not in their cache yet (the editor's).
        self.handle_notes = handle_notes
        self.resolver = ModelResolver(self.config)
        #: Analysis facts of unchanged files, from an earlier run (None: no cache).
        self.cache = cache
        self._observed_cache: (
            tuple[list[int], observed.Observations, observed.ModelSites] | None
        ) = None
        #: Called with each file's analysis (``--verbose`` uses it to explain resolution).
        self.observer = observer
        #: Open documents (the language server's URIs) parsed edit by edit.
        self._open: dict[str, IncrementalParser] = {}
        #: Which files reach a model through their project imports (new for each run).
        self.reach = Reach()

    # ------------------------------------------------------------ analysis
    def analyze(self, document: Document, open_as: str | None = None) -> FileAnalysis:
        """Parse and analyse *document*'s program (positions in the program); a program
        that does not parse has its SM900 in ``syntax_error``, and so has an unexpected
        exception (one file's failure never sinks the run). *open_as* names an open document
        (an editor's URI) whose successive texts come here: only what changed since its
        previous text is parsed again (the result is the same as without it)."""
        name = document.name
        if not document.analyse:
            return FileAnalysis(name, None, document=document)
        data = document.program.encode("utf-8", errors="surrogatepass")
        too_big = _too_big(name, data)
        if too_big is not None:
            return FileAnalysis(name, None, syntax_error=too_big, document=document)
        try:
            return self._analyze(document, data, open_as)
        except Exception as error:
            failed = internal_error(name, error)
            return FileAnalysis(name, None, syntax_error=failed, document=document)

    def forget(self, open_as: str) -> None:
        """Drop what is kept of a closed document."""
        self._open.pop(open_as, None)

    def _analyze(self, document: Document, data: bytes, open_as: str | None = None) -> FileAnalysis:
        name, path = document.name, document.path
        _test_hook(name)
        facts = self.cache.get(name, data) if self.cache is not None and path is not None else None
        if facts is None:
            from sm_lint.analysis.parse import parse_program

            parser = None
            if open_as is not None:
                from sm_lint.analysis.incremental import IncrementalParser

                parser = self._open.setdefault(open_as, IncrementalParser())
            parsed = parse_program(name, document.program, parser, document.compiles, document.code)
            if isinstance(parsed, Diagnostic):
                return FileAnalysis(name, None, syntax_error=parsed, document=document)
            facts = parsed
            if self.cache is not None and path is not None:
                self.cache.put(name, data, facts)
        loads = self.resolver.resolve_loads(
            facts, path, document.program, lambda root: self._observations(root)[1]
        )
        return FileAnalysis(
            name, facts, loads, observed=self._observed(facts, path), document=document
        )

    def analyze_source(
        self, source: str | bytes, path: str | os.PathLike[str] | None
    ) -> FileAnalysis:
        """Analyse *source* as a Python program (an editor's repaired buffer, a notebook's
        program); positions stay in that program."""
        kind = SourceKind.PYTHON
        document = (
            from_text(source, path, kind)
            if isinstance(source, str)
            else from_bytes(source, path, kind)
        )
        return self.analyze(document)

    def _observed(
        self, facts: FileFacts, path: str | os.PathLike[str] | None
    ) -> dict[int, dict[str, list[Observed]]]:
        """What earlier runs observed at this file's call sites (``.sm-lint/observed.json``)."""
        root = self.config.project_root or Path.cwd()
        if path is None or not facts.calls:
            return {}
        stored = self._observations(root)[0]
        if not stored:
            return {}
        out = {}
        for call in facts.calls:
            site = stored.get(observed.site_key(root, os.fspath(path), call.span.line))
            if site:
                out[call.id] = site
        return out

    def _observations(self, root: Path) -> tuple[observed.Observations, observed.ModelSites]:
        """Call sites and load sites recorded under *root*, re-read when the file changes."""
        file = observed.path_for(root)
        try:
            stamp = file_signature(file.stat())  # as the model reader keys model files
        except OSError:
            return {}, {}
        if self._observed_cache is None or self._observed_cache[0] != stamp:
            self._observed_cache = (stamp, *observed.load_all(root))
        return self._observed_cache[1], self._observed_cache[2]

    # ---------------------------------------------------------------- lint
    def lint_source(
        self, source: str | bytes, path: str | os.PathLike[str] | None = None
    ) -> list[Diagnostic]:
        """All findings for *source* (a notebook when *path* ends in ``.ipynb``), after noqa,
        select/ignore and severity settings, where the user sees them."""
        document = from_text(source, path) if isinstance(source, str) else from_bytes(source, path)
        return self.lint_document(document)

    def lint_document(self, document: Document) -> list[Diagnostic]:
        """All findings for *document*, placed where the user sees them (notebook cells)."""
        analysis = self.analyze(document)
        if self.observer is not None:
            self.observer(analysis)
        return self.findings(analysis)

    def findings(self, analysis: FileAnalysis) -> list[Diagnostic]:
        """An analysis' findings after noqa and settings, placed where the user sees them
        (with the document's own reading problems)."""
        document = analysis.document
        program = document.program if document is not None else ""
        try:
            raw = self.diagnose(analysis)
        except Exception as error:  # this file's own SM900; the others are unaffected
            raw = [internal_error(analysis.path, error)]
        found = self.finalize(analysis, program, raw)
        if document is None:
            return found
        placed = [document.place(d) for d in found]
        return placed + self.filtered(analysis.path, document.problems)

    def diagnose(self, analysis: FileAnalysis) -> list[Diagnostic]:
        """The raw findings of an analysis, before suppression and filtering."""
        if analysis.syntax_error is not None:
            return [analysis.syntax_error]
        facts = analysis.facts
        if facts is None:
            return []  # nothing was analysed (the document's own problems say why)
        findings: list[Diagnostic] = []
        for load in facts.loads:
            if load.file is not None:
                continue  # a load in another module: its own findings are that file's
            resolved = analysis.loads[load.id]
            ctx = self._context(analysis, resolved, facts)
            findings.extend(
                check_model_load(
                    ctx,
                    load,
                    resolved.error,
                    resolved.resolution.model is not None
                    or not resolved.resolution.local
                    or resolved.resolution.source is ModelSource.SOURCE,
                )
            )
            if resolved.model is not None:
                findings.extend(check_model(ctx, load, resolved.model))
        loads = {load.id: load for load in facts.loads}
        # A lookup or call of a model loaded in branches: its findings per possible model,
        # by group (reported only where every possible model rejects it).
        groups: dict[tuple[object, ...], dict[int, list[Diagnostic]]] = {}
        alternatives: dict[tuple[object, ...], tuple[int, ...]] = {}
        for lookup in facts.lookups:
            resolved = analysis.loads[lookup.load_id]
            if resolved.model is not None:
                ctx = self._context(analysis, resolved, facts)
                found = _loaded_elsewhere(
                    analysis.path, loads, lookup.load_id, check_lookup(ctx, lookup, resolved.model)
                )
                if lookup.alternatives:
                    group: tuple[object, ...] = (
                        "lookup",
                        lookup.key,
                        lookup.span,
                        lookup.alternatives,
                    )
                    alternatives[group] = lookup.alternatives
                    groups.setdefault(group, {})[lookup.load_id] = [
                        _with_model(f, loads[lookup.load_id], analysis.document) for f in found
                    ]
                    continue
                findings.extend(found)
        known: dict[int, set[tuple[str, int, int, str]]] = {}
        for call in facts.calls:
            resolved = analysis.loads[call.load_id]
            if resolved.model is not None:
                ctx = self._context(analysis, resolved, facts)
                filled, from_run = with_observed(call, analysis.observed.get(call.id, {}))
                checked = check_call(ctx, filled, resolved.model)
                if call.alternatives:
                    group = ("call", call.alternatives)
                    alternatives[group] = call.alternatives
                    groups.setdefault(group, {})[call.id] = [
                        _with_model(f, loads[call.load_id], analysis.document)
                        for f in _loaded_elsewhere(analysis.path, loads, call.load_id, checked)
                    ]
                    continue
                for finding in _loaded_elsewhere(analysis.path, loads, call.load_id, checked):
                    known.setdefault(call.id, set()).add(
                        (finding.code, finding.line, finding.column, finding.message)
                    )
                    if any(
                        finding.line == a.value_span.line and finding.column == a.value_span.column
                        for a in from_run
                    ):
                        finding = replace(
                            finding,
                            origin="runtime",
                            message=f"{finding.message} (observed at run time)",
                        )
                    findings.append(finding)
        for key, members in groups.items():
            findings.extend(_every_model_rejects(alternatives[key], members))
        for call in facts.context_calls:  # values through functions, per caller
            resolved = analysis.loads[call.load_id]
            if resolved.model is not None:
                ctx = self._context(analysis, resolved, facts)
                again = check_call_in_context(ctx, call, resolved.model, known.get(call.id, set()))
                findings.extend(_loaded_elsewhere(analysis.path, loads, call.load_id, again))
        if self.handle_notes:
            findings.extend(self._handle_notes(analysis, facts))
        return sorted(set(findings), key=lambda d: (d.line, d.column, d.code, d.message))

    def _handle_notes(self, analysis: FileAnalysis, facts: FileFacts) -> Iterator[Diagnostic]:
        for load in facts.loads:
            resolved = analysis.loads[load.id]
            by_handle = spec_for(load.loader).handle is not HandleKind.PATH
            # hub.Module's calls are never followed (SM017 says whether it exists at all).
            handle = by_handle and load.path is not None and load.loader != Loader.HUB_MODULE
            unchecked = resolved.model is None and resolved.error is None
            if handle and unchecked and not resolved.resolution.local:
                ctx = self._context(analysis, resolved, facts)
                yield note_unchecked_handle(ctx, load, resolved.resolution.reason)

    @staticmethod
    def _context(analysis: FileAnalysis, resolved: ResolvedLoad, facts: FileFacts) -> Context:
        model = str(resolved.resolution.model) if resolved.resolution.model is not None else None
        return Context(analysis.path, model, facts.tf_alias, facts.np_alias, analysis.document)

    def finalize(
        self, analysis: FileAnalysis, text: str, findings: list[Diagnostic]
    ) -> list[Diagnostic]:
        """Apply ``# noqa`` (in the program *text*), per-file ignores, select/ignore and
        severity overrides to findings on the program."""
        suppressed = noqa_lines(text)
        whole_file = suppressed.get(WHOLE_FILE)
        kept = []
        # (line, code) pairs a noqa comment silenced
        used: set[tuple[int, str]] = set()
        for finding in findings:
            if whole_file is not None and (not whole_file or finding.code in whole_file):
                continue
            codes = suppressed.get(finding.line)
            if codes is None or (codes and finding.code not in codes):
                kept.append(finding)
            else:
                used.add((finding.line, finding.code))
        if any(line != WHOLE_FILE and codes for line, codes in suppressed.items()):
            for stale in self._unused_noqa(analysis, text, suppressed, used):
                codes = suppressed.get(stale.line, frozenset())
                silenced = whole_file is not None and (not whole_file or stale.code in whole_file)
                # A noqa comment naming SM015 keeps its own stale codes.
                if not silenced and stale.code not in codes:
                    kept.append(stale)
        return self.filtered(analysis.path, kept)

    def _unused_noqa(
        self,
        analysis: FileAnalysis,
        text: str,
        suppressed: dict[int, frozenset[str]],
        used: set[tuple[int, str]],
    ) -> list[Diagnostic]:
        """SM015 for the ``# noqa`` codes that silenced nothing on a line with a call of a
        model this run resolved (elsewhere nothing was checked, so nothing is known)."""
        facts = analysis.facts
        if facts is None:
            return []
        checked = {
            line
            for call in facts.calls
            if (resolved := analysis.loads.get(call.load_id)) is not None
            and resolved.model is not None
            for line in range(call.span.line, call.span.end_line + 1)
        }
        if not checked:
            return []
        ctx = Context(analysis.path, None, facts.tf_alias, facts.np_alias, analysis.document)
        lines = [line.rstrip("\r\n") for line in split_lines(text)]
        return list(unused_noqa(ctx, lines, suppressed, used, checked, self.selected))

    def filtered(self, path: str, findings: Iterable[Diagnostic]) -> list[Diagnostic]:
        """*findings* after per-file ignores, select/ignore and severity overrides."""
        ignored = self._per_file_ignores(path)
        out = []
        for finding in findings:
            if not self.selected(finding.code) or any(finding.code.startswith(c) for c in ignored):
                continue
            severity = self.config.severity.get(finding.code)
            out.append(replace(finding, severity=severity) if severity else finding)
        return out

    def selected(self, code: str) -> bool:
        select, ignore = self.config.select, self.config.ignore
        chosen = not select or "ALL" in select or any(code.startswith(c) for c in select)
        return chosen and not any(code.startswith(c) for c in ignore)

    def _per_file_ignores(self, path: str) -> list[str]:
        codes: list[str] = []
        rel = _relative(path, self.config.project_root)
        for pattern, values in self.config.per_file_ignores.items():
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern):
                codes.extend(values)
        return codes

    def lint_file(self, path: str | os.PathLike[str]) -> list[Diagnostic]:
        """The findings of one file; an unexpected exception becomes its SM900 finding."""
        try:
            return self.lint_document(self.read(path))
        except Exception as error:
            return [internal_error(os.fspath(path), error)]

    def read(self, path: str | os.PathLike[str]) -> Document:
        """The document of the file at *path*, pre-checked (never raises: what cannot be
        read is in its ``problems``)."""
        cache, name = self.cache, os.fspath(path)
        # A file whose facts are cached for these exact bytes skips the pre-check's compile.
        known = (lambda data: cache.has(name, data)) if cache is not None else None
        return read_file(path, known=known, reach=self.reach)

    def lint_notebook(self, text: str, path: str | os.PathLike[str]) -> list[Diagnostic]:
        """Findings for a notebook's text; each names its cell, with line and column counted
        within the cell."""
        return self.lint_document(from_text(text, path, SourceKind.NOTEBOOK))

    def nothing_to_analyse(self, path: Path, read_from: os.stat_result) -> list[Diagnostic]:
        """The findings of a file whose bytes name no model load (none): the worker pool's
        shortcut for what :meth:`lint_file` would find after reading it again. *read_from*:
        the file's stat taken before its bytes were read."""
        return []

    def read_bytes(self, file: Path) -> tuple[os.stat_result, bytes]:
        """The stat of *file* taken before its bytes are read (what the bytes belong to),
        and its bytes: the worker pool's pre-check reads them in this process. Raises
        OSError."""
        return os.stat(file), file.read_bytes()

    def files(self, paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
        """The files *paths* name, folders walked with this configuration's excludes."""
        config = self.config
        return list(iter_source_files(paths, config.exclude, config.respect_gitignore))

    def lint_paths(
        self, paths: Iterable[str | os.PathLike[str]], jobs: int = 1
    ) -> list[Diagnostic]:
        """Findings for files and folders; with *jobs* > 1, files that need parsing are
        shared out to that many worker processes."""
        files = self.files(paths)
        self.reach = Reach()  # the files may have changed since the last run
        if jobs > 1 and self.observer is None and len(files) >= PARALLEL_MIN_FILES:
            parallel = lint_in_processes(self, files, jobs)
            if parallel is not None:
                return parallel
        findings: list[Diagnostic] = []
        for file in files:
            findings.extend(self.lint_file(file))
        return findings


def with_observed(
    call: SignatureCall, observations: dict[str, list[Observed]]
) -> tuple[SignatureCall, list[Argument]]:
    """*call* with each statically unknown argument replaced by the one value every run
    observed for it; also the arguments so replaced."""
    if not observations:
        return call, []
    arguments, replaced = [], []
    positional = 0
    for arg in call.arguments:
        key = arg.name if arg.name is not None else f"#{positional}"
        positional += arg.name is None
        seen = observed.agreed(observations.get(key, []))
        if arg.value.kind is Kind.UNKNOWN and seen is not None:
            arg = replace(arg, value=seen)
            replaced.append(arg)
        arguments.append(arg)
    return replace(call, arguments=tuple(arguments)), replaced


def _every_model_rejects(
    alternatives: tuple[int, ...], members: dict[int, list[Diagnostic]]
) -> list[Diagnostic]:
    """The errors of a lookup or call of a model loaded in branches, where each possible
    model has one (each named by its load); nothing otherwise, and never a warning."""
    errors = {
        member: [f for f in found if f.severity is Severity.ERROR]
        for member, found in members.items()
    }
    if set(alternatives) != set(errors) or not all(errors.values()):
        return []  # some possible model accepts it (or is not known)
    # a fix for one model may break the call of another
    return [replace(f, fix=None) for found in errors.values() for f in found]


def _with_model(finding: Diagnostic, load: ModelLoad, document: Document | None) -> Diagnostic:
    """*finding* naming the model it is about: "(with the model loaded at line 5)"."""
    where = line_phrase(document, load.span.line).removeprefix("at ").removeprefix("in ")
    if load.file is not None:
        where += f" of {os.path.basename(load.file)}"
    note = f" (with the model loaded {'at' if where.startswith('line') else 'in'} {where})"
    return replace(finding, message=f"{finding.message.removesuffix('.')}{note}.")


def _loaded_elsewhere(
    path: str, loads: dict[int, ModelLoad], load_id: int, findings: Iterable[Diagnostic]
) -> list[Diagnostic]:
    """*findings* about the model of load *load_id*, saying what they assume of it: a path
    that is an environment variable's default says "with NAME unset"; a load in another
    module of the project is pointed at (related information: where the load is)."""
    load = loads.get(load_id)
    if load is None or (load.file is None and not load.unset):
        return list(findings)
    found = list(findings)
    if load.unset:
        unset = f" (with {' and '.join(load.unset)} unset)"
        found = [replace(f, message=f"{f.message.removesuffix('.')}{unset}.") for f in found]
    if load.file is None:
        return found
    file = named_as(path, load.file)
    place = Related(
        load.span.line,
        load.span.column,
        load.span.end_line,
        load.span.end_column,
        "the model is loaded here" + (f": {load.expr}" if len(load.expr) <= 60 else ""),
        path=file,
    )
    return [replace(f, related=(*f.related, place)) for f in found]


def _relative(path: str, root: Path | None) -> str:
    if root is None:
        return path
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


def _too_big(name: str, data: bytes) -> Diagnostic | None:
    """The SM900 note for a source over MAX_SOURCE_BYTES of code, else None."""
    code = code_size(data)
    if code is None:
        return None
    return Diagnostic(name, 1, 1, 1, 1, "SM900", Severity.WARNING, too_big_message(code))


def internal_error(name: str, error: BaseException) -> Diagnostic:
    """The SM900 finding for an unexpected exception while analysing one file."""
    detail = " ".join(str(error).split())[:200]
    return Diagnostic(
        name,
        1,
        1,
        1,
        1,
        "SM900",
        Severity.ERROR,
        f"{INTERNAL_ERROR} analysing this file raised {type(error).__name__}"
        f"{': ' + detail if detail else ''}; the file was skipped, please report this "
        "with the file",
    )


def is_internal_error(finding: Diagnostic) -> bool:
    """True for the finding :func:`internal_error` makes."""
    return finding.code == "SM900" and finding.message.startswith(INTERNAL_ERROR)


def _test_hook(name: str) -> None:
    """``SM_LINT_TEST_FAIL_ON=GLOB`` (tests only): analysing a file whose name matches
    raises, so the per-file isolation stays tested after every real crash is fixed."""
    pattern = os.environ.get("SM_LINT_TEST_FAIL_ON")
    if pattern and fnmatch.fnmatch(os.path.basename(name), pattern):
        raise RuntimeError(f"SM_LINT_TEST_FAIL_ON={pattern} matches {os.path.basename(name)}")
    # ``SM_LINT_TEST_SIGNAL_ON=GLOB:NAME`` (tests only): the process analysing a matching
    # file sends itself that signal (KILL: as the OOM killer would; STOP: a hung worker).
    pattern, _, which = os.environ.get("SM_LINT_TEST_SIGNAL_ON", "").rpartition(":")
    if pattern and fnmatch.fnmatch(os.path.basename(name), pattern):
        os.kill(os.getpid(), signal.Signals[f"SIG{which}"])


def lint_source(
    source: str | bytes, path: str | os.PathLike[str] | None = None, config: Config | None = None
) -> list[Diagnostic]:
    """Findings for one source text. *path* anchors relative model paths and ``__file__``."""
    return Linter(config).lint_source(source, path)


def lint_paths(
    paths: Iterable[str | os.PathLike[str]], config: Config | None = None
) -> list[Diagnostic]:
    """Findings for files and folders (folders are walked for ``*.py``)."""
    return Linter(config).lint_paths(paths)
