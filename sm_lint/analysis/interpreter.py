"""A small abstract interpreter over libcst trees.

It walks a module's statements in order, keeping for each name (and ``self.attr``) what is
known of its value, and records every model load, signature lookup, signature call and
output access it meets. Facts survive straight-line code and branches that agree; names
assigned in loops, parameters and anything not understood become unknown.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import compress, repeat
from operator import is_not
from pathlib import PurePosixPath
from typing import Any

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    QualifiedNameProvider,
    QualifiedNameSource,
)

from sm_lint.analysis import arith, arrays, datasets, functions, paths
from sm_lint.analysis.derive import Deriver
from sm_lint.analysis.dtypes import qualified_dtype
from sm_lint.analysis.facts import (
    Argument,
    CallSite,
    FileFacts,
    ModelLoad,
    OutputAccess,
    SignatureCall,
    SignatureLookup,
    Span,
)
from sm_lint.analysis.literals import CallArgs, as_argument
from sm_lint.analysis.positions import Positions
from sm_lint.analysis.reuse import FunctionReuse, Recording
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Array,
    CallResult,
    Const,
    DictLit,
    DType,
    FreshPath,
    Generator,
    Handle,
    ModelRef,
    PathValue,
    QualName,
    Seq,
    SignatureFn,
    SignaturesRef,
    join,
)
from sm_lint.semantics import Kind, Value

Env = dict[str, AbstractValue]

_ALIASES = (
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.compat.v1.saved_model.load_v2", "tensorflow.saved_model.load"),
    ("tensorflow.compat.v2", "tensorflow"),
    ("tensorflow.keras.", "keras."),
    ("tensorflow.python.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("tensorflow_hub.", "tensorflow_hub."),
)

MODEL_LOADERS = {
    "tensorflow.saved_model.load": "saved_model.load",
    "keras.models.load_model": "keras.load_model",
    "keras.saving.load_model": "keras.load_model",
    "tensorflow_hub.load": "hub.load",
}
TFSM_LAYERS = ("keras.layers.TFSMLayer", "keras.export.TFSMLayer")
#: Environment variables that decide where tensorflow_hub and kagglehub look for a model;
#: a program that sets them in ``os.environ`` is followed (env keys start with _ENVIRON).
HUB_SETTINGS = frozenset({"TFHUB_CACHE_DIR", "TFHUB_MODEL_LOAD_FORMAT", "KAGGLEHUB_CACHE"})
_ENVIRON = "os.environ:"
#: The key of a call of the model's own ``__call__`` (``hub.KerasLayer(handle)``).
CALL_KEY = "__call__"
HUB_LOADERS = ("hub.load", "kagglehub")
HUB_LAYERS = ("tensorflow_hub.KerasLayer", "tensorflow_hub.keras_layer.KerasLayer")
#: Functions that return a local model folder known by its handle -> the loader resolving it.
HANDLE_FUNCTIONS = {
    "tensorflow_hub.resolve": "hub.load",
    "tensorflow_hub.module_v2.resolve": "hub.load",
    "kagglehub.model_download": "kagglehub",
}

_SERVING_KEY = "DEFAULT_SERVING_SIGNATURE_DEF_KEY"
_CONSTANTS: dict[str, object] = {
    f"tensorflow.saved_model.{_SERVING_KEY}": "serving_default",
    f"tensorflow.saved_model.signature_constants.{_SERVING_KEY}": "serving_default",
    f"tensorflow.compat.v1.saved_model.{_SERVING_KEY}": "serving_default",
    f"tensorflow.compat.v1.saved_model.signature_constants.{_SERVING_KEY}": "serving_default",
    "tensorflow.saved_model.SERVING": "serve",
    "tensorflow.saved_model.tag_constants.SERVING": "serve",
    "tensorflow.compat.v1.saved_model.tag_constants.SERVING": "serve",
    "tensorflow.newaxis": None,
    "numpy.newaxis": None,
}


_BUILTINS = frozenset(dir(builtins))
MAX_FOLDED = 4096
_KEYWORD_CONSTANTS = {"True": True, "False": False, "None": None, "Ellipsis": ...}


def normalize(name: str) -> str:
    """Map aliases (``tensorflow.compat.v2``, ``tensorflow.keras``) to one spelling."""
    for old, new in _ALIASES:
        if name == old or name.startswith(old):
            return new + name[len(old) :]
    return name


def _qualified(name: str) -> AbstractValue:
    name = normalize(name)
    if name in _CONSTANTS:
        return Const(_CONSTANTS[name])
    dtype = qualified_dtype(name)
    if dtype is not None and not name.startswith("numpy.random"):
        return DType(dtype)
    return QualName(name)


class Interpreter:
    """Analyse one module; ``run()`` returns its FileFacts."""

    def __init__(
        self,
        module: cst.Module,
        path: str | None,
        positions: Positions | None = None,
        reuse: FunctionReuse | None = None,
    ) -> None:
        self.module = module
        self.path = path
        self._wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        # The incremental parser brings the positions it kept for unchanged statements.
        self.positions = positions or Positions(module)
        self._where: cst.CSTNode | None = None
        self._qualnames: Mapping[cst.CSTNode, Any] | None = None
        self._attribute_bases: set[str] = set()
        self._star_import = any(map(_star_import_in, module.body))
        self.loads: list[ModelLoad] = []
        self._load_ids: dict[ModelLoad, int] = {}
        self.lookups: list[SignatureLookup] = []
        self.calls: dict[int, SignatureCall] = {}
        self.outputs: dict[int, list[OutputAccess]] = {}
        self._seen_calls: set[int] = set()
        self._globals_assigned_in_functions: set[str] = set()
        self._call_env: Env = {}
        self._deferred: list[
            tuple[cst.FunctionDef | cst.Lambda, Env, dict[str, AbstractValue]]
        ] = []
        #: Models the program saves itself (derive.py): values, saves, links to loads.
        self.derive = Deriver(self)
        # Values through functions (analysis/functions.py): the functions being analysed,
        # innermost last; signature calls found under one caller's arguments.
        self._frames: list[functions.Frame] = []
        self._contextual = 0
        #: The statement just analysed ends its block (return/raise/break/continue).
        self._ended = False
        self._context_statements = 0
        self._contexts: dict[int, int] = {}
        self._memo: dict[
            object,
            tuple[
                AbstractValue,
                tuple[tuple[str, AbstractValue], ...] | None,
                dict[str, AbstractValue],
            ],
        ] = {}
        self._identifiers: dict[int, frozenset[str]] = {}
        self._mutated_in_functions: set[str] | None = None
        self._outside_init: tuple[set[str] | None] | None = None  # computed once, lazily
        self.context_calls: dict[int, list[SignatureCall]] = {}
        # Function analyses kept from the document's previous text (analysis/reuse.py); the
        # recording of the function being analysed.
        self._reuse = reuse
        self._recording: Recording | None = None

    # ----------------------------------------------------------------- entry
    def run(self) -> FileFacts:
        if self._reuse is not None:
            module = self._reuse.prepare(self)
            self._globals_assigned_in_functions = set(module.globals_assigned)
            self._mutated_in_functions = set(module.mutated)
        else:
            self._globals_assigned_in_functions = _global_declarations(self.module)
        env: Env = {}
        if self.path is not None:
            env["__file__"] = Const(os.path.abspath(self.path))
        env = self.block(self.module.body, env)
        self._drain()
        if self._reuse is not None:
            self._reuse.finish(self)
        calls = tuple(
            SignatureCall(
                **{**call.__dict__, "outputs": tuple(dict.fromkeys(self.outputs.get(call.id, ())))}
            )
            for call in self.calls.values()
        )
        return FileFacts(
            loads=tuple(self.loads),
            lookups=tuple(dict.fromkeys(self.lookups)),
            calls=calls,
            tf_alias=_alias_of(env, "tensorflow"),
            np_alias=_alias_of(env, "numpy"),
            saves=tuple(self.derive.saves),
            context_calls=self._new_context_calls(),
        )

    def _new_context_calls(self) -> tuple[SignatureCall, ...]:
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

    def context_work(self) -> tuple[int, int]:
        """(statements analysed in call contexts, most contexts of any one function): the
        quantities the limits in analysis/functions.py bound."""
        return self._context_statements, max(self._contexts.values(), default=0)

    def _drain(self) -> None:
        reuse = self._reuse if self._reuse is not None and self._reuse.enabled else None
        self._ended = False
        while self._deferred:
            item = self._deferred.pop(0)
            if reuse is None:
                self._analyse_deferred(*item)
                continue
            recording = reuse.replay_or_record(self, item)
            if recording is None:
                continue  # its recorded facts were replayed
            start = len(self._deferred)
            self._recording = recording
            try:
                self._analyse_deferred(*item)
            finally:
                self._recording = None
            reuse.keep(self, recording, start)

    def _analyse_deferred(
        self, func: cst.FunctionDef | cst.Lambda, env: Env, extra: dict[str, AbstractValue]
    ) -> None:
        """A function's body analysed without a caller (its parameters unknown)."""
        local = dict(env)
        for name in self._globals_assigned_in_functions:
            local.pop(name, None)
        self._frames.append(functions.Frame(func, dict(local)))
        local.update(extra)
        if isinstance(func, cst.Lambda):
            for param in _params(func.params):
                local[param] = UNKNOWN
            self.expr(func.body, local)
        else:
            for param in _params(func.params):
                local[param] = UNKNOWN
            self.block(_body(func.body), local)
        self._frames.pop()
        self._ended = False

    # ------------------------------------------------------------- positions
    def span(self, node: cst.CSTNode) -> Span:
        line, column, end_line, end_column = self.positions.of(node, self._where)
        span = Span(line, column + 1, end_line, end_column + 1)
        if self._recording is not None:
            self._recording.spans.append((node, span))
        return span

    def origin(self, node: cst.CSTNode, what: str) -> str:
        """A name for what *node* makes (a temporary folder), unique in the file: its place."""
        span = self.span(node)
        if self._recording is not None:
            self._recording.placed = True  # a position in a value: it moves with no fact
        return f"{what}@{span.line}:{span.column}"

    def text(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # ------------------------------------------------------------ statements
    def block(self, body: Sequence[cst.CSTNode], env: Env) -> Env:
        for statement in body:
            env = self.statement(statement, env)
            if self._ended:  # after return/raise/break/continue: dead code
                break
        return env

    def statement(self, node: cst.CSTNode, env: Env) -> Env:
        # The statement being analysed: positions asked for meanwhile lie in it, which
        # spares the lazy positions a search (the answers do not depend on it).
        outer, self._where = self._where, node
        env = self._statement(node, env)
        self._where = outer
        return env

    def _statement(self, node: cst.CSTNode, env: Env) -> Env:
        if self._contextual:
            self._context_statements += 1
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                env = self.small_statement(small, env)
            # Inside a function, what follows a return or raise never runs (at module
            # level a notebook's later cells still do).
            if self._frames and any(isinstance(s, _ENDS) for s in node.body):
                self._ended = True
            return env
        if isinstance(node, cst.If):
            truth = _truth(self.expr(node.test, env)) if not self._rebound(node.test) else None
            if truth is not None:  # a known condition (``if flat:`` with flat=False)
                if truth:
                    return self.block(_body(node.body), env)
                if isinstance(node.orelse, cst.If):
                    return self.statement(node.orelse, env)
                return self.block(_body(node.orelse.body), env) if node.orelse else env
            then = self.block(_body(node.body), dict(env))
            then_ended, self._ended = self._ended, False
            other = (
                self.statement(node.orelse, dict(env))
                if isinstance(node.orelse, cst.If)
                else (self.block(_body(node.orelse.body), dict(env)) if node.orelse else dict(env))
            )
            self._ended = then_ended and self._ended
            return _merge([then, other])
        if isinstance(node, cst.Else):
            return self.block(_body(node.body), env)
        if isinstance(node, (cst.For, cst.While)):
            return self.loop(node, env)
        if isinstance(node, cst.With):
            for item in node.items:
                entered = self.derive.entered(self.expr(item.item, env))
                if item.asname is not None:
                    env = self.bind(item.asname.name, entered, env)
            env = self.block(_body(node.body), env)
            self._ended = False  # a context manager may swallow what ended the body
            return env
        if isinstance(node, cst.Try):
            body_env = self.block(_body(node.body), dict(env))
            self._ended = False
            branches = [body_env]
            for handler in node.handlers:
                start = _merge([env, body_env])
                if handler.name is not None:
                    start = self.bind(handler.name.name, UNKNOWN, start)
                branches.append(self.block(_body(handler.body), start))
                self._ended = False
            if node.orelse is not None:
                branches[0] = self.block(_body(node.orelse.body), branches[0])
                self._ended = False
            merged = _merge(branches)
            if node.finalbody is not None:
                merged = self.block(_body(node.finalbody.body), merged)
                self._ended = False
            return merged
        if isinstance(node, cst.FunctionDef):
            if self._contextual:  # the context-free analysis of the enclosing function has it
                return self.bind(cst.Name(node.name.value), UNKNOWN, env)
            decorators = [self.expr(d.decorator, env) for d in node.decorators]
            self._deferred.append((node, env, {}))
            defined = self.derive.function_def(node, decorators, env)
            if defined == UNKNOWN:  # not a tf.function: a function values flow through
                defined = self.function_value(node, node.name.value, env)
            return self.bind(cst.Name(node.name.value), defined, env)
        if isinstance(node, cst.ClassDef):
            if self._contextual:
                return self.bind(cst.Name(node.name.value), UNKNOWN, env)
            if self._recording is not None:
                self._recording.impure = True  # the Deriver keeps the class: not replayed
            followed = self.class_def(node, env)
            if not isinstance(followed, functions.ClassValue):
                followed = self.derive.class_value(node, env)
            return self.bind(cst.Name(node.name.value), followed, env)
        # match statements and anything newer: walk what it contains, trust nothing after.
        for expression in _expressions(node):
            self.expr(expression, env)
        return {k: v for k, v in env.items() if k not in _assigned_names(node)}

    def _rebound(self, node: cst.BaseExpression) -> bool:
        """A branch test naming a global that some function rebinds: its truth is not certain."""
        return isinstance(node, cst.Name) and node.value in self._globals_assigned_in_functions

    def loop(self, node: cst.For | cst.While, env: Env) -> Env:
        assigned = _assigned_names(node)
        start = {k: v for k, v in env.items() if k not in assigned and not _under(k, assigned)}
        body_start = dict(start)
        if isinstance(node, cst.For):
            element = datasets.element_of(self.expr(node.iter, env))
            if element is not None:  # every element of a dataset has its element spec
                body_start = self.assign(node.target, element, body_start)
        else:
            self.expr(node.test, start)
        after_body = self.block(_body(node.body), body_start)
        self._ended = False
        if node.orelse is not None:
            after_body = self.block(_body(node.orelse.body), after_body)
            self._ended = False
        return _merge([start, after_body])

    def small_statement(self, node: cst.BaseSmallStatement, env: Env) -> Env:
        if isinstance(node, cst.Assign):
            value = self.expr(node.value, env)
            for target in node.targets:
                if isinstance(target.target, cst.Subscript):
                    env = self.set_item(target.target, node, node.value, value, env)
                else:
                    env = self.assign(target.target, value, env)
            return env
        if isinstance(node, cst.AnnAssign):
            value = self.expr(node.value, env) if node.value is not None else UNKNOWN
            return self.assign(node.target, value, env) if node.value is not None else env
        if isinstance(node, cst.AugAssign):
            self.expr(node.value, env)
            return self.assign(node.target, UNKNOWN, env)
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _dotted(alias.name)
                if alias.asname is not None:
                    env = self.bind(alias.asname.name, _qualified(full), env)
                else:
                    root = full.split(".")[0]
                    env = self.bind(cst.Name(root), QualName(root), env)
            return env
        if isinstance(node, cst.ImportFrom):
            if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
                return env
            base = _dotted(node.module)
            for imported in node.names:
                name = _dotted(imported.name)
                bound = imported.asname.name if imported.asname is not None else cst.Name(name)
                if isinstance(bound, cst.BaseExpression):
                    env = self.bind(bound, _qualified(f"{base}.{name}"), env)
            return env
        if isinstance(node, cst.Return):
            returned = self.expr(node.value, env) if node.value is not None else Const(None)
            if self._frames:
                frame = self._frames[-1]
                frame.returns.append(returned)
                if frame.self_name is not None:
                    frame.exits.append(frame.self_bindings(env))
                if frame.watched:
                    frame.watched_exits.append({p: env.get(p, UNKNOWN) for p in frame.watched})
            return env
        if isinstance(node, cst.Expr):
            self.expr(node.value, env)
            return env
        if isinstance(node, cst.Del):
            return self.delete(node.target, env)
        for expression in _expressions(node):
            self.expr(expression, env)
        return env

    def assign(self, target: cst.CSTNode, value: AbstractValue, env: Env) -> Env:
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            items = (
                value.items
                if isinstance(value, Seq) and len(value.items) == len(elements)
                else None
            )
            for i, element in enumerate(elements):
                sub = (
                    items[i]
                    if items is not None and not isinstance(element, cst.StarredElement)
                    else UNKNOWN
                )
                inner = element.value
                env = self.assign(inner, sub, env)
            return env
        if isinstance(target, (cst.Name, cst.Attribute)):
            return self.bind(target, value, env)
        if isinstance(target, cst.Subscript):
            # An item written in place (or deleted): the container is no longer known.
            self.expr(target.value, env)
            key = _key(target.value)
            if key is not None and key in env:
                env[key] = UNKNOWN
            return env
        if isinstance(target, cst.StarredElement):
            return self.assign(target.value, UNKNOWN, env)
        return env

    def set_item(
        self,
        target: cst.Subscript,
        statement: cst.CSTNode,
        value_node: cst.BaseExpression,
        value: AbstractValue,
        env: Env,
    ) -> Env:
        """``feed["b"] = value`` adds a known key to a known dict; anything else forgets it."""
        setting = self._environ_setting(target, env)
        if setting is not None:  # os.environ["TFHUB_CACHE_DIR"] = ...: where hub caches
            text = isinstance(value, Const) and isinstance(value.value, str)
            env[setting] = value if text else UNKNOWN
            return env
        known = self._dict_item(target, env)
        if known is None:
            return self.assign(target, UNKNOWN, env)
        name, item, kept = known
        env[name] = DictLit((*kept, (item, value, statement, value_node)))
        return env

    def _environ_setting(self, target: cst.Subscript, env: Env) -> str | None:
        """The env key for ``os.environ[NAME]`` when NAME is a hub or kagglehub setting."""
        if self.expr(target.value, env) != QualName("os.environ"):
            return None
        index = self.index(target.slice, env)
        if isinstance(index, Const) and index.value in HUB_SETTINGS:
            return f"{_ENVIRON}{index.value}"
        return None

    def _dict_item(
        self, target: cst.Subscript, env: Env
    ) -> (
        tuple[str, str, tuple[tuple[str, AbstractValue, cst.CSTNode, cst.BaseExpression], ...]]
        | None
    ):
        """For ``name["key"]`` on a dict whose keys are known: the env name, the key, and the
        dict's other items; None otherwise."""
        name = _key(target.value)
        current = env.get(name) if name is not None else None
        index = self.index(target.slice, env)
        if (
            name is None
            or not isinstance(current, DictLit)
            or current.items is None
            or not isinstance(index, Const)
            or not isinstance(index.value, str)
        ):
            return None
        return name, index.value, tuple(i for i in current.items if i[0] != index.value)

    def delete(self, target: cst.BaseExpression, env: Env) -> Env:
        """``del feed["b"]`` removes a known key; other deletions forget the target."""
        if isinstance(target, cst.Subscript):
            known = self._dict_item(target, env)
            if known is not None:
                env[known[0]] = DictLit(known[2])
                return env
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                env = self.delete(element.value, env)
            return env
        return self.assign(target, UNKNOWN, env)

    def bind(self, target: cst.BaseExpression, value: AbstractValue, env: Env) -> Env:
        key = _key(target)
        if key is None:
            return env
        # In place: the walk threads one env through straight-line code and copies it only
        # at branches (copying on every assignment made long modules quadratic).
        if key in self._attribute_bases:
            for stale in [k for k in env if k.startswith(key + ".")]:
                del env[stale]
        if "." in key:
            self._attribute_bases.add(key.split(".", 1)[0])
        env[key] = value
        return env

    def class_def(self, node: cst.ClassDef, env: Env) -> AbstractValue:
        """Analyse a class body; a plain module-level class becomes a ClassValue."""
        for decorator in node.decorators:
            self.expr(decorator.decorator, env)
        methods = [s for s in _body(node.body) if isinstance(s, cst.FunctionDef)]
        # Attributes set outside __init__ may change at any time: only __init__'s count.
        elsewhere: set[str] = set()
        for method in methods:
            if method.name.value != "__init__":
                elsewhere |= _self_attributes(method)
        attributes: dict[str, AbstractValue] = {}
        for method in methods:
            if method.name.value == "__init__" and _self_name(method) is not None:
                local = {
                    k: v for k, v in env.items() if k not in self._globals_assigned_in_functions
                }
                frame = functions.Frame(method, dict(local), self_name=_self_name(method))
                self._frames.append(frame)
                for param in _params(method.params):
                    local[param] = UNKNOWN
                end = self.block(_body(method.body), local)
                self._frames.pop()
                falls, self._ended = not self._ended, False
                for attr, value in frame.self_attributes(end, falls).items():
                    if attr not in elsewhere:
                        # A list or dict attribute may be filled by any method later.
                        attributes[attr] = UNKNOWN if _mutable(value) else value
        for method in methods:
            if method.name.value == "__init__":
                continue
            me = _self_name(method)
            extra = {f"{me}.{attr}": value for attr, value in attributes.items()} if me else {}
            self._deferred.append((method, env, extra))
        for statement in _body(node.body):
            if not isinstance(statement, cst.FunctionDef):
                self.statement(statement, dict(env))
        if not _plain_class(node, methods) or self._frames:
            # Decorators, base classes, metaclasses, properties and attribute hooks may
            # change what an instance holds; nested classes stay unknown too.
            return UNKNOWN
        name = node.name.value
        followed = tuple(
            (m.name.value, value)
            for m in methods
            if not m.decorators
            and _self_name(m) is not None
            and isinstance(
                value := self.function_value(m, f"{name}.{m.name.value}", env),
                functions.FunctionValue,
            )
        )
        value = functions.ClassValue(
            node, name, followed, tuple(attributes.items()), frozenset(elsewhere)
        )
        return self._reuse.same_value(value) if self._reuse is not None else value

    def _attributes_assigned_elsewhere(self) -> set[str] | None:
        """Attribute names assigned anywhere but on ``self`` in an ``__init__``: an instance
        passed around may have them changed (all of them, where ``setattr`` is used)."""
        if self._recording is not None:
            self._recording.impure = True  # read from the whole module: not recorded
        if self._outside_init is None:
            self._outside_init = (_outside_init_attributes(self.module),)
        return self._outside_init[0]

    def function_value(
        self, node: cst.FunctionDef | cst.Lambda, name: str, env: Env
    ) -> AbstractValue:
        """A function the interpreter can follow into; UNKNOWN for what it cannot (nested,
        decorated, async or generator functions)."""
        closure = None
        if self._frames:
            if not isinstance(node, cst.Lambda):
                return UNKNOWN
            closure = env
        if isinstance(node, cst.FunctionDef) and (node.decorators or node.asynchronous):
            return UNKNOWN
        defaults = tuple(
            (param, functions.stable_default(self.expr(default, env)))
            for param, default in functions.default_nodes(node.params)
        )
        if closure is not None:
            return functions.FunctionValue(node, name, defaults, closure, self._frames[-1].globals)
        value = functions.FunctionValue(node, name, defaults)
        # The same definition as in the previous text: the same value (values of functions
        # compare by identity), so what reads it can be replayed.
        return self._reuse.same_value(value) if self._reuse is not None else value

    # ----------------------------------------------------------- expressions
    def expr(self, node: cst.BaseExpression | None, env: Env) -> AbstractValue:
        if node is None:
            return UNKNOWN
        try:
            value = self._expr(node, env)
        except RecursionError:
            return UNKNOWN
        # Folded text stays small: paths and keys are short, and `s = s + s` repeated
        # would otherwise grow exponentially.
        if isinstance(value, Const) and isinstance(value.value, (str, bytes)):
            return value if len(value.value) <= MAX_FOLDED else UNKNOWN
        if isinstance(value, PathValue) and len(value.path) > MAX_FOLDED:
            return UNKNOWN
        return value

    def _expr(self, node: cst.BaseExpression, env: Env) -> AbstractValue:
        if isinstance(node, cst.Name):
            return self.name(node, env)
        if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)):
            try:
                # int()/float() read every Python literal of their kind alike, without the
                # compile() of libcst's evaluated_value (most of a long module's walk).
                if isinstance(node, cst.Integer):
                    return Const(int(node.value, 0))
                if isinstance(node, cst.Float):
                    return Const(float(node.value))
                return Const(node.evaluated_value)
            except (ValueError, SyntaxError):
                return UNKNOWN
        if isinstance(node, cst.Ellipsis):
            return Const(...)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            try:
                literal = node.evaluated_value
            except Exception:  # libcst raises various errors for odd literals
                return UNKNOWN
            return UNKNOWN if literal is None else Const(literal)
        if isinstance(node, cst.FormattedString):
            return self.fstring(node, env)
        if isinstance(node, cst.Attribute):
            return self.attribute(node, env)
        if isinstance(node, cst.Call):
            return self.call(node, env)
        if isinstance(node, cst.Subscript):
            return self.subscript(node, env)
        if isinstance(node, (cst.Tuple, cst.List)):
            items = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    self.expr(element.value, env)
                    return UNKNOWN
                items.append(self.expr(element.value, env))
            return Seq(tuple(items), is_tuple=isinstance(node, cst.Tuple))
        if isinstance(node, cst.Dict):
            return self.dict_literal(node, env)
        if isinstance(node, cst.UnaryOperation):
            operand = self.expr(node.expression, env)
            if (
                isinstance(node.operator, cst.Minus)
                and isinstance(operand, Const)
                and isinstance(operand.value, (int, float))
                and not isinstance(operand.value, bool)
            ):
                return Const(-operand.value)
            if isinstance(node.operator, cst.Plus) and isinstance(operand, Const):
                return operand
            if isinstance(node.operator, cst.Not) and _truth(operand) is not None:
                return Const(not _truth(operand))
            if (
                isinstance(node.operator, cst.Minus)
                and isinstance(operand, Array)
                and operand.value.kind in (Kind.NDARRAY, Kind.TENSOR)
                and operand.value.dtype not in (None, "bool")
            ):
                return Array(Value(operand.value.kind, operand.value.dtype, operand.value.shape))
            return UNKNOWN
        if isinstance(node, cst.BinaryOperation):
            return self.binary(node, env)
        if isinstance(node, cst.Lambda):
            if not self._contextual:
                self._deferred.append((node, dict(env), {}))
            return self.function_value(node, "<lambda>", env)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self.comprehension(node, env)
        if isinstance(node, cst.Comparison):
            return self.comparison(node, env)
        if isinstance(node, cst.IfExp):
            truth = _truth(self.expr(node.test, env)) if not self._rebound(node.test) else None
            if truth is not None:
                return self.expr(node.body if truth else node.orelse, env)
            return join(self.expr(node.body, env), self.expr(node.orelse, env))
        if isinstance(node, cst.NamedExpr):
            value = self.expr(node.value, env)
            return value
        for expression in _expressions(node):
            self.expr(expression, env)
        return UNKNOWN

    def name(self, node: cst.Name, env: Env) -> AbstractValue:
        if node.value in env:
            value = env[node.value]
            if _mutable(value):
                # A list or dict some function changes in place (``g["x"] = ...`` on a
                # global): its contents are not known after any call.
                if self._mutated_in_functions is None:
                    self._mutated_in_functions = _mutated_in_functions(self.module)
                if node.value in self._mutated_in_functions:
                    return UNKNOWN
            return value
        if node.value in _KEYWORD_CONSTANTS:
            return Const(_KEYWORD_CONSTANTS[node.value])
        if node.value in _BUILTINS:
            # Imports and assignments are all in env, so an unbound builtin name is the builtin.
            return QualName(f"builtins.{node.value}")
        # Every import and assignment is in env, except what a star import brings in: only
        # then is libcst's scope analysis asked (measured: it costs several times the rest of
        # the analysis of a file).
        if not self._star_import:
            return UNKNOWN
        if self._qualnames is None:
            self._qualnames = self._wrapper.resolve(QualifiedNameProvider)
        found = self._qualnames.get(node)
        # QualifiedNameProvider resolves lazily in recent libcst releases.
        for qualified in (found() if callable(found) else found) or ():
            if qualified.source is QualifiedNameSource.BUILTIN:
                return QualName(
                    qualified.name
                    if qualified.name.startswith("builtins.")
                    else f"builtins.{qualified.name}"
                )
            if qualified.source is QualifiedNameSource.IMPORT:
                return _qualified(qualified.name)
        return UNKNOWN

    def attribute(self, node: cst.Attribute, env: Env) -> AbstractValue:
        key = _key(node)
        if key is not None and key in env:
            return env[key]
        base = self.expr(node.value, env)
        attr = node.attr.value
        if isinstance(base, QualName):
            return _qualified(f"{base.name}.{attr}")
        if isinstance(base, ModelRef) and attr == "signatures":
            return SignaturesRef(base.load_id)
        if isinstance(base, Array):
            return arrays.array_attribute(base.value, attr)
        if isinstance(base, PathValue):
            return paths.path_attribute(base, attr)
        if isinstance(base, functions.InstanceValue) and attr not in base.cls.unstable:
            return base.attribute(attr)
        return self.derive.attribute(base, attr)

    def fstring(self, node: cst.FormattedString, env: Env) -> AbstractValue:
        parts: list[str] = []
        known = True
        fresh: FreshPath | None = None
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
                continue
            if not isinstance(part, cst.FormattedStringExpression):
                return UNKNOWN
            value = self.expr(part.expression, env)
            if isinstance(value, FreshPath) and not parts and fresh is None:
                fresh = value  # f"{folder}/model": below a fresh folder
                continue
            text = paths.as_text(value)
            if text is None or part.format_spec is not None or part.conversion not in (None, "s"):
                known = False
            else:
                parts.append(text)
        if fresh is not None:
            text = "".join(parts)
            if not known or text[:1] not in ("/", ""):
                return UNKNOWN
            return paths.below(fresh, [Const(text[1:])] if text else [])
        return Const("".join(parts)) if known else UNKNOWN

    def binary(self, node: cst.BinaryOperation, env: Env) -> AbstractValue:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if isinstance(node.operator, cst.Divide) and isinstance(left, PathValue):
            text = paths.as_text(right)
            return PathValue(str(PurePosixPath(left.path) / text)) if text is not None else UNKNOWN
        if isinstance(node.operator, cst.Divide) and isinstance(left, FreshPath):
            return paths.below(left, [right])
        if (
            isinstance(node.operator, cst.Add)
            and isinstance(left, Const)
            and isinstance(right, Const)
        ):
            try:
                return Const(left.value + right.value)  # type: ignore[operator]
            except TypeError:
                return UNKNOWN
        if (
            isinstance(node.operator, (cst.Subtract, cst.Multiply))
            and _number(left)
            and _number(right)
            and isinstance(left, Const)
            and isinstance(right, Const)
        ):
            # ``n - 1`` in a recursion's base case; numbers stay small (no ``x = x * x``
            # growing without bound).
            try:
                number = (
                    left.value - right.value  # type: ignore[operator]
                    if isinstance(node.operator, cst.Subtract)
                    else left.value * right.value  # type: ignore[operator]
                )
            except TypeError:
                return UNKNOWN
            return Const(number) if abs(number) < 2**63 else UNKNOWN
        operator = _OPERATORS.get(type(node.operator))
        if operator is not None and (isinstance(left, Array) or isinstance(right, Array)):
            return arith.binary(operator, left, right)
        return UNKNOWN

    def comparison(self, node: cst.Comparison, env: Env) -> AbstractValue:
        """``a == b``, ``x is None`` and the like where both sides are known."""
        left = self.expr(node.left, env)
        rights = [self.expr(c.comparator, env) for c in node.comparisons]
        if len(rights) != 1:
            return UNKNOWN
        operator, right = node.comparisons[0].operator, rights[0]
        if isinstance(operator, (cst.Is, cst.IsNot)) and Const(None) in (left, right):
            other = right if left == Const(None) else left
            if isinstance(other, Const):
                same = other.value is None
            elif isinstance(other, _NEVER_NONE):
                same = False
            else:
                return UNKNOWN
            return Const(same if isinstance(operator, cst.Is) else not same)
        compare = _COMPARISONS.get(type(operator))
        if (
            compare is None
            or not (isinstance(left, Const) and isinstance(right, Const))
            or not (_number(left) and _number(right))
        ):
            # Strings stay out: a folded path (``__file__``, ``abspath``) is only as exact
            # as model resolution needs.
            return UNKNOWN
        try:
            return Const(bool(compare(left.value, right.value)))
        except TypeError:
            return UNKNOWN

    def dict_literal(self, node: cst.Dict, env: Env) -> AbstractValue:
        items: list[tuple[str, AbstractValue, cst.CSTNode, cst.BaseExpression]] | None = []
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                self.expr(element.value, env)
                items = None
                continue
            key = self.expr(element.key, env)
            value = self.expr(element.value, env)
            if items is not None and isinstance(key, Const) and isinstance(key.value, str):
                items.append((key.value, value, element, element.value))
            else:
                items = None
        return DictLit(tuple(items) if items is not None else None)

    def comprehension(
        self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp, env: Env
    ) -> AbstractValue:
        local = dict(env)
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            self.expr(clause.iter, local)
            for name in _target_names(clause.target):
                local[name] = UNKNOWN
            for condition in clause.ifs:
                self.expr(condition.test, local)
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            self.expr(node.key, local)
            self.expr(node.value, local)
        else:
            self.expr(node.elt, local)
        return UNKNOWN

    def subscript(self, node: cst.Subscript, env: Env) -> AbstractValue:
        base = self.expr(node.value, env)
        index = self.index(node.slice, env)
        if isinstance(base, SignaturesRef):
            return self.lookup(
                base.load_id, index, node.slice[0].slice if len(node.slice) == 1 else node
            )
        if isinstance(base, CallResult):
            if isinstance(index, Const) and isinstance(index.value, str):
                self._output(
                    base.call_id, OutputAccess(index.value, self.span(node.slice[0].slice))
                )
            return Array(Value(Kind.TENSOR))
        if isinstance(base, Array):
            return arrays.subscript(base.value, index)
        if isinstance(base, Seq) and isinstance(index, Const) and isinstance(index.value, int):
            try:
                return base.items[index.value]
            except IndexError:
                return UNKNOWN
        if isinstance(base, DictLit) and base.items is not None and isinstance(index, Const):
            for key, value, _, _ in base.items:
                if key == index.value:
                    return value
        return UNKNOWN

    def index(self, elements: Sequence[cst.SubscriptElement], env: Env) -> AbstractValue:
        values: list[AbstractValue] = []
        for element in elements:
            part = element.slice
            if isinstance(part, cst.Index):
                values.append(self.expr(part.value, env))
            elif isinstance(part, cst.Slice):
                bounds = [
                    self.expr(b, env) if b is not None else Const(None)
                    for b in (part.lower, part.upper, part.step)
                ]
                ints = [
                    b.value
                    if isinstance(b, Const) and (b.value is None or isinstance(b.value, int))
                    else "?"
                    for b in bounds
                ]
                known = "?" not in ints
                lower, upper, step = (i if isinstance(i, int) else None for i in ints)
                values.append(arrays.SliceValue(lower, upper, step, known))
        if len(values) == 1 and not isinstance(elements[0].comma, cst.Comma):
            return values[0]
        return Seq(tuple(values), is_tuple=True)

    def _output(self, call_id: int, access: OutputAccess) -> None:
        self.outputs.setdefault(call_id, []).append(access)
        if self._recording is not None:
            self._recording.outputs.append((call_id, access))

    def lookup(self, load_id: int, key: AbstractValue, key_node: cst.CSTNode) -> AbstractValue:
        if not (isinstance(key, Const) and isinstance(key.value, str)):
            return UNKNOWN
        self.lookups.append(SignatureLookup(load_id, key.value, self.span(key_node)))
        return SignatureFn(load_id, key.value)

    # ----------------------------------------------------------------- calls
    def call(self, node: cst.Call, env: Env) -> AbstractValue:
        receiver: AbstractValue | None = None
        if isinstance(node.func, cst.Attribute) and _key(node.func) not in env:
            receiver = self.expr(node.func.value, env)
            func: AbstractValue = (
                _qualified(f"{receiver.name}.{node.func.attr.value}")
                if isinstance(receiver, QualName)
                else UNKNOWN
            )
        else:
            func = self.expr(node.func, env)
        args, opaque = self.arguments(node.args, env)
        if isinstance(node.func, cst.Attribute) and _mutates(receiver, node.func.attr.value):
            # feed.update(...), rows.append(...): the container changed in place.
            key = _key(node.func.value)
            if key is not None and key in env:
                env[key] = UNKNOWN
        derived = self.derive.call(node, func, receiver, args, env)
        if derived is not None:
            return derived
        written: set[str] = set()
        if isinstance(func, functions.FunctionValue):
            result, _, changed = self.invoke(func, args, opaque, env, self.span(node))
            written = self._write_back(node, func, changed, env)
        else:
            result = self.dispatch(node, func, receiver, args, opaque, env)
        if not _pure(func):
            # fill(feed): a list or dict passed to a function may come back changed.
            for arg in node.args:
                key = _key(arg.value) if not arg.star else None
                if key is not None and key not in written and _mutable(env.get(key)):
                    env[key] = UNKNOWN
        return result

    def _write_back(
        self,
        node: cst.Call,
        function: functions.FunctionValue,
        changed: dict[str, AbstractValue],
        env: Env,
    ) -> set[str]:
        """A list or dict the analysed function changed in place holds, for the caller,
        what it held at the function's end; the names so updated."""
        if not changed or any(arg.star for arg in node.args):
            return set()
        params = function.node.params
        positional = [p.name.value for p in (*params.posonly_params, *params.params)]
        keys = [_key(arg.value) for arg in node.args]
        written: set[str] = set()
        for index, (arg, key) in enumerate(zip(node.args, keys, strict=True)):
            if key is None or keys.count(key) > 1 or not _mutable(env.get(key)):
                continue
            param = arg.keyword.value if arg.keyword is not None else None
            if param is None and index < len(positional):
                param = positional[index]
            if param is not None and param in changed:
                env[key] = changed[param]
                written.add(key)
        return written

    def dispatch(
        self,
        node: cst.Call,
        func: AbstractValue,
        receiver: AbstractValue | None,
        args: CallArgs,
        opaque: bool,
        env: Env,
    ) -> AbstractValue:
        """What calling *func* (or a method of *receiver*) returns."""
        if isinstance(func, SignatureFn):
            return self.signature_call(node, func, env, opaque)
        if isinstance(func, functions.ClassValue):
            return self.construct(func, args, opaque, env, self.span(node))
        if isinstance(func, ModelRef) and self._loader(func.load_id) in HUB_LOADERS:
            # hub.load(h)(x): the restored object's own __call__
            return self.signature_call(node, SignatureFn(func.load_id, CALL_KEY), env, opaque)
        if isinstance(func, QualName):
            self._call_env = env  # the settings a load sees (os.environ set by the program)
            return self.known_function(node, func.name, args)
        if isinstance(func, DType):  # np.float32(1.5), np.dtype("float32")
            return arrays.dtype_call(func.name, args)
        if receiver is not None and isinstance(node.func, cst.Attribute):
            if isinstance(receiver, functions.InstanceValue):
                return self.instance_method(node, receiver, args, opaque, env)
            if isinstance(receiver, datasets.DatasetValue):
                return datasets.method(
                    receiver,
                    node.func.attr.value,
                    args,
                    lambda f, items: self.call_value(f, items, env, self.span(node)),
                )
            return self.method(node, receiver, node.func.attr.value, args)
        return UNKNOWN

    def _loader(self, load_id: int) -> str:
        loader = self.loads[load_id].loader
        if self._recording is not None:
            self._recording.loaders.append((load_id, loader))
        return loader

    # ------------------------------------------------- values through functions
    def call_value(
        self, func: AbstractValue, positional: list[AbstractValue], env: Env, span: Span
    ) -> AbstractValue:
        """Call a user function value with positional arguments (``dataset.map(f)``)."""
        if not isinstance(func, functions.FunctionValue):
            return UNKNOWN
        return self.invoke(func, CallArgs(list(positional)), False, env, span)[0]

    def instance_method(
        self,
        node: cst.Call,
        instance: functions.InstanceValue,
        args: CallArgs,
        opaque: bool,
        env: Env,
    ) -> AbstractValue:
        assert isinstance(node.func, cst.Attribute)
        name = node.func.attr.value
        if name in instance.cls.unstable or any(k == name for k, _ in instance.attributes):
            # An instance attribute shadows the method of the same name.
            value = instance.attribute(name) if name not in instance.cls.unstable else UNKNOWN
            if isinstance(value, SignatureFn):
                return self.signature_call(node, value, env, opaque)
            if isinstance(value, functions.FunctionValue):
                return self.invoke(value, args, opaque, env, self.span(node))[0]
            return UNKNOWN
        method = instance.cls.method(name)
        if method is None:
            return UNKNOWN
        # Attributes assigned from outside (``p.fn = other``) override the constructor's.
        key = _key(node.func.value)
        if key is not None and key in self._attribute_bases:
            overrides = {
                k.split(".", 1)[1]: v
                for k, v in env.items()
                if k.startswith(key + ".") and k.count(".") == 1
            }
            if overrides:
                merged = {**dict(instance.attributes), **overrides}
                instance = functions.InstanceValue(instance.cls, tuple(merged.items()))
        return self.invoke(method, args, opaque, env, self.span(node), bound_self=instance)[0]

    def construct(
        self, cls: functions.ClassValue, args: CallArgs, opaque: bool, env: Env, span: Span
    ) -> AbstractValue:
        """``Predictor(infer)``: an instance with what ``__init__`` assigns for these
        arguments (or, past a limit, what it assigns whatever the arguments)."""
        outside = self._attributes_assigned_elsewhere()
        if outside is None:
            return UNKNOWN
        blank = functions.InstanceValue(
            cls, tuple((k, v) for k, v in cls.attributes if k not in outside)
        )
        init = cls.method("__init__")
        if init is None:
            return blank
        _, attributes, _ = self.invoke(
            init, args, opaque, env, span, bound_self=blank, name=cls.name
        )
        if attributes is None:
            return blank
        kept = {
            k: UNKNOWN if _mutable(v) else v
            for k, v in attributes
            if k not in cls.unstable and k not in outside
        }
        return functions.InstanceValue(cls, tuple(kept.items()))

    def invoke(
        self,
        function: functions.FunctionValue,
        args: CallArgs,
        opaque: bool,
        env: Env,
        span: Span,
        bound_self: functions.InstanceValue | None = None,
        name: str | None = None,
    ) -> tuple[
        AbstractValue, tuple[tuple[str, AbstractValue], ...] | None, dict[str, AbstractValue]
    ]:
        """Analyse *function*'s body under these arguments: its return value, for a method
        the attributes of ``self`` at its end (None when it was not analysed), and what the
        parameters holding a caller's list or dict hold at its end."""
        node = function.node
        if (
            # recursion: a few levels (base cases fold), then unknown
            sum(frame.function is node for frame in self._frames) >= functions.MAX_RECURSION
            or (isinstance(node, cst.FunctionDef) and self._generator(node))
            or self._contextual >= functions.MAX_DEPTH
            or self._context_statements > functions.MAX_CONTEXT_STATEMENTS
        ):
            if self._recording is not None:
                self._recording.limited(self._context_statements)
            return UNKNOWN, None, {}
        if bound_self is not None:
            args = CallArgs([bound_self, *args.positional], dict(args.keywords))
        params = functions.bind_arguments(function, args, opaque)
        if params is None:
            return UNKNOWN, None, {}
        me = (
            _self_name(node)
            if bound_self is not None and isinstance(node, cst.FunctionDef)
            else None
        )
        extras = (
            {f"{me}.{attr}": value for attr, value in bound_self.attributes}
            if me is not None and bound_self is not None
            else {}
        )
        if function.closure is not None:
            scope, module_globals = function.closure, function.module_globals or {}
        else:
            module_globals = self._frames[-1].globals if self._frames else env
            scope = module_globals
        key: object = None
        read = self._globals_read(function, scope)
        if functions.small((params, extras, read), 1024):
            try:
                key = (function, tuple(params.items()), tuple(extras.items()), read)
                hash(key)
            except TypeError:
                key = None
        recording = self._recording  # what follows reads and changes state shared by analyses
        if key is not None and key in self._memo:
            if recording is not None:
                recording.memo.setdefault(key, self._memo[key])
            return self._memo[key]
        if recording is not None and key is not None:
            recording.memo.setdefault(key, None)
        contexts = self._contexts.get(id(node), 0)
        if contexts >= functions.MAX_CONTEXTS_PER_FUNCTION:
            if recording is not None:
                recording.impure = True
            return UNKNOWN, None, {}
        if recording is not None:
            recording.contexts.setdefault(id(node), (node, contexts))
            if function.closure is None:
                recording.scoped = True
        self._contexts[id(node)] = contexts + 1
        outer = self._frames[-1].sites if self._frames else ()
        site = functions.call_site(name or function.name, span, args)
        # Copying a large scope costs like analysing statements: it counts against the budget.
        self._context_statements += len(scope) // 100
        local = {k: v for k, v in scope.items() if k not in self._globals_assigned_in_functions}
        local.update(params)
        local.update(extras)
        watched = (
            tuple(
                p
                for p, v in params.items()
                if _mutable(v) and functions.only_changed_in_place(node, p)
            )
            if isinstance(node, cst.FunctionDef)
            else ()
        )
        frame = functions.Frame(node, module_globals, (*outer, site), self_name=me, watched=watched)
        self._frames.append(frame)
        self._contextual += 1
        try:
            if isinstance(node, cst.Lambda):
                self._context_statements += 1
                frame.returns.append(self.expr(node.body, local))
                end = local
            else:
                end = self.block(_body(node.body), local)
                falls = not self._ended
                if falls:
                    frame.returns.append(Const(None))
        finally:
            self._contextual -= 1
            self._frames.pop()
            self._ended = False
        returned = frame.returns[0] if frame.returns else UNKNOWN
        for other in frame.returns[1:]:
            returned = join(returned, other)
        falls = isinstance(node, cst.Lambda) or falls
        result = (
            returned,
            tuple(frame.self_attributes(end, falls).items()),
            frame.watched_after(end, falls),
        )
        if key is not None:
            self._memo[key] = result
            if self._recording is not None:
                self._recording.memo_added.append((key, result))
        return result

    def _generator(self, node: cst.FunctionDef) -> bool:
        """A generator function's body runs lazily: calling it runs nothing here."""
        return "yield" in self._identifiers_of(node)

    def _identifiers_of(self, node: functions.FunctionNode) -> frozenset[str]:
        idents = self._identifiers.get(id(node))
        if idents is None:
            idents = functions.identifiers(self.text(node))
            self._identifiers[id(node)] = idents
        return idents

    def _globals_read(
        self, function: functions.FunctionValue, scope: Env
    ) -> tuple[tuple[str, AbstractValue], ...]:
        """The values of every global *function* (and the functions it can reach) may read:
        two calls with equal arguments and equal such globals analyse alike."""
        names: set[str] = set()
        todo = [function]
        seen: set[int] = set()
        while todo:
            current = todo.pop()
            if id(current.node) in seen:
                continue
            seen.add(id(current.node))
            for ident in self._identifiers_of(current.node) - names:
                names.add(ident)
                value = scope.get(ident)
                if isinstance(value, functions.FunctionValue):
                    todo.append(value)
                elif isinstance(value, functions.InstanceValue):
                    todo.extend(m for _, m in value.cls.methods)
                elif isinstance(value, functions.ClassValue):
                    todo.extend(m for _, m in value.methods)
        read = {n: scope[n] for n in names if n in scope}
        for base in names & self._attribute_bases:  # ``holder.fn`` reads ``holder`` and ``fn``
            for attr in names:
                if f"{base}.{attr}" in scope:
                    read[f"{base}.{attr}"] = scope[f"{base}.{attr}"]
        return functions.snapshot_key(read)

    def arguments(self, nodes: Sequence[cst.Arg], env: Env) -> tuple[CallArgs, bool]:
        args = CallArgs()
        opaque = False
        for arg in nodes:
            value = self.expr(arg.value, env)
            if arg.star == "*":
                opaque = True
            elif arg.star == "**":
                if isinstance(value, DictLit) and value.items is not None:
                    for key, item, _, _ in value.items:
                        args.keywords[key] = item
                else:
                    opaque = True
            elif arg.keyword is not None:
                args.keywords[arg.keyword.value] = value
            else:
                args.positional.append(value)
        return args, opaque

    def known_function(self, node: cst.Call, name: str, args: CallArgs) -> AbstractValue:
        if name in MODEL_LOADERS:
            return self.model_load(node, MODEL_LOADERS[name], args)
        if name in TFSM_LAYERS:
            ref = self.model_load(node, "TFSMLayer", args, path_keyword="filepath")
            assert isinstance(ref, ModelRef)
            endpoint = (
                args.get(1, "call_endpoint") if args.has(1, "call_endpoint") else Const("serve")
            )
            if isinstance(endpoint, Const) and isinstance(endpoint.value, str):
                key_node = _argument_node(node, 1, "call_endpoint") or node
                self.lookups.append(
                    SignatureLookup(ref.load_id, endpoint.value, self.span(key_node))
                )
                return SignatureFn(ref.load_id, endpoint.value, layer=True)
            return UNKNOWN
        if name in HUB_LAYERS:
            return self.hub_layer(node, args)
        if name in HANDLE_FUNCTIONS:
            return _handle(HANDLE_FUNCTIONS[name], args)
        if name == "builtins.len" and len(args.positional) == 1:
            sized = args.positional[0]
            if isinstance(sized, Seq):
                return Const(len(sized.items))
            if isinstance(sized, DictLit) and sized.items is not None:
                return Const(len(sized.items))
            return UNKNOWN
        if name in ("builtins.iter", "builtins.next") and args.positional:
            step = (
                datasets.iterate(args.positional[0])
                if name == "builtins.iter"
                else datasets.element_of(args.positional[0])
            )
            return step if step is not None else UNKNOWN
        handler = arrays.FUNCTIONS.get(name) or datasets.FUNCTIONS.get(name)
        if handler is not None:
            try:
                return handler(args)
            except (TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError):
                return UNKNOWN
        return paths.call(name, args)

    def method(
        self, node: cst.Call, receiver: AbstractValue, name: str, args: CallArgs
    ) -> AbstractValue:
        if isinstance(receiver, SignaturesRef) and name == "get":
            key_node = _argument_node(node, 0, "key") or node
            return self.lookup(receiver.load_id, args.get(0, "key"), key_node)
        if isinstance(receiver, Array):
            try:
                return arrays.array_method(receiver.value, name, args)
            except (TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError):
                return UNKNOWN
        if isinstance(receiver, Generator):
            return arrays.generator_method(name, args)
        return paths.method(receiver, name, args)

    def model_load(
        self, node: cst.Call, loader: str, args: CallArgs, path_keyword: str = "export_dir"
    ) -> AbstractValue:
        keyword = {"keras.load_model": "filepath", "hub.load": "handle"}.get(loader, path_keyword)
        path_node = _argument_node(node, 0, keyword)
        value = args.get(0, keyword)
        tags_value = args.get(1, "tags") if loader == "saved_model.load" else UNKNOWN
        path = paths.as_text(value)
        if isinstance(value, Handle):  # load(hub.resolve(h)), load(kagglehub.model_download(h))
            loader, path = value.via, value.handle
        tags: tuple[str, ...] | None = None
        if isinstance(tags_value, Seq) and all(
            isinstance(t, Const) and isinstance(t.value, str) for t in tags_value.items
        ):
            tags = tuple(str(t.value) for t in tags_value.items if isinstance(t, Const))
        elif isinstance(tags_value, Const) and isinstance(tags_value.value, str):
            tags = (tags_value.value,)
        settings = tuple(
            (key[len(_ENVIRON) :], _text_or_none(value))
            for key, value in sorted(self._call_env.items())
            if key.startswith(_ENVIRON) and loader in HUB_LOADERS
        )
        load = ModelLoad(
            id=len(self.loads),
            span=self.span(path_node if path_node is not None else node),
            expr=self.text(path_node) if path_node is not None else "",
            path=path,
            literal=isinstance(path_node, (cst.SimpleString, cst.ConcatenatedString)),
            loader=loader,
            tags=tags,
            saved_by=self.derive.saved_by(value),
            environ=settings,
        )
        # A body analysed again (a method, once per calling context) loads the same model
        # from the same place: one load, not one per analysis.
        key = replace(load, id=0)
        known = self._load_ids.get(key)
        if known is not None:
            return ModelRef(known)
        self._load_ids[key] = load.id
        self.loads.append(load)
        return ModelRef(load.id)

    def hub_layer(self, node: cst.Call, args: CallArgs) -> AbstractValue:
        """``hub.KerasLayer(h, signature=..., output_key=... | signature_outputs_as_dict=True)``:
        a load, and a callable signature when the layer calls one (without ``signature=`` it
        calls the model's ``__call__``, which signature_def does not describe)."""
        ref = self.model_load(node, "hub.load", args)
        assert isinstance(ref, ModelRef)
        signature = args.get(None, "signature")
        if args.has(None, "dtype") and args.get(None, "dtype") != DType("float32"):
            return UNKNOWN  # Keras casts float inputs to the layer's dtype: float32 by default
        plain = not any(
            args.has(None, k) for k in ("signature", "output_key", "signature_outputs_as_dict")
        )
        if plain and len(args.positional) <= 1 and not args.has(None, "arguments"):
            # The model's own __call__ (the reader knows it for one-tensor functions).
            return SignatureFn(ref.load_id, CALL_KEY, True, True)
        if not (isinstance(signature, Const) and isinstance(signature.value, str)):
            return UNKNOWN
        key_node = _argument_node(node, -1, "signature") or node
        self.lookups.append(SignatureLookup(ref.load_id, signature.value, self.span(key_node)))
        if len(args.positional) > 1 or args.get(None, "arguments") not in (UNKNOWN, Const(None)):
            return UNKNOWN  # extra keyword arguments for the signature: not modelled
        key, as_dict = (
            _keyword_constant(args, "output_key"),
            _keyword_constant(args, "signature_outputs_as_dict"),
        )
        # TensorFlow demands exactly one of them (ValueError otherwise).
        if as_dict in (None, False) and isinstance(key, str):
            return SignatureFn(ref.load_id, signature.value, True, True, key)
        if as_dict is True and key is None:
            return SignatureFn(ref.load_id, signature.value, True, True)
        return UNKNOWN

    def hub_layer_arguments(self, node: cst.Call, env: Env) -> list[Argument] | None:
        """A hub.KerasLayer call's input: one value (``training=`` aside), or one dict whose
        items the layer passes to the signature by name. None for any other call."""
        args = [a for a in node.args if not (a.keyword and a.keyword.value == "training")]
        if len(args) != 1 or args[0].star or args[0].keyword is not None:
            return None
        value = self.expr(args[0].value, env)
        if not isinstance(value, DictLit):
            return list(self.argument_facts(args[0], env))
        if value.items is None:
            return None
        return [
            Argument(
                name=key,
                value=as_argument(item),
                span=self.span(entry),
                value_span=self.span(value_node),
                value_text=self.text(value_node),
                from_dict=True,
            )
            for key, item, entry, value_node in value.items
        ]

    def signature_call(
        self, node: cst.Call, func: SignatureFn, env: Env, opaque: bool
    ) -> AbstractValue:
        call_id = id(node)
        hub_arguments = self.hub_layer_arguments(node, env) if func.hub_layer else None
        if func.hub_layer and hub_arguments is None:
            return UNKNOWN
        if self._contextual:
            self.context_call(node, func, env, opaque, hub_arguments)
        elif call_id in self._seen_calls:
            if self._recording is not None:
                self._recording.impure = True  # met before: what it depends on is not recorded
        else:
            self._seen_calls.add(call_id)
            arguments: list[Argument] = hub_arguments or []
            if not func.hub_layer:
                for arg in node.args:
                    arguments.extend(self.argument_facts(arg, env))
            if func.output_key is not None:
                # The layer returns result[output_key] (ValueError when it is not an output).
                self._output(call_id, OutputAccess(func.output_key, self.span(node)))
            self.calls[call_id] = SignatureCall(
                id=call_id,
                load_id=func.load_id,
                key=func.key,
                span=self.span(node),
                func_span=self.span(node.func),
                arguments=tuple(arguments),
                opaque_arguments=opaque,
                layer=func.layer,
                tf_alias=_alias_of(env, "tensorflow"),
                hub_layer=func.hub_layer,
            )
        if func.output_key is not None:
            return Array(Value(Kind.TENSOR))
        if func.key == CALL_KEY:
            return UNKNOWN  # what __call__ returns is not in the SavedModel's signatures
        return CallResult(call_id)

    def context_call(
        self,
        node: cst.Call,
        func: SignatureFn,
        env: Env,
        opaque: bool,
        hub_arguments: list[Argument] | None = None,
    ) -> None:
        """A signature call inside a function analysed under one caller's arguments."""
        sites: tuple[CallSite, ...] = self._frames[-1].sites
        arguments: list[Argument] = list(hub_arguments or [])
        if not func.hub_layer:
            for arg in node.args:
                arguments.extend(self.argument_facts(arg, env))
        call = SignatureCall(
            id=id(node),
            load_id=func.load_id,
            key=func.key,
            span=self.span(node),
            func_span=self.span(node.func),
            arguments=tuple(arguments),
            opaque_arguments=opaque,
            layer=func.layer,
            context=sites,
            hub_layer=func.hub_layer,
        )
        # One call per distinct set of facts: the first caller that leads to them is named.
        bucket = self.context_calls.setdefault(id(node), [])
        if self._recording is not None:
            self._recording.buckets.setdefault(id(node), tuple(bucket))
        known = (call.load_id, call.key, call.opaque_arguments, call.arguments)
        if len(bucket) < functions.MAX_CONTEXT_CALLS_PER_SITE and not any(
            (c.load_id, c.key, c.opaque_arguments, c.arguments) == known for c in bucket
        ):
            bucket.append(call)
            if self._recording is not None:
                self._recording.context_calls.append((id(node), call))

    def argument_facts(self, arg: cst.Arg, env: Env) -> Iterable[Argument]:
        if arg.star == "*":
            return []
        value = self.expr(arg.value, env)
        if arg.star == "**":
            if not (isinstance(value, DictLit) and value.items is not None):
                return []
            facts = []
            for key, item, entry, value_node in value.items:
                facts.append(
                    Argument(
                        name=key,
                        value=as_argument(item),
                        span=self.span(entry),
                        value_span=self.span(value_node),
                        value_text=self.text(value_node),
                        keyword_span=None,
                        from_dict=True,
                    )
                )
            return facts
        return [
            Argument(
                name=arg.keyword.value if arg.keyword is not None else None,
                value=as_argument(value),
                span=self.span(arg) if arg.keyword is not None else self.span(arg.value),
                value_span=self.span(arg.value),
                value_text=self.text(arg.value),
                keyword_span=self.span(arg.keyword) if arg.keyword is not None else None,
            )
        ]


