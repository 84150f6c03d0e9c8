"""Helpers for tests that run real TensorFlow next to the linter."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class Outcome:
    """What real TensorFlow did with one statement."""

    ok: bool
    error: str = ""

    def __str__(self) -> str:
        return "accepted" if self.ok else f"raised {self.error}"


def run_with_tensorflow(source: str, namespace: dict[str, Any] | None = None) -> Outcome:
    """Execute *source* for real; report whether it raised, and what."""
    scope: dict[str, Any] = {} if namespace is None else namespace
    try:
        exec(compile(source, "<case>", "exec"), scope)
    except Exception as error:  # every failure TensorFlow can raise counts
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return Outcome(False, f"{type(error).__name__}: {first[:200]}")
    return Outcome(True)
