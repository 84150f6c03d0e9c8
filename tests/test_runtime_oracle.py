"""Differential oracle for the runtime guard: the case matrix of test_oracle_calls, run
through ``sm_lint.runtime.guard`` and held against what real TensorFlow does.

For every case in ``tests.oracle_cases.CASES`` the test

1. runs the case's script with real, unguarded TensorFlow (``execute``) and derives the
   verdict the call is owed (``derive``), both imported from test_oracle_calls, so the
   expectation is exactly the static oracle's;
2. calls the guarded signature function with the very argument objects TensorFlow was
   called with (random inputs included), while the real signature function underneath
   the guard is a counting proxy installed before ``guard`` wrapped the model;
3. asserts:

   * a call that breaks the signature (TensorFlow rejects it, or a real shape contradicts
     the declared one) raises ``SignatureCallError`` carrying the expected code, and the
     real function was never entered: the guard decided before TensorFlow acted;
   * any other call is not refused: the real function is entered once with the same
     objects, the guard returns its result object unchanged, and that result equals an
     independent unguarded call with the same objects (same keys, ``np.array_equal``).
     Where TensorFlow itself fails inside the graph (free batch sizes that differ, SM009),
     the guarded call fails with the same exception type;
   * the warnings the real values call for (SM004, SM006, SM009, as derived) are emitted
     as ``SignatureCallWarning``; no SM006/SM009 warning the real values do not call for;
   * an unknown signature key (SM001) fails at lookup on the guarded model exactly as on
     the real one (the same exception type), and nothing is called.

What the runtime cannot see, and is therefore not asserted (nothing is skipped outright):

* SM010 (unknown output key): the output is indexed after the call returned, outside the
  guard. Those cases still check the call itself (accepted, result unchanged); the guarded
  result is the real result object, so indexing it fails exactly as without the guard.
* ``Case.xfail`` (reasons about the static linter) is not carried over: the runtime guard
  has its own verdicts, and its own xfails are listed in ``GUARD_XFAIL`` below.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from sm_lint.runtime import Recorder, SignatureCallError, SignatureCallWarning, guard  # noqa: E402
from tests import test_oracle_calls as static_oracle  # noqa: E402
from tests.oracle_cases import CASES, MODELS_DIR, Case  # noqa: E402
from tests.test_oracle_calls import Run, derive, execute  # noqa: E402

#: The session fixture of test_oracle_calls: each fixture model loaded once, unguarded.
oracle_models = static_oracle.oracle_models

#: Cases where the guard disagrees with TensorFlow and sm_lint should change
#: (case id -> reason); each is marked xfail(strict=True).
GUARD_XFAIL: dict[str, str] = {}


# ------------------------------------------------------------------ guarded models
class CountingFunction:
    """The real signature function under the guard: counts entries, keeps what it got."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.entered = 0
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}
        self.result: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered += 1
        self.args, self.kwargs = args, kwargs
        self.result = self.real(*args, **kwargs)
        return self.result

    def __getattr__(self, name: str) -> Any:  # structured_input_signature, ...
        return getattr(self.real, name)

    def reset(self) -> None:
        self.entered, self.args, self.kwargs, self.result = 0, (), {}, None


