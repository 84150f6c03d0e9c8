"""How library knowledge plugs into the engine (as mypy's plugins do, by hooks).

The engine walks Python; what a call of ``tf.saved_model.load`` or ``np.zeros`` gives, what
``array.shape`` is, or what a ``tf.function`` decorator makes, it asks here. A library
module registers its hooks on a :class:`Registry` — by qualified name for functions
(``get_function_hook(fullname)``), by value type for methods, attributes, subscripts and
calls of values — and :meth:`Registry.freeze` gives the :class:`Hooks` the engine reads.
Lookups by type follow the value's class hierarchy, like ``isinstance``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import libcst as cst

from sm_lint.analysis.facts import FileFacts
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import UNKNOWN, AbstractValue, QualName

if TYPE_CHECKING:
    from sm_lint.analysis.engine.state import Env

# Hooks take the engine first (typed Any here: the engine's parts hand themselves over;
# each library types it as analysis.engine.core.Engine).
#: ``f(args)`` for a function known by its qualified name (given as the third argument).
FunctionHook = Callable[[Any, cst.Call, str, CallArgs, "Env"], AbstractValue]
#: Any call before the engine looks at it; None lets the engine go on.
CallHook = Callable[
    [Any, cst.Call, AbstractValue, "AbstractValue | None", CallArgs, "Env"],
    "AbstractValue | None",
]
#: ``value(args)``; None: not a call this hook makes anything of.
ValueCallHook = Callable[[Any, cst.Call, Any, CallArgs, bool, "Env", bool], "AbstractValue | None"]
#: ``receiver.name(args)``.
MethodHook = Callable[[Any, cst.Call, Any, str, CallArgs, "Env"], AbstractValue]
#: ``base.attr``.
AttributeHook = Callable[[Any, str], AbstractValue]
#: ``base[index]`` (the node to place facts at).
SubscriptHook = Callable[[Any, cst.Subscript, Any, AbstractValue], AbstractValue]
#: One piece of an f-string: literal text, or a value and whether it is formatted plainly.
Piece = str | tuple[AbstractValue, bool]

_T = TypeVar("_T")


def _none(*_: object) -> None:
    return None


def _unknown(*_: object) -> AbstractValue:
    return UNKNOWN


@dataclass
class Registry:
    """Hooks being registered (each library module's ``register`` adds its own)."""

    functions: dict[str, FunctionHook] = field(default_factory=dict)
    function_fallbacks: list[FunctionHook] = field(default_factory=list)
    intercepts: list[CallHook] = field(default_factory=list)
    value_calls: dict[type, ValueCallHook] = field(default_factory=dict)
    methods: dict[type, MethodHook] = field(default_factory=dict)
    method_fallback: MethodHook | None = None
    attributes: dict[type, AttributeHook] = field(default_factory=dict)
    attribute_fallback: AttributeHook | None = None
    subscripts: dict[type, SubscriptHook] = field(default_factory=dict)
    #: What ``with value as name`` binds, by the value's type (else unknown).
    entered: dict[type, Callable[[Any], AbstractValue]] = field(default_factory=dict)
    #: Value types that are never None (``x is None`` folds to False).
    never_none: list[type] = field(default_factory=list)
    #: Value types with a text whose length the engine bounds (like folded strings).
    text_sizes: dict[type, Callable[[Any], int]] = field(default_factory=dict)
    #: Calls known not to change their arguments in place: by qualified name, by type.
    pure_names: set[str] = field(default_factory=set)
    pure_types: list[type] = field(default_factory=list)
    #: Names whose call makes a fact whatever it is called on (``x.save(path)`` on an object
    #: not known): a body that spells one is never left out of the parse (skeleton.py).
    fact_names: set[str] = field(default_factory=set)
    #: ``a.b.c = ...`` / ``a.b[k] = ...`` (an attribute or item target, assigned or deleted):
    #: a library that keeps track of an object changed in place sees every such write.
    stores: list[Callable[[Any, cst.BaseExpression, AbstractValue, Env], None]] = field(
        default_factory=list
    )
    #: ``left <op> right`` (op one of + - * /); None: not this library's operands.
    #: ``left or right`` / ``left and right`` (the word); None: not this library's operands.
    boolean: list[Callable[[str, AbstractValue, AbstractValue], AbstractValue | None]] = field(
        default_factory=list
    )
    binary: list[Callable[[str, AbstractValue, AbstractValue], AbstractValue | None]] = field(
        default_factory=list
    )
    # Single hooks: one library owns each.
    qualify: Callable[[str], AbstractValue] | None = None
    negate: Callable[[AbstractValue], AbstractValue] | None = None
    fstring: Callable[[list[Piece]], AbstractValue] | None = None
    element_of: Callable[[AbstractValue], AbstractValue | None] | None = None
    function_def: (
        Callable[[Any, cst.FunctionDef, list[AbstractValue], Env], AbstractValue] | None
    ) = None
    class_value: Callable[[Any, cst.ClassDef, Env], AbstractValue] | None = None
    setting: Callable[[Any, AbstractValue, cst.Subscript, Env], str | None] | None = None
    finish: Callable[[Any, Env], FileFacts] | None = None

    def function(self, *names: str) -> Callable[[FunctionHook], FunctionHook]:
        """Decorator: *hook* gives the value of a call of any of *names*."""

        def add(hook: FunctionHook) -> FunctionHook:
            for name in names:
                self.functions[name] = hook
            return hook

        return add

    def freeze(self) -> Hooks:
        def one(hook: _T | None, default: _T) -> _T:
            return hook if hook is not None else default

        def qualify(name: str) -> AbstractValue:
            return QualName(name)

        return Hooks(
            functions=dict(self.functions),
            function_fallbacks=tuple(self.function_fallbacks),
            intercepts=tuple(self.intercepts),
            value_calls=dict(self.value_calls),
            methods=dict(self.methods),
            method_fallback=one(self.method_fallback, _unknown),
            attributes=dict(self.attributes),
            attribute_fallback=one(self.attribute_fallback, _unknown),
            subscripts=dict(self.subscripts),
            never_none=tuple(self.never_none),
            text_sizes=dict(self.text_sizes),
            qualify=one(self.qualify, qualify),
            pure_names=frozenset(self.pure_names),
            pure_types=tuple(self.pure_types),
            fact_names=frozenset(self.fact_names),
            binaries=tuple(self.binary),
            stores=tuple(self.stores),
            booleans=tuple(self.boolean),
            negate=one(self.negate, _unknown),
            fstring=one(self.fstring, _unknown),
            element_of=one(self.element_of, _none),
            entered_by_type=dict(self.entered),
            function_def=one(self.function_def, _unknown),
            class_value=one(self.class_value, _unknown),
            setting=one(self.setting, _none),
            finish=self.finish,
        )


@dataclass(frozen=True)
class Hooks:
    """The registered hooks, read by the engine (see Registry for each one's meaning)."""

    functions: Mapping[str, FunctionHook]
    function_fallbacks: tuple[FunctionHook, ...]
    intercepts: tuple[CallHook, ...]
    value_calls: Mapping[type, ValueCallHook]
    methods: Mapping[type, MethodHook]
    method_fallback: MethodHook
    attributes: Mapping[type, AttributeHook]
    attribute_fallback: AttributeHook
    subscripts: Mapping[type, SubscriptHook]
    never_none: tuple[type, ...]
    text_sizes: Mapping[type, Callable[[Any], int]]
    qualify: Callable[[str], AbstractValue]
    pure_names: frozenset[str]
    pure_types: tuple[type, ...]
    fact_names: frozenset[str]
    binaries: tuple[Callable[[str, AbstractValue, AbstractValue], AbstractValue | None], ...]
    stores: tuple[Callable[[Any, cst.BaseExpression, AbstractValue, Env], None], ...]
    booleans: tuple[Callable[[str, AbstractValue, AbstractValue], AbstractValue | None], ...]
    negate: Callable[[AbstractValue], AbstractValue]
    fstring: Callable[[list[Piece]], AbstractValue]
    element_of: Callable[[AbstractValue], AbstractValue | None]
    entered_by_type: Mapping[type, Callable[[Any], AbstractValue]]
    function_def: Callable[[Any, cst.FunctionDef, list[AbstractValue], Env], AbstractValue]
    class_value: Callable[[Any, cst.ClassDef, Env], AbstractValue]
    setting: Callable[[Any, AbstractValue, cst.Subscript, Env], str | None]
    finish: Callable[[Any, Env], FileFacts] | None

    def pure(self, func: AbstractValue) -> bool:
        """A call of *func* changes none of its arguments in place."""
        if isinstance(func, QualName):
            return func.name in self.pure_names
        return isinstance(func, self.pure_types)

    def entered(self, value: AbstractValue) -> AbstractValue:
        """What ``with value as name`` binds (unknown unless a library says)."""
        hook = by_type(self.entered_by_type, value)
        return hook(value) if hook is not None else UNKNOWN

    def binary(self, symbol: str, left: AbstractValue, right: AbstractValue) -> AbstractValue:
        """``left <symbol> right`` as the first library that knows the operands makes it."""
        return _first(self.binaries, symbol, left, right)

    def boolean(self, word: str, left: AbstractValue, right: AbstractValue) -> AbstractValue:
        """``left <word> right`` (``or``, ``and``) as the first library that knows them."""
        return _first(self.booleans, word, left, right)


def _first(
    hooks: tuple[Callable[[str, AbstractValue, AbstractValue], AbstractValue | None], ...],
    operator: str,
    left: AbstractValue,
    right: AbstractValue,
) -> AbstractValue:
    for hook in hooks:
        result = hook(operator, left, right)
        if result is not None:
            return result
    return UNKNOWN


def by_type(table: Mapping[type, _T], value: object) -> _T | None:
    """The hook registered for *value*'s class or its nearest base class."""
    hook = table.get(type(value))
    if hook is not None:  # the usual case: registered for its very class
        return hook
    for cls in type(value).__mro__[1:]:
        hook = table.get(cls)
        if hook is not None:
            return hook
    return None
