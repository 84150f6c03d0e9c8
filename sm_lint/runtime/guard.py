"""Check real signature calls before TensorFlow sees them, with the static checks.

Each argument of a guarded call is described as a :class:`sm_lint.semantics.Value` (kind,
dtype, shape, all known at run time) and run through :func:`sm_lint.checks.check_call`,
the very function the static analyzer uses, so both always agree on the same facts.
TensorFlow is imported lazily: only values that already are tensors need it.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import linecache
import os
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from sm_lint.analysis.facts import Argument, Passed, SignatureCall, Span
from sm_lint.analysis.loaders import LOADERS, Loader
from sm_lint.checks import Context, check_call
from sm_lint.diagnostics import Diagnostic, Severity
from sm_lint.models.types import (
    ModelReadError,
    ModelSignatures,
    RestoredFunction,
    Signature,
    TensorSpec,
    format_shape,
)
from sm_lint.semantics import Kind, Value

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SignatureCallError(TypeError):
    """A signature call that breaks the signature; raised before TensorFlow runs it.

    Frameworks that re-raise an exception with more context rebuild it from one argument
    (Keras' ``TFSMLayer`` calls ``type(e)(message)``), and pickle and copy rebuild it from
    ``__reduce__``: all of them give back a SignatureCallError, so ``except TypeError`` and
    ``except SignatureCallError`` keep catching it. A rebuilt error without findings takes
    those of the error it was raised while handling (``__context__``), if any.
    """

    def __init__(self, message: str, findings: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self._findings = list(findings or ())

    @property
    def findings(self) -> list[Diagnostic]:
        """The findings that make the call bad."""
        context = self.__context__
        if not self._findings and isinstance(context, SignatureCallError):
            return context.findings
        return self._findings

    def __reduce__(self) -> tuple[Any, ...]:
        state = {k: v for k, v in self.__dict__.items() if k != "_findings"}
        return (type(self), (str(self), self.findings), state)


class SignatureCallWarning(UserWarning):
    """A signature call that works but loses data or is fragile (SM004, SM006, SM009)."""


@dataclass
class Recorder:
    """What guarded calls found; ``sm-lint run`` and the pytest plugin report it."""

    #: True: record errors and let TensorFlow decide (``sm-lint run``); False: raise.
    report_only: bool = False
    calls: int = 0
    #: Each distinct finding once (a loop repeats the same call site), in order of arrival.
    unique_findings: dict[tuple[str, int, str, str], Diagnostic] = field(default_factory=dict)
    #: (path, line) -> input name -> how often each value was observed, for the static side.
    observed: dict[tuple[str, int], dict[str, Counter[Value]]] = field(default_factory=dict)
    #: (path, first line of the load call) -> what was loaded there, for the static side.
    loads: dict[tuple[str, int], LoadSite] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def findings(self) -> list[Diagnostic]:
        return list(self.unique_findings.values())

    def record(
        self, where: tuple[str, int], call: SignatureCall, findings: list[Diagnostic]
    ) -> None:
        """Count a call; keep its new findings and (boundedly) what its inputs were."""
        with self.lock:
            self.calls += 1
            for d in findings:
                self.unique_findings.setdefault((d.path, d.line, d.code, d.message), d)
            site = self.observed.setdefault(where, {})
            positional = 0
            for arg in call.arguments:
                name = arg.name if arg.name is not None else f"#{positional}"
                positional += arg.name is None
                counts = site.setdefault(name, Counter())
                if arg.value in counts or len(counts) < MAX_VALUES_PER_INPUT:
                    counts[arg.value] += 1

    def record_load(
        self,
        path: str,
        span: Span,
        folder: str | None,
        tags: tuple[str, ...] | None,
        model: ModelSignatures,
    ) -> None:
        """Count a model load at the call spanning *span* of *path*."""
        if folder is not None and "://" not in folder:
            folder = os.path.abspath(folder)  # the working directory may change later
        with self.lock:
            site = self.loads.get((path, span.line))
            if site is None:
                site = self.loads[(path, span.line)] = LoadSite(span.end_line, _text(path, span))
            _, _, count = site.folders.pop(folder, (None, None, 0))
            site.folders[folder] = (tags, model, count + 1)
            while len(site.folders) > _max_folders():  # a server that loads each new version
                del site.folders[next(iter(site.folders))]


def _max_folders() -> int:
    from sm_lint.observed import MAX_FOLDERS  # lazily: the pytest plugin imports this module

    return MAX_FOLDERS


@dataclass
class LoadSite:
    """One load call a run executed: its last line, its source text, and per folder loaded
    (None: guarded without a path) the tags, the signatures seen and how often."""

    end_line: int
    text: str
    folders: dict[str | None, tuple[tuple[str, ...] | None, ModelSignatures, int]] = field(
        default_factory=dict
    )


def _text(path: str, span: Span) -> str:
    """The source text of *span*'s lines, as :func:`sm_lint.observed.source_text` stores it."""
    from sm_lint.observed import source_text

    lines = [linecache.getline(path, n).rstrip("\r\n") for n in range(1, span.end_line + 1)]
    return source_text(lines, span.line, span.end_line)


MAX_VALUES_PER_INPUT = 8

RECORDER = Recorder()


def save_observations(recorder: Recorder | None = None, root: Path | None = None) -> Path | None:
    """Merge what *recorder* (default: the one :func:`guard` and :func:`install` use) saw
    into ``.sm-lint/observed.json`` under the working directory's project root
    (:func:`sm_lint.config.project_root`, as the static side finds it; else the working
    directory): call-site values and load sites. What
    was saved is taken out of the recorder, so saving twice never counts a call twice.
    Returns the file written, or None (nothing to save, or the folder is not writable)."""
    from sm_lint import observed
    from sm_lint.config import project_root

    recorder = recorder or RECORDER
    with recorder.lock:
        calls, loads = recorder.observed, recorder.loads
        recorder.observed, recorder.loads = {}, {}
    if not calls and not loads:
        return None
    if root is None:
        root = project_root(Path.cwd()) or Path.cwd()
    new: observed.Observations = {}
    for (path, line), inputs in calls.items():
        if path.startswith("<"):
            continue
        site = new.setdefault(observed.site_key(root, path, line), {})
        for name, counts in inputs.items():
            site[name] = [observed.Observed(v, n) for v, n in counts.items()]
    models: observed.ModelSites = {}
    for (path, line), load_site in loads.items():
        if path.startswith("<") or not load_site.text:
            continue
        models[observed.site_key(root, path, line)] = observed.ModelSite(
            line,
            load_site.end_line,
            load_site.text,
            tuple(
                observed.ObservedLoad(
                    None if folder is None else observed.folder_key(root, folder),
                    tags,
                    _as_read(folder, tags, model),
                    count,
                )
                for folder, (tags, model, count) in load_site.folders.items()
            ),
        )
    try:
        return observed.save(root, new, models) if new or models else None
    except OSError:
        return None


def _as_read(
    folder: str | None, tags: tuple[str, ...] | None, seen: ModelSignatures
) -> ModelSignatures | None:
    """The signatures to record for a loaded model: read from its folder by sm-lint's own
    reader (exactly what the static side reads) where possible, else as the run saw them
    when those are exact; None when neither, or too big to record."""
    from sm_lint import observed
    from sm_lint.models import ModelReadError, read_signatures

    model: ModelSignatures | None = None
    if folder is not None and "://" not in folder:
        with contextlib.suppress(ModelReadError):
            model = read_signatures(folder, tags)
    if model is None and _names_as_stored(seen):
        model = seen
    return model if model is not None and observed.recordable(model) else None


def _names_as_stored(model: ModelSignatures) -> bool:
    """Whether a loaded model's own input names are the SignatureDef's: TensorFlow renames
    inputs such as ``x:0`` (TF1) to ``x_0`` in the function it builds, and the static checks
    need the stored names, so such a model is recorded only where its folder can be read."""
    return model.tf2 and all(
        name.isidentifier() for sig in model.signatures.values() for name in sig.inputs
    )


# ---------------------------------------------------------------------- values
def _tensor_like(value: Any) -> Value | None:
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None
    if isinstance(value, tf.Variable):
        return Value(Kind.TENSOR, value.dtype.name, _dims(value.shape), variable=True)
    if isinstance(value, tf.Tensor):
        return Value(Kind.TENSOR, value.dtype.name, _dims(value.shape))
    return None


def _dims(shape: Any) -> tuple[int | None, ...] | None:
    """A TensorShape as a tuple (None for unknown dimensions), None for unknown rank."""
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        return None


def _numpy_value(value: Any) -> Value | None:
    np = sys.modules.get("numpy")
    if np is None or not isinstance(value, (np.ndarray, np.generic)):
        return None
    kind = value.dtype.kind
    shape = tuple(int(d) for d in np.shape(value))
    if kind in "US":
        numerals = True
        for item in np.asarray(value).ravel().tolist():
            try:
                float(item)
            except (TypeError, ValueError):
                numerals = False
                break
        return Value(Kind.NDARRAY, "string", shape, numerals=numerals)
    if kind == "O":
        return Value(Kind.NDARRAY, None, shape)
    return Value(Kind.NDARRAY, value.dtype.name, shape)


def _python_value(value: Any) -> Value:
    if value is None:
        return Value(Kind.SCALAR, "none", ())
    if isinstance(value, bool):
        return Value(Kind.SCALAR, "bool", ())
    if isinstance(value, int):
        return Value(Kind.SCALAR, "int", ())
    if isinstance(value, float):
        return Value(Kind.SCALAR, "float", ())
    if isinstance(value, (str, bytes)):
        return Value(Kind.STRING, "str", ())
    if isinstance(value, (list, tuple)):
        return _list_value(value)
    return Value()


def _list_value(value: list[Any] | tuple[Any, ...]) -> Value:
    """A Python list: its shape (or raggedness) and element type, as TensorFlow sees it."""
    types: set[str] = set()

    def walk(item: Any) -> tuple[int | None, ...] | None:
        if isinstance(item, (list, tuple)):
            shapes = {walk(x) for x in item}
            if None in shapes or len(shapes) > 1:
                return None
            inner = next(iter(shapes), ()) or ()
            return (len(item), *inner)
        described = describe_value(item)
        if described.kind in (Kind.SCALAR, Kind.STRING) and described.dtype is not None:
            types.add(described.dtype)
        elif described.kind in (Kind.TENSOR, Kind.NDARRAY) and described.shape is not None:
            types.add("array")
            return described.shape
        else:
            types.add("other")
        return ()

    shape = walk(value)
    if types == {"int", "float"}:
        etype: str | None = "float"
    elif types == {"bool", "int"}:
        etype = "boolint"
    elif len(types) == 1 and "array" not in types and "other" not in types:
        etype = next(iter(types))
    else:
        etype = None
    if shape is None:
        return Value(Kind.LIST, etype, None, ragged=True)
    return Value(Kind.LIST, etype, shape)


def describe_value(value: Any) -> Value:
    """What a real argument is: kind, dtype and shape, as the checks understand them."""
    return _tensor_like(value) or _numpy_value(value) or _python_value(value)


# ------------------------------------------------------------------ signatures
def _spec(name: str, spec: Any) -> TensorSpec:
    dtype = getattr(getattr(spec, "dtype", None), "name", None) or "unknown"
    shape = getattr(spec, "shape", None)
    dims = None if shape is None or shape.rank is None else _dims(shape)
    return TensorSpec(name=name, dtype=dtype, shape=dims)


def signature_of(key: str, fn: Any) -> Signature:
    """A :class:`Signature` from a loaded signature function's own structured specs."""
    _, kwargs = fn.structured_input_signature
    outputs = fn.structured_outputs if isinstance(fn.structured_outputs, Mapping) else {}
    return Signature(
        key=key,
        method="",
        inputs={name: _spec(name, spec) for name, spec in sorted(kwargs.items())},
        outputs={name: _spec(name, spec) for name, spec in sorted(outputs.items())},
    )


def model_of(loaded: Any, path: str | None) -> ModelSignatures:
    # TF1 models come back from tf.saved_model.load with ``prune``; TF2 objects do not.
    signatures = {key: signature_of(key, fn) for key, fn in loaded.signatures.items()}
    return ModelSignatures(
        path=Path(path or "<loaded model>"),
        tags=("serve",),
        signatures=signatures,
        tf2=not hasattr(loaded, "prune"),
    )


# ------------------------------------------------------------------- guarding
_SKIPPED = tuple(os.sep + name + os.sep for name in ("tensorflow", "keras", "tensorflow_hub"))


def _user_frame() -> FrameType | None:
    """The innermost frame outside sm-lint, TensorFlow, Keras and tensorflow_hub."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not (
            name.startswith(_PACKAGE_DIR)
            or any(part in name for part in _SKIPPED)
            or name.startswith("<frozen")
        ):
            return frame
        frame = frame.f_back
    return None


def _filename(frame: FrameType) -> str:
    return frame.f_code.co_filename


@functools.lru_cache(maxsize=512)
def _positions(code: CodeType) -> tuple[tuple[int | None, int | None, int | None, int | None], ...]:
    positions = getattr(code, "co_positions", None)  # Python 3.11+
    return tuple(positions()) if positions is not None else ()


def _frame_span(frame: Any) -> Span:
    """The source range of the call being executed in *frame* (columns where known)."""
    line = frame.f_lineno or 1
    try:
        positions = _positions(frame.f_code)[frame.f_lasti // 2]
    except (AttributeError, IndexError):
        return Span(line, 1, line, 1)
    start, end, column, end_column = positions
    if start is None or end is None or column is None or end_column is None:
        return Span(line, 1, line, 1)
    return Span(start, column + 1, end, end_column + 1)


def _arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any], span: Span, path: str
) -> tuple[Argument, ...]:
    """The call's arguments, each placed where the source has it when the call's text can be
    read (so a fix edits only its own keyword), else at the whole call without a keyword
    place (no fix is then offered: it would replace the whole call)."""
    places = _argument_places(path, span)
    described = []
    for index, value in enumerate(args):
        at = places.positional[index] if index < len(places.positional) else span
        described.append(Argument(None, describe_value(value), at, at, repr_short(value)))
    for name, value in kwargs.items():
        keyword, at = places.keywords.get(name, (None, span))
        described.append(
            Argument(name, describe_value(value), at, at, repr_short(value), keyword_span=keyword)
        )
    return tuple(described)


@dataclass(frozen=True)
class _Places:
    """Where a call's arguments stand in its source: positional values, and per keyword the
    keyword itself and its value."""

    positional: tuple[Span, ...] = ()
    keywords: Mapping[str, tuple[Span, Span]] = field(default_factory=dict)


def _argument_places(path: str, span: Span) -> _Places:
    """The places of the arguments of the call at *span* of *path*, read with ``ast`` from
    the source lines (the runtime side never imports libcst); empty when unknown."""
    if span.column <= 1 and span.end_column <= 1:
        return _Places()
    lines = [linecache.getline(path, n) for n in range(span.line, span.end_line + 1)]
    if not all(lines) or not all(line.isascii() for line in lines):
        return _Places()  # the positions count bytes; a fix at a guessed place is worse
    lines[-1] = lines[-1][: span.end_column - 1]
    lines[0] = lines[0][span.column - 1 :]
    try:
        tree = ast.parse("".join(lines), mode="eval")
    except (SyntaxError, ValueError):
        return _Places()
    call = tree.body
    if not isinstance(call, ast.Call):
        return _Places()

    def place(node: ast.AST, width: int | None = None) -> Span:
        line = node.lineno + span.line - 1  # type: ignore[attr-defined]
        column = node.col_offset + (span.column - 1 if node.lineno == 1 else 0)  # type: ignore[attr-defined]
        if width is not None:
            return Span(line, column + 1, line, column + 1 + width)
        end_line = node.end_lineno + span.line - 1  # type: ignore[attr-defined]
        end = node.end_col_offset + (span.column - 1 if node.end_lineno == 1 else 0)  # type: ignore[attr-defined]
        return Span(line, column + 1, end_line, end + 1)

    positional = tuple(place(arg) for arg in call.args if not isinstance(arg, ast.Starred))
    keywords = {
        kw.arg: (place(kw, len(kw.arg)), place(kw.value))
        for kw in call.keywords
        if kw.arg is not None
    }
    return _Places(positional, keywords)


def repr_short(value: Any) -> str:
    return f"<{type(value).__name__}>"


def _inputs_table(sig: Signature) -> str:
    rows = [
        f"    {name}: {spec.dtype} {format_shape(spec.shape)}" for name, spec in sig.inputs.items()
    ]
    return "\n".join(rows) or "    (none)"


def explain(findings: list[Diagnostic], sig: Signature, where: tuple[str, int]) -> str:
    """The SignatureCallError message: every problem, then the real inputs."""
    lines = [f"bad call of signature {sig.key!r} at {where[0]}:{where[1]}:"]
    lines += [f"  {d.code} {d.message}" for d in findings]
    lines += [f"  the signature's inputs:\n{_inputs_table(sig)}"]
    return "\n".join(lines)


def explain_restored(
    findings: list[Diagnostic], fn: RestoredFunction, where: tuple[str, int]
) -> str:
    """The SignatureCallError message for a restored function's call: every problem, then
    the forms the function accepts."""
    name = "loaded" if fn.path == "__call__" else f"loaded.{fn.path}"
    lines = [f"bad call of restored function {name} at {where[0]}:{where[1]}:"]
    lines += [f"  {d.code} {d.message}" for d in findings]
    if fn.input_signature is not None:
        specs = ", ".join(s.text() for s in fn.input_signature)
        lines.append(f"  its input_signature: ({specs})")
    else:
        lines += ["  it was traced for:"] + [f"    {c.text(fn.arg_names)}" for c in fn.concrete]
    return "\n".join(lines)


#: How deep a value's structure is described (as the static side keeps literals).
_MAX_DEPTH = 6


def passed_value(value: Any, depth: int = 0) -> Passed:
    """The structure of a real argument as TensorFlow's nest sees it, as the static side
    records a literal's (``analysis.library.models.passed``)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return Passed("const", describe_value(value), const=value)
    if depth < _MAX_DEPTH and isinstance(value, (list, tuple)):
        items = tuple(passed_value(item, depth + 1) for item in value)
        kind = "tuple" if isinstance(value, tuple) else "list"
        return Passed(kind, describe_value(value), items=items)
    if depth < _MAX_DEPTH and type(value) is dict and all(isinstance(k, str) for k in value):
        items = tuple(passed_value(item, depth + 1) for item in value.values())
        return Passed("dict", Value(), items=items, keys=tuple(value))
    return Passed("leaf", describe_value(value))


def _restored_class(cls: type) -> type:
    """A subclass of a restored function's class whose calls are checked first. The
    function object keeps its identity and stays a TensorFlow function, so code that
    inspects it, and ``tf.saved_model.save`` of the loaded object, see no difference."""
    guarded = _GUARDED_CLASSES.get(cls)
    if guarded is None:

        def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
            check = self.__dict__.get(_CHECK)
            if check is not None:
                check(args, kwargs)
            return super(guarded, self).__call__(*args, **kwargs)  # type: ignore[arg-type]

        guarded = type(cls.__name__, (cls,), {"__call__": __call__, "__module__": cls.__module__})
        _GUARDED_CLASSES[cls] = guarded
    return guarded


_GUARDED_CLASSES: dict[type, type] = {}
#: The attribute a guarded restored function keeps its check under.
_CHECK = "_sm_lint_check"


def _guard_restored(loaded: Any, model: ModelSignatures, recorder: Recorder) -> None:
    """Check every call of the restored functions read from the model's object graph
    (``loaded(x)``, ``loaded.f(x)``, ``loaded.encoder.embed(x)``) before it runs."""
    for path, fn in model.functions.items():
        if fn.bare or not fn.known:
            continue
        owner = loaded
        *parents, name = path.split(".")
        for part in parents:
            owner = getattr(owner, part, None)
        target = getattr(owner, name, None) if owner is not None else None
        # A method fetched from the object is bound anew on each access: the restored
        # function is its __func__ (tf.function methods bind by descriptor).
        target = getattr(target, "__func__", target)
        if target is None or not hasattr(target, "__dict__") or _CHECK in target.__dict__:
            continue
        try:
            target.__class__ = _restored_class(type(target))
        except TypeError:
            continue  # not a plain Python class: leave the function as it is
        target.__dict__[_CHECK] = functools.partial(_check_restored, fn, model, recorder)


def _check_restored(
    fn: RestoredFunction,
    model: ModelSignatures,
    recorder: Recorder,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    frame = _user_frame()
    path = "<unknown>" if frame is None else _filename(frame)
    span = Span(1, 1, 1, 1) if frame is None else _frame_span(frame)
    where = (path, span.line)
    arguments = tuple(
        replace(arg, structure=passed_value(value))
        for arg, value in zip(
            _arguments(args, kwargs, span, path), (*args, *kwargs.values()), strict=True
        )
    )
    call = SignatureCall(
        id=0,
        load_id=0,
        key=fn.path,
        span=span,
        func_span=span,
        arguments=arguments,
        opaque_arguments=False,
        function=fn.path,
    )
    findings = [replace_origin(d) for d in check_call(Context(path, str(model.path)), call, model)]
    recorder.record(where, call, findings)
    errors = [d for d in findings if d.severity is Severity.ERROR]
    if errors and not recorder.report_only:
        raise SignatureCallError(explain_restored(errors, fn, where), errors)
    for d in findings:
        if d.severity is not Severity.ERROR:
            _warn(f"{d.code} {d.message}", frame, where)


class GuardedFunction:
    """A signature function whose calls are checked first. Anything else is delegated."""

    def __init__(self, fn: Any, key: str, model: ModelSignatures, recorder: Recorder) -> None:
        self._fn = fn
        self._key = key
        self._model = model
        self._recorder = recorder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fn, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame = _user_frame()
        path = "<unknown>" if frame is None else _filename(frame)
        span = Span(1, 1, 1, 1) if frame is None else _frame_span(frame)
        where = (path, span.line)
        # Called by Keras' TFSMLayer: Keras converted the value and passes it positionally.
        through_layer = os.sep + "keras" + os.sep in sys._getframe(1).f_code.co_filename
        call = SignatureCall(
            id=0,
            load_id=0,
            key=self._key,
            span=span,
            func_span=span,
            arguments=_arguments(args, kwargs, span, path),
            opaque_arguments=False,
            layer=through_layer,
        )
        ctx = Context(where[0], str(self._model.path))
        findings = [replace_origin(d) for d in check_call(ctx, call, self._model)]
        self._recorder.record(where, call, findings)
        errors = [d for d in findings if d.severity is Severity.ERROR]
        sig = self._model.signatures[self._key]
        if errors and not self._recorder.report_only:
            raise SignatureCallError(explain(errors, sig, where), errors)
        for d in findings:
            if d.severity is not Severity.ERROR:
                _warn(f"{d.code} {d.message}", frame, where)
        return self._fn(*args, **kwargs)


def _warn(message: str, frame: FrameType | None, where: tuple[str, int]) -> None:
    """Warn at the user's call site the way ``warnings.warn`` does: through the calling
    module's ``__warningregistry__``, so the default filter shows it once per call site
    instead of on every call of a serving loop."""
    scope = frame.f_globals if frame is not None else {}
    warnings.warn_explicit(
        message,
        SignatureCallWarning,
        where[0],
        where[1],
        scope.get("__name__"),
        scope.setdefault("__warningregistry__", {}),
        scope,
    )


def replace_origin(d: Diagnostic) -> Diagnostic:
    return replace(d, origin="runtime")


class GuardedSignatures(Mapping[str, Any]):
    """``loaded.signatures`` with every function guarded."""

    def __init__(
        self, signatures: Mapping[str, Any], model: ModelSignatures, recorder: Recorder
    ) -> None:
        self._signatures = signatures
        self.model = model
        self._guarded = {k: GuardedFunction(fn, k, model, recorder) for k, fn in signatures.items()}

    def __getitem__(self, key: str) -> Any:
        return self._guarded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._guarded)

    def __len__(self) -> int:
        return len(self._guarded)


def guard(
    loaded: Any,
    path: str | os.PathLike[str] | None = None,
    recorder: Recorder | None = None,
    *,
    tags: Any = None,
) -> Any:
    """Return *loaded* with every ``loaded.signatures[...]`` function checked before it
    runs, and record the load site (the calling line), the folder *path* and the
    signatures for the static side. Idempotent; returns *loaded* itself."""
    target = recorder or RECORDER
    folder = _folder(path)
    current = getattr(loaded, "signatures", None)
    if isinstance(current, GuardedSignatures):
        model = current.model
    else:
        model = model_of(loaded, folder)
        guarded = GuardedSignatures(loaded.signatures, model, target)
        object.__setattr__(loaded, "signatures", guarded)
        _guard_restored(loaded, _with_functions(model, folder, _tags(tags)), target)
    frame = _user_frame()
    if frame is not None:
        target.record_load(_filename(frame), _frame_span(frame), folder, _tags(tags), model)
    return loaded


def _with_functions(
    model: ModelSignatures, folder: str | None, tags: tuple[str, ...] | None
) -> ModelSignatures:
    """*model* with the restored functions of the SavedModel at *folder* (read from its
    object graph without TensorFlow); none when the folder cannot be read."""
    if folder is None:
        return model
    from sm_lint.models import read_signatures

    try:
        functions = read_signatures(folder, tags).functions
    except (ModelReadError, OSError):
        return model
    return replace(model, functions=functions)


def _folder(path: Any) -> str | None:
    """A load's path as text (None for anything that is not a path)."""
    if path is None:
        return None
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        return None


def _tags(tags: Any) -> tuple[str, ...] | None:
    if isinstance(tags, str):
        return (tags,)
    if isinstance(tags, (list, tuple, set, frozenset)) and all(isinstance(t, str) for t in tags):
        return tuple(tags)
    return None


class TensorFlowMissing(ImportError):
    """TensorFlow cannot be imported; ``str(error)`` is one line saying what to install."""


def import_tensorflow() -> Any:
    """The ``tensorflow`` module, or TensorFlowMissing with the one-line fix."""
    try:
        import tensorflow
    except ImportError as error:
        raise TensorFlowMissing(
            f"runtime checking needs TensorFlow, which cannot be imported ({error}); "
            "install it with: pip install 'tensorflow>=2.16'"
        ) from error
    return tensorflow


_SAVED_MODEL = LOADERS[Loader.SAVED_MODEL]
_original_load: Callable[..., Any] | None = None
#: Where install() put its loader: (namespace, attribute), to undo exactly that.
_patched: list[tuple[Any, str]] = []
_install_lock = threading.Lock()


def _load_aliases(tf: Any) -> list[tuple[Any, str]]:
    """Every public name of ``tf.saved_model.load`` (the loader table's row and its
    aliases): tensorflow_hub's ``hub.load`` calls it as
    ``tf.compat.v1.saved_model.load_v2``."""
    places = []
    for name in (*_SAVED_MODEL.functions, *_SAVED_MODEL.aliases):
        # "tensorflow.compat.v1.saved_model.load_v2" -> (tf.compat.v1.saved_model, "load_v2")
        *modules, attribute = name.split(".")[1:]
        module = tf
        for part in modules:
            module = getattr(module, part, None)
        if module is not None:
            places.append((module, attribute))
    return places


def _tags_argument() -> tuple[str, int]:
    """The keyword of ``tf.saved_model.load``'s tags, and its index among the arguments
    after the path."""
    tags = _SAVED_MODEL.tags
    assert tags is not None and tags.position is not None and _SAVED_MODEL.path.position == 0
    return tags.keyword, tags.position - 1


def install(recorder: Recorder | None = None) -> None:
    """Guard everything loaded from now on: ``tf.saved_model.load`` (and so Keras'
    ``TFSMLayer`` and ``hub.load``, which load through it) returns guarded objects.

    Raises :class:`TensorFlowMissing` when TensorFlow cannot be imported."""
    global _original_load
    tf = import_tensorflow()

    with _install_lock:
        if _original_load is not None:
            return
        original = tf.saved_model.load
        target = recorder or RECORDER

        # The tags argument, by keyword or by position (after export_dir, which is not in args).
        tags_keyword, tags_index = _tags_argument()

        def load(export_dir: Any, *args: Any, **kwargs: Any) -> Any:
            tags = kwargs.get(tags_keyword, args[tags_index] if len(args) > tags_index else None)
            return guard(original(export_dir, *args, **kwargs), export_dir, target, tags=tags)

        load.__wrapped__ = original  # type: ignore[attr-defined]
        load.__doc__ = original.__doc__
        _original_load = original
        for module, name in _load_aliases(tf):
            if getattr(module, name, None) is original:
                setattr(module, name, load)
                _patched.append((module, name))


def uninstall() -> None:
    """Undo :func:`install`; objects already guarded stay guarded."""
    global _original_load
    with _install_lock:
        if _original_load is None:
            return  # never installed: nothing to undo (and TensorFlow may not even be there)
        while _patched:
            module, name = _patched.pop()
            setattr(module, name, _original_load)
        _original_load = None
