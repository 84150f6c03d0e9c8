"""Values through user functions: function, class and instance values, argument binding,
call contexts and the limits that keep context-sensitive analysis bounded.

The interpreter analyses a module-level function's body once per distinct call context
(the abstract values of its arguments and of the globals it can see), so a value built at
the call site reaches the signature call inside. Everything here is bounded: recursion is
cut (a function already being analysed returns an unknown value), the nesting depth, the
number of contexts per function and the statements analysed per file are capped, and a
call beyond a limit simply returns an unknown value: never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst

from sm_lint.analysis.facts import CallSite, Span
from sm_lint.analysis.literals import CallArgs, as_argument
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Array, Const, DictLit, Seq, join
from sm_lint.semantics import Kind, describe

#: Nested user-function calls followed from one call site.
MAX_DEPTH = 6
#: Active analyses of one function (recursion) before its calls return unknown values.
MAX_RECURSION = 3
#: Distinct contexts one function is analysed in; later calls return unknown values.
MAX_CONTEXTS_PER_FUNCTION = 24
#: Statements analysed in call contexts per file (the rest of the file is unaffected).
MAX_CONTEXT_STATEMENTS = 20_000
#: Context-specific signature calls kept per call site.
MAX_CONTEXT_CALLS_PER_SITE = 8

FunctionNode = cst.FunctionDef | cst.Lambda


@dataclass(frozen=True, eq=False)
class FunctionValue(AbstractValue):
    """A module-level function, a method (named ``Class.method``) or a lambda.

    Equality is identity: the same definition flowing through two branches stays known."""

    node: FunctionNode
    name: str
    #: Default values, evaluated where the function was defined (parameter name -> value).
    defaults: tuple[tuple[str, AbstractValue], ...] = ()
    #: For a lambda inside a function: the names it closes over (the enclosing function's
    #: bindings) and that function's globals; None for module-level definitions, which
    #: read the globals of the moment they are called.
    closure: dict[str, AbstractValue] | None = None
    module_globals: dict[str, AbstractValue] | None = None


@dataclass(frozen=True, eq=False)
class ClassValue(AbstractValue):
    """A module-level class whose methods the interpreter can follow."""

    node: cst.ClassDef
    name: str
    methods: tuple[tuple[str, FunctionValue], ...]
    #: What ``__init__`` assigns whatever its arguments (the context-free analysis).
    attributes: tuple[tuple[str, AbstractValue], ...]
    #: Attributes some other method assigns: never trusted.
    unstable: frozenset[str]
    #: ``@property`` getters (read as attributes), ``@staticmethod`` and ``@classmethod``
    #: functions, inherited ones included.
    properties: tuple[tuple[str, FunctionValue], ...] = ()
    statics: tuple[tuple[str, FunctionValue], ...] = ()
    classmethods: tuple[tuple[str, FunctionValue], ...] = ()
    #: The one followed base class (``super()`` in a method of this class reaches it).
    base: ClassValue | None = None
    #: A dataclass or NamedTuple: its fields in order, with their defaults (None: none).
    fields: tuple[tuple[str, AbstractValue | None], ...] | None = None

    def method(self, name: str) -> FunctionValue | None:
        return _named(self.methods, name)

    def property(self, name: str) -> FunctionValue | None:
        return _named(self.properties, name)

    def member(self, name: str) -> AbstractValue:
        """``Class.name``: a static method, or a class method bound to the class."""
        static = _named(self.statics, name)
        if static is not None:
            return static
        method = _named(self.classmethods, name)
        return BoundMethod(method, self) if method is not None else UNKNOWN

    def functions(self) -> tuple[FunctionValue, ...]:
        """Every function of the class a call may run."""
        groups = (self.methods, self.properties, self.statics, self.classmethods)
        return tuple(f for group in groups for _, f in group)


def _named(group: tuple[tuple[str, FunctionValue], ...], name: str) -> FunctionValue | None:
    for key, function in group:
        if key == name:
            return function
    return None


@dataclass(frozen=True)
class BoundMethod(AbstractValue):
    """A ``@classmethod`` read from its class: calling it passes the class first."""

    function: FunctionValue
    first: AbstractValue


@dataclass(frozen=True)
class Partial(AbstractValue):
    """``functools.partial(f, *args, **keywords)`` of a function the interpreter follows
    (only values no one can change in place are kept: the rest are unknown)."""

    function: AbstractValue
    positional: tuple[AbstractValue, ...]
    keywords: tuple[tuple[str, AbstractValue], ...]

    def arguments(self, args: CallArgs) -> CallArgs:
        """The arguments the function gets when the partial is called with *args*."""
        return CallArgs(
            [*self.positional, *args.positional], {**dict(self.keywords), **args.keywords}
        )


@dataclass(frozen=True)
class SuperValue(AbstractValue):
    """``super()`` in a method analysed with its instance: the base class, and the name
    of ``self`` whose attributes the base's method reads and sets."""

    base: ClassValue
    self_name: str


