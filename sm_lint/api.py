"""The core API every frontend calls: analyse source, lint files, list signature calls."""

from __future__ import annotations

import ast
import fnmatch
import io
import os
import re
import sys
import tokenize
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sm_lint import observed
from sm_lint.analysis.facts import Argument, FileFacts, ModelLoad, SignatureCall
from sm_lint.analysis.resolve import ModelResolver, Resolution
from sm_lint.cache import FactsCache
from sm_lint.checks import Context, check_call, check_lookup, check_model_load
from sm_lint.config import Config
from sm_lint.diagnostics import RULES, Diagnostic, Severity
from sm_lint.models import ModelReadError, ModelSignatures, read_signatures
from sm_lint.notebooks import NotebookError, parse_notebook, to_cells
from sm_lint.observed import Observed
from sm_lint.semantics import Kind
from sm_lint.sources.precheck import may_need_analysis

#: The files a folder is walked for.
SOURCE_SUFFIXES = (".py", ".ipynb")

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)


@dataclass(frozen=True)
class ResolvedLoad:
    """A model load with the folder it resolved to, or why it did not."""

    load_id: int
    expr: str
    path: str | None
    resolution: Resolution
    model: ModelSignatures | None
    error: str | None


@dataclass(frozen=True)
class FileAnalysis:
    """Facts of one file plus what each model load resolved to."""

    path: str
    facts: FileFacts | None
    loads: dict[int, ResolvedLoad] = field(default_factory=dict)
    syntax_error: Diagnostic | None = None
    #: Call id -> input name ("#0" for the first positional) -> what runs observed there.
    observed: dict[int, dict[str, list[Observed]]] = field(default_factory=dict)

    def model_for(self, call: SignatureCall) -> ResolvedLoad | None:
        return self.loads.get(call.load_id)


