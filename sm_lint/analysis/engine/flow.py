"""Statements: how Python code flows (blocks, branches, loops, try, with, definitions) and
how names are bound, with the branch merging of :class:`Binder`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import is_not
from typing import Any

import libcst as cst

from sm_lint.analysis import functions
from sm_lint.analysis.engine.calls import Calls
from sm_lint.analysis.engine.expressions import mutable, truth
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import (
    ATTRIBUTE_HOOKS,
    ENDS,
    assigned_names,
    class_names,
    dotted,
    env_key,
    expressions,
    param_names,
    rebound_names,
    self_attributes,
    self_name,
    statements_of,
    under,
)
from sm_lint.analysis.program import ModuleValue
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Const, DictLit, QualName, Seq, join


def merge(envs: list[Env]) -> Env:
    """The env after branches that end in *envs*: each name joined over them (a name
    missing from one branch is unknown)."""
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


class Binder:
    """The branches of one statement (as mypy's ``ConditionalTypeBinder.frame_context``):
    each runs from its own start, whether it ended (return, raise, break, continue) is
    taken from the engine and cleared, and their ends merge into the env after them."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.ends: list[Env] = []
        self.ended: list[bool] = []

    def branch(self, run: Callable[[], Env]) -> Env:
        """Run one branch; its end env (also kept for the merge)."""
        env = run()
        self.ends.append(env)
        self.ended.append(self.flow.ended)
        self.flow.ended = False
        return env

    def merge(self, *, all_end: bool = False) -> Env:
        """The merged env; with *all_end*, the statement ends when every branch did."""
        self.flow.ended = all_end and all(self.ended)
        return merge(self.ends)


class Flow(Calls):
    """The statement half of the walk."""

    def block(self, body: Sequence[cst.CSTNode], env: Env) -> Env:
        """*env* after the statements of *body* (what follows an ending statement is dead)."""
        for statement in body:
            env = self.statement(statement, env)
            if self.ended:  # after return/raise/break/continue: dead code
                break
        return env

    def statement(self, node: cst.CSTNode, env: Env) -> Env:
        """*env* after one statement, its facts recorded."""
        # The statement being analysed: positions asked for meanwhile lie in it, which
        # spares the lazy positions a search (the answers do not depend on it).
        outer, self._where = self._where, node
        if self.contextual:
            self.state.context_statements += 1
        env = _STATEMENTS.get(type(node), Flow.other_statement)(self, node, env)
        self._where = outer
        return env

    def simple_line(self, node: cst.SimpleStatementLine, env: Env) -> Env:
        for small in node.body:
            env = _SMALL.get(type(small), Flow.other_small)(self, small, env)
        # Inside a function, what follows a return or raise never runs (at module level a
        # notebook's later cells still do).
        if self.frames and any(isinstance(s, ENDS) for s in node.body):
            self.ended = True
        return env

    def if_statement(self, node: cst.If, env: Env) -> Env:
        known = truth(self.expr(node.test, env)) if not self.rebound(node.test) else None
        if known is not None:  # a known condition (``if flat:`` with flat=False)
            if known:
                return self.block(statements_of(node.body), env)
            if isinstance(node.orelse, cst.If):
                return self.statement(node.orelse, env)
            return self.block(statements_of(node.orelse.body), env) if node.orelse else env
        binder = Binder(self)
        binder.branch(lambda: self.block(statements_of(node.body), dict(env)))
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            binder.branch(lambda: self.statement(orelse, dict(env)))
        elif orelse is not None:
            binder.branch(lambda: self.block(statements_of(orelse.body), dict(env)))
        else:
            binder.branch(lambda: dict(env))
        return binder.merge(all_end=True)

    def else_clause(self, node: cst.Else, env: Env) -> Env:
        return self.block(statements_of(node.body), env)

    def loop(self, node: cst.For | cst.While, env: Env) -> Env:
        assigned = assigned_names(node)
        start = {k: v for k, v in env.items() if k not in assigned and not under(k, assigned)}
        body_start = dict(start)
        if isinstance(node, cst.For):
            element = self.hooks.element_of(self.expr(node.iter, env))
            if element is not None:  # every element of a dataset has its element spec
                body_start = self.assign(node.target, element, body_start)
        else:
            self.expr(node.test, start)
        binder = Binder(self)  # the body may not run at all: its end merges with the start
        after = binder.branch(lambda: self.block(statements_of(node.body), body_start))
        if node.orelse is not None:
            orelse, body_end = node.orelse, after
            after = binder.branch(lambda: self.block(statements_of(orelse.body), body_end))
        return merge([start, after])

    def with_statement(self, node: cst.With, env: Env) -> Env:
        for item in node.items:
            entered = self.hooks.entered(self.expr(item.item, env))
            if item.asname is not None:
                env = self.bind(item.asname.name, entered, env)
        env = self.block(statements_of(node.body), env)
        self.ended = False  # a context manager may swallow what ended the body
        return env

    def try_statement(self, node: cst.Try, env: Env) -> Env:
        binder = Binder(self)
        body_env = binder.branch(lambda: self.block(statements_of(node.body), dict(env)))
        for handler in node.handlers:
            start = merge([env, body_env])
            if handler.name is not None:
                start = self.bind(handler.name.name, UNKNOWN, start)
            binder.branch(lambda: self.block(statements_of(handler.body), start))  # noqa: B023
        if node.orelse is not None:
            orelse = node.orelse
            binder.ends[0] = self.block(statements_of(orelse.body), binder.ends[0])
            self.ended = False
        merged = binder.merge()
        if node.finalbody is not None:
            merged = self.block(statements_of(node.finalbody.body), merged)
            self.ended = False
        return merged

    def function_def(self, node: cst.FunctionDef, env: Env) -> Env:
        if self.contextual:  # the context-free analysis of the enclosing function has it
            return self.bind(cst.Name(node.name.value), UNKNOWN, env)
        decorators = [self.expr(d.decorator, env) for d in node.decorators]
        self.state.deferred.append((node, env, {}))
        defined = self.hooks.function_def(self, node, decorators, env)
        if defined == UNKNOWN:  # not a library's function: a function values flow through
            cached = (
                bool(node.decorators)
                and all(self.cache(d.decorator, env) for d in node.decorators)
                and not self.reads_rebound(node, env)
            )
            defined = self.function_value(node, node.name.value, env, decorated=cached)
        return self.bind(cst.Name(node.name.value), defined, env)

    def reads_rebound(self, node: cst.FunctionDef, env: Env) -> bool:
        """Whether *node* (or a function it reaches) reads a global the module binds more
        than once: a cached call would then keep what the first call's globals gave."""
        if self._rebound is None:
            self._rebound = rebound_names(self.module) | self.globals_assigned_in_functions
        todo: list[functions.FunctionNode] = [node]
        seen: set[int] = set()
        while todo:
            current = todo.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            names = self.identifiers_of(current)
            if names & self._rebound:
                return True
            todo.extend(
                value.node
                for name in names
                if isinstance(value := env.get(name), functions.FunctionValue)
            )
        return False

    def cache(self, decorator: cst.BaseExpression, env: Env) -> bool:
        """``@functools.cache``, ``@lru_cache``, ``@lru_cache(maxsize=None)``: a call returns
        what the function returns (the same object again, for the same arguments)."""
        if isinstance(decorator, cst.Call):
            if any(
                arg.star
                or (arg.keyword is not None and arg.keyword.value not in ("maxsize", "typed"))
                for arg in decorator.args
            ):
                return False
            value = self.expr(decorator.func, env)
            return isinstance(value, QualName) and value.name == "functools.lru_cache"
        value = self.expr(decorator, env)
        return isinstance(value, QualName) and value.name in (
            "functools.lru_cache",
            "functools.cache",
        )

    def class_statement(self, node: cst.ClassDef, env: Env) -> Env:
        if self.contextual:
            return self.bind(cst.Name(node.name.value), UNKNOWN, env)
        if self.state.recording is not None:
            self.state.recording.impure = True  # a library may keep the class: not replayed
        followed = self.class_def(node, env)
        if not isinstance(followed, functions.ClassValue):
            followed = self.hooks.class_value(self, node, env)
        return self.bind(cst.Name(node.name.value), followed, env)

    def other_statement(self, node: cst.CSTNode, env: Env) -> Env:
        # match statements and anything newer: walk what it contains, trust nothing after.
        for expression in expressions(node):
            self.expr(expression, env)
        return {k: v for k, v in env.items() if k not in assigned_names(node)}

    # ------------------------------------------------------ small statements
    def assign_statement(self, node: cst.Assign, env: Env) -> Env:
        value = self.expr(node.value, env)
        for target in node.targets:
            if isinstance(target.target, cst.Subscript):
                env = self.set_item(target.target, node, node.value, value, env)
            else:
                env = self.assign(target.target, value, env)
        return env

    def annotated(self, node: cst.AnnAssign, env: Env) -> Env:
        if node.value is None:
            return env
        return self.assign(node.target, self.expr(node.value, env), env)

    def augmented(self, node: cst.AugAssign, env: Env) -> Env:
        self.expr(node.value, env)
        return self.assign(node.target, UNKNOWN, env)

    def import_statement(self, node: cst.Import, env: Env) -> Env:
        for alias in node.names:
            full = dotted(alias.name)
            project = self.project_module(full if alias.asname is not None else full.split(".")[0])
            if project is not None:  # a module of the project (analysis/program.py)
                bound = (
                    alias.asname.name if alias.asname is not None else cst.Name(full.split(".")[0])
                )
                if isinstance(bound, cst.BaseExpression):
                    env = self.bind(bound, ModuleValue(str(project)), env)
                continue
            if alias.asname is not None:
                env = self.bind(alias.asname.name, self.hooks.qualify(full), env)
            else:
                root = full.split(".")[0]
                env = self.bind(cst.Name(root), QualName(root), env)
        return env

    def import_from(self, node: cst.ImportFrom, env: Env) -> Env:
        if isinstance(node.names, cst.ImportStar):
            return env
        module = dotted(node.module) if node.module is not None else ""
        project = self.project_module(module, len(node.relative))
        if project is not None and self.program is not None:  # a module of the project
            for imported in node.names:
                name = dotted(imported.name)
                bound = imported.asname.name if imported.asname is not None else cst.Name(name)
                if isinstance(bound, cst.BaseExpression):
                    value = self.program.member(self, str(project), name)
                    env = self.bind(bound, value, env)
            return env
        if node.relative or node.module is None:
            # a relative import outside the project's files: its names are unknown
            for imported in node.names:
                local = imported.asname.name if imported.asname is not None else imported.name
                if isinstance(local, cst.Name):
                    env = self.bind(local, UNKNOWN, env)
            return env
        base = dotted(node.module)
        for imported in node.names:
            name = dotted(imported.name)
            bound = imported.asname.name if imported.asname is not None else cst.Name(name)
            if isinstance(bound, cst.BaseExpression):
                env = self.bind(bound, self.hooks.qualify(f"{base}.{name}"), env)
        return env

    def project_module(self, module: str, level: int = 0) -> Any:
        """The project file (or namespace folder) an import names, if it is one."""
        if self.program is None or self.path is None:
            return None
        try:
            return self.program.resolve(self.path, module, level)
        except (OSError, ValueError):
            return None

    def return_statement(self, node: cst.Return, env: Env) -> Env:
        returned = self.expr(node.value, env) if node.value is not None else Const(None)
        if self.frames:
            frame = self.frames[-1]
            frame.returns.append(returned)
            if frame.self_name is not None:
                frame.exits.append(frame.self_bindings(env))
            if frame.watched:
                frame.watched_exits.append({p: env.get(p, UNKNOWN) for p in frame.watched})
        return env

    def expression_statement(self, node: cst.Expr, env: Env) -> Env:
        self.expr(node.value, env)
        return env

    def delete_statement(self, node: cst.Del, env: Env) -> Env:
        return self.delete(node.target, env)

    def other_small(self, node: cst.BaseSmallStatement, env: Env) -> Env:
        for expression in expressions(node):
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
        if isinstance(target, (cst.Attribute, cst.Subscript)):
            for store in self.hooks.stores:
                store(self, target, value, env)
        if isinstance(target, (cst.Name, cst.Attribute)):
            return self.bind(target, value, env)
        if isinstance(target, cst.Subscript):
            # An item written in place (or deleted): the container is no longer known.
            self.expr(target.value, env)
            key = env_key(target.value)
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
        for store in self.hooks.stores:
            store(self, target, value, env)
        # A setting a library reads (os.environ["TFHUB_CACHE_DIR"] = ...: where hub caches).
        setting = self.hooks.setting(self, self.expr(target.value, env), target, env)
        if setting is not None:
            text = isinstance(value, Const) and isinstance(value.value, str)
            env[setting] = value if text else UNKNOWN
            return env
        known = self._dict_item(target, env)
        if known is None:
            return self.assign(target, UNKNOWN, env)
        name, item, kept = known
        env[name] = DictLit((*kept, (item, value, statement, value_node)))
        return env

    def _dict_item(
        self, target: cst.Subscript, env: Env
    ) -> (
        tuple[str, str, tuple[tuple[str, AbstractValue, cst.CSTNode, cst.BaseExpression], ...]]
        | None
    ):
        """For ``name["key"]`` on a dict whose keys are known: the env name, the key, and the
        dict's other items; None otherwise."""
        name = env_key(target.value)
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
        key = env_key(target)
        if key is None:
            return env
        # In place: the walk threads one env through straight-line code and copies it only
        # at branches (copying on every assignment made long modules quadratic).
        if key in self.state.attribute_bases:
            for stale in [k for k in env if k.startswith(key + ".")]:
                del env[stale]
        if "." in key:
            self.state.attribute_bases.add(key.split(".", 1)[0])
        env[key] = value
        return env

    def class_def(self, node: cst.ClassDef, env: Env) -> AbstractValue:
        """Analyse a class body; a plain module-level class becomes a ClassValue."""
        for decorator in node.decorators:
            self.expr(decorator.decorator, env)
        methods = [s for s in statements_of(node.body) if isinstance(s, cst.FunctionDef)]
        # Attributes set outside __init__ may change at any time: only __init__'s count.
        elsewhere: set[str] = set()
        for method in methods:
            if method.name.value != "__init__":
                elsewhere |= self_attributes(method)
        attributes: dict[str, AbstractValue] = {}
        for method in methods:
            if method.name.value == "__init__" and self_name(method) is not None:
                local = {
                    k: v for k, v in env.items() if k not in self.globals_assigned_in_functions
                }
                frame = functions.Frame(method, dict(local), self_name=self_name(method))
                self.frames.append(frame)
                for param in param_names(method.params):
                    local[param] = UNKNOWN
                end = self.block(statements_of(method.body), local)
                self.frames.pop()
                falls, self.ended = not self.ended, False
                for attr, value in frame.self_attributes(end, falls).items():
                    if attr not in elsewhere:
                        # A list or dict attribute may be filled by any method later.
                        attributes[attr] = UNKNOWN if mutable(value) else value
        for method in methods:
            if method.name.value == "__init__":
                continue
            # A static or class method's first parameter is no instance.
            me = self_name(method) if all(map(_property, method.decorators)) else None
            extra = {f"{me}.{attr}": value for attr, value in attributes.items()} if me else {}
            self.state.deferred.append((method, env, extra))
        for statement in statements_of(node.body):
            if not isinstance(statement, cst.FunctionDef):
                self.statement(statement, dict(env))
        if self.frames or any(name in ATTRIBUTE_HOOKS for name in class_names(node)):
            # Attribute hooks may change what an instance holds; nested classes stay
            # unknown too.
            return UNKNOWN
        shape = self.class_shape(node, env, methods)
        if shape is None:
            return UNKNOWN
        base, fields = shape
        groups = self.class_functions(node, env, methods)
        if groups is None:
            return UNKNOWN
        own = {m.name.value for m in methods}
        if base is not None:
            inherited = (base.methods, base.properties, base.statics, base.classmethods)
            groups = tuple(
                (*((k, f) for k, f in group if k not in own), *mine)
                for group, mine in zip(inherited, groups, strict=True)
            )
            if not any(m.name.value == "__init__" for m in methods):
                attributes = dict(base.attributes)
            elsewhere |= base.unstable
        value = functions.ClassValue(
            node,
            node.name.value,
            groups[0],
            tuple(attributes.items()),
            frozenset(elsewhere),
            properties=groups[1],
            statics=groups[2],
            classmethods=groups[3],
            base=base,
            fields=fields,
        )
        value = self.reuse.same_value(value) if self.reuse is not None else value
        for method in methods:  # ``super()`` in these methods reaches ``value.base``
            self.owners[id(method)] = value
        return value

    def class_shape(
        self, node: cst.ClassDef, env: Env, methods: list[cst.FunctionDef]
    ) -> (
        tuple[functions.ClassValue | None, tuple[tuple[str, AbstractValue | None], ...] | None]
        | None
    ):
        """(the followed base class, the fields of a dataclass or NamedTuple) of a class
        whose instances the interpreter can follow; None for any other class (decorators,
        metaclasses, other bases may change what an instance holds)."""
        if node.keywords or len(node.bases) > 1:
            return None
        base = self.expr(node.bases[0].value, env) if node.bases else None
        record = isinstance(base, QualName) and base.name == "typing.NamedTuple"
        if node.decorators:
            if base is not None or len(node.decorators) > 1:
                return None
            record = self.plain_dataclass(node.decorators[0].decorator, env)
            if not record:
                return None
        if base is not None and not record:
            if isinstance(base, QualName) and base.name == "builtins.object":
                base = None
            elif not isinstance(base, functions.ClassValue) or base.fields is not None:
                return None
        if not record:
            return (base if isinstance(base, functions.ClassValue) else None), None
        generated = {"__init__", "__new__", "__post_init__"}
        if any(m.name.value in generated for m in methods):
            return None
        fields = self.record_fields(node, env)
        return None if fields is None else (None, fields)

    def plain_dataclass(self, decorator: cst.BaseExpression, env: Env) -> bool:
        """``@dataclass`` / ``@dataclass(frozen=True, ...)``: a generated ``__init__`` taking
        every field by position or keyword (not ``init=False`` nor ``kw_only``)."""
        if isinstance(decorator, cst.Call):
            if any(
                arg.keyword is None or arg.keyword.value not in _DATACLASS_OPTIONS
                for arg in decorator.args
            ):
                return False
            decorator = decorator.func
        value = self.expr(decorator, env)
        return isinstance(value, QualName) and value.name == "dataclasses.dataclass"

    def record_fields(
        self, node: cst.ClassDef, env: Env
    ) -> tuple[tuple[str, AbstractValue | None], ...] | None:
        """The annotated fields of a dataclass or NamedTuple body, with their defaults
        (None for a field without one); None when one is not plain (``field(init=False)``,
        ``InitVar``, ``KW_ONLY``)."""
        fields: dict[str, AbstractValue | None] = {}
        for statement in statements_of(node.body):
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.AnnAssign):
                    continue
                annotation = self.text(small.annotation.annotation)
                if "ClassVar" in annotation:
                    continue  # a class attribute, not a field
                if "InitVar" in annotation or "KW_ONLY" in annotation:
                    return None
                if not isinstance(small.target, cst.Name):
                    return None
                default: AbstractValue | None = None
                if small.value is not None:
                    default = self.field_default(small.value, env)
                    if default is None:
                        return None
                fields.pop(small.target.value, None)
                fields[small.target.value] = default
        return tuple(fields.items())

    def field_default(self, node: cst.BaseExpression, env: Env) -> AbstractValue | None:
        """A field's default as the generated ``__init__`` uses it; None for a field the
        ``__init__`` does not take."""
        if isinstance(node, cst.Call):
            func = self.expr(node.func, env)
            if isinstance(func, QualName) and func.name == "dataclasses.field":
                for arg in node.args:
                    if arg.keyword is None or arg.keyword.value in ("init", "kw_only"):
                        return None
                    if arg.keyword.value == "default":
                        return functions.stable_default(self.expr(arg.value, env))
                return UNKNOWN  # default_factory: a value made at each call
        return functions.stable_default(self.expr(node, env))

    def class_functions(
        self, node: cst.ClassDef, env: Env, methods: list[cst.FunctionDef]
    ) -> tuple[tuple[tuple[str, functions.FunctionValue], ...], ...] | None:
        """(methods, properties, static methods, class methods) defined in the class body
        (the last definition of a name wins); None when a decorator is another one."""
        kinds: dict[str, tuple[int, functions.FunctionValue]] = {}
        name = node.name.value
        for method in methods:
            kind = 0
            if method.decorators:
                if len(method.decorators) > 1:
                    return None
                decorator = self.expr(method.decorators[0].decorator, env)
                if not isinstance(decorator, QualName) or decorator.name not in _METHOD_KINDS:
                    return None
                kind = _METHOD_KINDS[decorator.name]
            value = self.function_value(
                method, f"{name}.{method.name.value}", env, decorated=kind != 0
            )
            kinds.pop(method.name.value, None)
            takes_first = kind == 2 or self_name(method) is not None
            if isinstance(value, functions.FunctionValue) and takes_first:
                kinds[method.name.value] = (kind, value)
        for statement in statements_of(node.body):
            if not isinstance(statement, cst.FunctionDef):
                for assigned in assigned_names(statement):  # ``predict = other`` in the body
                    kinds.pop(assigned, None)
        return tuple(
            tuple((k, f) for k, (kind, f) in kinds.items() if kind == group) for group in range(4)
        )


