"""The program layer: a project's modules, how its imports resolve, and per-module summaries.

Modelled on pyright's split (an import resolver, a program that owns the source files, one
analysis per file) and on mypy's per-module build state: a module imported by the file
being analysed is analysed once per run into a :class:`ModuleSummary` (the values of its
module-level names when the import finished, and the engine that can analyse its
functions under a caller's arguments), and importers ask for that summary instead of
treating the import as opaque.

Resolution follows what Python does when it runs the project: the project root is the
nearest folder holding ``pyproject.toml`` or ``.git``; the search path is the importing
script's folder, ``ROOT/src`` (a ``src/`` layout) and ``ROOT``; a regular package (a folder
with ``__init__.py``) or a module wins over a namespace package (a plain folder), which is
used only when no installed library of that name exists. Relative imports count folders
up from the importing file. A module that cannot be found, a module that does not parse
and a module already being summarised (an import cycle) are unknown: never an error.

Values cross modules only where they stay exact: constants, arrays, paths, tuples, loaded
models and the program's own module-level functions and classes, and instances of those
classes (their attributes adopted where read, their methods run in their own module). A
model loaded in another module keeps its load site there (``ModelLoad.file``): its path
resolves against that file, and findings about the load itself stay with that file. A
model (or its signature function) the caller loaded and hands to another module's function
is lent to it: the function runs there on the caller's load, and the signature calls it
makes come back as the caller's, reported at its call. A class of another module built with
the caller's model does not get it (its instances outlive the call).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sm_lint.analysis import functions
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Array,
    Choice,
    Const,
    DType,
    EnvDefault,
    Generator,
    Handle,
    ModelRef,
    PathValue,
    QualName,
    Seq,
    SignatureFn,
    SignaturesRef,
)
from sm_lint.sources import layout
from sm_lint.sources.layout import project_root

if TYPE_CHECKING:
    import libcst as cst

    from sm_lint.analysis.engine.state import Env, Invoked, RunState
    from sm_lint.analysis.facts import SignatureCall, Span

#: Summaries being built inside one another (an import chain) before the rest is unknown.
MAX_IMPORT_DEPTH = 16


# ------------------------------------------------------------------ values
@dataclass(frozen=True)
class ModuleValue(AbstractValue):
    """A project module (a ``.py`` file) or package (its ``__init__.py``, or the folder of
    a namespace package)."""

    path: str


@dataclass(frozen=True, eq=False)
class ForeignFunction(AbstractValue):
    """A module-level function of another project module, analysed there when called."""

    module: str
    function: functions.FunctionValue


@dataclass(frozen=True, eq=False)
class ForeignClass(AbstractValue):
    """A module-level class of another project module: built and run there."""

    module: str
    cls: functions.ClassValue


@dataclass(frozen=True)
class ForeignInstance(AbstractValue):
    """An instance of a class of another project module (its values in that module's
    terms): its attributes are adopted where read, its methods run there."""

    module: str
    instance: functions.InstanceValue


# ------------------------------------------------------------------ summaries
@dataclass
class ModuleSummary:
    """One module analysed: its module-level names at the end of its import, the engine
    that analyses its functions, and every project file it read (path -> sha256)."""

    path: str
    env: dict[str, AbstractValue]
    engine: ModuleEngine
    files: dict[str, str] = field(default_factory=dict)
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: What each function makes of unknown arguments (``_alone``), by function and arity.
    alone: dict[tuple[object, ...], set[tuple[object, ...]]] = field(default_factory=dict)


def _stamp(path: str) -> tuple[int, int] | None:
    text = layout.OVERLAY.get(path)
    if text is not None:
        return -1, hash(text)  # a buffer: never equal to a file's (size, time)
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class Importer(Protocol):
    """What this layer uses of the engine that imports a module (analysis/engine/; typed
    here so that the engine, which asks this layer for modules, is not imported back)."""

    state: RunState
    frames: list[functions.Frame]
    #: The file it analyses.
    path: str | None

    def note_import(self, summary: Any) -> None: ...


class ModuleEngine(Importer, Protocol):
    """What this layer uses of the engine that analysed a module: its imports, its names,
    running one of its functions."""

    imported: dict[str, str]
    imported_stamps: dict[str, tuple[int, int]]
    globals_assigned_in_functions: set[str]

    def module_env(self) -> Env: ...

    def invoke(
        self,
        function: functions.FunctionValue,
        args: CallArgs,
        opaque: bool,
        env: Env,
        span: Span,
        bound_self: functions.InstanceValue | None = None,
        name: str | None = None,
    ) -> Invoked: ...

    def construct(
        self, cls: functions.ClassValue, args: CallArgs, opaque: bool, env: Env, span: Span
    ) -> AbstractValue: ...


#: Analyses one module of the program (*module*, at *path*) and returns its engine after
#: the module's statements have run (``module_env()``, ``imported`` ...).
ModuleAnalyser = Callable[["cst.Module", str, "Program"], ModuleEngine]


class Program:
    """The modules of one project, resolved and summarised on demand."""

    def __init__(self, root: Path, analyse: ModuleAnalyser) -> None:
        self.root = root
        #: How one module is analysed (given by the analysis that owns the engine and the
        #: libraries' hooks: this layer only resolves and summarises).
        self._analyse = analyse
        self._summaries: dict[str, ModuleSummary | None] = {}
        self._building: list[str] = []
        #: For each summary being built: whether a cut (a cycle back to a module further up,
        #: or the depth limit) made it depend on the order of imports (not kept then).
        self._partial: list[bool] = []

    # ------------------------------------------------------------ resolution
    def resolve(self, importer: str, module: str, level: int = 0) -> Path | None:
        """The file (or namespace folder) ``import module`` (with *level* leading dots) binds
        in *importer*, if it is part of the project."""
        return layout.resolve(importer, module, level, self.root)

    def submodule(self, package: str, name: str) -> Path | None:
        """``package.name`` as a module below a package file or namespace folder."""
        return layout.submodule(package, name)

    # ------------------------------------------------------------ summaries
    def summary(self, path: str) -> ModuleSummary | None:
        """The summary of the module at *path* (None: unknown — unreadable, unparsable, a
        namespace folder, or part of an import cycle being built)."""
        if not path.endswith(".py"):
            return None
        known = self._summaries.get(path)
        if known is not None and all(_stamp(p) == s for p, s in known.stamps.items()):
            return known
        if path in self._building or len(self._building) >= MAX_IMPORT_DEPTH:
            self._cut(self._building.index(path) if path in self._building else -1)
            return None
        self._building.append(path)
        self._partial.append(False)
        try:
            built = self._build(path)
        except (RecursionError, ValueError, UnicodeDecodeError, OSError):
            built = None
        except Exception:  # a module that breaks the analysis stays unknown
            built = None
        finally:
            self._building.pop()
            partial = self._partial.pop()
        if not partial:
            self._summaries[path] = built
        return built

    def _cut(self, index: int) -> None:
        """An import answered unknown because of where the build is: every summary being
        built below the module it returned to depends on the import order."""
        for j in range(index + 1, len(self._partial)):
            self._partial[j] = True

    def _build(self, path: str) -> ModuleSummary | None:
        import libcst as cst

        stamp = _stamp(path)
        data = layout.OVERLAY.get(path)
        if data is None:
            with open(path, "rb") as handle:
                data = handle.read()
        try:
            module = cst.parse_module(data)
        except cst.ParserSyntaxError:
            return None
        engine = self._analyse(module, path, self)
        env = engine.module_env()
        summary = ModuleSummary(path, {}, engine)
        summary.files = {**engine.imported, path: hashlib.sha256(data).hexdigest()}
        summary.stamps = dict(engine.imported_stamps)
        if stamp is not None:
            summary.stamps[path] = stamp
        dropped = engine.globals_assigned_in_functions
        for name, value in env.items():
            if "." in name or name in dropped or name == "__file__":
                continue  # attributes set on objects, names some function rebinds
            summary.env[name] = value
        return summary

    # ------------------------------------------------------------ for the engine
    def member(self, engine: Importer, target: str, name: str) -> AbstractValue:
        """``target.name`` (``from target import name``): the module's own name, else a
        submodule of a package."""
        summary = self.summary(target)
        if summary is not None:
            engine.note_import(summary)
            if name in summary.env:
                return adopt(engine, summary, summary.env[name])
        sub = self.submodule(target, name)
        if sub is not None:
            return ModuleValue(str(sub))
        return UNKNOWN

    def call(
        self, engine: Importer, func: ForeignFunction, args: CallArgs, opaque: bool, span: Span
    ) -> AbstractValue:
        """What calling a function of another module returns, analysed in that module with
        the arguments that stay exact across modules."""
        summary = self.summary(func.module)
        if summary is None or len(self._building) >= MAX_IMPORT_DEPTH:
            return UNKNOWN
        engine.note_import(summary)
        return self._run(engine, summary, func.function, args, opaque, span, None)

    def construct(
        self, engine: Importer, cls: ForeignClass, args: CallArgs, opaque: bool, span: Span
    ) -> AbstractValue:
        """An instance of a class of another module, built there with the arguments that
        stay exact across modules."""
        summary = self._entered(engine, cls.module)
        if summary is None:
            return UNKNOWN
        try:
            built = summary.engine.construct(
                cls.cls, _portable_args(args), opaque, dict(summary.env), span
            )
        except RecursionError:
            return UNKNOWN
        return adopt(engine, summary, built)

    def attribute(
        self, engine: Importer, owner: ForeignInstance | ForeignClass, name: str, span: Span
    ) -> AbstractValue:
        """``instance.name`` (an attribute ``__init__`` set, a property's value) or
        ``Class.name`` (a static or class method) of another module's class."""
        summary = self._entered(engine, owner.module)
        if summary is None:
            return UNKNOWN
        if isinstance(owner, ForeignClass):
            return UNKNOWN  # a static or class method: called through call_method
        instance = owner.instance
        if name in instance.cls.unstable:
            return UNKNOWN
        getter = instance.cls.property(name)
        if getter is None:
            return adopt(engine, summary, instance.attribute(name))
        if any(key == name for key, _ in instance.attributes):
            return UNKNOWN
        return self._run(engine, summary, getter, CallArgs(), False, span, instance)

    def call_method(
        self,
        engine: Importer,
        owner: ForeignInstance | ForeignClass,
        name: str,
        args: CallArgs,
        opaque: bool,
        span: Span,
    ) -> AbstractValue | None:
        """``instance.name(...)`` for a method of another module's class, or
        ``Class.name(...)`` for its static or class method, run there; None when *name* is
        no method (an attribute or a property holds what is called)."""
        if isinstance(owner, ForeignClass):
            member = owner.cls.member(name)
            summary = self._entered(engine, owner.module)
            if summary is None:
                return UNKNOWN
            first = None
            if isinstance(member, functions.BoundMethod):
                first, member = member.first, member.function
            if not isinstance(member, functions.FunctionValue):
                return UNKNOWN
            return self._run(engine, summary, member, args, opaque, span, None, first)
        instance = owner.instance
        method = instance.cls.method(name)
        if method is None or name in instance.cls.unstable:
            return None
        if any(key == name for key, _ in instance.attributes):
            return None  # an instance attribute shadows the method
        summary = self._entered(engine, owner.module)
        if summary is None:
            return UNKNOWN
        return self._run(engine, summary, method, args, opaque, span, instance)

    def _entered(self, engine: Importer, module: str) -> ModuleSummary | None:
        summary = self.summary(module)
        if summary is None or len(self._building) >= MAX_IMPORT_DEPTH:
            return None
        engine.note_import(summary)
        return summary

    def _run(
        self,
        engine: Importer,
        summary: ModuleSummary,
        function: functions.FunctionValue,
        args: CallArgs,
        opaque: bool,
        span: Span,
        instance: functions.InstanceValue | None,
        first: AbstractValue | None = None,
    ) -> AbstractValue:
        """*function* run in *summary*'s module (on *instance*, or with *first* before the
        arguments: a class method's class), its result adopted."""
        portable = _portable_args(args, engine, summary)
        if first is not None:
            portable = CallArgs([first, *portable.positional], portable.keywords)
        try:
            result = _invoke(engine, summary, _Run(function, portable, opaque, span, instance))
        except RecursionError:
            return UNKNOWN
        return adopt(engine, summary, result)


@dataclass(frozen=True)
class _Run:
    """One call of a function of another module, as its module's engine runs it."""

    function: functions.FunctionValue
    args: CallArgs
    opaque: bool
    span: Span
    instance: functions.InstanceValue | None


def _invoke(engine: Importer, summary: ModuleSummary, run: _Run) -> AbstractValue:
    """*run* in *summary*'s module for one call of *engine*'s file: the signature calls it
    makes under these arguments are carried into *engine*'s facts (the caller's file
    reports them, at its call), except those it makes whatever the arguments (the other
    module reports those itself)."""
    result, found, spent = _run_apart(summary, run, engine.state.context_statements)
    engine.state.context_statements = spent
    if found:
        _carry(engine, summary, found, _alone(summary, run))
    return result


def _run_apart(
    summary: ModuleSummary, run: _Run, spent: int = 0
) -> tuple[AbstractValue, list[SignatureCall], int]:
    """*run* in *summary*'s module: its result, the context calls it made there, and the
    statements analysed in contexts so far (*spent* before it: the importer's budget).

    The other module's memo, contexts and budget are set aside for the run: its summary
    serves every file of the process, and a call it already analysed for another importer
    would otherwise leave nothing here. The importer's budget bounds the runs it asks for."""
    state = summary.engine.state
    kept = state.memo, state.context_calls, state.contexts, state.context_statements
    state.memo, state.context_calls, state.contexts, state.context_statements = {}, {}, {}, spent
    try:
        result, _, _ = summary.engine.invoke(
            run.function, run.args, run.opaque, dict(summary.env), run.span, run.instance
        )
        found = [c for bucket in state.context_calls.values() for c in bucket]
        return result, found, state.context_statements
    finally:
        state.memo, state.context_calls, state.contexts, state.context_statements = kept


def _alone(summary: ModuleSummary, run: _Run) -> set[tuple[object, ...]]:
    """The signature calls *run*'s function makes with every argument (and its instance)
    unknown, as the other module's own context-free analysis sees them (by call, facts)."""
    args = run.args
    given = len(args.positional) + (run.instance is not None)
    key = (id(run.function.node), given, tuple(sorted(args.keywords)), run.opaque)
    known = summary.alone.get(key)
    if known is None:
        unknown = CallArgs([UNKNOWN] * given, dict.fromkeys(args.keywords, UNKNOWN))
        try:
            _, found, _ = _run_apart(summary, replace(run, args=unknown, instance=None))
        except RecursionError:
            found = []
        known = summary.alone[key] = {_facts(call) for call in found}
    return known


def _facts(call: SignatureCall) -> tuple[object, ...]:
    return (
        call.id,
        call.key,
        call.opaque_arguments,
        tuple((a.name, a.value) for a in call.arguments),
    )


def _carry(
    engine: Importer,
    summary: ModuleSummary,
    found: list[SignatureCall],
    alone: set[tuple[object, ...]],
) -> None:
    """The context calls *found* in *summary*'s module, as *engine*'s: their loads adopted,
    their file named, the calls that led to this one in *engine*'s file before theirs;
    those in *alone* (the same whatever the arguments) are left to that module."""
    outer = engine.frames[-1].sites if engine.frames else ()
    for call in found:
        if _facts(call) in alone:
            continue
        carried = replace(
            call,
            load_id=_adopt_load(engine, summary, call.load_id),
            file=call.file or summary.path,
            # the first site is the call made here; the rest are in that module or beyond
            context=(
                *outer,
                *call.context[:1],
                *(replace(s, file=s.file or summary.path) for s in call.context[1:]),
            ),
        )
        state = engine.state
        if state.recording is not None:
            state.recording.impure = True  # facts of another file: not replayed
        bucket = state.context_calls.setdefault(call.id, [])
        known = (carried.load_id, carried.key, carried.opaque_arguments, carried.arguments)
        if len(bucket) < functions.MAX_CONTEXT_CALLS_PER_SITE and not any(
            (c.load_id, c.key, c.opaque_arguments, c.arguments) == known and c.file == carried.file
            for c in bucket
        ):
            bucket.append(carried)


def _portable_args(
    args: CallArgs, engine: Importer | None = None, summary: ModuleSummary | None = None
) -> CallArgs:
    """*args* as they reach another module: each :func:`_portable`; with *engine* and
    *summary* (a call of *summary*'s function that returns), the caller's models too."""
    return CallArgs(
        [_portable(v, engine, summary) for v in args.positional],
        {k: _portable(v, engine, summary) for k, v in args.keywords.items()},
    )


def _portable(
    value: AbstractValue, engine: Importer | None = None, summary: ModuleSummary | None = None
) -> AbstractValue:
    """A value of the caller that means the same in another module (others: unknown). With
    *engine* and *summary*, a model of the caller's is lent to *summary*'s module: the
    signature calls the function makes on it come back to the caller with its own load."""
    if isinstance(value, (Const, Array, PathValue, DType, QualName, Handle, Generator)):
        return value
    if isinstance(value, EnvDefault):
        return value
    if isinstance(value, Seq) and value.is_tuple:
        return Seq(tuple(_portable(v, engine, summary) for v in value.items), True)
    if isinstance(value, (ModuleValue, ForeignFunction, ForeignClass)):
        return value
    if engine is not None and summary is not None:
        lent = _reloaded(value, lambda load_id: _lend_load(engine, summary, load_id))
        if lent is not None:
            return lent
    return UNKNOWN


def _reloaded(value: AbstractValue, new_id: Callable[[int], int]) -> AbstractValue | None:
    """*value* (a model, its signatures or a signature function) with its load's id
    mapped by *new_id*; None for a value that holds no load."""
    if isinstance(value, ModelRef):
        return ModelRef(new_id(value.load_id))
    if isinstance(value, SignaturesRef):
        return SignaturesRef(new_id(value.load_id))
    if isinstance(value, SignatureFn):
        return replace(value, load_id=new_id(value.load_id))
    return None


def _lend_load(engine: Importer, summary: ModuleSummary, load_id: int) -> int:
    """The caller's load *load_id* as a load of *summary*'s module, its file named (its
    path resolves against that file; :func:`_adopt_load` gives the caller's id back)."""
    load = engine.state.loads[load_id]
    if load.file is not None or engine.path is None:
        lent = load  # from a third module already: lent as it is
    else:
        lent = replace(load, file=os.path.abspath(engine.path))
    if engine.state.recording is not None:
        engine.state.recording.impure = True  # facts of another file: not replayed
    state = summary.engine.state
    key = replace(lent, id=0)
    known: int | None = state.load_ids.get(key)
    if known is not None:
        return known
    new_id = len(state.loads)
    state.load_ids[key] = new_id
    state.loads.append(replace(lent, id=new_id))
    return new_id


def adopt(engine: Importer, summary: ModuleSummary, value: AbstractValue) -> AbstractValue:
    """*summary*'s value as the importing engine holds it: its loads copied in (keeping
    their load site in the other file), its functions callable there; the rest unknown."""
    if isinstance(value, (Const, Array, PathValue, DType, QualName, Handle, Generator)):
        return value
    if isinstance(value, (ModuleValue, ForeignFunction, EnvDefault)):
        return value
    if isinstance(value, Seq) and value.is_tuple:
        return Seq(tuple(adopt(engine, summary, v) for v in value.items), True)
    adopted = _reloaded(value, lambda load_id: _adopt_load(engine, summary, load_id))
    if adopted is not None:
        return adopted
    if isinstance(value, Choice):
        options = tuple(adopt(engine, summary, option) for option in value.options)
        return UNKNOWN if UNKNOWN in options else Choice(options)
    if isinstance(value, functions.FunctionValue) and value.closure is None:
        return ForeignFunction(summary.path, value)
    if isinstance(value, (ForeignClass, ForeignInstance)):
        return value
    if isinstance(value, functions.ClassValue):
        return ForeignClass(summary.path, value)
    if isinstance(value, functions.InstanceValue):
        return ForeignInstance(summary.path, value)
    return UNKNOWN


def _adopt_load(engine: Importer, summary: ModuleSummary, load_id: int) -> int:
    state = engine.state
    foreign = summary.engine.state.loads[load_id]
    if engine.path is not None and foreign.file == os.path.abspath(engine.path):
        own = state.load_ids.get(replace(foreign, id=0, file=None))  # lent by this file
        if own is not None:
            return own
    new_id: int = len(state.loads)
    load = replace(
        foreign,
        id=new_id,
        file=foreign.file or summary.path,
        saved_by=None,
    )
    if state.recording is not None:
        state.recording.impure = True  # a load from elsewhere: not replayed
    key = replace(load, id=0)
    known: int | None = state.load_ids.get(key)
    if known is not None:
        return known
    state.load_ids[key] = new_id
    state.loads.append(load)
    return new_id


# ------------------------------------------------------------------ registry
_PROGRAMS: dict[Path, Program] = {}


def for_file(path: str | None, analyse: ModuleAnalyser) -> Program | None:
    """The program the file at *path* belongs to (one per project root and process), its
    modules analysed by *analyse*."""
    if path is None or path.startswith("<"):
        return None
    try:
        root = project_root(path)
    except (OSError, ValueError):
        return None
    program = _PROGRAMS.get(root)
    if program is None:
        program = _PROGRAMS[root] = Program(root, analyse)
    return program
