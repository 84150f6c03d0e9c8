"""The state of one analysis run, in one place.

Everything an analysis adds or reads beyond the env of the code it walks lives here: the
facts found (loads, lookups, calls, output accesses, context calls, saves), what bounds the
work (the memo of calls followed, contexts per function, the statement budget), the bodies
waiting for their caller-free analysis, and the recording of the function being analysed
for reuse. The engine and the library hooks write it; analysis/reuse.py reads and replays
it through the journal methods at the bottom, never through anyone's private fields.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Protocol

import libcst as cst

from sm_lint.analysis import functions
from sm_lint.analysis.facts import (
    ModelLoad,
    ModelSave,
    OutputAccess,
    SignatureCall,
    SignatureLookup,
    Span,
)
from sm_lint.analysis.values import AbstractValue

Env = dict[str, AbstractValue]
#: A function waiting for its caller-free analysis: its node, the env it was defined in and
#: what its frame starts with beyond that env (a method's ``self.*`` attributes).
Deferred = tuple[cst.FunctionDef | cst.Lambda, Env, dict[str, AbstractValue]]
#: What analysing a user function under some arguments gave: its return value, the
#: attributes of ``self`` at its end (None: not analysed), the parameters changed in place.
Invoked = tuple[
    AbstractValue, tuple[tuple[str, AbstractValue], ...] | None, dict[str, AbstractValue]
]


@dataclass(frozen=True)
class Mark:
    """How much of each journal existed at one moment (reuse compares and slices by it)."""

    lookups: int
    calls: int
    loads: int
    saves: int
    save_tokens: int
    latest_saves: int

    def unchanged(self, other: Mark) -> bool:
        """Nothing but lookups and calls (what a replay adds) differs from *other*."""
        return (self.loads, self.saves, self.save_tokens, self.latest_saves) == (
            other.loads,
            other.saves,
            other.save_tokens,
            other.latest_saves,
        )


@dataclass(frozen=True)
class ModuleFacts:
    """What the interpreter computes over the whole module before it walks it."""

    #: Names declared ``global`` anywhere.
    globals_assigned: frozenset[str]
    #: Names some function changes in place (``g["x"] = ...``).
    mutated: frozenset[str]
    #: A ``from m import *`` at module level (names then resolve through libcst's scopes).
    star_import: bool


@dataclass
class Recording:
    """What one function's analysis reads and does while it runs (the interpreter's hooks
    append here)."""

    node: functions.FunctionNode
    fingerprint: tuple[object, ...] | None
    start: Mark
    bases: frozenset[str]
    statements: int
    scope: int
    spans: list[tuple[cst.CSTNode, Span]] = field(default_factory=list)
    loaders: list[tuple[int, str]] = field(default_factory=list)
    outputs: list[tuple[int, OutputAccess]] = field(default_factory=list)
    memo: dict[object, object] = field(default_factory=dict)
    memo_added: list[tuple[object, object]] = field(default_factory=list)
    contexts: dict[int, tuple[functions.FunctionNode, int]] = field(default_factory=dict)
    buckets: dict[int, tuple[SignatureCall, ...]] = field(default_factory=dict)
    context_calls: list[tuple[int, SignatureCall]] = field(default_factory=list)
    #: A user function was analysed with the scope of module globals (its size counts).
    scoped: bool = False
    #: A position went into a value (``Interpreter.origin``): the facts cannot be moved.
    placed: bool = False
    #: Something this module does not replay happened (a class defined, a call met twice,
    #: a limit of analysis/functions.py reached).
    impure: bool = False

    def limited(self, statements: int) -> None:
        """A call of a user function was not followed: only the statement budget's reason
        depends on state from outside this analysis."""
        if statements > functions.MAX_CONTEXT_STATEMENTS:
            self.impure = True


class Reuse(Protocol):
    """Function analyses of a document's previous text (analysis/reuse.py), as the engine
    uses them."""

    enabled: bool
    uncertain: bool

    def prepare(self, engine: Any) -> ModuleFacts: ...

    def finish(self, engine: Any) -> None: ...

    def same_value(self, value: Any) -> Any: ...

    def replay_or_record(self, engine: Any, item: Deferred) -> Recording | None: ...

    def keep(self, engine: Any, recording: Recording, deferred_from: int) -> None: ...


@dataclass
class RunState:
    """One run's facts, limits and pending work (mutable: the run fills it)."""

    loads: list[ModelLoad] = field(default_factory=list)
    #: A load by its contents (id 0): a body analysed again loads the same model once.
    load_ids: dict[ModelLoad, int] = field(default_factory=dict)
    lookups: list[SignatureLookup] = field(default_factory=list)
    #: Signature calls of the context-free analysis by call id, and their output accesses.
    calls: dict[int, SignatureCall] = field(default_factory=dict)
    outputs: dict[int, list[OutputAccess]] = field(default_factory=dict)
    seen_calls: set[int] = field(default_factory=set)
    #: Calls found under one caller's arguments, by call id (analysis/functions.py).
    context_calls: dict[int, list[SignatureCall]] = field(default_factory=dict)
    #: Models the program saves (library/saves.py), the Keras inputs counted so far, the
    #: latest save per folder link, and the classes a save may scan.
    saves: list[ModelSave] = field(default_factory=list)
    save_tokens: int = 0
    latest_saves: dict[str, int] = field(default_factory=dict)
    save_classes: dict[int, cst.ClassDef] = field(default_factory=dict)
    #: Bodies waiting for their caller-free analysis, in order.
    deferred: list[Deferred] = field(default_factory=list)
    #: Calls of user functions followed: results by (function, arguments, globals read).
    memo: dict[object, Invoked] = field(default_factory=dict)
    #: How many contexts each function (by node id) was analysed in; statements analysed
    #: in contexts (the budget of analysis/functions.py).
    contexts: dict[int, int] = field(default_factory=dict)
    context_statements: int = 0
    #: Env keys ``base.attr`` were bound under: rebinding ``base`` forgets them.
    attribute_bases: set[str] = field(default_factory=set)
    #: The recording of the function being analysed (analysis/reuse.py), if any.
    recording: Recording | None = None
    #: Which possible model a call of a model loaded in branches is being made for
    #: (library/choices.py): added to the call's id, so that each has its own.
    alternative: int = 0

    def new_context_calls(self) -> tuple[SignatureCall, ...]:
        """Context calls that know more than the context-free analysis of the same call."""
        out = []
        for call in (c for bucket in self.context_calls.values() for c in bucket):
            base = self.calls.get(call.id)
            if base is not None and (
                base.load_id,
                base.key,
                base.opaque_arguments,
                [(a.name, a.value) for a in base.arguments],
            ) == (
                call.load_id,
                call.key,
                call.opaque_arguments,
                [(a.name, a.value) for a in call.arguments],
            ):
                continue
            out.append(call)
        return tuple(out)

    # ------------------------------------------------------------------ journal
    def mark(self) -> Mark:
        """The journals' sizes now."""
        return Mark(
            len(self.lookups),
            len(self.calls),
            len(self.loads),
            len(self.saves),
            self.save_tokens,
            len(self.latest_saves),
        )

    def lookups_since(self, mark: Mark) -> tuple[SignatureLookup, ...]:
        return tuple(self.lookups[mark.lookups :])

    def calls_since(self, mark: Mark) -> tuple[tuple[int, SignatureCall], ...]:
        return tuple(itertools.islice(self.calls.items(), mark.calls, None))

    def loader(self, load_id: int) -> str:
        """The loader of a load, noted in the recording (a replay depends on it)."""
        loader = self.loads[load_id].loader
        if self.recording is not None:
            self.recording.loaders.append((load_id, loader))
        return loader

    def add_output(self, call_id: int, access: OutputAccess) -> None:
        self.outputs.setdefault(call_id, []).append(access)
        if self.recording is not None:
            self.recording.outputs.append((call_id, access))

    def replay(
        self,
        lookups: tuple[SignatureLookup, ...],
        calls: tuple[tuple[int, SignatureCall], ...],
        outputs: tuple[tuple[int, OutputAccess], ...],
        deferred: tuple[Deferred, ...],
        bases: frozenset[str],
        memo: tuple[tuple[object, object], ...],
        contexts: tuple[tuple[cst.CSTNode, int, int], ...],
        statements: int,
        context_calls: tuple[tuple[int, SignatureCall], ...],
    ) -> None:
        """Add what a recorded analysis added, as if it ran again."""
        self.lookups.extend(lookups)
        for call_id, call in calls:
            self.seen_calls.add(call_id)
            self.calls[call_id] = call
        for call_id, access in outputs:
            self.outputs.setdefault(call_id, []).append(access)
        self.deferred.extend(deferred)
        self.attribute_bases |= bases
        for key, value in memo:
            self.memo[key] = value  # type: ignore[assignment]
        for function, _, added in contexts:
            self.contexts[id(function)] = self.contexts.get(id(function), 0) + added
        self.context_statements += statements
        for call_id, call in context_calls:
            self.context_calls.setdefault(call_id, []).append(call)
