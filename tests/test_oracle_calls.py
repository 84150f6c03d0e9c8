"""Differential oracle: sm-lint's static verdict against what real TensorFlow does.

Every case in ``oracle_cases.CASES`` is one small script (imports, a model load, a
signature lookup, a call). The test

1. lints the script with ``sm_lint.api.lint_source``;
2. runs the same script with real TensorFlow (each model is loaded once per session and
   bound to ``loaded``; a thin proxy records the lookup and the arguments of the call, and
   the call itself goes to the real loaded signature);
3. derives the verdict sm-lint owes the call from what TensorFlow did with the real values
   (docs/design.md, "TensorFlow binding semantics"):

   * the call **breaks the signature** when TensorFlow raised at lookup, at binding, inside
     the graph or when the output was indexed, or when an argument's real shape contradicts
     the declared one (other rank, or a differing fixed dimension) even though TensorFlow
     let it through. A failure inside the graph that no single input explains (free batch
     dimensions with different sizes) is an SM009 warning instead;
   * otherwise it owes SM006 for a numpy value TensorFlow cast with loss, SM009 for free
     leading dimensions that differ between inputs, SM004 for positional arguments that
     TensorFlow bound;

4. asserts that the case's own expectation agrees with TensorFlow, and that sm-lint reports
   an error exactly when the call breaks the signature, with the expected code, and the
   warnings the real values call for.
"""

from __future__ import annotations

import builtins
import inspect
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oracle_cases import CASES, LOAD_LINE, MODELS_DIR, Case  # noqa: E402

from sm_lint.api import lint_source  # noqa: E402
from sm_lint.config import Config  # noqa: E402

try:  # TensorFlow's own keyword sanitizer ("x:0" -> "x_0"), so binding is replayed exactly
    from tensorflow.core.function.polymorphism.function_type import (
        sanitize_arg_name as _tf_sanitize,
    )
except ImportError:  # pragma: no cover - older/newer TensorFlow layouts
    _tf_sanitize = None


def sanitize(name: str) -> str:
    if _tf_sanitize is not None:
        return str(_tf_sanitize(name))
    swapped = "".join(c if c.isalnum() else "_" for c in name)
    return swapped if swapped[0].isalpha() else "arg_" + swapped


CONFIG = Config(models=(MODELS_DIR,))
LINT_PATH = str(Path(__file__).resolve().parent / "oracle_case.py")  # never written


# --------------------------------------------------------------------- real execution
@dataclass
class Run:
    """What happened when TensorFlow ran a case's script."""

    phase: str = "setup"  # setup -> looked_up -> calling -> returned; "lookup" on a failed lookup
    fn: Any = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    error_phase: str | None = None


class _Fn:
    """The real signature function; records the call and forwards it unchanged."""

    def __init__(self, real: Any, run: Run) -> None:
        self._real, self._run = real, run

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._run.fn, self._run.args, self._run.kwargs = self._real, args, dict(kwargs)
        self._run.phase = "calling"
        out = self._real(*args, **kwargs)
        self._run.phase = "returned"
        return out


class _Signatures:
    def __init__(self, real: Any, run: Run) -> None:
        self._real, self._run = real, run

    def __getitem__(self, key: str) -> _Fn:
        try:
            fn = self._real[key]
        except KeyError:
            self._run.phase = "lookup"
            raise
        self._run.phase = "looked_up"
        return _Fn(fn, self._run)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self._real:
            self._run.phase = "lookup"
            return default
        return self[key]

    def __contains__(self, key: object) -> bool:
        return key in self._real

    def __iter__(self) -> Any:
        return iter(self._real)

    def __len__(self) -> int:
        return len(self._real)

    def keys(self) -> Any:
        return self._real.keys()


class _Loaded:
    def __init__(self, real: Any, run: Run) -> None:
        self._real = real
        self.signatures = _Signatures(real.signatures, run)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def execute(case: Case, loaded: Any) -> Run:
    """Run the case's source with real TensorFlow; only the model load line is swapped
    for the session's already loaded model."""
    lines = case.source.splitlines()
    assert lines[LOAD_LINE - 1].startswith("loaded = tf.saved_model.load(")
    lines[LOAD_LINE - 1] = "loaded = __oracle_loaded__"
    run = Run()
    namespace = {
        "__name__": "__oracle_case__",
        "__builtins__": builtins,
        "__oracle_loaded__": _Loaded(loaded, run),
    }
    code = compile("\n".join(lines) + "\n", "<oracle case>", "exec")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(code, namespace)
        except Exception as error:  # any failure is data here
            run.error, run.error_phase = error, run.phase
    return run


