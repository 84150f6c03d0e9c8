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

from sm_lint.analysis import arrays, paths
from sm_lint.analysis.derive import Deriver
from sm_lint.analysis.dtypes import qualified_dtype
from sm_lint.analysis.facts import (
    Argument,
    FileFacts,
    ModelLoad,
    OutputAccess,
    SignatureCall,
    SignatureLookup,
    Span,
)
from sm_lint.analysis.literals import CallArgs, as_argument
from sm_lint.analysis.positions import Positions
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
        self, module: cst.Module, path: str | None, positions: Positions | None = None
    ) -> None:
        self.module = module
        self.path = path
        self._wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        # The incremental parser brings the positions it kept for unchanged statements.
        self.positions = positions or Positions(module)
        self._qualnames: Mapping[cst.CSTNode, Any] | None = None
        self._attribute_bases: set[str] = set()
        self._star_import = any(
            isinstance(s, cst.SimpleStatementLine)
            and any(
                isinstance(i, cst.ImportFrom) and isinstance(i.names, cst.ImportStar)
                for i in s.body
            )
            for s in module.body
        )
        self.loads: list[ModelLoad] = []
        self.lookups: list[SignatureLookup] = []
        self.calls: dict[int, SignatureCall] = {}
        self.outputs: dict[int, list[OutputAccess]] = {}
        self._seen_calls: set[int] = set()
        self._globals_assigned_in_functions: set[str] = set()
        self._deferred: list[
            tuple[cst.FunctionDef | cst.Lambda, Env, dict[str, AbstractValue]]
        ] = []
        #: Models the program saves itself (derive.py): values, saves, links to loads.
        self.derive = Deriver(self)

    # ----------------------------------------------------------------- entry
    def run(self) -> FileFacts:
        self._globals_assigned_in_functions = _global_declarations(self.module)
        env: Env = {}
        if self.path is not None:
            env["__file__"] = Const(os.path.abspath(self.path))
        env = self.block(self.module.body, env)
        self._drain()
        calls = tuple(
            SignatureCall(**{**call.__dict__, "outputs": tuple(self.outputs.get(call.id, ()))})
            for call in self.calls.values()
        )
        return FileFacts(
            loads=tuple(self.loads),
            lookups=tuple(self.lookups),
            calls=calls,
            tf_alias=_alias_of(env, "tensorflow"),
            np_alias=_alias_of(env, "numpy"),
            saves=tuple(self.derive.saves),
        )

    def _drain(self) -> None:
        while self._deferred:
            func, env, extra = self._deferred.pop(0)
            local = dict(env)
            for name in self._globals_assigned_in_functions:
                local.pop(name, None)
            local.update(extra)
            if isinstance(func, cst.Lambda):
                for param in _params(func.params):
                    local[param] = UNKNOWN
                self.expr(func.body, local)
            else:
                for param in _params(func.params):
                    local[param] = UNKNOWN
                self.block(_body(func.body), local)

    # ------------------------------------------------------------- positions
    def span(self, node: cst.CSTNode) -> Span:
        line, column, end_line, end_column = self.positions.of(node)
        return Span(line, column + 1, end_line, end_column + 1)

    def text(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # ------------------------------------------------------------ statements
    def block(self, body: Sequence[cst.CSTNode], env: Env) -> Env:
        for statement in body:
            env = self.statement(statement, env)
        return env

    def statement(self, node: cst.CSTNode, env: Env) -> Env:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                env = self.small_statement(small, env)
            return env
        if isinstance(node, cst.If):
            self.expr(node.test, env)
            then = self.block(_body(node.body), dict(env))
            other = (
                self.statement(node.orelse, dict(env))
                if isinstance(node.orelse, cst.If)
                else (self.block(_body(node.orelse.body), dict(env)) if node.orelse else dict(env))
            )
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
            return self.block(_body(node.body), env)
        if isinstance(node, cst.Try):
            body_env = self.block(_body(node.body), dict(env))
            branches = [body_env]
            for handler in node.handlers:
                start = _merge([env, body_env])
                if handler.name is not None:
                    start = self.bind(handler.name.name, UNKNOWN, start)
                branches.append(self.block(_body(handler.body), start))
            if node.orelse is not None:
                branches[0] = self.block(_body(node.orelse.body), branches[0])
            merged = _merge(branches)
            if node.finalbody is not None:
                merged = self.block(_body(node.finalbody.body), merged)
            return merged
        if isinstance(node, cst.FunctionDef):
            decorators = [self.expr(d.decorator, env) for d in node.decorators]
            self._deferred.append((node, env, {}))
            defined = self.derive.function_def(node, decorators, env)
            return self.bind(cst.Name(node.name.value), defined, env)
        if isinstance(node, cst.ClassDef):
            self.class_def(node, env)
            return self.bind(cst.Name(node.name.value), self.derive.class_value(node, env), env)
        # match statements and anything newer: walk what it contains, trust nothing after.
        for expression in _expressions(node):
            self.expr(expression, env)
        return {k: v for k, v in env.items() if k not in _assigned_names(node)}

    def loop(self, node: cst.For | cst.While, env: Env) -> Env:
        assigned = _assigned_names(node)
        start = {k: v for k, v in env.items() if k not in assigned and not _under(k, assigned)}
        if isinstance(node, cst.For):
            self.expr(node.iter, env)
        else:
            self.expr(node.test, start)
        after_body = self.block(_body(node.body), dict(start))
        if node.orelse is not None:
            after_body = self.block(_body(node.orelse.body), after_body)
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
        if isinstance(node, (cst.Expr, cst.Return)):
            if node.value is not None:
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

    def class_def(self, node: cst.ClassDef, env: Env) -> None:
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
                for param in _params(method.params):
                    local[param] = UNKNOWN
                end = self.block(_body(method.body), local)
                me = _self_name(method)
                for key, value in end.items():
                    if key.startswith(f"{me}.") and key.count(".") == 1:
                        attr = key.split(".", 1)[1]
                        if attr not in elsewhere:
                            attributes[attr] = value
        for method in methods:
            if method.name.value == "__init__":
                continue
            me = _self_name(method)
            extra = {f"{me}.{attr}": value for attr, value in attributes.items()} if me else {}
            self._deferred.append((method, env, extra))
        for statement in _body(node.body):
            if not isinstance(statement, cst.FunctionDef):
                self.statement(statement, dict(env))

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
            return UNKNOWN
        if isinstance(node, cst.BinaryOperation):
            return self.binary(node, env)
        if isinstance(node, cst.Lambda):
            self._deferred.append((node, dict(env), {}))
            return UNKNOWN
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self.comprehension(node, env)
        if isinstance(node, cst.NamedExpr):
            value = self.expr(node.value, env)
            return value
        for expression in _expressions(node):
            self.expr(expression, env)
        return UNKNOWN

    def name(self, node: cst.Name, env: Env) -> AbstractValue:
        if node.value in env:
            return env[node.value]
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
        if isinstance(node.operator, cst.Multiply) and isinstance(left, Array):
            return (
                left
                if left.value.kind in (Kind.NDARRAY, Kind.TENSOR)
                and isinstance(right, Const)
                and isinstance(right.value, int)
                else Array(Value(left.value.kind, None, left.value.shape))
            )
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
                self.outputs.setdefault(base.call_id, []).append(
                    OutputAccess(index.value, self.span(node.slice[0].slice))
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
        if isinstance(func, SignatureFn):
            return self.signature_call(node, func, env, opaque)
        if isinstance(func, QualName):
            return self.known_function(node, func.name, args)
        if isinstance(func, DType):  # np.float32(1.5), np.dtype("float32")
            return arrays.dtype_call(func.name, args)
        if receiver is not None and isinstance(node.func, cst.Attribute):
            return self.method(node, receiver, node.func.attr.value, args)
        return UNKNOWN

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
        handler = arrays.FUNCTIONS.get(name)
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
        tags: tuple[str, ...] | None = None
        if isinstance(tags_value, Seq) and all(
            isinstance(t, Const) and isinstance(t.value, str) for t in tags_value.items
        ):
            tags = tuple(str(t.value) for t in tags_value.items if isinstance(t, Const))
        elif isinstance(tags_value, Const) and isinstance(tags_value.value, str):
            tags = (tags_value.value,)
        load = ModelLoad(
            id=len(self.loads),
            span=self.span(path_node if path_node is not None else node),
            expr=self.text(path_node) if path_node is not None else "",
            path=paths.as_text(value),
            literal=isinstance(path_node, (cst.SimpleString, cst.ConcatenatedString)),
            loader=loader,
            tags=tags,
            saved_by=self.derive.saved_by(value),
        )
        self.loads.append(load)
        return ModelRef(load.id)

    def signature_call(
        self, node: cst.Call, func: SignatureFn, env: Env, opaque: bool
    ) -> AbstractValue:
        call_id = id(node)
        if call_id not in self._seen_calls:
            self._seen_calls.add(call_id)
            arguments: list[Argument] = []
            for arg in node.args:
                arguments.extend(self.argument_facts(arg, env))
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
            )
        return CallResult(call_id)

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
    names: set[str] = set()

    def walk(statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Global):
                    names.update(item.name.value for item in small.names)
            return
        for child in _child_statements(statement):
            walk(child)

    for statement in module.body:
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


def _argument_node(node: cst.Call, index: int, keyword: str) -> cst.BaseExpression | None:
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if index < len(positional):
        return positional[index].value
    return None


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
    module: cst.Module, path: str | None, positions: Positions | None = None
) -> FileFacts:
    """Every model load, signature lookup and signature call in *module* (*positions*:
    its nodes' positions, when the caller has them already)."""
    return Interpreter(module, path, positions).run()