class Linter:
    """Lints sources against one configuration; model reads and discovery are shared."""

    def __init__(
        self,
        config: Config | None = None,
        observer: Callable[[FileAnalysis], None] | None = None,
        cache: FactsCache | None = None,
    ) -> None:
        self.config = config or Config()
        self.resolver = ModelResolver(self.config)
        #: Analysis facts of unchanged files, from an earlier run (None: no cache).
        self.cache = cache
        self._observed_cache: tuple[int, observed.Observations, observed.ModelSites] | None = None
        #: Called with each file's analysis (``--verbose`` uses it to explain resolution).
        self.observer = observer

    # ------------------------------------------------------------ analysis
    def analyze_source(
        self, source: str | bytes, path: str | os.PathLike[str] | None
    ) -> FileAnalysis:
        """Parse and analyse *source*; SyntaxError becomes an SM900 finding."""
        name = str(path) if path is not None else "<string>"
        data = source.encode("utf-8", errors="surrogatepass") if isinstance(source, str) else source
        too_big = _too_big(name, data)
        if too_big is not None:
            return FileAnalysis(name, None, syntax_error=too_big)
        try:
            return self._analyze(name, source, data, path)
        except Exception as error:  # one file's failure never sinks the run: see lint_file
            return FileAnalysis(name, None, syntax_error=internal_error(name, error))

    def _analyze(
        self, name: str, source: str | bytes, data: bytes, path: str | os.PathLike[str] | None
    ) -> FileAnalysis:
        _test_hook(name)
        facts = self.cache.get(name, data) if self.cache is not None and path is not None else None
        if facts is None:
            parsed = _parse(name, source)
            if isinstance(parsed, Diagnostic):
                return FileAnalysis(name, None, syntax_error=parsed)
            facts = parsed
            if self.cache is not None and path is not None:
                self.cache.put(name, data, facts)
        source_file = Path(path) if path is not None else None
        loads = {
            load.id: self._resolve(
                load.id, load.expr, load.path, load.loader, load.tags, source_file
            )
            for load in facts.loads
        }
        loads = {load.id: _derived(facts, load, loads[load.id]) for load in facts.loads}
        self._observed_models(facts, loads, path, source)
        return FileAnalysis(name, facts, loads, observed=self._observed(facts, path))

    def _observed_models(
        self,
        facts: FileFacts,
        loads: dict[int, ResolvedLoad],
        path: str | os.PathLike[str] | None,
        source: str | bytes,
    ) -> None:
        """Resolution step ``observed`` (last): a load still unresolved takes the model a
        run loaded at that load site (``.sm-lint/observed.json``), in place in *loads*."""
        unresolved = [x for x in facts.loads if loads[x.id].model is None and not loads[x.id].error]
        root = self.config.project_root or Path.cwd()
        sites = self._observations(root)[1] if unresolved and path is not None else {}
        for load, found in observed.resolve_loads(
            sites, root, os.fspath(path or ""), _text(source), unresolved, self.config.tag_set
        ):
            old = loads[load.id]
            loads[load.id] = replace(
                old, resolution=found.resolution(old.resolution), model=found.model
            )

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
            stamp = file.stat().st_mtime_ns
        except OSError:
            return {}, {}
        if self._observed_cache is None or self._observed_cache[0] != stamp:
            self._observed_cache = (stamp, observed.load(root), observed.load_models(root))
        return self._observed_cache[1], self._observed_cache[2]

    def _resolve(
        self,
        load_id: int,
        expr: str,
        path: str | None,
        loader: str,
        tags: tuple[str, ...] | None,
        source_file: Path | None,
    ) -> ResolvedLoad:
        if loader == "keras.load_model" and path is not None and path.endswith((".keras", ".h5")):
            return ResolvedLoad(
                load_id,
                expr,
                path,
                Resolution(None, "a Keras file, not a SavedModel", local=False),
                None,
                None,
            )
        resolution = self.resolver.resolve(path, source_file, loader)
        if resolution.error is not None:
            return ResolvedLoad(load_id, expr, path, resolution, None, resolution.error.reason)
        if resolution.model is None:
            return ResolvedLoad(load_id, expr, path, resolution, None, None)
        try:
            model = read_signatures(resolution.model, tags or self.config.tag_set)
        except ModelReadError as error:
            return ResolvedLoad(load_id, expr, path, resolution, None, str(error))
        return ResolvedLoad(load_id, expr, path, resolution, model, None)

    # ---------------------------------------------------------------- lint
    def lint_source(
        self, source: str | bytes, path: str | os.PathLike[str] | None = None
    ) -> list[Diagnostic]:
        """All findings for *source*, after noqa, select/ignore and severity settings."""
        analysis = self.analyze_source(source, path)
        if self.observer is not None:
            self.observer(analysis)
        return self.finalize(analysis, _text(source), self.diagnose(analysis))

    def diagnose(self, analysis: FileAnalysis) -> list[Diagnostic]:
        """The raw findings of an analysis, before suppression and filtering."""
        if analysis.syntax_error is not None:
            return [analysis.syntax_error]
        facts = analysis.facts
        assert facts is not None
        findings: list[Diagnostic] = []
        for load in facts.loads:
            resolved = analysis.loads[load.id]
            ctx = self._context(analysis, resolved, facts)
            findings.extend(
                check_model_load(
                    ctx,
                    load,
                    resolved.error,
                    resolved.resolution.model is not None
                    or not resolved.resolution.local
                    or resolved.resolution.source == "source",
                )
            )
        for lookup in facts.lookups:
            resolved = analysis.loads[lookup.load_id]
            if resolved.model is not None:
                findings.extend(
                    check_lookup(self._context(analysis, resolved, facts), lookup, resolved.model)
                )
        for call in facts.calls:
            resolved = analysis.loads[call.load_id]
            if resolved.model is not None:
                ctx = self._context(analysis, resolved, facts)
                filled, from_run = with_observed(call, analysis.observed.get(call.id, {}))
                for finding in check_call(ctx, filled, resolved.model):
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
        return sorted(set(findings), key=lambda d: (d.line, d.column, d.code, d.message))

    @staticmethod
    def _context(analysis: FileAnalysis, resolved: ResolvedLoad, facts: FileFacts) -> Context:
        model = str(resolved.resolution.model) if resolved.resolution.model is not None else None
        return Context(analysis.path, model, facts.tf_alias, facts.np_alias)

    def finalize(
        self, analysis: FileAnalysis, text: str, findings: list[Diagnostic]
    ) -> list[Diagnostic]:
        """Apply ``# noqa``, per-file ignores, select/ignore and severity overrides."""
        suppressed = _noqa_lines(text)
        ignored = self._per_file_ignores(analysis.path)
        out = []
        for finding in findings:
            codes = suppressed.get(finding.line)
            if codes is not None and (not codes or finding.code in codes):
                continue
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

    def lint_file(self, path: Path) -> list[Diagnostic]:
        """The findings of one file; an unexpected exception becomes its SM900 finding."""
        try:
            return self._lint_file(path)
        except Exception as error:
            return [internal_error(str(path), error)]

    def _lint_file(self, path: Path) -> list[Diagnostic]:
        try:
            data = path.read_bytes()
        except OSError as error:
            return [
                Diagnostic(
                    str(path),
                    1,
                    1,
                    1,
                    1,
                    "SM900",
                    Severity.ERROR,
                    f"cannot read file: {error.strerror or error}",
                )
            ]
        if b"\0" in data:
            return [
                Diagnostic(
                    str(path),
                    1,
                    1,
                    1,
                    1,
                    "SM900",
                    Severity.ERROR,
                    "cannot parse: the file is binary (it contains NUL bytes)",
                )
            ]
        cache, notebook = self.cache, path.suffix == ".ipynb"
        known = (lambda: cache.has(str(path), data)) if cache and not notebook else None
        if not may_need_analysis(data, notebook=notebook, known=known):
            return []
        if path.suffix == ".ipynb":
            return self.lint_notebook(data.decode("utf-8", errors="replace"), path)
        return self.lint_source(data, path)

    def lint_notebook(self, text: str, path: str | os.PathLike[str]) -> list[Diagnostic]:
        """Findings for a notebook's code cells, analysed as one program; each finding
        names its cell, with line and column counted within the cell."""
        try:
            notebook = parse_notebook(text)
        except NotebookError as error:
            return [
                Diagnostic(
                    os.fspath(path),
                    1,
                    1,
                    1,
                    1,
                    "SM900",
                    Severity.ERROR,
                    f"cannot read the notebook: {error}",
                )
            ]
        return to_cells(notebook, self.lint_source(notebook.program, path))

    def lint_paths(
        self, paths: Iterable[str | os.PathLike[str]], jobs: int = 1
    ) -> list[Diagnostic]:
        """Findings for files and folders; with *jobs* > 1, files that need parsing are
        shared out to that many worker processes."""
        files = list(iter_source_files(paths, self.config.exclude))
        if jobs > 1 and self.observer is None and len(files) >= _PARALLEL_MIN_FILES:
            parallel = _lint_in_processes(self, files, jobs)
            if parallel is not None:
                return parallel
        findings: list[Diagnostic] = []
        for file in files:
            findings.extend(self.lint_file(file))
        return findings


