"""The checks' former home: the rules now live in :mod:`sm_lint.rules`, one unit per rule.

Kept so existing imports (the core API, the runtime guard) keep working.
"""

from __future__ import annotations

from sm_lint.rules import (
    Context,
    check_call,
    check_call_in_context,
    check_lookup,
    check_model,
    check_model_load,
    note_unchecked_handle,
)

__all__ = [
    "Context",
    "check_call",
    "check_call_in_context",
    "check_lookup",
    "check_model",
    "check_model_load",
    "note_unchecked_handle",
]