# ------------------------------------------------------------------- expected verdict
@dataclass
class Bound:
    name: str
    value: Any
    spec: Any  # tf.TensorSpec

    @property
    def shape(self) -> tuple[int | None, ...] | None:
        if isinstance(self.value, (tf.Tensor, tf.Variable)):
            return tuple(self.value.shape.as_list())
        try:
            return tuple(np.shape(self.value))
        except ValueError:  # ragged
            return None


def bind(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Bound]:
    """Which value lands on which input, replayed the way ConcreteFunction binds: the
    structured signature (``function_type``) first, else the flat one (``_arg_keywords``)."""
    specs = {sanitize(str(k)): spec for k, spec in fn.structured_input_signature[1].items()}
    named = {sanitize(k): v for k, v in kwargs.items()}
    try:
        bound = dict(inspect.Signature.bind(fn.function_type, *args, **named).arguments)
    except TypeError:
        keywords = [sanitize(tf.compat.as_str(k)) for k in fn._arg_keywords]
        bound = (
            dict(zip(keywords, args, strict=False)) if len(args) <= fn._num_positional_args else {}
        )
        bound.update({k: v for k, v in named.items() if k not in bound})
    return [Bound(name, value, specs[name]) for name, value in bound.items() if name in specs]


def shape_problem(arg: Bound) -> str | None:
    """SM007/SM008 when the real shape contradicts the declared one."""
    shape, declared = arg.shape, arg.spec.shape
    if shape is None or declared.rank is None:
        return None
    dims = declared.as_list()
    if len(shape) != len(dims):
        return "SM007"
    if any(want is not None and got != want for got, want in zip(shape, dims, strict=True)):
        return "SM008"
    return None


def lossy_cast(source: Any, target: Any) -> bool:
    """A numpy value of dtype *source* cast silently into a *target* (tf.DType) input with
    loss (docs/design.md, "Rules", SM006: float -> int/uint8, anything -> bool, signed -> unsigned,
    complex -> real, integer narrowing to 8/16 bits)."""
    if target == tf.string:
        return False
    src, dst = np.dtype(source), np.dtype(target.as_numpy_dtype)
    if src == dst:
        return False
    if dst.kind == "b":
        return src.kind != "b"
    if src.kind in "fc" and dst.kind in "iu":
        return True
    if src.kind == "c" and dst.kind == "f":
        return True
    if src.kind == "i" and dst.kind == "u":
        return True
    return (
        src.kind in "iu" and dst.kind in "iu" and dst.itemsize <= 2 and dst.itemsize < src.itemsize
    )


@dataclass
class Verdict:
    breaks: bool
    warnings: set[str]
    shape_codes: dict[str, str]
    tf_outcome: str


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:220] if text else ''}"


def derive(run: Run) -> Verdict:
    """The verdict sm-lint owes the call, from what TensorFlow did with the real values."""
    if run.error is not None and run.error_phase == "lookup":
        return Verdict(True, set(), {}, f"lookup failed: {_first_line(run.error)}")
    if run.error is not None and run.error_phase not in ("calling", "returned"):
        pytest.fail(f"the case's own setup failed ({run.error_phase}): {_first_line(run.error)}")
    if run.fn is None:
        pytest.fail("the case never called a signature")
    bound = bind(run.fn, run.args, run.kwargs)
    shape_codes = {b.name: c for b in bound if (c := shape_problem(b)) is not None}
    tensor_dtype = [
        b.name for b in bound if isinstance(b.value, tf.Tensor) and b.value.dtype != b.spec.dtype
    ]
    expected: set[str] = set()
    leading = {
        b.shape[0]
        for b in bound
        if b.spec.shape.rank and b.spec.shape[0] is None and b.shape and len(b.shape) >= 1
    }
    if len(leading) > 1:
        expected.add("SM009")
    if any(
        isinstance(b.value, (np.ndarray, np.generic)) and lossy_cast(b.value.dtype, b.spec.dtype)
        for b in bound
    ):
        expected.add("SM006")
    if run.args:
        expected.add("SM004")

    if run.error is not None and run.error_phase == "returned":
        return Verdict(
            True,
            expected,
            shape_codes,
            f"call succeeded, output access failed: {_first_line(run.error)}",
        )
    if run.error is not None:
        outcome = f"call raised {_first_line(run.error)}"
        in_graph = isinstance(run.error, tf.errors.OpError) and "Graph execution error" in str(
            run.error
        )
        if in_graph and not shape_codes and not tensor_dtype:
            if "SM009" not in expected:
                pytest.fail(
                    f"TensorFlow failed inside the graph and no input explains it: {outcome}"
                )
            return Verdict(
                False, expected, shape_codes, outcome + " (inside the graph, batch sizes differ)"
            )
        return Verdict(True, expected, shape_codes, outcome)
    outcome = "call succeeded"
    if shape_codes:
        outcome += f" although the real shapes contradict the signature ({shape_codes})"
    return Verdict(bool(shape_codes), expected, shape_codes, outcome)