# --------------------------------------------------------------------- helpers
def _body(node: cst.BaseSuite | cst.CSTNode) -> Sequence[cst.CSTNode]:
    if isinstance(node, cst.IndentedBlock):
        return node.body
    if isinstance(node, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=node.body)]
    return []


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _key(node: cst.BaseExpression) -> str | None:
    """The env key for a name or a ``name.attr`` target."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return f"{node.value.value}.{node.attr.value}"
    return None


def _merge(envs: list[Env]) -> Env:
    # Branches mostly leave a name's value as it was: the very same object, whose join with
    # itself is itself. Finding the names that differ runs in C (map, compress): an env
    # holds every module-level name, and this was most of the interpreter's time.
    keys = list(set().union(*envs))
    merged: Env = dict(zip(keys, map(envs[0].get, keys, repeat(UNKNOWN)), strict=True))
    for env in envs[1:]:
        current = list(map(merged.__getitem__, keys))
        others = list(map(env.get, keys, repeat(UNKNOWN)))
        for key, other in compress(zip(keys, others, strict=True), map(is_not, current, others)):
            merged[key] = join(merged[key], other)
    return merged


def _under(key: str, names: set[str]) -> bool:
    return "." in key and key.split(".", 1)[0] in names


def _params(params: cst.Parameters) -> list[str]:
    out = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    if isinstance(params.star_arg, cst.Param):
        out.append(params.star_arg.name.value)
    if params.star_kwarg is not None:
        out.append(params.star_kwarg.name.value)
    return out


def _self_name(method: cst.FunctionDef) -> str | None:
    params = [*method.params.posonly_params, *method.params.params]
    if not params:
        return None
    for decorator in method.decorators:
        if (
            isinstance(decorator.decorator, cst.Name)
            and decorator.decorator.value == "staticmethod"
        ):
            return None
    return params[0].name.value


_PURE_BUILTIN_NAMES = (
    "len print isinstance str int float bool tuple list dict set frozenset sorted range "
    "enumerate zip iter next repr type id hash abs min max sum any all getattr hasattr round"
)
_PURE_BUILTINS = frozenset(f"builtins.{name}" for name in _PURE_BUILTIN_NAMES.split(" "))


def _pure(func: AbstractValue) -> bool:
    """Calls known not to change their arguments in place."""
    if isinstance(func, (SignatureFn, DType)):
        return True
    if isinstance(func, QualName):
        return (
            func.name in _PURE_BUILTINS
            or func.name in arrays.FUNCTIONS
            or func.name in datasets.FUNCTIONS
            or func.name in MODEL_LOADERS
        )
    return False


def _mutable(value: AbstractValue | None) -> bool:
    return isinstance(value, DictLit) or (isinstance(value, Seq) and not value.is_tuple)


def _mutated_in_functions(module: cst.Module) -> set[str]:
    """Names a function changes in place without binding them itself: ``g["x"] = ...``,
    ``del g["x"]``, ``g.append(...)`` on a global or a name of an enclosing function."""
    return set().union(*map(_mutated_in_statement, module.body))


def _mutated_in_statement(statement: cst.CSTNode) -> set[str]:
    """``_mutated_in_functions`` for one module-level statement."""
    names: set[str] = set()

    def changed(statement: cst.CSTNode, found: set[str]) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets: list[cst.CSTNode] = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, (cst.AugAssign, cst.Del)):
                    targets = [small.target]
                for target in targets:
                    for part in (
                        target.elements if isinstance(target, (cst.Tuple, cst.List)) else [target]
                    ):
                        inner = part.value if isinstance(part, cst.Element) else part
                        if isinstance(inner, cst.Subscript) and isinstance(inner.value, cst.Name):
                            found.add(inner.value.value)
                value = getattr(small, "value", None)
                if (
                    isinstance(value, cst.Call)
                    and isinstance(value.func, cst.Attribute)
                    and isinstance(value.func.value, cst.Name)
                    and value.func.attr.value not in _PURE_METHODS
                ):
                    found.add(value.func.value.value)
            return
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            visit(statement)
            return
        for child in _child_statements(statement):
            changed(child, found)

    def visit(node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef):
            found: set[str] = set()
            for statement in _body(node.body):
                changed(statement, found)
            local = (_assigned_names(node) | set(_params(node.params))) - _global_names(node)
            names.update(found - local)
        else:
            for inner in _body(getattr(node, "body", None) or cst.IndentedBlock(body=[])):
                nested(inner)

    def nested(statement: cst.CSTNode) -> None:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            visit(statement)
        else:
            for child in _child_statements(statement):
                if isinstance(child, (cst.FunctionDef, cst.ClassDef)):
                    visit(child)

    nested(statement)
    return names


def _star_import_in(statement: cst.CSTNode) -> bool:
    """``from m import *`` as a module-level statement."""
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(i, cst.ImportFrom) and isinstance(i.names, cst.ImportStar)
        for i in statement.body
    )


def _global_names(function: cst.FunctionDef) -> set[str]:
    found: set[str] = set()

    def walk(statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Global, cst.Nonlocal)):
                    found.update(item.name.value for item in small.names)
            return
        for child in _child_statements(statement):
            walk(child)

    for statement in _body(function.body):
        walk(statement)
    return found


_ATTRIBUTE_HOOKS = frozenset(
    {"__getattr__", "__getattribute__", "__setattr__", "__delattr__", "__new__", "__slots__"}
)


def _plain_class(node: cst.ClassDef, methods: list[cst.FunctionDef]) -> bool:
    """A class whose instances hold what ``__init__`` assigns: no decorators, no base
    class but ``object``, no metaclass, no decorated methods, no attribute hooks."""
    bases = [
        b for b in node.bases if not (isinstance(b.value, cst.Name) and b.value.value == "object")
    ]
    return (
        not node.decorators
        and not bases
        and not node.keywords
        and not any(m.decorators for m in methods)
        and not any(name in _ATTRIBUTE_HOOKS for name in _class_names(node))
    )


def _class_names(node: cst.ClassDef) -> set[str]:
    names = set()
    for statement in _body(node.body):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.add(statement.name.value)
        else:
            names |= _assigned_names(statement)
    return names


#: The nodes that bind a target, and the field holding it.
_BINDING_FIELD: dict[type[cst.CSTNode], str] = {
    cst.AssignTarget: "target",
    cst.AnnAssign: "target",
    cst.AugAssign: "target",
    cst.For: "target",
    cst.CompFor: "target",
    cst.AsName: "name",
    cst.Del: "target",
}


class _AttributeTargets(cst.CSTVisitor):
    """Every attribute assignment target in a module, and whether ``setattr`` appears."""

    def __init__(self) -> None:
        self.targets: list[cst.Attribute] = []
        self.dynamic = False

    def _add(self, target: cst.CSTNode) -> None:
        if isinstance(target, cst.Attribute):
            self.targets.append(target)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._add(element.value)
        elif isinstance(target, cst.StarredElement):
            self._add(target.value)

    def on_visit(self, node: cst.CSTNode) -> bool:
        field = _BINDING_FIELD.get(type(node))
        if field is not None:
            self._add(getattr(node, field))
        return super().on_visit(node)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in ("setattr", "delattr", "__dict__", "vars"):
            self.dynamic = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "__dict__":
            self.dynamic = True


def _outside_init_attributes(module: cst.Module) -> set[str] | None:
    """Attribute names assigned other than on ``self`` in a module-level class's
    ``__init__``; None where ``setattr``/``__dict__`` may assign any attribute."""
    visitor = _AttributeTargets()
    module.visit(visitor)
    if visitor.dynamic:
        return None
    in_init: set[int] = set()
    for statement in module.body:
        if not isinstance(statement, cst.ClassDef):
            continue
        for method in _body(statement.body):
            if isinstance(method, cst.FunctionDef) and method.name.value == "__init__":
                me = _self_name(method)
                inner = _AttributeTargets()
                method.body.visit(inner)
                in_init.update(
                    id(t)
                    for t in inner.targets
                    if isinstance(t.value, cst.Name) and t.value.value == me
                )
    return {t.attr.value for t in visitor.targets if id(t) not in in_init}


def _self_attributes(method: cst.FunctionDef) -> set[str]:
    """The attributes a method assigns on its first parameter (``self.x = ...``)."""
    me = _self_name(method)
    found: set[str] = set()
    if me is None:
        return found
    for target in _assignment_targets(method):
        for key in _target_names(target):
            if key.startswith(f"{me}.") and key.count(".") == 1:
                found.add(key.split(".", 1)[1])
    return found


# Statement-level walks: assignments and ``global`` live in statements, so expressions need
# not be visited (libcst's visitor over whole subtrees was most of the analysis time).
def _child_statements(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in ("body", "orelse", "finalbody"):
        part = getattr(statement, name, None)
        if isinstance(part, cst.If):
            yield part
        elif part is not None and not isinstance(part, (list, tuple)):
            yield from _body(part.body if isinstance(part, (cst.Else, cst.Finally)) else part)
    for group in ("handlers", "cases"):
        for handler in getattr(statement, group, ()) or ():
            yield from _body(handler.body)


def _small_targets(small: cst.BaseSmallStatement, targets: list[cst.CSTNode]) -> None:
    if isinstance(small, cst.Assign):
        targets.extend(t.target for t in small.targets)
    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
        targets.append(small.target)
    elif isinstance(small, cst.Import):
        targets.extend(
            cst.Name(_dotted(a.name).split(".")[0]) if a.asname is None else a.asname.name
            for a in small.names
        )
    elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        targets.extend(
            cst.Name(_dotted(a.name)) if a.asname is None else a.asname.name for a in small.names
        )


def _assignment_targets(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Every target *node*'s statements assign (not those of nested functions/classes)."""
    targets: list[cst.CSTNode] = []

    def walk(statement: cst.CSTNode, top: bool) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                _small_targets(small, targets)
            return
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and not top:
            targets.append(statement.name)
            return
        if isinstance(statement, cst.For):
            targets.append(statement.target)
        elif isinstance(statement, cst.With):
            targets.extend(item.asname.name for item in statement.items if item.asname)
        for handler in getattr(statement, "handlers", ()) or ():
            if getattr(handler, "name", None) is not None:
                targets.append(handler.name.name)
        for child in _child_statements(statement):
            walk(child, False)

    walk(node, True)
    return targets


