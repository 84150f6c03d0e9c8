"""Calls: into user functions and classes (invoke, construct, methods, write-back, the
limits of analysis/functions.py), and to everything else through the library hooks."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from sm_lint.analysis import functions
from sm_lint.analysis.engine.expressions import Expressions, mutable
from sm_lint.analysis.engine.hooks import by_type
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import (
    PURE_METHODS,
    env_key,
    outside_init_attributes,
    self_name,
    statements_of,
)
from sm_lint.analysis.facts import Span
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.program import (
    ForeignClass,
    ForeignFunction,
    ForeignInstance,
    ModuleValue,
)
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Const, DictLit, QualName, Seq, join

_PURE_BUILTIN_NAMES = (
    "len print isinstance str int float bool tuple list dict set frozenset sorted range "
    "enumerate zip iter next repr type id hash abs min max sum any all getattr hasattr round"
)
_PURE_BUILTINS = frozenset(f"builtins.{name}" for name in _PURE_BUILTIN_NAMES.split(" "))


def _mutates(receiver: AbstractValue | None, method: str) -> bool:
    if isinstance(receiver, DictLit) or (isinstance(receiver, Seq) and not receiver.is_tuple):
        return method not in PURE_METHODS
    return False


#: How many functions a call's memo key may follow (see Calls.globals_read).
REACH_LIMIT = 256


class Calls(Expressions):
    """Calls, and the analysis of user functions under their callers' arguments."""

    def call(self, node: cst.Call, env: Env) -> AbstractValue:
        receiver: AbstractValue | None = None
        if isinstance(node.func, cst.Attribute) and env_key(node.func) not in env:
            receiver = self.expr(node.func.value, env)
            func: AbstractValue = (
                self.hooks.qualify(f"{receiver.name}.{node.func.attr.value}")
                if isinstance(receiver, QualName)
                else UNKNOWN
            )
            if isinstance(receiver, ModuleValue) and self.program is not None:
                func = self.program.member(self, receiver.path, node.func.attr.value)
            elif isinstance(receiver, functions.ClassValue):
                func = receiver.member(node.func.attr.value)
        else:
            func = self.expr(node.func, env)
        args, opaque = self.arguments(node.args, env)
        if isinstance(func, QualName) and func.name == "builtins.super" and not node.args:
            return self.super_value(env)
        if isinstance(func, QualName) and func.name == "functools.partial":
            return self.partial(args, opaque)
        if isinstance(func, functions.Partial):
            return self.call_partial(node, func, args, opaque, env)
        if isinstance(receiver, functions.SuperValue):
            return self.super_call(node, receiver, args, opaque, env)
        if isinstance(receiver, (ForeignInstance, ForeignClass)) and self.program is not None:
            assert isinstance(node.func, cst.Attribute)
            return self.foreign_member_call(node, receiver, args, opaque, env)
        if isinstance(node.func, cst.Attribute) and _mutates(receiver, node.func.attr.value):
            # feed.update(...), rows.append(...): the container changed in place.
            key = env_key(node.func.value)
            if key is not None and key in env:
                env[key] = UNKNOWN
        for intercept in self.hooks.intercepts:  # saves and what they take (library/saves.py)
            derived = intercept(self, node, func, receiver, args, env)
            if derived is not None:
                return derived
        written: set[str] = set()
        if isinstance(func, functions.FunctionValue):
            result, _, changed = self.invoke(func, args, opaque, env, self.span(node))
            written = self.write_back(node, func, changed, env)
        elif isinstance(func, functions.BoundMethod):
            result = self.call_held(node, func, args, opaque, env)
        elif isinstance(func, ForeignFunction) and self.program is not None:
            result = self.program.call(self, func, args, opaque, self.span(node))
        elif isinstance(func, ForeignClass) and self.program is not None:
            result = self.program.construct(self, func, args, opaque, self.span(node))
        else:
            result = self.dispatch(node, func, receiver, args, opaque, env)
        if not self._pure(func):
            # fill(feed): a list or dict passed to a function may come back changed.
            for arg in node.args:
                key = env_key(arg.value) if not arg.star else None
                if key is not None and key not in written and mutable(env.get(key)):
                    env[key] = UNKNOWN
        return result

    def write_back(
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
        keys = [env_key(arg.value) for arg in node.args]
        written: set[str] = set()
        for index, (arg, key) in enumerate(zip(node.args, keys, strict=True)):
            if key is None or keys.count(key) > 1 or not mutable(env.get(key)):
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
        if isinstance(func, functions.ClassValue):
            return self.construct(func, args, opaque, env, self.span(node))
        if isinstance(func, QualName):
            hook = self.hooks.functions.get(func.name)
            if hook is not None:
                return hook(self, node, func.name, args, env)
            for fallback in self.hooks.function_fallbacks:
                return fallback(self, node, func.name, args, env)
            return UNKNOWN
        value_call = by_type(self.hooks.value_calls, func)
        if value_call is not None:
            result = value_call(self, node, func, args, opaque, env, False)
            if result is not None:
                return result
        if receiver is not None and isinstance(node.func, cst.Attribute):
            if isinstance(receiver, functions.InstanceValue):
                return self.instance_method(node, receiver, args, opaque, env)
            method = by_type(self.hooks.methods, receiver) or self.hooks.method_fallback
            return method(self, node, receiver, node.func.attr.value, args, env)
        return UNKNOWN

    def _pure(self, func: AbstractValue) -> bool:
        """Calls known not to change their arguments in place."""
        if isinstance(func, QualName) and func.name in _PURE_BUILTINS:
            return True
        return self.hooks.pure(func)

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
            return self.call_held(node, value, args, opaque, env)
        method = instance.cls.method(name)
        if method is None:
            held = instance.cls.member(name)
            getter = instance.cls.property(name)
            if getter is not None:  # ``p.fn(x=...)``: the property's value, called
                held = self.invoke(getter, CallArgs(), False, env, self.span(node), instance)[0]
            return self.call_held(node, held, args, opaque, env)
        # Attributes assigned from outside (``p.fn = other``) override the constructor's.
        key = env_key(node.func.value)
        if key is not None and key in self.state.attribute_bases:
            overrides = {
                k.split(".", 1)[1]: v
                for k, v in env.items()
                if k.startswith(key + ".") and k.count(".") == 1
            }
            if overrides:
                merged = {**dict(instance.attributes), **overrides}
                instance = functions.InstanceValue(instance.cls, tuple(merged.items()))
        return self.invoke(method, args, opaque, env, self.span(node), bound_self=instance)[0]

    def call_held(
        self, node: cst.Call, value: AbstractValue, args: CallArgs, opaque: bool, env: Env
    ) -> AbstractValue:
        """Call a value an instance or a class holds: a function, a class method, or a
        library's callable (a signature function)."""
        if isinstance(value, functions.BoundMethod):
            bound = CallArgs([value.first, *args.positional], dict(args.keywords))
            return self.invoke(value.function, bound, opaque, env, self.span(node))[0]
        if isinstance(value, functions.FunctionValue):
            return self.invoke(value, args, opaque, env, self.span(node))[0]
        value_call = by_type(self.hooks.value_calls, value)
        result = (
            value_call(self, node, value, args, opaque, env, True)
            if value_call is not None
            else None
        )
        return result if result is not None else UNKNOWN

    def foreign_member_call(
        self,
        node: cst.Call,
        receiver: ForeignInstance | ForeignClass,
        args: CallArgs,
        opaque: bool,
        env: Env,
    ) -> AbstractValue:
        """``p.predict(x)`` / ``p.fn(x=...)`` / ``Predictor.from_dir(path)`` with a class of
        another project module."""
        assert isinstance(node.func, cst.Attribute) and self.program is not None
        if not self.foreign_intact(node.func.value, receiver, env):
            return UNKNOWN
        name = node.func.attr.value
        span = self.span(node)
        result = self.program.call_method(self, receiver, name, args, opaque, span)
        if result is not None:
            return result
        held = self.program.attribute(self, receiver, name, span)
        return self.call_held(node, held, args, opaque, env)

    def foreign_intact(
        self, node: cst.BaseExpression, receiver: ForeignInstance | ForeignClass, env: Env
    ) -> bool:
        """Whether this module leaves another module's instance as that module built it: an
        attribute this module assigns (or ``setattr``) may have changed what its methods
        read."""
        if isinstance(receiver, ForeignClass):
            return True
        key = env_key(node)
        if key is not None and any(k.startswith(key + ".") for k in env):
            return False
        outside = self._attributes_assigned_elsewhere()
        return outside is not None and not any(
            k in outside for k, _ in receiver.instance.attributes
        )

    def partial(self, args: CallArgs, opaque: bool) -> AbstractValue:
        """``functools.partial(load_model, path)`` of a user function (or class method)."""
        followed = (functions.FunctionValue, ForeignFunction, functions.BoundMethod)
        if opaque or not args.positional or not isinstance(args.positional[0], followed):
            return UNKNOWN
        return functions.Partial(
            args.positional[0],
            tuple(map(functions.stable_default, args.positional[1:])),
            tuple((k, functions.stable_default(v)) for k, v in args.keywords.items()),
        )

    def call_partial(
        self, node: cst.Call, func: functions.Partial, args: CallArgs, opaque: bool, env: Env
    ) -> AbstractValue:
        merged = func.arguments(args)
        if isinstance(func.function, ForeignFunction) and self.program is not None:
            return self.program.call(self, func.function, merged, opaque, self.span(node))
        return self.call_held(node, func.function, merged, opaque, env)

    def super_value(self, env: Env) -> AbstractValue:
        """``super()`` in a method analysed with its instance, whose class has a followed
        base; unknown elsewhere."""
        frame = self.frames[-1] if self.frames else None
        if frame is None or frame.self_name is None:
            return UNKNOWN
        owner = self.owners.get(id(frame.function))
        if owner is None or owner.base is None:
            return UNKNOWN
        if not isinstance(env.get(frame.self_name), functions.InstanceValue):
            return UNKNOWN
        return functions.SuperValue(owner.base, frame.self_name)

    def super_call(
        self,
        node: cst.Call,
        receiver: functions.SuperValue,
        args: CallArgs,
        opaque: bool,
        env: Env,
    ) -> AbstractValue:
        """``super().__init__(path)``: the base's method run on the instance as it is now;
        the attributes it leaves become the instance's (all unknown when not followed)."""
        assert isinstance(node.func, cst.Attribute)
        me = receiver.self_name
        prefix = f"{me}."
        current = {
            k[len(prefix) :]: v
            for k, v in env.items()
            if k.startswith(prefix) and k.count(".") == 1
        }
        instance = env.get(me)
        method = receiver.base.method(node.func.attr.value)
        after = None
        result: AbstractValue = UNKNOWN
        if method is not None and isinstance(instance, functions.InstanceValue):
            bound = functions.InstanceValue(instance.cls, tuple(current.items()))
            result, after, _ = self.invoke(method, args, opaque, env, self.span(node), bound)
        for key in [k for k in env if k.startswith(prefix)]:
            del env[key]
        for attr, value in after or ():
            env[f"{prefix}{attr}"] = value
        self.state.attribute_bases.add(me)
        return result

    def construct(
        self, cls: functions.ClassValue, args: CallArgs, opaque: bool, env: Env, span: Span
    ) -> AbstractValue:
        """``Predictor(infer)``: an instance with what ``__init__`` assigns for these
        arguments (or, past a limit, what it assigns whatever the arguments); for a
        dataclass or NamedTuple, its fields as these arguments bind them."""
        outside = self._attributes_assigned_elsewhere()
        if outside is None:
            return UNKNOWN
        if cls.fields is not None:
            fields = None if opaque else functions.bind_fields(cls.fields, args)
            if fields is None:
                return UNKNOWN
            return functions.InstanceValue(
                cls,
                tuple(
                    (k, UNKNOWN if mutable(v) else v)
                    for k, v in fields.items()
                    if k not in cls.unstable and k not in outside
                ),
            )
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
            k: UNKNOWN if mutable(v) else v
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
            sum(frame.function is node for frame in self.frames) >= functions.MAX_RECURSION
            or (isinstance(node, cst.FunctionDef) and self.generator(node))
            or self.contextual >= functions.MAX_DEPTH
            or self.state.context_statements > functions.MAX_CONTEXT_STATEMENTS
        ):
            if self.state.recording is not None:
                self.state.recording.limited(self.state.context_statements)
            return UNKNOWN, None, {}
        if bound_self is not None:
            args = CallArgs([bound_self, *args.positional], dict(args.keywords))
        params = functions.bind_arguments(function, args, opaque)
        if params is None:
            return UNKNOWN, None, {}
        me = (
            self_name(node)
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
            module_globals = self.frames[-1].globals if self.frames else env
            scope = module_globals
        key: object = None
        read = self.globals_read(function, scope)
        if read is not None and functions.small((params, extras, read), 1024):
            try:
                key = (function, tuple(params.items()), tuple(extras.items()), read)
                hash(key)
            except TypeError:
                key = None
        recording = self.state.recording  # what follows reads and changes state shared by analyses
        if key is not None and key in self.state.memo:
            if recording is not None:
                recording.memo.setdefault(key, self.state.memo[key])
            return self.state.memo[key]
        if recording is not None and key is not None:
            recording.memo.setdefault(key, None)
        contexts = self.state.contexts.get(id(node), 0)
        if contexts >= functions.MAX_CONTEXTS_PER_FUNCTION:
            if recording is not None:
                recording.impure = True
            return UNKNOWN, None, {}
        if recording is not None:
            recording.contexts.setdefault(id(node), (node, contexts))
            if function.closure is None:
                recording.scoped = True
        self.state.contexts[id(node)] = contexts + 1
        outer = self.frames[-1].sites if self.frames else ()
        site = functions.call_site(name or function.name, span, args)
        # Copying a large scope costs like analysing statements: it counts against the budget.
        self.state.context_statements += len(scope) // 100
        local = {k: v for k, v in scope.items() if k not in self.globals_assigned_in_functions}
        local.update(params)
        local.update(extras)
        watched = (
            tuple(
                p
                for p, v in params.items()
                if mutable(v) and functions.only_changed_in_place(node, p)
            )
            if isinstance(node, cst.FunctionDef)
            else ()
        )
        frame = functions.Frame(node, module_globals, (*outer, site), self_name=me, watched=watched)
        self.frames.append(frame)
        self.contextual += 1
        try:
            if isinstance(node, cst.Lambda):
                self.state.context_statements += 1
                frame.returns.append(self.expr(node.body, local))
                end = local
            else:
                end = self.block(statements_of(node.body), local)
                falls = not self.ended
                if falls:
                    frame.returns.append(Const(None))
        finally:
            self.contextual -= 1
            self.frames.pop()
            self.ended = False
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
            self.state.memo[key] = result
            if self.state.recording is not None:
                self.state.recording.memo_added.append((key, result))
        return result

    def generator(self, node: cst.FunctionDef) -> bool:
        """A generator function's body runs lazily: calling it runs nothing here."""
        return "yield" in self.identifiers_of(node)

    def identifiers_of(self, node: functions.FunctionNode) -> frozenset[str]:
        idents = self._identifiers.get(id(node))
        if idents is None:
            idents = functions.identifiers(self.text(node))
            self._identifiers[id(node)] = idents
        return idents

    def globals_read(
        self, function: functions.FunctionValue, scope: Env
    ) -> tuple[tuple[str, AbstractValue], ...] | None:
        """The values of every global *function* (and the functions it can reach) may read:
        two calls with equal arguments and equal such globals analyse alike. None when it
        reaches more than REACH_LIMIT functions: the call is then not memoised (walking
        them at every call of a long chain of functions cost time quadratic in its length)."""
        names: set[str] = set()
        todo = [function]
        seen: set[int] = set()
        while todo:
            current = todo.pop()
            if id(current.node) in seen:
                continue
            seen.add(id(current.node))
            if len(seen) > REACH_LIMIT:
                return None
            for ident in self.identifiers_of(current.node) - names:
                names.add(ident)
                value = scope.get(ident)
                if isinstance(value, functions.FunctionValue):
                    todo.append(value)
                elif isinstance(value, functions.InstanceValue):
                    todo.extend(value.cls.functions())
                elif isinstance(value, functions.ClassValue):
                    todo.extend(value.functions())
                elif isinstance(value, functions.BoundMethod):
                    todo.append(value.function)
                elif isinstance(value, functions.Partial):
                    held = value.function
                    held = held.function if isinstance(held, functions.BoundMethod) else held
                    if isinstance(held, functions.FunctionValue):
                        todo.append(held)
        read = {n: scope[n] for n in names if n in scope}
        for base in names & self.state.attribute_bases:  # ``holder.fn`` reads ``holder`` and ``fn``
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

    def function_value(
        self, node: cst.FunctionDef | cst.Lambda, name: str, env: Env, decorated: bool = False
    ) -> AbstractValue:
        """A function the interpreter can follow into; UNKNOWN for what it cannot (nested,
        decorated, async or generator functions). With *decorated*, the caller knows what
        the decorators do (a method's ``@property``, a cache)."""
        closure = None
        if self.frames:
            if not isinstance(node, cst.Lambda):
                return UNKNOWN
            closure = env
        if isinstance(node, cst.FunctionDef) and (
            (node.decorators and not decorated) or node.asynchronous
        ):
            return UNKNOWN
        defaults = tuple(
            (param, functions.stable_default(self.expr(default, env)))
            for param, default in functions.default_nodes(node.params)
        )
        if closure is not None:
            return functions.FunctionValue(node, name, defaults, closure, self.frames[-1].globals)
        value = functions.FunctionValue(node, name, defaults)
        # The same definition as in the previous text: the same value (values of functions
        # compare by identity), so what reads it can be replayed.
        return self.reuse.same_value(value) if self.reuse is not None else value

    def _attributes_assigned_elsewhere(self) -> set[str] | None:
        """Attribute names assigned anywhere but on ``self`` in an ``__init__``: an instance
        passed around may have them changed (all of them, where ``setattr`` is used)."""
        if self.state.recording is not None:
            self.state.recording.impure = True  # read from the whole module: not recorded
        if self._outside_init is None:
            # The positions hold the program's text and CPython's tree of it when the parse
            # had them, else the module's code once generated (empty for one joined from
            # pieces): generating it again costs a whole-module codegen.
            program = self.positions.program
            code = program or self.positions.code or None
            tree = self.positions.tree if program else None
            self._outside_init = (outside_init_attributes(self.module, code, tree),)
        return self._outside_init[0]