_PARALLEL_MIN_FILES = 16
_worker: Linter | None = None


def _init_worker(linter: Linter) -> None:
    global _worker
    _worker = linter


def _lint_chunk(files: list[Path]) -> list[Diagnostic]:
    assert _worker is not None
    return [d for file in files for d in _worker.lint_file(file)]


def _lint_in_processes(linter: Linter, files: list[Path], jobs: int) -> list[Diagnostic] | None:
    """Lint *files* in *jobs* forked workers; None where processes cannot be used."""
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return None
    # Round-robin chunks balance big and small files without measuring them.
    chunks = [files[i :: jobs * 4] for i in range(jobs * 4)]
    try:
        with context.Pool(jobs, initializer=_init_worker, initargs=(linter,)) as pool:
            results = pool.map(_lint_chunk, [c for c in chunks if c])
    except (OSError, RuntimeError):
        return None
    return [d for chunk in results for d in chunk]


def _derived(facts: FileFacts, load: ModelLoad, resolved: ResolvedLoad) -> ResolvedLoad:
    """Resolution step ``source``: a folder no earlier step found, which the program saves
    itself earlier on, has the signatures derived from that save."""
    if resolved.model is not None or resolved.error is not None or load.saved_by is None:
        return resolved
    save = facts.saves[load.saved_by]
    how = f"signatures derived from the program's own save at line {save.span.line}"
    return replace(resolved, resolution=Resolution(None, how, source="source"), model=save.model())


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


def iter_source_files(
    paths: Iterable[str | os.PathLike[str]], exclude: Iterable[str] = ()
) -> Iterator[Path]:
    """Python files named by *paths*; folders are walked, skipping *exclude* patterns.

    A file named explicitly is always included. Symlink loops and unreadable folders are
    skipped silently.
    """
    patterns = tuple(exclude)
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
            continue
        seen: set[tuple[int, int]] = set()
        for current, dirs, files in os.walk(path, followlinks=True, onerror=lambda _e: None):
            try:
                st = os.stat(current)
            except OSError:
                dirs[:] = []
                continue
            if (st.st_dev, st.st_ino) in seen:
                dirs[:] = []
                continue
            seen.add((st.st_dev, st.st_ino))
            dirs[:] = sorted(d for d in dirs if not _excluded(d, patterns))
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES) and not _excluded(name, patterns):
                    file = Path(current) / name
                    # A dangling link or a link loop found while walking is skipped quietly;
                    # a file named on the command line is always reported on.
                    if _is_regular(file):
                        yield file