def _property(decorator: cst.Decorator) -> bool:
    return isinstance(decorator.decorator, cst.Name) and decorator.decorator.value == "property"


#: Decorators of a method the interpreter follows: (methods), properties, static, class.
_METHOD_KINDS = {"builtins.property": 1, "builtins.staticmethod": 2, "builtins.classmethod": 3}
#: Options of ``@dataclass(...)`` that leave the generated ``__init__`` as it is.
_DATACLASS_OPTIONS = frozenset({"frozen", "eq", "order", "repr", "unsafe_hash", "slots"})


_STATEMENTS: dict[type[cst.CSTNode], Callable[[Flow, Any, Env], Env]] = {
    cst.SimpleStatementLine: Flow.simple_line,
    cst.If: Flow.if_statement,
    cst.Else: Flow.else_clause,
    cst.For: Flow.loop,
    cst.While: Flow.loop,
    cst.With: Flow.with_statement,
    cst.Try: Flow.try_statement,
    cst.FunctionDef: Flow.function_def,
    cst.ClassDef: Flow.class_statement,
}
_SMALL: dict[type[cst.CSTNode], Callable[[Flow, Any, Env], Env]] = {
    cst.Assign: Flow.assign_statement,
    cst.AnnAssign: Flow.annotated,
    cst.AugAssign: Flow.augmented,
    cst.Import: Flow.import_statement,
    cst.ImportFrom: Flow.import_from,
    cst.Return: Flow.return_statement,
    cst.Expr: Flow.expression_statement,
    cst.Del: Flow.delete_statement,
}
