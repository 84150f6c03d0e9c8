"""Command line: argument parsing, dispatch and exit codes only."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import enum
import functools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sm_lint import __version__
from sm_lint.config import Config, ConfigError
from sm_lint.diagnostics import Diagnostic, Rule, Severity

if TYPE_CHECKING:
    from sm_lint.analysis.facts import ModelLoad
    from sm_lint.api import FileAnalysis, Linter
    from sm_lint.sources import Document

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _rules() -> Mapping[str, Rule]:
    """The rule catalogue, loaded on first use (a run the result cache answers never needs
    the rule units)."""
    from sm_lint.rules.catalogue import RULES

    return RULES


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, never breaking a line inside a hyphenated word (`sm-lint`)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap  # only for --help (as difflib below only for a mistyped flag)

        return textwrap.wrap(
            " ".join(text.split()), width, break_on_hyphens=False, break_long_words=False
        )

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )


class _Parser(argparse.ArgumentParser):
    """argparse, with ruff's usage errors: one line (and a did-you-mean), then a pointer to
    ``--help`` instead of the whole usage block."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"sm-lint: error: {message}{self._suggestion(message)}", file=sys.stderr)
        print(f"For more information, try '{self.prog} --help'.", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)

    def _suggestion(self, message: str) -> str:
        if not message.startswith("unrecognized arguments:"):
            return ""
        import difflib

        flags = [flag for action in self._actions for flag in action.option_strings]
        for word in message.partition(":")[2].split():
            close = difflib.get_close_matches(word.partition("=")[0], flags, n=1)
            if word.startswith("-") and close:
                return f" (did you mean {close[0]}?)"
        return ""


def _show_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sm-lint show",
        description="Show SavedModels' signatures. Each MODEL_DIR is a SavedModel folder, "
        "a TensorFlow Serving version layout, or a folder of models (each one is listed).",
    )
    parser.add_argument("model_dirs", nargs="+", metavar="MODEL_DIR")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--tag-set", default=None, help="meta graph tags, comma-separated")
    return parser


def _warn(message: str) -> None:
    print(f"sm-lint: warning: {message}", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"sm-lint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def cmd_show(argv: Sequence[str]) -> int:
    from sm_lint.models import ModelReadError, discover_models, read_signatures
    from sm_lint.output.show import render_json, render_json_list, render_text

    args = _show_parser().parse_args(argv)
    tags = tuple(t for t in args.tag_set.split(",") if t) if args.tag_set else None
    models, failed = [], False
    for folder in args.model_dirs:
        try:
            models.append(read_signatures(folder, tags))
            continue
        except ModelReadError as error:
            found = discover_models([folder]) if os.path.isdir(folder) else []
            if not found:
                print(f"sm-lint: error: {error}", file=sys.stderr)
                failed = True
                continue
        for model_dir in found:
            try:
                models.append(read_signatures(model_dir, tags))
            except ModelReadError as error:
                print(f"sm-lint: error: {error}", file=sys.stderr)
                failed = True
    if models:
        # One model named directly keeps the documented single JSON object.
        single = len(models) == 1 and len(args.model_dirs) == 1
        if args.format == "json":
            print(render_json(models[0]) if single else render_json_list(models))
        else:
            print("\n\n".join(render_text(model) for model in models))
    return EXIT_ERROR if failed else EXIT_OK


def _codes(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(c.strip().upper() for c in text.split(",") if c.strip())


def _lint_parser(prog: str = "sm-lint") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Check calls to TensorFlow SavedModel signatures against the real models.",
        epilog="Other commands: sm-lint check PATH... (this command, by name) | "
        "show MODEL_DIR... | calls PATH... | diff OLD NEW [PATH...] | rules [CODE] | server | "
        "run SCRIPT. "
        "A PATH named like a command is read as the command: write `sm-lint check server` "
        "or `sm-lint ./server` to lint a folder called server.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders (default: .); - reads the source from standard input",
    )
    parser.add_argument(
        "--models",
        action="append",
        metavar="DIR",
        help="folder with SavedModels (repeatable; default: configured, else models/)",
    )
    parser.add_argument(
        "--output-format",
        "--format",
        dest="format",
        choices=("full", "concise", "text", "json", "sarif", "github"),
        default="full",
        help="output format: full (with the source line; text is an alias), concise (one line "
        "per finding), json, sarif, github (--format is an alias)",
    )
    parser.add_argument(
        "-o", "--output-file", metavar="FILE", help="write the report to FILE, not stdout"
    )
    parser.add_argument(
        "--select", metavar="CODES", help="only these codes or prefixes, comma-separated"
    )
    parser.add_argument(
        "--extend-select",
        metavar="CODES",
        help="add these codes or prefixes to the selected ones (configured or --select)",
    )
    parser.add_argument("--ignore", metavar="CODES", help="skip these codes or prefixes")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes")
    parser.add_argument(
        "--unsafe-fixes",
        action="store_true",
        default=None,
        help="with --fix, also apply unsafe fixes (renames chosen by similarity)",
    )
    parser.add_argument(
        "--no-unsafe-fixes",
        action="store_false",
        dest="unsafe_fixes",
        help="never apply unsafe fixes (overrides unsafe-fixes in the configuration)",
    )
    parser.add_argument(
        "--show-fixes", action="store_true", help="list the findings --fix fixed, per file"
    )
    parser.add_argument(
        "--diff", action="store_true", help="print the fixes as a diff, write nothing"
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    parser.add_argument(
        "--exit-non-zero-on-fix",
        action="store_true",
        help="exit 1 when --fix changed a file, even if no findings remain",
    )
    parser.add_argument(
        "--show-files",
        action="store_true",
        help="list the files that would be linted, then exit",
    )
    parser.add_argument(
        "--show-settings",
        action="store_true",
        help="show the settings in force for each configuration, then exit",
    )
    parser.add_argument(
        "--statistics",
        action="store_true",
        help="print only the counts per rule (JSON with --output-format json)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="findings only, no summary")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="say which model each call resolved to, and why not",
    )
    parser.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="pyproject.toml whose settings apply to every file (default: each file's nearest)",
    )
    parser.add_argument(
        "--exclude",
        metavar="PATTERNS",
        help="file or folder patterns to skip, comma-separated (replaces the configured ones)",
    )
    parser.add_argument(
        "--extend-exclude",
        metavar="PATTERNS",
        help="patterns to skip in addition to the configured ones, comma-separated",
    )
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        default=None,
        help="apply the excludes to files named explicitly too (as pre-commit passes them)",
    )
    parser.add_argument(
        "--no-force-exclude",
        action="store_false",
        dest="force_exclude",
        help="files named explicitly are always linted (overrides force-exclude)",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="with PATH -, the name of the source read from standard input (its findings, "
        "configuration and excludes go by it)",
    )
    parser.add_argument("--tag-set", help="meta graph tags, comma-separated (default: serve)")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text output: auto (a terminal; NO_COLOR, FORCE_COLOR and TERM=dumb "
        "honoured), always, never",
    )
    parser.add_argument("--no-color", action="store_true", help="the same as --color never")
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes for many files (default: the number of cores)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the analysis cache",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where the analysis cache lives (env SM_LINT_CACHE_DIR; default: "
        ".sm-lint/cache in the working directory's project root)",
    )
    parser.add_argument(
        "--no-respect-gitignore",
        action="store_true",
        help="also lint files that .gitignore or .ignore files ignore",
    )
    parser.add_argument("--version", action="version", version=f"sm-lint {__version__}")
    return parser


