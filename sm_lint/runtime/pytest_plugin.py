"""pytest plugin: ``pytest --sm-lint`` guards every SavedModel loaded during the session.

A test whose code makes a bad signature call fails with the SignatureCallError message;
the terminal summary says how many signature calls were checked and what was found.
"""

from __future__ import annotations

from typing import Any

import pytest

from sm_lint.runtime.guard import RECORDER


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sm-lint")
    group.addoption(
        "--sm-lint",
        action="store_true",
        default=False,
        help="check every TensorFlow SavedModel signature call (sm-lint)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--sm-lint"):
        from sm_lint.runtime.guard import TensorFlowMissing, install

        try:
            install(RECORDER)
        except TensorFlowMissing as error:
            # One line, and a session without --sm-lint is not touched at all.
            raise pytest.UsageError(f"--sm-lint: {error}") from None
        config.addinivalue_line("filterwarnings", "default::sm_lint.runtime.SignatureCallWarning")


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption("--sm-lint"):
        from sm_lint.runtime.guard import save_observations, uninstall

        uninstall()  # does nothing when install() never succeeded
        save_observations(RECORDER)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not config.getoption("--sm-lint"):
        return
    findings = RECORDER.findings
    errors = sum(1 for d in findings if d.severity.value == "error")
    warnings = len(findings) - errors
    terminalreporter.write_sep("-", "sm-lint")
    calls = RECORDER.calls
    terminalreporter.write_line(
        f"sm-lint: {calls} signature call{'' if calls == 1 else 's'} checked, "
        f"{errors} error{'' if errors == 1 else 's'}, "
        f"{warnings} warning{'' if warnings == 1 else 's'}"
    )
    for d in findings:
        terminalreporter.write_line(f"  {d.path}:{d.line}: {d.code} {d.message}")
