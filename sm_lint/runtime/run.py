"""``sm-lint run SCRIPT [ARGS ...]``: run a script with every signature call checked."""

from __future__ import annotations

import atexit
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sm_lint.diagnostics import Diagnostic, Severity
from sm_lint.runtime.guard import Recorder, install, save_observations, uninstall

#: The exit status of a Python program stopped by KeyboardInterrupt, as the shell sees it.
EXIT_INTERRUPTED = 130


def run_script(
    script: str,
    args: Sequence[str],
    recorder: Recorder,
    before_traceback: Callable[[], None] | None = None,
) -> int:
    """Run *script* as ``python SCRIPT ARGS`` would (argv, ``__main__``, sys.path), with
    every model it loads guarded in report mode, up to where Python itself would exit:
    after the main module, its non-daemon threads and its ``atexit`` handlers, so calls made
    there are checked too. Returns the script's exit status (130 after KeyboardInterrupt).

    Raises :class:`sm_lint.runtime.guard.TensorFlowMissing` before the script starts when
    TensorFlow cannot be imported. When the script fails, *before_traceback* is called
    first, so what sm-lint found is read before the script's (long) traceback."""
    recorder.report_only = True
    install(recorder)
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    path = os.path.abspath(script)  # Python 3.9+ runs a script under its absolute path
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(path))
    before = set(threading.enumerate())
    try:
        with _own_exit_handlers() as handlers:
            status = _run_main(path, before_traceback or (lambda: None))
            status = _join_new_threads(before, status)
        _run_exit_handlers(handlers)
    finally:
        uninstall()
        sys.argv, sys.path = saved_argv, saved_path
        save_observations(recorder)
    return status


def _run_main(path: str, before_traceback: Callable[[], None]) -> int:
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as done:
        return _exit_status(done.code)
    except KeyboardInterrupt as error:
        _print_script_traceback(error, path)
        return EXIT_INTERRUPTED
    except BaseException as error:  # the script's own failure, reported as python would
        before_traceback()
        _print_script_traceback(error, path)
        return 1
    return 0


def _exit_status(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _join_new_threads(before: set[threading.Thread], status: int) -> int:
    """Wait for the non-daemon threads the script started, as Python does at exit: first
    threading's own exit hooks (they stop idle ``concurrent.futures`` workers, which would
    otherwise wait forever), then every thread still running."""
    current = threading.current_thread()
    hooks_run = False
    try:
        while True:
            pending = [
                t
                for t in threading.enumerate()
                if t not in before and t is not current and not t.daemon and t.is_alive()
            ]
            if not pending:
                return status
            if not hooks_run:
                hooks_run = True
                for hook in reversed(getattr(threading, "_threading_atexits", [])):
                    hook()
            for thread in pending:
                thread.join()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


Handler = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


@contextmanager
def _own_exit_handlers() -> Iterator[list[Handler]]:
    """Collect the ``atexit`` handlers registered while the script runs, to run them when
    the script is done (and not at sm-lint's own exit, after the report)."""
    handlers: list[Handler] = []
    register, unregister = atexit.register, atexit.unregister

    def own_register(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        handlers.append((func, args, kwargs))
        return func

    def own_unregister(func: Callable[..., Any]) -> None:
        handlers[:] = [h for h in handlers if h[0] != func]
        unregister(func)

    atexit.register, atexit.unregister = own_register, own_unregister  # type: ignore[assignment]
    try:
        yield handlers
    finally:
        atexit.register, atexit.unregister = register, unregister


def _run_exit_handlers(handlers: list[Handler]) -> None:
    """Last registered first; a failing handler is reported and the others still run."""
    while handlers:
        func, args, kwargs = handlers.pop()
        try:
            func(*args, **kwargs)
        except BaseException as error:  # as Python: reported, then the next handler runs
            print(f"Exception ignored in atexit callback: {func!r}", file=sys.stderr)
            traceback.print_exception(type(error), error, error.__traceback__)


def _print_script_traceback(error: BaseException, script: str) -> None:
    """The traceback from the script's first frame on, without sm-lint's runner frames."""
    tb = error.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)


def unique(findings: list[Diagnostic]) -> list[Diagnostic]:
    """One finding per call site and message (a loop calls the same site many times)."""
    seen: dict[tuple[str, int, str, str], Diagnostic] = {}
    for d in findings:
        seen.setdefault((d.path, d.line, d.code, d.message), d)
    return sorted(seen.values(), key=lambda d: (d.path, d.line, d.code))


def has_errors(findings: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in findings)
