"""Reuse of function analyses between successive texts of one document (the language server).

After a module's statements, the interpreter analyses every function body once without a
caller (``Interpreter._drain``): on a long file that was ~90% of the work of an edit. That
analysis reads the values of the names its code mentions (and, through the calls of user
functions it follows, the names their code mentions), a few module-wide facts, positions,
and state shared by all analyses (the memo of calls followed, how many contexts each
function was analysed in, the statement budget, the context calls already reported); it
adds facts (lookups, signature calls, output accesses, context calls), memo entries and
nested functions to analyse.

For each function this module records what its analysis read and what it added. On the
next text, a function whose node is the very same (the incremental parser keeps the nodes
of unchanged statements), which sees equal values for every name it can reach, whose
shared state reads come out the same and whose positions are unchanged (or all moved by the
same number of lines: the facts move with them) gets its recorded additions replayed
instead of analysed. An analysis that loads or saves a model, defines a class, meets a
call twice or reaches a limit of analysis/functions.py is never replayed. So the facts
always equal those of a full analysis (tests/test_incremental.py checks it over random
edit sequences, and that each check is needed).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis import functions
from sm_lint.analysis.engine import syntax
from sm_lint.analysis.engine.state import Deferred, Env, ModuleFacts, Recording
from sm_lint.analysis.facts import Argument, OutputAccess, SignatureCall, SignatureLookup, Span
from sm_lint.analysis.values import AbstractValue, Array, Const, DType, QualName

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine as Interpreter

_TENSORFLOW = QualName("tensorflow")
#: Values that hold no function: the walk through values stops at them.
_LEAVES = frozenset({type(None), str, int, float, bool, bytes, QualName, Const, DType, Array})


_Definition = functions.FunctionValue | functions.ClassValue


def _same(old: _Definition, new: _Definition) -> bool:
    """Two values of one definition that behave alike (they differ only in identity)."""
    if isinstance(old, functions.FunctionValue) and isinstance(new, functions.FunctionValue):
        return (
            old.name == new.name
            and old.defaults == new.defaults
            and old.closure is None
            and new.closure is None
        )
    if isinstance(old, functions.ClassValue) and isinstance(new, functions.ClassValue):
        return (
            old.name == new.name
            and old.methods == new.methods
            and old.attributes == new.attributes
            and old.unstable == new.unstable
            and (old.properties, old.statics, old.classmethods, old.fields)
            == (new.properties, new.statics, new.classmethods, new.fields)
            and old.base is new.base
        )
    return False


@dataclass(frozen=True)
class _Statement:
    globals_assigned: frozenset[str]
    mutated: frozenset[str]
    star_import: bool


@dataclass(frozen=True)
class _Entry:
    """One function's analysis: what it depended on and what it added."""

    fingerprint: tuple[object, ...]
    spans: tuple[tuple[cst.CSTNode, Span], ...]
    loaders: tuple[tuple[int, str], ...]
    lookups: tuple[SignatureLookup, ...]
    calls: tuple[tuple[int, SignatureCall], ...]
    outputs: tuple[tuple[int, OutputAccess], ...]
    deferred: tuple[Deferred, ...]
    bases_added: frozenset[str]
    #: No position went into a value (a temporary folder's origin) and no context-call
    #: bucket held calls of other analyses: lines moved as a whole move the facts alike.
    movable: bool
    #: Calls of user functions followed (analysis/functions.py): the memo entries read
    #: (None: missed) and added, the functions analysed in a context (with their count of
    #: contexts before and how many this analysis added), the statements counted against
    #: the file's budget, how large the scope was (in hundreds, which the budget counts),
    #: the context calls' buckets as they were and the calls added to them.
    memo: tuple[tuple[object, object], ...] = ()
    memo_added: tuple[tuple[object, object], ...] = ()
    contexts: tuple[tuple[functions.FunctionNode, int, int], ...] = ()
    statements: int = 0
    scope: int | None = None
    buckets: tuple[tuple[int, tuple[SignatureCall, ...]], ...] = ()
    context_calls: tuple[tuple[int, SignatureCall], ...] = ()

    def moved(self, lines: int) -> _Entry:
        """The entry for the same function *lines* lines lower (higher when negative)."""

        def move(span: Span) -> Span:
            return replace(span, line=span.line + lines, end_line=span.end_line + lines)

        def argument(arg: Argument) -> Argument:
            keyword = arg.keyword_span
            return replace(
                arg,
                span=move(arg.span),
                value_span=move(arg.value_span),
                keyword_span=move(keyword) if keyword is not None else None,
            )

        def call(pair: tuple[int, SignatureCall]) -> tuple[int, SignatureCall]:
            call_id, call = pair
            return call_id, replace(
                call,
                span=move(call.span),
                func_span=move(call.func_span),
                arguments=tuple(map(argument, call.arguments)),
                context=tuple(replace(site, span=move(site.span)) for site in call.context),
            )

        return replace(
            self,
            spans=tuple((node, move(span)) for node, span in self.spans),
            lookups=tuple(replace(x, span=move(x.span)) for x in self.lookups),
            calls=tuple(map(call, self.calls)),
            outputs=tuple((i, replace(x, span=move(x.span))) for i, x in self.outputs),
            context_calls=tuple(map(call, self.context_calls)),
        )