def _patterns(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _configurations(args: argparse.Namespace) -> Callable[[str | Path, bool | None], Config]:
    """Each path's configuration, as ruff finds it: ``--config`` for every file, else the
    nearest pyproject.toml with ``[tool.sm-lint]`` (else the nearest one at all); the
    command line's flags override each. Files with the same settings share one Config
    object. The function takes a path and whether it is a folder (None: look). Raises
    ConfigError."""
    from sm_lint.config import ByFolder, deciding_folder, load_config

    if args.config:
        pyproject = Path(args.config)
        if not pyproject.is_file():
            raise ConfigError(f"{args.config}: no such file")
        single = _with_flags(args, pyproject, load_config(pyproject))

        def only(_path: str | Path, _is_dir: bool | None = None) -> Config:
            return single

        return only
    configs = ByFolder(lambda pyproject, found: _with_flags(args, pyproject, found))
    by_spelt: dict[str, Config] = {}
    deciding: dict[str, str] = {}

    def lookup(path: str | Path, is_dir: bool | None = None) -> Config:
        # Files of one folder share its configuration: found once per folder as spelt.
        spelt = os.path.dirname(path) if is_dir is False else None
        config = by_spelt.get(spelt) if spelt is not None else None
        if config is not None:
            return config
        absolute = os.path.abspath(path)
        if is_dir is None:
            is_dir = os.path.isdir(absolute)
        folder = absolute if is_dir else os.path.dirname(absolute)
        config = configs.get(deciding_folder(folder, deciding))
        if spelt is not None:
            by_spelt[spelt] = config
        return config

    return lookup


def _with_flags(args: argparse.Namespace, pyproject: Path | None, config: Config) -> Config:
    """*config* (read from *pyproject*) with the command line's flags applied."""
    from sm_lint.config import default_models

    models = tuple(Path(m) for m in args.models) if args.models else None
    if models is None:
        models = default_models(config, Path.cwd())
    # A missing models folder is a warning that names where it was set, wherever it was set:
    # the rest of the run (other folders, model paths in code) still works.
    if models is None:
        for folder in config.models:
            if not folder.is_dir():
                _warn(f"{pyproject}: [tool.sm-lint] models: {folder}: no such folder")
    select, ignore = _codes(args.select), _codes(args.ignore)
    extend = _codes(args.extend_select)
    base = select if select is not None else config.select
    if extend and base:  # an empty selection already means every rule
        select = (*base, *extend)
    exclude = _patterns(args.exclude)
    extend_exclude = _patterns(args.extend_exclude)
    if extend_exclude:
        exclude = (*(config.exclude if exclude is None else exclude), *extend_exclude)
    tags = tuple(t for t in args.tag_set.split(",") if t) if args.tag_set else None
    return config.with_overrides(
        models=models,
        select=select,
        ignore=ignore,
        tag_set=tags,
        exclude=exclude,
        force_exclude=args.force_exclude,
        respect_gitignore=False if args.no_respect_gitignore else None,
    )


def _check_flags(args: argparse.Namespace) -> None:
    """Problems with the flags themselves, before any file is read. Raises ConfigError."""
    for code in (*(_codes(args.select) or ()), *(_codes(args.ignore) or ())):
        if code != "ALL" and not any(rule.startswith(code) for rule in _rules()):
            raise ConfigError(f"unknown rule code {code!r} (see `sm-lint rules`)")
    for folder in args.models or ():
        if not os.path.isdir(folder):
            _warn(f"--models {folder}: no such folder")
    if "-" in args.paths and len(args.paths) > 1:
        raise ConfigError("- (standard input) cannot be combined with other paths")
    if args.stdin_filename is not None and args.paths and args.paths != ["-"]:
        raise ConfigError("--stdin-filename goes with the path - (standard input)")


def _groups(args: argparse.Namespace, paths: Sequence[str]) -> list[tuple[Config, list[str]]]:
    """The files *paths* name, grouped by the configuration each one has. A folder is walked
    with its own configuration's excludes; a file named explicitly is skipped only under
    ``force-exclude`` when its configuration excludes it. Raises ConfigError."""
    from sm_lint.config import is_excluded
    from sm_lint.sources.walk import iter_source_names

    configuration = _configurations(args)
    groups: dict[int, tuple[Config, list[str]]] = {}
    for raw in paths:
        if not os.path.exists(raw):
            raise ConfigError(f"{raw}: no such file or directory")
        path = Path(raw)
        spelt = str(path)
        walked = configuration(path, None)
        # A nested configuration's excludes apply below its own root too, and a pattern
        # with a folder in it (`gen/*`) matches paths, which the walk does not see.
        paths_too: dict[int, bool] = {}
        for file in iter_source_names([path], walked.exclude, walked.respect_gitignore):
            config = configuration(file, False)
            if id(config) not in paths_too:
                paths_too[id(config)] = any("/" in pattern for pattern in config.exclude)
            explicit = file == spelt
            check = (
                config.force_exclude if explicit else config is not walked or paths_too[id(config)]
            )
            if check and is_excluded(Path(file), config):
                continue
            groups.setdefault(id(config), (config, []))[1].append(file)
    return list(groups.values())


def cmd_lint(argv: Sequence[str]) -> int:
    with _batch_collector():
        return _cmd_lint(argv)


#: The cyclic collector's thresholds for a lint run (CPython's default: 700, 10, 10).
#: libcst's trees are many small acyclic objects that live until their file is done: at
#: 700 allocations a collection ran every few statements and each full one walked every
#: imported module, 7% of a cold run's CPU on bench/tree.py's tree; at 10,000 the collector
#: costs under 2% and the peak memory did not move (43 MB).
_BATCH_THRESHOLDS = (10_000, 10, 10)


@contextlib.contextmanager
def _batch_collector() -> Iterator[None]:
    """The collector's thresholds for a batch run, and back (``main`` also runs in-process,
    under tests and other tools); worker processes forked meanwhile inherit them."""
    import gc

    previous = gc.get_threshold()
    gc.set_threshold(*_BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _cmd_lint(argv: Sequence[str]) -> int:
    args = _lint_parser().parse_args(argv)
    groups: list[_Group] = []
    _CACHE_WARNINGS.clear()
    try:
        _check_flags(args)
        # As in ruff, --stdin-filename alone also reads standard input.
        if args.paths == ["-"] or (args.stdin_filename is not None and not args.paths):
            return _lint_stdin(args)
        paths = args.paths or ["."]
        findings: list[Diagnostic] = []
        before: list[Diagnostic] = []
        fixed = 0
        found_groups = _groups(args, paths)
        if args.show_files or args.show_settings:
            return _show_configuration(args, found_groups)
        for config, files in found_groups:
            group = _Group(args, config)
            groups.append(group)
            found = group.lint(files, jobs=max(1, args.jobs))
            before.extend(found)
            unsafe = config.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes
            if args.fix or args.diff:
                # As in ruff, --diff is a dry run, also beside --fix: it never writes.
                applied = _apply_fixes(group.linter(), found, write=not args.diff, unsafe=unsafe)
                fixed += applied
                if not args.diff and applied:
                    found = group.lint(files)
            findings.extend(found)
    except ConfigError as error:
        return _fail(str(error))
    except Exception as error:  # one clear line, never a traceback
        if args.verbose:
            raise
        return _fail(
            f"internal error: {type(error).__name__}: {error} (run with --verbose for details)"
        )
    finally:
        for group in groups:
            group.close()
    if args.diff:
        return EXIT_FINDINGS if fixed else EXIT_OK
    return _finish(args, findings, fixed, before)


class _Group:
    """Linting the files of one configuration: answered from the result cache where it can
    be, the rest analysed (the analysis is imported only then)."""

    def __init__(self, args: argparse.Namespace, config: Config) -> None:
        self.args, self.config = args, config
        self.folder = _cache_folder(args, config)
        from sm_lint.results import open_cache

        # --verbose explains each file's analysis: every file is analysed.
        folder = None if args.verbose else self.folder
        self.results = open_cache(folder, config) if folder is not None else None
        self._linter: Linter | None = None
        self._recording = False

    def linter(self) -> Linter:
        if self._linter is None:
            from sm_lint.cache import FactsCache

            observer = _explain if self.args.verbose else None
            facts = FactsCache(self.folder) if self.folder is not None else None
            if self.results is not None:
                from sm_lint import recording

                recording.install(self.results.private)
                self._recording = True
                self._linter = recording.RecordingLinter(self.config, observer, facts, self.results)
            else:
                from sm_lint.api import Linter

                self._linter = Linter(self.config, observer, facts)
        return self._linter

    def lint(self, files: list[str], jobs: int = 1) -> list[Diagnostic]:
        """The findings of *files*, in their order."""
        if self.results is None:
            linter = self.linter()
            analysed = linter.lint_paths(files, jobs=jobs)
            linter.observer = None
            return analysed
        hits, misses = self.results.lookup(files)
        found: list[Diagnostic] = []
        for name in files:
            hit = hits.get(name)
            if hit is None:
                _KNOWN_LINES.pop(name, None)
            elif hit.findings:
                found.extend(hit.findings)
                lines = zip(hit.findings, hit.lines, strict=True)
                _KNOWN_LINES[name] = {(d.cell, d.line): t for d, t in lines}
        if misses:
            self.results.start_run()
            try:
                found.extend(self.linter().lint_paths(misses, jobs=jobs))
            finally:
                self.results.finish()
        return found

    def close(self) -> None:
        if self._recording:
            from sm_lint import recording

            recording.uninstall()
            self._recording = False


#: The source lines of files answered from the result cache: path -> (cell, line) -> text.
_KNOWN_LINES: dict[str, dict[tuple[int | None, int], str | None]] = {}


def _finish(
    args: argparse.Namespace,
    findings: list[Diagnostic],
    fixed: int,
    before: list[Diagnostic],
    out: TextIO | None = None,
    lines: Callable[[Diagnostic], list[str] | None] | None = None,
) -> int:
    """Report *findings* (to ``-o FILE``, else *out*, else stdout) and return the exit code."""
    findings.sort(key=lambda d: (d.path, d.cell or 0, d.line, d.column, d.code))
    try:
        with _output(args.output_file, out) as stream:
            _report(args, findings, stream, fixed=fixed, before=before, lines=lines)
    except OSError as error:
        return _fail(f"--output-file {args.output_file}: {error.strerror or error}")
    # Like ruff: only findings that can fail a run do; `info` is shown and never fails it.
    failing = [d for d in findings if d.severity is not Severity.INFO]
    if failing and not args.exit_zero:
        return EXIT_FINDINGS
    if fixed and getattr(args, "exit_non_zero_on_fix", False):
        return EXIT_FINDINGS
    return EXIT_OK


def _show_configuration(args: argparse.Namespace, groups: list[tuple[Config, list[str]]]) -> int:
    """``--show-files`` (each file to be linted, sorted, one a line) or ``--show-settings``
    (per configuration: the settings after flags, then its files), as ruff shows them."""
    if args.show_files:
        for name in sorted(os.path.abspath(f) for _config, files in groups for f in files):
            print(name)
        return EXIT_OK
    for config, files in groups:
        print(f"Resolved settings for: {os.path.abspath(files[0]) if files else '-'}")
        pyproject = config.project_root / "pyproject.toml" if config.project_root else None
        shown = pyproject if pyproject is not None and pyproject.is_file() else "(defaults)"
        print(f"Settings path: {shown}")
        print(f"Cache folder: {_cache_folder(args, config) or '(no cache)'}")
        for field in dataclasses.fields(config):
            print(f"{field.name} = {_setting(getattr(config, field.name))}")
        print()
    return EXIT_OK


def _setting(value: object) -> str:
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, tuple):
        return "[" + ", ".join(_setting(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{json.dumps(str(k))} = {_setting(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, enum.Enum):
        return json.dumps(value.value)
    if value is None:
        return "none"
    return json.dumps(value)


def _lint_stdin(args: argparse.Namespace) -> int:
    """``sm-lint - [--stdin-filename PATH]``: lint standard input as the file *PATH* (its
    configuration, excludes under ``force-exclude``); with ``--fix`` the fixed source goes
    to stdout and the report to stderr, as ruff does. Raises ConfigError."""
    from sm_lint.api import Linter
    from sm_lint.config import is_excluded
    from sm_lint.fixes import fix_document, unified_diff
    from sm_lint.sources import from_bytes, from_text

    name = args.stdin_filename or "-"
    data = sys.stdin.buffer.read()
    config = _configurations(args)(Path(name) if args.stdin_filename else Path.cwd(), None)
    excluded = args.stdin_filename is not None and config.force_exclude
    if excluded and is_excluded(Path(name), config):
        # Nothing to report; with --fix the source passes through unchanged, as ruff's does.
        if args.fix:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        if args.diff:
            return EXIT_OK
        return _finish(args, [], 0, [], sys.stderr if args.fix else None)
    document = from_bytes(data, name)
    linter = Linter(config, _explain if args.verbose else None, None)
    findings = linter.lint_document(document)
    linter.observer = None
    before, fixed = findings, 0
    if args.fix or args.diff:
        unsafe = config.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes
        result = fix_document(linter, document, unsafe=unsafe)
        if result.reason is not None:
            print(f"sm-lint: {name}: {result.reason}; not fixed", file=sys.stderr)
        elif result.refused is not None:
            why = f"not fixed: {result.refused} (please report this)"
            print(f"sm-lint: {name}: {why}", file=sys.stderr)
        changed = result.reason is None and result.text != document.text
        fixed = result.applied if changed else 0
        if args.diff:
            if changed:
                sys.stdout.write(unified_diff(name, document.text, result.text))
            return EXIT_FINDINGS if fixed else EXIT_OK
        if changed:
            sys.stdout.write(result.text)
            document = from_text(result.text, name)
            findings = linter.lint_document(document)
        else:  # the source passes through byte for byte
            sys.stdout.buffer.write(data)
        sys.stdout.flush()
    shown = document
    return _finish(
        args,
        findings,
        fixed,
        before,
        sys.stderr if args.fix else None,
        lambda finding: shown.lines(finding.cell),
    )


@contextlib.contextmanager
def _output(path: str | None, default: TextIO | None = None) -> Iterator[TextIO]:
    """Where the report goes: ``-o FILE``, else *default*, else standard output."""
    if path is None or path == "-":
        yield default or sys.stdout
        return
    with open(path, "w", encoding="utf-8") as handle:
        yield handle


def _report(
    args: argparse.Namespace,
    findings: list[Diagnostic],
    out: TextIO,
    fixed: int,
    before: list[Diagnostic],
    lines: Callable[[Diagnostic], list[str] | None] | None = None,
) -> None:
    """Write the findings (or with ``--statistics`` only their counts) in the chosen format."""
    from sm_lint.output import report

    if args.statistics:
        if args.format == "json":
            report.write(report.statistics_json(findings), out)
        elif findings:
            report.write(report.statistics(findings), out)
        return
    if args.format == "json":
        report.write(report.render_json(findings), out)
    elif args.format in ("sarif", "github"):
        from sm_lint.output import ci_formats

        render = ci_formats.render_sarif if args.format == "sarif" else ci_formats.render_github
        report.write(render(findings), out)
    else:
        color = report.use_color(out, "never" if args.no_color else args.color)
        source = lines or _source_lines
        concise = args.format == "concise"
        report.write(report.render_text(findings, source, color=color, concise=concise), out)
        if not args.quiet:
            fixed_note = f"Fixed {fixed} finding{'' if fixed == 1 else 's'}. " if args.fix else ""
            report.write(("\n" if findings else "") + fixed_note + report.summary(findings), out)
        if args.show_fixes and args.fix and fixed:
            report.write("\n" + report.fixed_list(before, findings), out)


def _cache_folder(args: argparse.Namespace, config: Config) -> Path | None:
    """The cache folder, as ruff finds its own: ``--cache-dir``, else ``SM_LINT_CACHE_DIR``,
    else ``cache-dir`` in the configuration, else ``.sm-lint/cache`` in the project root of
    the working directory (never inside a project merely linted); None with ``--no-cache``
    or where no cache can be kept. Only a folder sm-lint owns is used
    (:mod:`sm_lint.cache_folder`); raises ConfigError for one it must not use."""
    if args.no_cache:
        return None
    from sm_lint import cache_folder
    from sm_lint.config import project_root
    from sm_lint.results import CACHE_FOLDER

    here = project_root(Path.cwd()) or Path.cwd()
    chosen = args.cache_dir or os.environ.get("SM_LINT_CACHE_DIR")
    root: Path | None  # set where the repository chose the folder: its links stay inside
    if chosen:
        folder, root = Path(os.path.expanduser(chosen)), None
    elif config.cache_dir is not None:
        folder, root = config.cache_dir, config.project_root or here
    else:
        folder, root = here / CACHE_FOLDER, here
    taken = cache_folder.claim(folder, root, cache_folder.guarded_paths(config, here))
    if taken.warning is not None and taken.warning not in _CACHE_WARNINGS:
        _CACHE_WARNINGS.add(taken.warning)  # once per run, not once per configuration
        _warn(taken.warning)
    return taken.folder


#: The cache folder warnings already shown in this run.
_CACHE_WARNINGS: set[str] = set()


def _explain(analysis: FileAnalysis) -> None:
    """--verbose: which model each load resolved to; for every call that cannot be checked,
    why, and the one thing that would make it checkable."""
    from sm_lint.output.report import place

    if analysis.facts is None:
        return
    for load in analysis.facts.loads:
        resolved = analysis.loads[load.id]
        where = _load_place(analysis, load)
        if load.unset:
            print(
                f"sm-lint: {where}: {load.expr} is {load.path!r} where "
                f"{' and '.join(load.unset)} {'is' if len(load.unset) == 1 else 'are'} unset "
                "(its default): findings about this model assume so",
                file=sys.stderr,
            )
        if resolved.model is not None:
            print(
                f"sm-lint: {where}: {load.expr} -> {resolved.model.path} "
                f"({resolved.resolution.reason})",
                file=sys.stderr,
            )
        else:
            why = resolved.error or resolved.resolution.reason
            print(
                f"sm-lint: {where}: {load.expr or '<no path>'} not checked: {why}"
                f"{_checkable_hint(analysis, load.id)}",
                file=sys.stderr,
            )
    calls = analysis.facts.calls
    unchecked = [c for c in calls if analysis.loads[c.load_id].model is None]
    for call in unchecked:
        load = next(x for x in analysis.facts.loads if x.id == call.load_id)
        print(
            f"sm-lint: {place(analysis, call.span.line, call.span.column)}: call of signature "
            f"{call.key!r} not checked: its model (loaded at {_load_place(analysis, load)}) "
            "is unknown",
            file=sys.stderr,
        )
    if calls:
        checked = len(calls) - len(unchecked)
        print(
            f"sm-lint: {analysis.path}: {len(calls)} signature call"
            f"{'' if len(calls) == 1 else 's'}, {checked} checked",
            file=sys.stderr,
        )


def _load_place(analysis: FileAnalysis, load: ModelLoad) -> str:
    """Where a load is: in this file, or in the project module it was imported from."""
    from sm_lint.output.report import place

    if load.file is not None:
        return f"{load.file}:{load.span.line}:{load.span.column}"
    return place(analysis, load.span.line, load.span.column)


def _checkable_hint(analysis: FileAnalysis, load_id: int) -> str:
    """What would make an unresolved load checkable (empty where the reason says it)."""
    from sm_lint.analysis.resolve import Unchecked

    resolved = analysis.loads[load_id]
    why = resolved.resolution.unchecked
    if why in (Unchecked.NOT_CACHED, Unchecked.REMOTE, Unchecked.AMBIGUOUS):
        return ""  # the reason already names the one thing to do
    if why is Unchecked.UNREADABLE:
        return "; re-export the model, or point the load at a readable SavedModel"
    if why is Unchecked.PATH_UNKNOWN and analysis.path.endswith(".ipynb"):
        # Runs of notebooks are not recorded (their load sites are program lines): say
        # what works instead.
        return (
            "; give the load a path sm-lint can read (a constant, or a folder saved "
            "earlier in the notebook), or map the path in [tool.sm-lint.model-paths]"
        )
    if why is Unchecked.PATH_UNKNOWN:
        return (
            "; run the program once with `sm-lint run SCRIPT ARGS...` (or its tests with "
            "`pytest --sm-lint`): the folder it loads is remembered for this load"
        )
    if why is Unchecked.NOT_READABLE_HERE:
        return f"; map {resolved.path!r} to a local copy in [tool.sm-lint.model-paths]"
    return "; pass --models with the folder that holds it, or map it in [tool.sm-lint.model-paths]"


def _apply_fixes(
    linter: Linter, findings: list[Diagnostic], write: bool, unsafe: bool = False
) -> int:
    """Fix every file with fixable findings; with *write* False print the unified diff
    instead. Returns how many fixes were applied; a file that cannot be fixed says why."""
    from sm_lint.fixes import NotWrittenError, digest, fix_document, unified_diff, write_atomically
    from sm_lint.sources import read_file

    total = 0
    for name in sorted({d.path for d in findings if d.fix is not None and (d.fix.safe or unsafe)}):
        path = Path(name)
        document = read_file(path, precheck=False)
        if not document.data and document.problems:  # unreadable: the finding says why
            print(f"sm-lint: {name}: {document.problems[0].message}; not fixed", file=sys.stderr)
            continue
        result = fix_document(linter, document, unsafe=unsafe)
        if result.reason is not None:
            print(f"sm-lint: {name}: {result.reason}; not fixed", file=sys.stderr)
            continue
        if result.refused is not None:
            # A fix whose result does not verify is sm-lint's bug, never the user's loss.
            what = "partly fixed; the rest not fixed" if result.applied else "not fixed"
            print(
                f"sm-lint: {name}: {what}: {result.refused} (please report this)", file=sys.stderr
            )
        if result.text == document.text:
            continue
        if write:
            try:
                write_atomically(path, result.text, digest(document.data))
            except NotWrittenError as error:
                print(f"sm-lint: {error}", file=sys.stderr)
                continue
            except OSError as error:
                print(f"sm-lint: {name}: {error.strerror or error}; not fixed", file=sys.stderr)
                continue
        else:
            sys.stdout.write(unified_diff(name, document.text, result.text))
        total += result.applied
    return total


def _source_lines(finding: Diagnostic) -> list[str] | None:
    """The lines a finding points into: the file's, or its notebook cell's, read as the
    analysis read them."""
    known = _KNOWN_LINES.get(finding.path)
    if known is not None and (finding.cell, finding.line) in known:
        text = known[(finding.cell, finding.line)]
        # Only the line the finding is on is shown: the others need not be read.
        return None if text is None else [""] * (finding.line - 1) + [text]
    from sm_lint.sources import shown_lines

    return shown_lines(_document(finding.path), finding.cell)


@functools.lru_cache(maxsize=32)
def _document(path: str) -> Document:
    from sm_lint.sources import read_file

    return read_file(path, precheck=False)


def cmd_calls(argv: Sequence[str]) -> int:
    from sm_lint.api import Linter
    from sm_lint.output.calls import render_calls_json, render_calls_text
    from sm_lint.output.report import location

    parser = _lint_parser("sm-lint calls")
    args = parser.parse_args(argv)
    try:
        _check_flags(args)
        analyses: list[FileAnalysis] = []
        for config, files in _groups(args, args.paths or ["."]):
            linter = Linter(config)
            analyses.extend(linter.analyze(linter.read(f)) for f in files)
    except ConfigError as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(str(error))
    for analysis in analyses:
        for problem in analysis.document.problems if analysis.document is not None else ():
            message = f"{location(problem)}: {problem.code} {problem.message}"
            print(f"sm-lint: {message}", file=sys.stderr)
    if args.format == "json":
        print(render_calls_json(analyses))
    else:
        print(render_calls_text(analyses))
    return EXIT_OK


def cmd_rules(argv: Sequence[str]) -> int:
    from sm_lint.output.rules import render_rule, render_rules

    parser = _Parser(prog="sm-lint rules", description="Describe the rules.")
    parser.add_argument("code", nargs="?")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    args = parser.parse_args(argv)
    if args.code:
        code = args.code.upper()
        rules = _rules()
        if code not in rules:
            return _fail(f"unknown rule code {args.code!r} (see `sm-lint rules`)")
        print(render_rule(rules[code], args.format))
    else:
        print(render_rules(args.format))
    return EXIT_OK


def cmd_server(argv: Sequence[str]) -> int:
    parser = _Parser(prog="sm-lint server", description="Language Server Protocol over stdio.")
    parser.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    args = parser.parse_args(argv)
    from sm_lint.server import serve

    serve(args.tcp)
    return EXIT_OK


def cmd_run(argv: Sequence[str]) -> int:
    """``sm-lint run [--format F] SCRIPT [ARGS ...]``: run with every signature call checked."""
    fmt = "text"
    argv = list(argv)
    while argv and argv[0].startswith("--format"):
        option = argv.pop(0)
        fmt = option.split("=", 1)[1] if "=" in option else (argv.pop(0) if argv else "")
    if fmt not in ("text", "json"):
        return _fail(f"run: --format must be text or json, not {fmt!r}")
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: sm-lint run [--format text|json] SCRIPT [ARGS ...]")
        return EXIT_OK if argv else EXIT_ERROR
    script = argv[0]
    if not os.path.isfile(script):
        return _fail(f"{script}: no such file")
    from sm_lint.output import report
    from sm_lint.runtime.guard import Recorder, TensorFlowMissing
    from sm_lint.runtime.run import run_script, unique

    recorder = Recorder()
    out = sys.stderr if fmt == "text" else sys.stdout
    shown: list[Diagnostic] = []

    def show_so_far() -> None:
        # The diagnosis first: TensorFlow's traceback that follows runs to ~150 lines.
        new = [d for d in unique(recorder.findings) if d not in shown]
        if fmt == "text" and new:
            report.write(report.render_text(new, _source_lines, color=report.use_color(out)), out)
            shown.extend(new)

    try:
        status = run_script(script, argv[1:], recorder, before_traceback=show_so_far)
    except TensorFlowMissing as error:
        return _fail(f"run: {error}")
    findings = unique(recorder.findings)
    if fmt == "json":
        report.write(report.render_json(findings), out)
    else:
        rest = [d for d in findings if d not in shown]
        if rest:
            text = report.render_text(rest, _source_lines, color=report.use_color(out))
            report.write(text, out)
        calls = recorder.calls
        report.write(
            f"sm-lint: {calls} signature call{'' if calls == 1 else 's'} checked; "
            + report.summary(findings),
            out,
        )
    if status == 0 and findings:
        return EXIT_FINDINGS
    return status


def _diff_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sm-lint diff",
        usage="sm-lint diff OLD NEW [PATH ...] [options]\n"
        "       sm-lint diff --against REV MODEL [MODEL ...] [PATH ...] [options]",
        description="Compare two versions of a SavedModel: each signature's added and removed "
        "inputs and outputs, dtype and shape changes, each breaking or compatible for callers. "
        "With PATHs, also the call sites (files and folders, linted as `sm-lint` lints them) "
        "that the new version breaks: the findings linting against NEW adds to linting "
        "against OLD. No TensorFlow is imported.",
        epilog="Breaking: a removed signature, input or output; a new required input; a dtype "
        "change; an input dimension narrowed (None -> 5) or changed (5 -> 6); a rank change. "
        "Compatible: a new signature or output, a new optional input, an input dimension freed "
        "(5 -> None). With --against, each MODEL (a SavedModel folder or its saved_model.pb) "
        "is compared with its model file at git revision REV (git show REV:path); the other "
        "arguments are PATHs. Exit 0 nothing breaking, 1 breaking changes or broken call "
        "sites, 2 usage or read errors.",
    )
    parser.add_argument("arguments", nargs="+", metavar="OLD NEW [PATH]", help=argparse.SUPPRESS)
    parser.add_argument(
        "--against",
        metavar="REV",
        help="compare each MODEL with its version at git revision REV (e.g. HEAD, main, v1)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (the changes, then the broken call sites as lint shows them) or json",
    )
    parser.add_argument(
        "--models",
        action="append",
        metavar="DIR",
        help="folder with SavedModels, for resolving the call sites' loads (repeatable)",
    )
    parser.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="pyproject.toml whose settings apply to every PATH (default: each file's nearest)",
    )
    parser.add_argument("--select", metavar="CODES", help="only these codes at call sites")
    parser.add_argument("--ignore", metavar="CODES", help="skip these codes at call sites")
    parser.add_argument("--tag-set", help="meta graph tags, comma-separated (default: serve)")
    parser.set_defaults(
        extend_select=None,
        exclude=None,
        extend_exclude=None,
        force_exclude=None,
        no_respect_gitignore=False,
        stdin_filename=None,
        paths=[],
    )
    return parser


def _model_argument(raw: str) -> Path:
    """A model named by its folder, or by its ``saved_model.pb`` (as pre-commit passes it)."""
    from sm_lint.models.reader import PB, PBTXT

    path = Path(raw)
    return path.parent if path.name in (PB, PBTXT) and path.is_file() else path


def _names_a_model(raw: str) -> bool:
    from sm_lint.models import ModelReadError, resolve_model_dir

    try:
        resolve_model_dir(_model_argument(raw))
    except ModelReadError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class _Versions:
    """Two versions of one model: labels, folders (None: no such version), the working-tree
    folders the call sites may load it by."""

    old_label: str
    old: Path | None
    new_label: str
    new: Path
    loaded_as: tuple[Path, ...]
    note: str | None = None


def cmd_diff(argv: Sequence[str]) -> int:
    import tempfile

    from sm_lint.models import ModelReadError
    from sm_lint.models.revision import RevisionError

    args = _diff_parser().parse_intermixed_args(argv)
    try:
        _check_flags(args)
        with tempfile.TemporaryDirectory(prefix="sm-lint-diff-") as scratch:
            return _diff(args, Path(scratch))
    except (ConfigError, ModelReadError, RevisionError) as error:
        return _fail(str(error))
    except BrokenPipeError:
        raise  # main() stops quietly
    except OSError as error:
        return _fail(
            f"{error.filename or ''}{': ' if error.filename else ''}{error.strerror or error}"
        )
    except Exception as error:  # one clear line, never a traceback
        return _fail(f"internal error: {type(error).__name__}: {error} (please report this)")


def _diff(args: argparse.Namespace, scratch: Path) -> int:
    from sm_lint.models import ModelReadError, read_signatures, resolve_model_dir
    from sm_lint.models.compare import compare_models
    from sm_lint.models.revision import model_at_revision
    from sm_lint.output import diff as render
    from sm_lint.output.report import use_color

    tags = tuple(t for t in args.tag_set.split(",") if t) if args.tag_set else None
    versions: list[_Versions] = []
    if args.against is not None:
        models = [a for a in args.arguments if _names_a_model(a)]
        paths = [a for a in args.arguments if not _names_a_model(a)]
        if not models:
            raise ConfigError(
                f"--against {args.against}: name a SavedModel folder (or its saved_model.pb) "
                f"to compare; none among: {' '.join(args.arguments)}"
            )
        for index, raw in enumerate(dict.fromkeys(str(_model_argument(m)) for m in models)):
            folder, label, existed = model_at_revision(raw, args.against, scratch / str(index))
            old = scratch / str(index) if existed else None
            note = None if existed else f"not at {args.against}: a new model"
            here = resolve_model_dir(folder).resolve()
            versions.append(_Versions(label, old, raw, folder, (here,), note))
    else:
        if len(args.arguments) < 2:
            raise ConfigError("diff needs OLD and NEW model folders (or MODEL --against REV)")
        old_raw, new_raw, *paths = args.arguments
        old, new = _model_argument(old_raw), _model_argument(new_raw)
        loaded_as = tuple(dict.fromkeys(resolve_model_dir(p).resolve() for p in (old, new)))
        versions.append(_Versions(old_raw, old, new_raw, new, loaded_as))
    reports = []
    for version in versions:
        try:
            before = read_signatures(version.old, tags) if version.old is not None else None
        except ModelReadError as error:  # named as the user named it, not the scratch copy
            label = version.old_label if args.against is not None else error.path
            raise ModelReadError(label, error.reason) from error
        after = read_signatures(version.new, tags)
        model_diff = compare_models(before, after)
        findings = None
        if paths:
            findings = tuple(_broken_calls(args, paths, version)) if version.old is not None else ()
        reports.append(
            render.DiffReport(
                version.old_label, version.new_label, model_diff, findings, version.note
            )
        )
    if args.format == "json":
        print(render.render_json(reports))
    else:
        color = use_color(sys.stdout)
        texts = [render.render_report_text(r, _source_lines, color) for r in reports]
        print("\n\n".join(texts))
        print(render.summary(reports))
    failing = any(
        r.diff.breaking or any(d.severity is not Severity.INFO for d in r.findings or ())
        for r in reports
    )
    return EXIT_FINDINGS if failing else EXIT_OK


def _broken_calls(
    args: argparse.Namespace, paths: Sequence[str], version: _Versions
) -> list[Diagnostic]:
    """The findings at *paths* linted with the new version in place of every folder the
    model is loaded by, that linting with the old version in place does not have (the same
    place and code)."""
    from sm_lint.api import Linter

    assert version.old is not None
    runs: list[list[Diagnostic]] = [[], []]
    for config, files in _groups(args, paths):
        for run, stand_in in zip(runs, (version.old, version.new), strict=True):
            substitutes = {folder: stand_in for folder in version.loaded_as}
            linter = Linter(config.with_overrides(model_substitutes=substitutes))
            run.extend(linter.lint_paths(files))
    before = {_site(d) for d in runs[0]}
    broken = [d for d in runs[1] if _site(d) not in before]
    return sorted(broken, key=lambda d: (d.path, d.cell or 0, d.line, d.column, d.code))


def _site(finding: Diagnostic) -> tuple[object, ...]:
    return (finding.path, finding.cell, finding.line, finding.column, finding.code)


_COMMANDS = {
    "show": cmd_show,
    "calls": cmd_calls,
    "rules": cmd_rules,
    "rule": cmd_rules,  # ruff's spelling: `ruff rule CODE`
    "server": cmd_server,
    "run": cmd_run,
    "diff": cmd_diff,
}


class _Terminated(BaseException):
    """SIGTERM arrived: unwind (worker processes are ended on the way) and exit 143."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise _Terminated


#: Commands that run the user's code or serve an editor keep the default signal handling.
_OWN_SIGNALS_EXCEPT = ("run", "server")


def main(argv: Sequence[str] | None = None) -> int:
    """Run sm-lint with *argv* (default: sys.argv[1:]) and return the exit code.
    Ctrl-C exits 130 and SIGTERM 143, each with one line on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    own = not (args and args[0] in _OWN_SIGNALS_EXCEPT)
    previous = None
    if own:
        with contextlib.suppress(ValueError):  # not the main thread: left as it is
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        if not own:
            raise
        print("sm-lint: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("sm-lint: terminated (SIGTERM)", file=sys.stderr)
        return 143
    except BrokenPipeError:
        # The reader went away (`sm-lint ... | head`): stop quietly, as other CLIs do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FINDINGS
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _dispatch(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("--version", "-V"):
        print(f"sm-lint {__version__}")
        return EXIT_OK
    if args and args[0] in _COMMANDS:
        return _COMMANDS[args[0]](args[1:])
    if args and args[0] == "check":
        args = args[1:]
    return cmd_lint(args)
