"""Expressions: what a libcst expression evaluates to, given the env.

Dispatch is by node type through a table (one dict lookup per node, as pyflakes'
``getNodeHandler``): this walk is most of a cold run's analysis time. What a library makes
of a value (``np.zeros(...).shape``, ``loaded.signatures[...]``, ``path / "m"``) comes from
the hooks; the engine folds only Python's own constants, containers and operators.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst
from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

from sm_lint.analysis import functions
from sm_lint.analysis.engine.base import EngineBase
from sm_lint.analysis.engine.hooks import Piece, by_type
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import env_key, expressions, mutated_in_functions, target_names
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.program import ForeignInstance, ModuleValue
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Const,
    DictLit,
    QualName,
    Seq,
    SliceValue,
    join,
)

#: The longest list a comprehension is known element by element for.
MAX_UNROLLED = 256

#: Folded text stays small: paths and keys are short, and ``s = s + s`` repeated would
#: otherwise grow exponentially.
MAX_FOLDED = 4096
_BUILTINS = frozenset(dir(builtins))
_KEYWORD_CONSTANTS = {"True": True, "False": False, "None": None, "Ellipsis": ...}
_COMPARISONS: dict[type[cst.BaseCompOp], Callable[[Any, Any], Any]] = {
    cst.Equal: operator.eq,
    cst.NotEqual: operator.ne,
    cst.LessThan: operator.lt,
    cst.LessThanEqual: operator.le,
    cst.GreaterThan: operator.gt,
    cst.GreaterThanEqual: operator.ge,
}
#: Operators a library may give a meaning (array arithmetic, ``path / "name"``).
OPERATORS: dict[type[cst.BaseBinaryOp], str] = {
    cst.Add: "+",
    cst.Subtract: "-",
    cst.Multiply: "*",
    cst.Divide: "/",
}


def mutable(value: AbstractValue | None) -> bool:
    """A list or dict: code may change it in place."""
    return isinstance(value, DictLit) or (isinstance(value, Seq) and not value.is_tuple)


def number(value: AbstractValue) -> bool:
    return isinstance(value, Const) and (
        value.value is None or isinstance(value.value, (bool, int, float))
    )


def truth(value: AbstractValue) -> bool | None:
    """The truth of a condition whose value is a known number, bool or None."""
    if number(value):
        assert isinstance(value, Const)
        return bool(value.value)
    return None


class Expressions(EngineBase):
    """The expression half of the walk."""

    def expr(self, node: cst.BaseExpression | None, env: Env) -> AbstractValue:
        """What *node* evaluates to (UNKNOWN where not known); records the facts it meets."""
        if node is None:
            return UNKNOWN
        handler = _EXPRESSIONS.get(type(node), _walk)
        try:
            value = handler(self, node, env)
        except RecursionError:
            return UNKNOWN
        if isinstance(value, Const):
            if isinstance(value.value, (str, bytes)) and len(value.value) > MAX_FOLDED:
                return UNKNOWN
            return value
        size = self.hooks.text_sizes.get(type(value))
        if size is not None and size(value) > MAX_FOLDED:
            return UNKNOWN
        return value

    def name(self, node: cst.Name, env: Env) -> AbstractValue:
        if node.value in env:
            value = env[node.value]
            if mutable(value):
                # A list or dict some function changes in place (``g["x"] = ...`` on a
                # global): its contents are not known after any call.
                if self._mutated_in_functions is None:
                    self._mutated_in_functions = mutated_in_functions(self.module)
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
                return self.hooks.qualify(qualified.name)
        return UNKNOWN

    def attribute(self, node: cst.Attribute, env: Env) -> AbstractValue:
        key = env_key(node)
        if key is not None and key in env:
            return env[key]
        base = self.expr(node.value, env)
        attr = node.attr.value
        if isinstance(base, QualName):
            return self.hooks.qualify(f"{base.name}.{attr}")
        if isinstance(base, ModuleValue) and self.program is not None:
            return self.program.member(self, base.path, attr)
        if isinstance(base, functions.InstanceValue) and attr not in base.cls.unstable:
            getter = base.cls.property(attr)
            if getter is None:
                return base.attribute(attr)
            if any(key == attr for key, _ in base.attributes):
                return UNKNOWN  # a property shadowed in the instance's __dict__: not followed
            return self.invoke(getter, CallArgs(), False, env, self.span(node), bound_self=base)[0]
        if isinstance(base, functions.ClassValue):
            return base.member(attr)
        if isinstance(base, ForeignInstance) and self.program is not None:
            if not self.foreign_intact(node.value, base, env):
                return UNKNOWN
            return self.program.attribute(self, base, attr, self.span(node))
        hook = by_type(self.hooks.attributes, base)
        return (hook or self.hooks.attribute_fallback)(base, attr)

    def fstring(self, node: cst.FormattedString, env: Env) -> AbstractValue:
        pieces: list[Piece] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                pieces.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                plain = part.format_spec is None and part.conversion in (None, "s")
                pieces.append((self.expr(part.expression, env), plain))
            else:
                return UNKNOWN
        return self.hooks.fstring(pieces)

    def unary(self, node: cst.UnaryOperation, env: Env) -> AbstractValue:
        operand = self.expr(node.expression, env)
        op = node.operator
        if isinstance(op, cst.Minus):
            if (
                isinstance(operand, Const)
                and isinstance(operand.value, (int, float))
                and not isinstance(operand.value, bool)
            ):
                return Const(-operand.value)
            return self.hooks.negate(operand)
        if isinstance(op, cst.Plus) and isinstance(operand, Const):
            return operand
        if isinstance(op, cst.Not) and truth(operand) is not None:
            return Const(not truth(operand))
        return UNKNOWN

    def boolean(self, node: cst.BooleanOperation, env: Env) -> AbstractValue:
        # Both sides evaluated, as any other expression's parts (the calls in them seen).
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        word = "or" if isinstance(node.operator, cst.Or) else "and"
        return self.hooks.boolean(word, left, right)

    def binary(self, node: cst.BinaryOperation, env: Env) -> AbstractValue:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        op = node.operator
        if isinstance(left, Const) and isinstance(right, Const):
            if isinstance(op, cst.Add):
                try:
                    return Const(left.value + right.value)  # type: ignore[operator]
                except TypeError:
                    return UNKNOWN
            if isinstance(op, (cst.Subtract, cst.Multiply)) and number(left) and number(right):
                # ``n - 1`` in a recursion's base case; numbers stay small (no ``x = x * x``
                # growing without bound).
                try:
                    result = (
                        left.value - right.value  # type: ignore[operator]
                        if isinstance(op, cst.Subtract)
                        else left.value * right.value  # type: ignore[operator]
                    )
                except TypeError:
                    return UNKNOWN
                return Const(result) if abs(result) < 2**63 else UNKNOWN
        symbol = OPERATORS.get(type(op))
        return self.hooks.binary(symbol, left, right) if symbol is not None else UNKNOWN

    def comparison(self, node: cst.Comparison, env: Env) -> AbstractValue:
        """``a == b``, ``x is None`` and the like where both sides are known."""
        left = self.expr(node.left, env)
        rights = [self.expr(c.comparator, env) for c in node.comparisons]
        if len(rights) != 1:
            return UNKNOWN
        op, right = node.comparisons[0].operator, rights[0]
        if isinstance(op, (cst.Is, cst.IsNot)) and Const(None) in (left, right):
            other = right if left == Const(None) else left
            if isinstance(other, Const):
                same = other.value is None
            elif isinstance(other, (Seq, DictLit, *self.hooks.never_none)):
                same = False
            else:
                return UNKNOWN
            return Const(same if isinstance(op, cst.Is) else not same)
        compare = _COMPARISONS.get(type(op))
        if (
            compare is None
            or not (isinstance(left, Const) and isinstance(right, Const))
            or not (number(left) and number(right))
        ):
            # Strings stay out: a folded path (``__file__``, ``abspath``) is only as exact
            # as model resolution needs.
            return UNKNOWN
        try:
            return Const(bool(compare(left.value, right.value)))
        except TypeError:
            return UNKNOWN

    def sequence(self, node: cst.Tuple | cst.List, env: Env) -> AbstractValue:
        items = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                self.expr(element.value, env)
                return UNKNOWN
            items.append(self.expr(element.value, env))
        return Seq(tuple(items), is_tuple=isinstance(node, cst.Tuple))

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
        items: tuple[AbstractValue, ...] | None = None
        while clause is not None:
            iterated = self.expr(clause.iter, local)
            for name in target_names(clause.target):
                local[name] = UNKNOWN
            if (
                clause is node.for_in
                and isinstance(node, cst.ListComp)
                and clause.inner_for_in is None
                and not clause.ifs
                and clause.asynchronous is None
                and isinstance(clause.target, cst.Name)
                and isinstance(iterated, Seq)
                and 0 < len(iterated.items) <= MAX_UNROLLED
            ):
                # [f(p) for p in [a, b]]: one element per item, each known as far as the
                # items agree (one analysis of the element, with the items' join).
                items = iterated.items
                joined = items[0]
                for item in items[1:]:
                    joined = join(joined, item)
                local[clause.target.value] = joined
            for condition in clause.ifs:
                self.expr(condition.test, local)
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            self.expr(node.key, local)
            self.expr(node.value, local)
            return UNKNOWN
        element = self.expr(node.elt, local)
        if items is None:
            return UNKNOWN
        return Seq((element,) * len(items))

    def subscript(self, node: cst.Subscript, env: Env) -> AbstractValue:
        base = self.expr(node.value, env)
        index = self.index(node.slice, env)
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
        hook = by_type(self.hooks.subscripts, base)
        return hook(self, node, base, index) if hook is not None else UNKNOWN

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
                values.append(SliceValue(lower, upper, step, known))
        if len(values) == 1 and not isinstance(elements[0].comma, cst.Comma):
            return values[0]
        return Seq(tuple(values), is_tuple=True)

    def lambda_value(self, node: cst.Lambda, env: Env) -> AbstractValue:
        if not self.contextual:
            self.state.deferred.append((node, dict(env), {}))
        return self.function_value(node, "<lambda>", env)

    def if_expression(self, node: cst.IfExp, env: Env) -> AbstractValue:
        known = truth(self.expr(node.test, env)) if not self.rebound(node.test) else None
        if known is not None:
            return self.expr(node.body if known else node.orelse, env)
        return join(self.expr(node.body, env), self.expr(node.orelse, env))


# ------------------------------------------------------------- the dispatch table
Handler = Callable[[Expressions, Any, Env], AbstractValue]


def _walk(engine: Expressions, node: cst.CSTNode, env: Env) -> AbstractValue:
    """Anything else: evaluate what it contains (to find calls nested in anything)."""
    for expression in expressions(node):
        engine.expr(expression, env)
    return UNKNOWN


def _integer(engine: Expressions, node: cst.Integer, env: Env) -> AbstractValue:
    # int()/float() read every Python literal of their kind alike, without the compile()
    # of libcst's evaluated_value (most of a long module's walk).
    try:
        return Const(int(node.value, 0))
    except (ValueError, SyntaxError):
        return UNKNOWN


def _float(engine: Expressions, node: cst.Float, env: Env) -> AbstractValue:
    try:
        return Const(float(node.value))
    except (ValueError, SyntaxError):
        return UNKNOWN


def _imaginary(engine: Expressions, node: cst.Imaginary, env: Env) -> AbstractValue:
    try:
        return Const(node.evaluated_value)
    except (ValueError, SyntaxError):
        return UNKNOWN


def _string(
    engine: Expressions, node: cst.SimpleString | cst.ConcatenatedString, env: Env
) -> AbstractValue:
    try:
        literal = node.evaluated_value
    except Exception:  # libcst raises various errors for odd literals
        return UNKNOWN
    return UNKNOWN if literal is None else Const(literal)


def _named(engine: Expressions, node: cst.NamedExpr, env: Env) -> AbstractValue:
    return engine.expr(node.value, env)


_EXPRESSIONS: dict[type[cst.CSTNode], Handler] = {
    cst.Name: Expressions.name,
    cst.Integer: _integer,
    cst.Float: _float,
    cst.Imaginary: _imaginary,
    cst.Ellipsis: lambda engine, node, env: Const(...),
    cst.SimpleString: _string,
    cst.ConcatenatedString: _string,
    cst.FormattedString: Expressions.fstring,
    cst.Attribute: Expressions.attribute,
    cst.Call: lambda engine, node, env: engine.call(node, env),
    cst.Subscript: Expressions.subscript,
    cst.Tuple: Expressions.sequence,
    cst.List: Expressions.sequence,
    cst.Dict: Expressions.dict_literal,
    cst.UnaryOperation: Expressions.unary,
    cst.BinaryOperation: Expressions.binary,
    cst.BooleanOperation: Expressions.boolean,
    cst.Lambda: Expressions.lambda_value,
    cst.ListComp: Expressions.comprehension,
    cst.SetComp: Expressions.comprehension,
    cst.GeneratorExp: Expressions.comprehension,
    cst.DictComp: Expressions.comprehension,
    cst.Comparison: Expressions.comparison,
    cst.IfExp: Expressions.if_expression,
    cst.NamedExpr: _named,
}