class FunctionReuse:
    """The function analyses of one open document's last text, offered to the next."""

    def __init__(self) -> None:
        self._entries: dict[cst.CSTNode, list[_Entry]] = {}
        self._kept: dict[cst.CSTNode, list[_Entry]] = {}
        self._statements: dict[cst.CSTNode, _Statement] = {}
        self._module_key: object = None
        self._idents: dict[cst.CSTNode, frozenset[str]] = {}
        self._envs: dict[int, tuple[Env, tuple[str, ...], tuple[str, ...]]] = {}
        self._values_reached: dict[int, tuple[object, frozenset[str] | None]] = {}
        # Function and class values by definition, from the previous text and this one.
        self._values: dict[cst.CSTNode, _Definition] = {}
        self._new_values: dict[cst.CSTNode, _Definition] = {}
        self._handed: set[int] = set()
        self.enabled = False
        self._drift = 0
        #: The last run may differ from a full analysis (the caller analyses again).
        self.uncertain = False
        #: Functions replayed and analysed in the last run (tests and benchmarks read them).
        self.replayed = 0
        self.analysed = 0

    # ------------------------------------------------------------------ a run
    def prepare(self, interpreter: Interpreter) -> ModuleFacts:
        """The module-wide facts of *interpreter*'s module, computed per statement and kept
        for unchanged statements; forgets every analysis when they changed."""
        statements: dict[cst.CSTNode, _Statement] = {}
        for statement in interpreter.module.body:
            facts = self._statements.get(statement)
            if facts is None:
                facts = _Statement(
                    frozenset(syntax.global_declarations_in(statement)),
                    frozenset(syntax.mutated_in_statement(statement)),
                    syntax.star_import_in(statement),
                )
            statements[statement] = facts
        self._statements = statements
        parts = list(statements.values())
        module = ModuleFacts(
            frozenset().union(*(p.globals_assigned for p in parts)),
            frozenset().union(*(p.mutated for p in parts)),
            any(p.star_import for p in parts),
        )
        key = (module, interpreter.path)
        if key != self._module_key:
            self._entries = {}
        self._module_key = key
        # Behind a star import names resolve through libcst's scopes of the whole module.
        self.enabled = not module.star_import
        self._kept = {}
        self._envs = {}
        self._values_reached = {}
        self._drift = 0
        self._new_values = {}
        self._handed = set()
        self.replayed = self.analysed = 0
        return module

    def finish(self, interpreter: Interpreter) -> None:
        """The run is complete: its analyses are the ones offered to the next text."""
        # A replayed analysis counted, against the statement budget, the size of scopes of
        # the text it was made in: within one per call followed of this text's (the scope
        # checks bound it). Past the point where that could change a decision of the
        # budget's, the run is not certain to equal a full analysis.
        self.uncertain = bool(self._drift) and (
            interpreter.state.context_statements + self._drift > functions.MAX_CONTEXT_STATEMENTS
        )
        self._entries = self._kept
        self._kept = {}
        self._values = self._new_values
        self._new_values = {}
        self._handed = set()
        self._envs = {}
        self._values_reached = {}
        self._idents = {
            n: i for n, i in self._idents.items() if n in self._entries or n in self._values
        }

    def same_value(self, value: _Definition) -> _Definition:
        """*value*, or the value the previous text's run made for the same definition with
        equal contents. Each old value is handed out once per run: within one run every
        evaluation of a definition keeps its own identity, as without reuse."""
        old = self._values.get(value.node)
        if old is not None and id(old) not in self._handed and _same(old, value):
            self._handed.add(id(old))
            value = old
        self._new_values.setdefault(value.node, value)
        return value

    # ------------------------------------------------------------- a function
    def replay_or_record(self, interpreter: Interpreter, item: Deferred) -> Recording | None:
        """Replay *item*'s recorded analysis into *interpreter* and return None when it is
        valid for this text; otherwise a Recording to fill while the item is analysed."""
        node, env, _ = item
        fingerprint = self._fingerprint(interpreter, item)
        scope = _scope(interpreter, env)
        for entry in self._entries.get(node, ()) if fingerprint is not None else ():
            lines = _valid(interpreter, entry, scope) if entry.fingerprint == fingerprint else None
            if lines is not None:
                if lines:
                    entry = entry.moved(lines)
                _apply(interpreter, entry)
                self._drift += sum(added for _, _, added in entry.contexts)
                self._kept.setdefault(node, []).append(entry)
                self.replayed += 1
                return None
        self.analysed += 1
        return Recording(
            node,
            fingerprint,
            interpreter.state.mark(),
            frozenset(interpreter.state.attribute_bases),
            interpreter.state.context_statements,
            scope,
            impure=fingerprint is None,
        )

    def keep(self, interpreter: Interpreter, recording: Recording, deferred_from: int) -> None:
        """Record the analysis just made, when it can be replayed."""
        if (
            recording.impure
            or recording.fingerprint is None
            or not interpreter.state.mark().unchanged(recording.start)
        ):
            return
        lookups = interpreter.state.lookups_since(recording.start)
        calls = interpreter.state.calls_since(recording.start)
        contexts = interpreter.state.contexts
        self._kept.setdefault(recording.node, []).append(
            _Entry(
                recording.fingerprint,
                tuple(recording.spans),
                tuple(recording.loaders),
                lookups,
                calls,
                tuple(recording.outputs),
                tuple(interpreter.state.deferred[deferred_from:]),
                frozenset(interpreter.state.attribute_bases - recording.bases),
                not recording.placed and not any(recording.buckets.values()),
                tuple(recording.memo.items()),
                tuple(recording.memo_added),
                tuple(
                    (node, before, contexts[key] - before)
                    for key, (node, before) in recording.contexts.items()
                ),
                interpreter.state.context_statements - recording.statements,
                recording.scope if recording.scoped else None,
                tuple(recording.buckets.items()),
                tuple(recording.context_calls),
            )
        )

    def _fingerprint(self, interpreter: Interpreter, item: Deferred) -> tuple[object, ...] | None:
        """Everything of the interpreter's state the item's analysis can read: the values
        of the names its code mentions (a superset of the names it reads) and the names
        the code of every function it can reach through them mentions, the env's other
        keys (``name.attr``, ``os.environ`` settings, links to saves), which names hold
        tensorflow (fixes name it), and the state its early decisions read. None when
        that cannot be known (a closure reachable)."""
        node, env, extra = item
        names = set(self._identifiers(interpreter, node))
        todo: list[str] = [*names]
        for value in extra.values():
            direct = self._reached(interpreter, value)
            if direct is None:
                return None
            todo.extend(direct - names)
            names |= direct
        while todo:
            name = todo.pop()
            if name not in env:
                continue
            direct = self._reached(interpreter, env[name])
            if direct is None:
                return None
            if not direct <= names:
                todo.extend(direct - names)
                names |= direct
        specials, tensorflow = self._env_facts(env)
        return (
            # A name that is not bound reads as a builtin or as unknown, whatever the text.
            tuple((name, env[name]) for name in sorted(names) if name in env),
            tuple(
                (key, env[key])
                for key in specials
                if not _attribute(key) or key.split(".", 1)[0] in names
            ),
            tensorflow,
            tuple(extra.items()),
            frozenset(interpreter.state.attribute_bases & names),
            interpreter.state.context_statements > functions.MAX_CONTEXT_STATEMENTS,
        )

    def _reached(self, interpreter: Interpreter, value: object) -> frozenset[str] | None:
        """The names the code of every function inside *value* mentions (None: a closure,
        or too large to tell), once per value per run."""
        known = self._values_reached.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        names: set[str] = set()
        todo = [value]
        seen: set[int] = set()
        found: frozenset[str] | None = None
        while todo:
            if len(seen) > 4096:
                break
            item = todo.pop()
            if type(item) in _LEAVES or id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, functions.FunctionValue):
                if item.closure is not None:
                    break
                names |= self._identifiers(interpreter, item.node)
                todo.extend(v for _, v in item.defaults)
            elif isinstance(item, (tuple, list)):
                todo.extend(item)
            elif isinstance(item, dict):
                todo.extend(item.values())
            elif isinstance(item, AbstractValue) and is_dataclass(item):
                todo.extend(getattr(item, f.name) for f in fields(item))
        else:
            found = frozenset(names)
        self._values_reached[id(value)] = (value, found)
        return found

    def _identifiers(
        self, interpreter: Interpreter, node: functions.FunctionNode
    ) -> frozenset[str]:
        idents = self._idents.get(node)
        if idents is None:
            # The positions' code: a generation pass over each function cost more than
            # its analysis. Decorators and defaults are evaluated where the def is, not here.
            try:
                code = interpreter.positions.source(node)
            except KeyError:  # a function of another text, kept in a value
                code = interpreter.text(node)
            idents = functions.identifiers(code)
            self._idents[node] = idents
        return idents

    def _env_facts(self, env: Env) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """An env's keys that are not plain names, and the names bound to tensorflow in
        order (computed once per env per run: envs do not change while functions are
        analysed)."""
        known = self._envs.get(id(env))
        if known is not None and known[0] is env:
            return known[1], known[2]
        specials = tuple(key for key in env if not key.isidentifier())
        tensorflow = tuple(key for key, value in env.items() if value == _TENSORFLOW)
        self._envs[id(env)] = (env, specials, tensorflow)
        return specials, tensorflow