# ----------------------------------------------------------------------------- tests
@pytest.fixture(scope="session")
def oracle_models() -> dict[str, Any]:
    """Each fixture model loaded once per session, on first use (by folder name)."""

    class Models(dict):  # type: ignore[type-arg]
        def __missing__(self, name: str) -> Any:
            self[name] = tf.saved_model.load(str(MODELS_DIR / name))
            return self[name]

    return Models()


def _params() -> list[Any]:
    seen: dict[str, int] = {}
    params = []
    for case in CASES:
        ident = case.id
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:
            ident = f"{ident} #{seen[ident]}"
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        params.append(pytest.param(case, id=ident, marks=marks))
    return params


def test_enough_cases() -> None:
    assert len(CASES) >= 250


@pytest.mark.parametrize("case", _params())
def test_call_matches_tensorflow(case: Case, oracle_models: dict[str, Any]) -> None:
    source = case.source
    run = execute(case, oracle_models[case.model])
    verdict = derive(run)

    findings = lint_source(source, LINT_PATH, CONFIG)
    early = [f for f in findings if f.line <= LOAD_LINE]
    on_call = [f for f in findings if f.line > LOAD_LINE]
    errors = {f.code for f in on_call if f.severity.value == "error"}
    warns = {f.code for f in on_call if f.severity.value == "warning"}

    problems = []
    if early:
        problems.append(f"harness: findings on the import/load lines: {early}")
    # The case's own expectation must agree with TensorFlow (guards the case list itself).
    if (case.error is not None) != verdict.breaks:
        problems.append(
            f"case says error={case.error}, but TensorFlow says "
            f"{'it breaks' if verdict.breaks else 'it does not break'} the signature"
        )
    if (
        case.error in ("SM007", "SM008")
        and verdict.shape_codes
        and (case.error not in verdict.shape_codes.values())
    ):
        problems.append(f"case says {case.error}, real shapes say {verdict.shape_codes}")
    if not verdict.breaks and set(case.warn) != verdict.warnings:
        problems.append(
            f"case expects warnings {sorted(case.warn)}, real values call for "
            f"{sorted(verdict.warnings)}"
        )
    # sm-lint against TensorFlow.
    if bool(errors) != verdict.breaks:
        problems.append(
            f"linter {'reports' if errors else 'reports no'} error "
            f"{sorted(errors) if errors else ''} but the call "
            f"{'breaks' if verdict.breaks else 'does not break'} the signature"
        )
    elif verdict.breaks and case.error not in errors:
        problems.append(f"linter reports {sorted(errors)}, expected {case.error}")
    if not verdict.breaks:
        missing = verdict.warnings - warns
        extra = (warns & {"SM006", "SM009"}) - verdict.warnings
        if missing:
            problems.append(f"linter misses warning(s) {sorted(missing)}")
        if extra:
            problems.append(
                f"linter reports warning(s) {sorted(extra)} the real values do not call for"
            )

    if problems:
        listed = (
            "\n".join(
                f"    {f.line}:{f.column} {f.code} {f.severity.value}: {f.message}"
                for f in findings
            )
            or "    (none)"
        )
        pytest.fail(
            "\n".join(problems)
            + f"\n  call:       {case.call}"
            + (f"\n  setup:      {'; '.join(case.setup)}" if case.setup else "")
            + f"\n  TensorFlow: {verdict.tf_outcome}"
            + f"\n  linter:\n{listed}",
            pytrace=False,
        )
