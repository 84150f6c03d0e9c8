"""What a rule unit is: its documentation and the checks the runner calls it with.

A unit is one module, ``sm_lint/rules/smNNN_<name>.py``, defining ``UNIT``. Each check is
a hook on one kind of fact; a unit fills only the hooks it needs:

- ``on_load``: a model load, with the error reading its model (or None) and whether a model
  was found for it;
- ``on_model``: a model load whose model was found, with the model;
- ``on_lookup``: ``loaded.signatures[key]``, with the model;
- ``on_binding``: a signature call and how its arguments bind (:mod:`sm_lint.rules.binding`);
- ``on_value``: one bound argument and the input it lands on;
- ``on_call``: the call as a whole, after its values;
- ``on_restored``: a call of a restored function (``loaded(x)``, ``loaded.f(x)``), with the
  function read from the model's object graph (None where the model has none of that path)
  and the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sm_lint.diagnostics import Diagnostic, Rule
from sm_lint.models.types import ModelSignatures, RestoredFunction, Signature, TensorSpec
from sm_lint.rules.base import Context
from sm_lint.rules.binding import Binding

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import Argument, ModelLoad, SignatureCall, SignatureLookup

    LoadCheck = Callable[[Context, ModelLoad, str | None, bool], Iterable[Diagnostic]]
    ModelCheck = Callable[[Context, ModelLoad, ModelSignatures], Iterable[Diagnostic]]
    LookupCheck = Callable[[Context, SignatureLookup, ModelSignatures], Iterable[Diagnostic]]
    CallCheck = Callable[[Context, SignatureCall, Signature, Binding], Iterable[Diagnostic]]
    ValueCheck = Callable[[Context, Signature, Argument, TensorSpec], Iterable[Diagnostic]]
    RestoredCheck = Callable[
        [Context, SignatureCall, RestoredFunction | None, ModelSignatures], Iterable[Diagnostic]
    ]


@dataclass(frozen=True)
class RuleUnit:
    """One rule: its documentation (``sm-lint rules``, the README, SARIF) and its checks.

    ``rule.bad`` must produce this rule's code and ``rule.good`` nothing, each run after
    ``rule.setup`` against the example models (tests/test_rule_examples.py runs them all).
    A unit without hooks documents a finding made elsewhere (SM900: the parser).
    """

    rule: Rule
    on_load: LoadCheck | None = None
    on_model: ModelCheck | None = None
    on_lookup: LookupCheck | None = None
    on_binding: CallCheck | None = None
    on_value: ValueCheck | None = None
    on_call: CallCheck | None = None
    on_restored: RestoredCheck | None = None