def _attribute(key: str) -> bool:
    """An env key ``name.attr`` (what code mentioning ``name`` alone can read)."""
    base, dot, attr = key.partition(".")
    return bool(dot) and base.isidentifier() and attr.isidentifier()


def _scope(interpreter: Interpreter, env: Env) -> int:
    """How many hundreds of names a function analysed in a context copies from *env*
    (the statement budget counts them)."""
    assigned = interpreter.globals_assigned_in_functions
    return (len(env) - sum(1 for name in assigned if name in env)) // 100


def _valid(interpreter: Interpreter, entry: _Entry, scope: int) -> int | None:
    """None when *entry* cannot be replayed; else by how many lines its facts moved."""
    if any(call_id in interpreter.state.seen_calls for call_id, _ in entry.calls):
        return None
    loads = interpreter.state.loads
    if any(i >= len(loads) or loads[i].loader != loader for i, loader in entry.loaders):
        return None
    if entry.scope is not None and entry.scope != scope:
        return None
    if entry.statements and (
        interpreter.state.context_statements + entry.statements > functions.MAX_CONTEXT_STATEMENTS
    ):
        return None
    memo = interpreter.state.memo
    for key, value in entry.memo:
        if memo.get(key) != value:
            return None
    contexts = interpreter.state.contexts
    for function, _, added in entry.contexts:
        if contexts.get(id(function), 0) + added > functions.MAX_CONTEXTS_PER_FUNCTION:
            return None
    buckets = interpreter.state.context_calls
    for call_id, bucket in entry.buckets:
        if tuple(buckets.get(call_id, ())) != bucket:
            return None
    lines: int | None = None
    for node, span in entry.spans:
        try:
            now = interpreter.span(node)
        except KeyError:  # a node of another text
            return None
        moved = now.line - span.line
        if (now.column, now.end_line - moved, now.end_column) != (
            span.column,
            span.end_line,
            span.end_column,
        ) or (lines is not None and moved != lines):
            return None
        lines = moved
    if lines and not entry.movable:
        return None
    return lines or 0


def _apply(interpreter: Interpreter, entry: _Entry) -> None:
    interpreter.state.replay(
        entry.lookups,
        entry.calls,
        entry.outputs,
        entry.deferred,
        entry.bases_added,
        entry.memo_added,
        entry.contexts,
        entry.statements,
        entry.context_calls,
    )