def _target_names(target: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    if isinstance(target, cst.Name):
        names.add(target.value)
    elif isinstance(target, cst.Attribute):
        key = _key(target)
        if key is not None:
            names.add(key)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            names |= _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        names |= _target_names(target.value)
    return names


def _assigned_names(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    for target in _assignment_targets(node):
        names |= _target_names(target)
    return names


def _global_declarations(module: cst.Module) -> set[str]:
    """Names declared ``global`` anywhere in the module."""
    return set().union(*map(_global_declarations_in, module.body))


def _global_declarations_in(statement: cst.CSTNode) -> set[str]:
    """``_global_declarations`` for one module-level statement."""
    names: set[str] = set()

    def walk(statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Global):
                    names.update(item.name.value for item in small.names)
            return
        for child in _child_statements(statement):
            walk(child)

    walk(statement)
    return names


def _expressions(node: cst.CSTNode) -> Iterable[cst.BaseExpression]:
    """The outermost expressions inside *node* (to find calls nested in anything)."""
    for child in node.children:
        if isinstance(child, cst.BaseExpression):
            yield child
        elif isinstance(child, (cst.BaseSuite, cst.BaseStatement)):
            continue
        else:
            yield from _expressions(child)


def _text_or_none(value: AbstractValue) -> str | None:
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def _keyword_constant(args: CallArgs, name: str) -> object:
    """A keyword argument's constant value: None when it is not passed, UNKNOWN when it is
    not a constant."""
    if not args.has(None, name):
        return None
    value = args.get(None, name)
    return value.value if isinstance(value, Const) else UNKNOWN


def _handle(via: str, args: CallArgs) -> AbstractValue:
    """``hub.resolve(h)`` / ``kagglehub.model_download(h)`` with a known handle: the folder
    the library returns for it (kagglehub's ``path=`` / ``output_dir=`` are not modelled)."""
    handle = args.get(0, "handle")
    if via == "kagglehub" and any(
        args.get(i, k) not in (UNKNOWN, Const(None)) for i, k in ((1, "path"), (None, "output_dir"))
    ):
        return UNKNOWN
    if isinstance(handle, Const) and isinstance(handle.value, str):
        return Handle(handle.value, via)
    return UNKNOWN


def _argument_node(node: cst.Call, index: int, keyword: str) -> cst.BaseExpression | None:
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if 0 <= index < len(positional):
        return positional[index].value
    return None


_ENDS = (cst.Return, cst.Raise, cst.Break, cst.Continue)

_COMPARISONS: dict[type[cst.BaseCompOp], Any] = {
    cst.Equal: lambda a, b: a == b,
    cst.NotEqual: lambda a, b: a != b,
    cst.LessThan: lambda a, b: a < b,
    cst.LessThanEqual: lambda a, b: a <= b,
    cst.GreaterThan: lambda a, b: a > b,
    cst.GreaterThanEqual: lambda a, b: a >= b,
}
#: Values that are never None.
_NEVER_NONE = (Array, Seq, DictLit, SignatureFn, ModelRef, PathValue)


def _number(value: AbstractValue) -> bool:
    return isinstance(value, Const) and (
        value.value is None or isinstance(value.value, (bool, int, float))
    )


def _truth(value: AbstractValue) -> bool | None:
    """The truth of a condition whose value is a known number, bool or None."""
    if _number(value):
        assert isinstance(value, Const)
        return bool(value.value)
    return None


_OPERATORS: dict[type[cst.BaseBinaryOp], str] = {
    cst.Add: "+",
    cst.Subtract: "-",
    cst.Multiply: "*",
    cst.Divide: "/",
}

_PURE_METHODS = frozenset({"get", "keys", "values", "items", "copy", "count", "index"})


def _mutates(receiver: AbstractValue | None, method: str) -> bool:
    if isinstance(receiver, DictLit) or (isinstance(receiver, Seq) and not receiver.is_tuple):
        return method not in _PURE_METHODS
    return False


def _alias_of(env: Env, module: str) -> str | None:
    for name, value in env.items():
        if value == QualName(module) and "." not in name:
            return name
    return None


def analyze_module(
    module: cst.Module,
    path: str | None,
    positions: Positions | None = None,
    reuse: FunctionReuse | None = None,
) -> FileFacts:
    """Every model load, signature lookup and signature call in *module* (*positions*:
    its nodes' positions, when the caller has them already; *reuse*: the function analyses
    of the same document's previous text, offered for the functions that did not change)."""
    facts = Interpreter(module, path, positions, reuse).run()
    if reuse is not None and reuse.uncertain:  # near a limit: analysed again in full
        facts = Interpreter(module, path, positions).run()
    return facts
