"""``sm-lint run SCRIPT [ARGS ...]``: run a script with every signature call checked."""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from collections.abc import Sequence

from sm_lint.diagnostics import Diagnostic, Severity
from sm_lint.runtime.guard import Recorder, install, save_observations, uninstall


def run_script(script: str, args: Sequence[str], recorder: Recorder) -> int:
    """Run *script* as ``python SCRIPT ARGS`` would (argv, ``__main__``, sys.path), with
    every model it loads guarded in report mode. Returns the script's exit status."""
    recorder.report_only = True
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    install(recorder)
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as done:
        code = done.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except BaseException as error:  # the script's own failure, reported as python would
        _print_script_traceback(error, os.path.abspath(script))
        return 1
    finally:
        uninstall()
        sys.argv, sys.path = saved_argv, saved_path
        save_observations(recorder)
    return 0


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