def bind_fields(
    fields: tuple[tuple[str, AbstractValue | None], ...], args: CallArgs
) -> dict[str, AbstractValue] | None:
    """The fields of a dataclass or NamedTuple instance built with *args*, as the generated
    ``__init__`` / ``__new__`` binds them; None when the call raises TypeError."""
    names = [name for name, _ in fields]
    if len(args.positional) > len(names):
        return None
    bound = dict(zip(names, args.positional, strict=False))
    for name, value in args.keywords.items():
        if name not in names or name in bound:
            return None
        bound[name] = value
    for name, default in fields:
        if name not in bound:
            if default is None:
                return None
            bound[name] = default
    return {name: bound[name] for name in names}


@dataclass(frozen=True)
class InstanceValue(AbstractValue):
    """An instance of a known class, with the attributes its constructor set."""

    cls: ClassValue
    attributes: tuple[tuple[str, AbstractValue], ...]

    def attribute(self, name: str) -> AbstractValue:
        for key, value in self.attributes:
            if key == name:
                return value
        return UNKNOWN


@dataclass
class Frame:
    """One function being analysed: its globals, how it was reached, what it returns."""

    function: FunctionNode
    globals: dict[str, AbstractValue]
    #: The call sites that led here, outermost first (empty: analysed context-free).
    sites: tuple[CallSite, ...] = ()
    returns: list[AbstractValue] = field(default_factory=list)
    #: For a method: its ``self`` parameter, and the ``self.*`` bindings at each return.
    self_name: str | None = None
    exits: list[dict[str, AbstractValue]] = field(default_factory=list)
    #: Parameters holding a caller's list or dict, and their values at each return.
    watched: tuple[str, ...] = ()
    watched_exits: list[dict[str, AbstractValue]] = field(default_factory=list)

    def watched_after(
        self, end: Mapping[str, AbstractValue], falls_through: bool
    ) -> dict[str, AbstractValue]:
        """What each watched parameter holds when the function returns, on any path."""
        states = [*self.watched_exits, *([dict(end)] if falls_through else [])]
        out: dict[str, AbstractValue] = {}
        for name in self.watched:
            values = [state.get(name, UNKNOWN) for state in states] or [UNKNOWN]
            value = values[0]
            for other in values[1:]:
                value = join(value, other)
            out[name] = value
        return out

    def self_bindings(self, env: Mapping[str, AbstractValue]) -> dict[str, AbstractValue]:
        prefix = f"{self.self_name}."
        return {k: v for k, v in env.items() if k.startswith(prefix) and k.count(".") == 1}

    def self_attributes(
        self, end: Mapping[str, AbstractValue], falls_through: bool
    ) -> dict[str, AbstractValue]:
        """What ``self``'s attributes are when the method returns, on any path: an
        attribute that differs between paths (or is missing on one) is unknown."""
        if self.self_name is None:
            return {}
        states = [*self.exits, *([self.self_bindings(end)] if falls_through else [])]
        if not states:
            return {}
        out: dict[str, AbstractValue] = {}
        for key in set().union(*states):
            values = [state.get(key, UNKNOWN) for state in states]
            value = values[0]
            for other in values[1:]:
                value = join(value, other)
            out[key.split(".", 1)[1]] = value
        return out

    @property
    def contextual(self) -> bool:
        return bool(self.sites)


def default_nodes(params: cst.Parameters) -> list[tuple[str, cst.BaseExpression]]:
    """(parameter, default expression) for every parameter with a default."""
    return [
        (p.name.value, p.default)
        for p in (*params.posonly_params, *params.params, *params.kwonly_params)
        if p.default is not None
    ]