def _is_regular(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _excluded(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def _relative(path: str, root: Path | None) -> str:
    if root is None:
        return path
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


def _text(source: str | bytes) -> str:
    if isinstance(source, str):
        return source
    return source.decode("utf-8", errors="replace")


def _noqa_lines(text: str) -> dict[int, frozenset[str]]:
    """Line -> codes silenced there (empty set: every code), from ``# noqa`` comments."""
    out: dict[int, frozenset[str]] = {}
    if "noqa" not in text:
        return out
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                match = _NOQA.search(token.string)
                if match:
                    codes = match.group("codes")
                    out[token.start[0]] = (
                        frozenset(re.split(r"[\s,]+", codes.upper())) if codes else frozenset()
                    )
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def _parse(name: str, source: str | bytes) -> FileFacts | Diagnostic:
    """The facts of *source*, or the SM900 finding that says why it cannot be read."""
    # libcst nests a long flat chain (600 string literals, a 600-term sum) one level per
    # operand; its pure-Python visitors need more than the default recursion limit. CPython's
    # own parser has rejected truly deep nesting before this runs.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        return _parse_checked(name, source)
    finally:
        sys.setrecursionlimit(limit)


_RECURSION_LIMIT = 20_000


def _parse_checked(name: str, source: str | bytes) -> FileFacts | Diagnostic:
    import libcst as cst  # imported here: a run served from the cache never needs it

    from sm_lint.analysis.interpreter import analyze_module

    # CPython's own parser first: it rejects what Python would (a repeated keyword argument,
    # nesting deep enough to crash libcst's native parser) with Python's own message.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not sm-lint's to report
            # A full compile: some errors (a repeated keyword argument) come after parsing.
            # Top-level await is allowed: notebooks use it.
            text = source[1:] if isinstance(source, str) and source[:1] == "\ufeff" else source
            compile(text, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as error:
        line, column = error.lineno or 1, error.offset or 1
        return Diagnostic(
            name,
            line,
            column,
            line,
            column + 1,
            "SM900",
            Severity.ERROR,
            f"cannot parse: {error.msg}",
        )
    except (ValueError, MemoryError, RecursionError) as error:
        return Diagnostic(
            name,
            1,
            1,
            1,
            1,
            "SM900",
            Severity.ERROR,
            f"cannot parse: {type(error).__name__}: {error}",
        )
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return _syntax_error(name, source, error)
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as error:
        return Diagnostic(
            name,
            1,
            1,
            1,
            1,
            "SM900",
            Severity.ERROR,
            f"cannot read the file as Python source: {error}",
        )
    except RecursionError:
        return _too_deep(name)
    try:
        return analyze_module(module, None if name == "<string>" else name)
    except RecursionError:
        return _too_deep(name)


#: Source files with more code than this are not analysed (memory and time grow with it:
#: about 1.5 GB and 20 s per MB of dense code). Blank and comment-only lines do not count.
MAX_SOURCE_BYTES = 512 * 1024


def _too_big(name: str, data: bytes) -> Diagnostic | None:
    """The SM900 note for a source over MAX_SOURCE_BYTES of code, else None."""
    if len(data) <= MAX_SOURCE_BYTES:
        return None
    code = sum(
        len(line)
        for line in data.splitlines()
        if (stripped := line.strip()) and not stripped.startswith(b"#")
    )
    if code <= MAX_SOURCE_BYTES:
        return None
    return Diagnostic(
        name,
        1,
        1,
        1,
        1,
        "SM900",
        Severity.WARNING,
        f"file not analysed: {code / 2**20:.1f} MB of code, over sm-lint's limit of "
        f"{MAX_SOURCE_BYTES // 1024} KB (blank and comment lines not counted); exclude it "
        "or split it",
    )


_INTERNAL = "internal error:"


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
        f"{_INTERNAL} analysing this file raised {type(error).__name__}"
        f"{': ' + detail if detail else ''}; the file was skipped, please report this "
        "with the file",
    )


def is_internal_error(finding: Diagnostic) -> bool:
    """True for the finding :func:`internal_error` makes."""
    return finding.code == "SM900" and finding.message.startswith(_INTERNAL)


def _test_hook(name: str) -> None:
    """``SM_LINT_TEST_FAIL_ON=GLOB`` (tests only): analysing a file whose name matches
    raises, so the per-file isolation stays tested after every real crash is fixed."""
    pattern = os.environ.get("SM_LINT_TEST_FAIL_ON")
    if pattern and fnmatch.fnmatch(os.path.basename(name), pattern):
        raise RuntimeError(f"SM_LINT_TEST_FAIL_ON={pattern} matches {os.path.basename(name)}")


def _too_deep(name: str) -> Diagnostic:
    return Diagnostic(
        name,
        1,
        1,
        1,
        1,
        "SM900",
        Severity.ERROR,
        "cannot analyse: expressions are nested too deeply",
    )


def _syntax_error(path: str, source: str | bytes, error: Any) -> Diagnostic:
    """SM900 at the place Python itself reports (libcst's parser points a token later)."""
    line, column = error.raw_line, error.raw_column + 1
    message = error.message.strip()
    try:
        compile(source, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as py_error:
        line, column = py_error.lineno or line, py_error.offset or column
        message = py_error.msg
    except (ValueError, TypeError):
        pass
    return Diagnostic(
        path,
        line,
        column,
        line,
        column + 1,
        "SM900",
        RULES["SM900"].severity,
        f"cannot parse: {message}",
    )


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
