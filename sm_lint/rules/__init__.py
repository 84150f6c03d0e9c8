"""The rules: one unit per rule (``smNNN_<name>.py``: its documentation, a bad and a good
example, its check), the catalogue of them all, and the runner that applies them.

- :mod:`~sm_lint.rules.unit`: what a unit is (``RuleUnit``) and its hooks;
- :mod:`~sm_lint.rules.base`: the context and helpers every rule words findings with;
- :mod:`~sm_lint.rules.binding`: how TensorFlow binds a call's arguments (SM002-SM004 read it);
- :mod:`~sm_lint.rules.catalogue`: the units in run order, ``RULES`` by code;
- :mod:`~sm_lint.rules.run`: ``check_call`` and the other entry points.
"""

from __future__ import annotations

from sm_lint.rules.base import Context
from sm_lint.rules.catalogue import RULES, UNITS, rule
from sm_lint.rules.run import (
    check_call,
    check_call_in_context,
    check_lookup,
    check_model,
    check_model_load,
)
from sm_lint.rules.sm011_model_not_found import note_unchecked_handle
from sm_lint.rules.unit import RuleUnit

__all__ = [
    "RULES",
    "UNITS",
    "Context",
    "RuleUnit",
    "check_call",
    "check_call_in_context",
    "check_lookup",
    "check_model",
    "check_model_load",
    "note_unchecked_handle",
    "rule",
]
