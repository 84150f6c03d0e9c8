"""A pytest plugin that records every program the analysis is given (for the golden corpus).

    SM_LINT_GOLDEN_RECORD=/tmp/programs.jsonl python -m pytest -p tests.golden.record FILES

Each line is ``{"test": nodeid, "path": ..., "program": ...}``; make_golden.py --corpus
reads such files given after ``--recorded``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from sm_lint.analysis import interpreter

_OUT = os.environ.get("SM_LINT_GOLDEN_RECORD")
_current = ["?"]
_original = interpreter.analyze_module


def _recording(module: Any, path: str | None, *args: Any, **kwargs: Any) -> Any:
    if _OUT:
        with open(_OUT, "a", encoding="utf-8") as out:
            line = {"test": _current[0], "path": path, "program": module.code}
            out.write(json.dumps(line) + "\n")
    return _original(module, path, *args, **kwargs)


interpreter.analyze_module = _recording  # type: ignore[assignment]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _current[0] = item.nodeid