def stable_default(value: AbstractValue) -> AbstractValue:
    """A default is shared by every call: a list or dict default may have been changed in
    place by an earlier call, so only immutable values are kept."""
    if isinstance(value, DictLit) or (isinstance(value, Seq) and not value.is_tuple):
        return UNKNOWN
    return value


def bind_arguments(
    function: FunctionValue, args: CallArgs, opaque: bool
) -> dict[str, AbstractValue] | None:
    """The parameters' values for a call, as Python binds them; None when the call cannot
    be bound (it raises TypeError at run time) or its ``*args``/``**kwargs`` are unknown."""
    if opaque:
        return None
    params = function.node.params
    defaults = dict(function.defaults)
    positional = [*params.posonly_params, *params.params]
    posonly = {p.name.value for p in params.posonly_params}
    bound: dict[str, AbstractValue] = {}
    for param, value in zip(positional, args.positional, strict=False):
        bound[param.name.value] = value
    extra = args.positional[len(positional) :]
    star = params.star_arg.name.value if isinstance(params.star_arg, cst.Param) else None
    if extra and star is None:
        return None
    if star is not None:
        bound[star] = Seq(tuple(extra), is_tuple=True)
    kwargs_name = params.star_kwarg.name.value if params.star_kwarg is not None else None
    named = {p.name.value for p in (*params.params, *params.kwonly_params)}
    spill = False
    for name, value in args.keywords.items():
        if name in named and name not in posonly:
            if name in bound:
                return None
            bound[name] = value
        elif kwargs_name is not None:
            spill = True
        else:
            return None
    if kwargs_name is not None:
        bound[kwargs_name] = UNKNOWN if spill else DictLit(())
    for param in (*positional, *params.kwonly_params):
        name = param.name.value
        if name not in bound:
            if name not in defaults:
                return None
            bound[name] = defaults[name]
    return bound


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifiers(code: str) -> frozenset[str]:
    """Every identifier in a function's source: a superset of the globals it reads."""
    return frozenset(_IDENTIFIER.findall(code))


def describe_arguments(args: CallArgs) -> str:
    """The known arguments of a call, for messages: ``float64 numpy array (16, 7)``."""
    parts = [text for value in args.positional if (text := _describe(value)) is not None]
    parts.extend(
        f"{name}={text}"
        for name, value in args.keywords.items()
        if (text := _describe(value)) is not None
    )
    return ", ".join(parts)


def _describe(value: AbstractValue) -> str | None:
    if isinstance(value, (Array, Const, Seq)) and small(value):
        argument = as_argument(value)
        if argument.kind is not Kind.UNKNOWN and (
            argument.dtype is not None or argument.shape is not None
        ):
            return describe(argument)
    return None


def call_site(name: str, span: Span, args: CallArgs) -> CallSite:
    return CallSite(name, span, describe_arguments(args))


def small(value: object, budget: int = 256) -> bool:
    """True when *value* (abstract values, tuples, dicts of them) has at most *budget*
    parts: only small values are hashed or described (shared sub-values would otherwise
    make that exponential)."""
    todo = [value]
    while todo:
        budget -= 1
        if budget < 0:
            return False
        item = todo.pop()
        if isinstance(item, Seq):
            todo.extend(item.items)
        elif isinstance(item, DictLit):
            todo.extend(v for _, v, _, _ in item.items or ())
        elif isinstance(item, InstanceValue):
            todo.extend(v for _, v in item.attributes)
        elif isinstance(item, tuple):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
        elif hasattr(item, "element"):  # datasets and iterators
            todo.append(item.element)
    return True


def snapshot_key(values: Mapping[str, AbstractValue]) -> tuple[tuple[str, AbstractValue], ...]:
    return tuple(sorted(values.items(), key=lambda item: item[0]))


class _Uses(cst.CSTVisitor):
    """How a function body uses one name: only changed in place (``d[k] = v``,
    ``d.update(...)``) or passed straight to a call, or also otherwise (aliased)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.allowed: set[int] = set()
        self.other = False

    def _allow(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Name) and node.value == self.name:
            self.allowed.add(id(node))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._allow(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._allow(node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if not node.star:
            self._allow(node.value)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and id(node) not in self.allowed:
            self.other = True


def only_changed_in_place(function: cst.FunctionDef, name: str) -> bool:
    """True when *function*'s body never binds or aliases *name* (so what it holds at the
    end is the caller's object)."""
    uses = _Uses(name)
    function.body.visit(uses)
    return not uses.other