class CountedModel:
    """A loaded model whose ``signatures`` are counting proxies around the real functions;
    everything else (``prune`` of TF1 models included) is the real object's. ``guard``
    wraps this, so the session's real models stay unguarded for the reference runs."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.counters = {key: CountingFunction(fn) for key, fn in real.signatures.items()}
        self.signatures: Any = dict(self.counters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture(scope="session")
def guarded_models(oracle_models: dict[str, Any]) -> dict[str, CountedModel]:
    """Each session model (loaded once, shared with test_oracle_calls), guarded."""

    class Models(dict):  # type: ignore[type-arg]
        def __missing__(self, name: str) -> CountedModel:
            counted = CountedModel(oracle_models[name])
            assert guard(counted, MODELS_DIR / name, Recorder()) is counted
            self[name] = counted
            return counted

    return Models()


# ----------------------------------------------------------------------- helpers
def key_of(loaded: Any, fn: Any) -> str:
    return next(key for key, real in loaded.signatures.items() if real is fn)


def assert_same_outputs(guarded: Any, reference: Any) -> None:
    assert isinstance(guarded, dict) and isinstance(reference, dict)
    assert guarded.keys() == reference.keys()
    for name in reference:
        got, want = guarded[name].numpy(), reference[name].numpy()
        assert got.dtype == want.dtype and np.array_equal(got, want), name


def describe(run: Run) -> str:
    args = [type(a).__name__ for a in run.args]
    kwargs = [f"{k}={type(v).__name__}" for k, v in run.kwargs.items()]
    return ", ".join(args + kwargs)


def _params() -> list[Any]:
    seen: dict[str, int] = {}
    params = []
    for case in CASES:
        ident = case.id
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:
            ident = f"{ident} #{seen[ident]}"
        reason = GUARD_XFAIL.get(ident)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=ident, marks=marks))
    return params


# -------------------------------------------------------------------------- tests
def test_matrix_is_the_static_one() -> None:
    assert len(CASES) >= 650
    assert set(GUARD_XFAIL) <= {p.id for p in _params()}


@pytest.mark.parametrize("case", _params())
def test_guard_matches_tensorflow(
    case: Case, oracle_models: dict[str, Any], guarded_models: dict[str, CountedModel]
) -> None:
    real_model = oracle_models[case.model]
    counted = guarded_models[case.model]
    run = execute(case, real_model)  # real TensorFlow, unguarded
    verdict = derive(run)
    where = f"\n  call: {case.call}\n  TensorFlow: {verdict.tf_outcome}"

    if run.error_phase == "lookup":  # SM001: the lookup itself fails
        for counter in counted.counters.values():
            counter.reset()
        guarded_run = execute(case, counted)
        assert guarded_run.error_phase == "lookup", where
        assert type(guarded_run.error) is type(run.error), f"{guarded_run.error!r}{where}"
        assert all(c.entered == 0 for c in counted.counters.values())
        return

    key = key_of(real_model, run.fn)
    counter = counted.counters[key]
    counter.reset()
    fn = counted.signatures[key]  # the guarded function
    raised: SignatureCallError | None = None
    failed: Exception | None = None
    out: Any = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*run.args, **run.kwargs)
        except SignatureCallError as error:
            raised = error
        except Exception as error:  # TensorFlow's own failure, let through by the guard
            failed = error
    ours = [w for w in caught if issubclass(w.category, SignatureCallWarning)]
    warned = {str(w.message).split()[0] for w in ours}
    # Warnings point at the user's call site: the line above, in this file.
    assert all(os.path.samefile(w.filename, __file__) for w in ours), [w.filename for w in ours]
    where += f"\n  arguments: {describe(run)}\n  guard: " + (
        f"raised {raised}" if raised else f"let it through, warned {sorted(warned)}"
    )

    # A call breaks the signature when TensorFlow rejected it or a real shape contradicts
    # the declared one; a failure only when the output is indexed (SM010) is not the call's.
    breaks = verdict.breaks and run.error_phase != "returned"
    if breaks:
        assert raised is not None, f"the guard let a call through that breaks the signature{where}"
        assert counter.entered == 0, f"TensorFlow was entered before the guard refused{where}"
        codes = {d.code for d in raised.findings}
        assert case.error in codes, f"expected {case.error}, findings {sorted(codes)}{where}"
        return

    assert raised is None, f"the guard refused a call TensorFlow accepts{where}"
    assert counter.entered == 1, where
    assert len(counter.args) == len(run.args)
    assert all(a is b for a, b in zip(counter.args, run.args, strict=True)), where
    assert counter.kwargs.keys() == run.kwargs.keys()
    assert all(counter.kwargs[k] is v for k, v in run.kwargs.items()), where
    missing = (verdict.warnings | set(case.warn)) - warned
    extra = (warned & {"SM006", "SM009"}) - verdict.warnings
    assert not missing, f"no SignatureCallWarning for {sorted(missing)}{where}"
    assert not extra, f"warnings {sorted(extra)} the real values do not call for{where}"

    try:
        with warnings.catch_warnings():  # numpy's ComplexWarning is not under test here
            warnings.simplefilter("ignore")
            reference = counter.real(*run.args, **run.kwargs)  # unguarded, same objects
    except Exception as error:
        assert failed is not None, f"unguarded call raised {error!r}, guarded did not{where}"
        assert type(failed) is type(error), f"{failed!r} vs {error!r}{where}"
        return
    assert failed is None, f"guarded call raised {failed!r}, unguarded did not{where}"
    assert out is counter.result, f"the guard changed the result{where}"
    assert_same_outputs(out, reference)
