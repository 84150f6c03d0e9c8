"""libcst helpers of the engine: statement bodies, names and targets, and the module-wide
facts read before a walk (globals declared, names changed in place, star imports,
attributes assigned outside ``__init__``). They know Python's syntax, no library."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence

import libcst as cst


# --------------------------------------------------------------------- helpers
def statements_of(node: cst.BaseSuite | cst.CSTNode) -> Sequence[cst.CSTNode]:
    if isinstance(node, cst.IndentedBlock):
        return node.body
    if isinstance(node, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=node.body)]
    return []


def dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def env_key(node: cst.BaseExpression) -> str | None:
    """The env key for a name or a ``name.attr`` target."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return f"{node.value.value}.{node.attr.value}"
    return None


def under(key: str, names: set[str]) -> bool:
    return "." in key and key.split(".", 1)[0] in names


def param_names(params: cst.Parameters) -> list[str]:
    out = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    if isinstance(params.star_arg, cst.Param):
        out.append(params.star_arg.name.value)
    if params.star_kwarg is not None:
        out.append(params.star_kwarg.name.value)
    return out


def self_name(method: cst.FunctionDef) -> str | None:
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


def argument_node(node: cst.Call, index: int | None, keyword: str) -> cst.BaseExpression | None:
    """The expression passed as *keyword*, else as positional argument *index* (None: the
    parameter is keyword-only)."""
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if index is not None and 0 <= index < len(positional):
        return positional[index].value
    return None


ENDS = (cst.Return, cst.Raise, cst.Break, cst.Continue)


PURE_METHODS = frozenset({"get", "keys", "values", "items", "copy", "count", "index"})


def mutated_in_functions(module: cst.Module) -> set[str]:
    """Names a function changes in place without binding them itself: ``g["x"] = ...``,
    ``del g["x"]``, ``g.append(...)`` on a global or a name of an enclosing function."""
    return set().union(*map(mutated_in_statement, module.body))


def mutated_in_statement(statement: cst.CSTNode) -> set[str]:
    """``mutated_in_functions`` for one module-level statement."""
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
                    and value.func.attr.value not in PURE_METHODS
                ):
                    found.add(value.func.value.value)
            return
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            visit(statement)
            return
        for child in child_statements(statement):
            changed(child, found)

    def visit(node: cst.CSTNode) -> None:
        if isinstance(node, cst.FunctionDef):
            found: set[str] = set()
            for statement in statements_of(node.body):
                changed(statement, found)
            local = (assigned_names(node) | set(param_names(node.params))) - global_names(node)
            names.update(found - local)
        else:
            for inner in statements_of(getattr(node, "body", None) or cst.IndentedBlock(body=[])):
                nested(inner)

    def nested(statement: cst.CSTNode) -> None:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            visit(statement)
        else:
            for child in child_statements(statement):
                if isinstance(child, (cst.FunctionDef, cst.ClassDef)):
                    visit(child)

    nested(statement)
    return names


def star_import_in(statement: cst.CSTNode) -> bool:
    """``from m import *`` as a module-level statement."""
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(i, cst.ImportFrom) and isinstance(i.names, cst.ImportStar)
        for i in statement.body
    )


def global_names(function: cst.FunctionDef) -> set[str]:
    found: set[str] = set()

    def walk(statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Global, cst.Nonlocal)):
                    found.update(item.name.value for item in small.names)
            return
        for child in child_statements(statement):
            walk(child)

    for statement in statements_of(function.body):
        walk(statement)
    return found


ATTRIBUTE_HOOKS = frozenset(
    {"__getattr__", "__getattribute__", "__setattr__", "__delattr__", "__new__", "__slots__"}
)


def class_names(node: cst.ClassDef) -> set[str]:
    names = set()
    for statement in statements_of(node.body):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.add(statement.name.value)
        else:
            names |= assigned_names(statement)
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


def outside_init_attributes(
    module: cst.Module, code: str | None = None, tree: ast.Module | None = None
) -> set[str] | None:
    """Attribute names assigned other than on ``self`` in a module-level class's
    ``__init__``; None where ``setattr``/``__dict__`` may assign any attribute. *code*:
    the module's code when the caller has it (generating it again costs a whole-module
    codegen); *tree*: CPython's tree of *code*, when the caller has it."""
    if tree is None:
        try:
            tree = ast.parse(code if code is not None else module.code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return _outside_init_attributes_cst(module)
    return _outside_init_attributes_ast(tree, code)


#: Names whose use may assign any attribute (libcst's ``Name`` nodes, which the original
#: scan read, also stand for attribute names, parameters, keywords and imported names).
_DYNAMIC = frozenset({"setattr", "delattr", "__dict__", "vars"})


def _ast_names(node: ast.AST) -> Iterator[str]:
    """The identifiers a node spells, wherever libcst would give them a ``Name`` node."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, (ast.arg, ast.keyword)):
        if node.arg is not None:
            yield node.arg
    elif isinstance(node, ast.alias):
        yield from node.name.split(".")
        if node.asname:
            yield node.asname
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from node.names
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name
    elif isinstance(node, ast.ImportFrom) and node.module:
        yield from node.module.split(".")


def _ast_attribute_targets(target: ast.expr, out: list[ast.Attribute]) -> None:
    if isinstance(target, ast.Attribute):
        out.append(target)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _ast_attribute_targets(element, out)
    elif isinstance(target, ast.Starred):
        _ast_attribute_targets(target.value, out)


#: The fields holding binding targets, by node type (``_BINDING_FIELD``'s, for CPython's
#: nodes).
_TARGET_FIELDS: dict[type, str] = {
    ast.Assign: "targets",
    ast.Delete: "targets",
    ast.AnnAssign: "target",
    ast.AugAssign: "target",
    ast.For: "target",
    ast.AsyncFor: "target",
    ast.comprehension: "target",
    ast.withitem: "optional_vars",
}
#: Leaves that hold nothing below them: skipped, not walked (most of a tree's nodes).
_LEAVES = (ast.expr_context, ast.Constant, ast.Name, ast.operator, ast.cmpop, ast.unaryop)


def _ast_scan(root: ast.AST, dynamic_possible: bool = True) -> tuple[list[ast.Attribute], bool]:
    """The attribute targets under *root*, and whether a name of ``_DYNAMIC`` appears
    (looked for only when *dynamic_possible*: the text spells one of them)."""
    targets: list[ast.Attribute] = []
    # ast.walk inlined, without its generators, and the targets by type: this walk reads
    # every node of each analysed module that constructs a class.
    stack: list[ast.AST] = [root]
    pop, push, fields = stack.pop, stack.append, _TARGET_FIELDS
    while stack:
        node = pop()
        field = fields.get(type(node))
        if field is not None:
            held = getattr(node, field)
            for target in held if isinstance(held, list) else (held,):
                if target is not None:
                    _ast_attribute_targets(target, targets)
        if dynamic_possible and any(n in _DYNAMIC for n in _ast_names(node)):
            return targets, True  # the caller gives up on the module
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and (
                        dynamic_possible or not isinstance(item, _LEAVES)
                    ):
                        push(item)
            elif isinstance(value, ast.AST) and (
                dynamic_possible or not isinstance(value, _LEAVES)
            ):
                push(value)
    # ast.walk's order (breadth first) is not needed: the callers use these as a set.
    return targets, False


def _ast_self_name(method: ast.FunctionDef) -> str | None:
    params = [*method.args.posonlyargs, *method.args.args]
    if not params:
        return None
    for decorator in method.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "staticmethod":
            return None
    return params[0].arg


def _outside_init_attributes_ast(tree: ast.Module, code: str | None = None) -> set[str] | None:
    """:func:`outside_init_attributes` read from CPython's tree: the same answer, at a
    fraction of a libcst visit's cost (a whole-module scan, once per analysed module)."""
    possible = code is None or any(word in code for word in _DYNAMIC)
    targets, dynamic = _ast_scan(tree, possible)
    if dynamic:
        return None
    in_init: set[int] = set()
    for statement in tree.body:
        if not isinstance(statement, ast.ClassDef):
            continue
        for method in statement.body:
            if isinstance(method, ast.FunctionDef) and method.name == "__init__":
                me = _ast_self_name(method)
                for inner in method.body:
                    found, _ = _ast_scan(inner, dynamic_possible=False)
                    in_init.update(
                        id(t) for t in found if isinstance(t.value, ast.Name) and t.value.id == me
                    )
    return {t.attr for t in targets if id(t) not in in_init}


def _outside_init_attributes_cst(module: cst.Module) -> set[str] | None:
    visitor = _AttributeTargets()
    module.visit(visitor)
    if visitor.dynamic:
        return None
    in_init: set[int] = set()
    for statement in module.body:
        if not isinstance(statement, cst.ClassDef):
            continue
        for method in statements_of(statement.body):
            if isinstance(method, cst.FunctionDef) and method.name.value == "__init__":
                me = self_name(method)
                inner = _AttributeTargets()
                method.body.visit(inner)
                in_init.update(
                    id(t)
                    for t in inner.targets
                    if isinstance(t.value, cst.Name) and t.value.value == me
                )
    return {t.attr.value for t in visitor.targets if id(t) not in in_init}


def self_attributes(method: cst.FunctionDef) -> set[str]:
    """The attributes a method assigns on its first parameter (``self.x = ...``)."""
    me = self_name(method)
    found: set[str] = set()
    if me is None:
        return found
    for target in assignment_targets(method):
        for key in target_names(target):
            if key.startswith(f"{me}.") and key.count(".") == 1:
                found.add(key.split(".", 1)[1])
    return found


# Statement-level walks: assignments and ``global`` live in statements, so expressions need
# not be visited (libcst's visitor over whole subtrees was most of the analysis time).
def child_statements(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in ("body", "orelse", "finalbody"):
        part = getattr(statement, name, None)
        if isinstance(part, cst.If):
            yield part
        elif part is not None and not isinstance(part, (list, tuple)):
            yield from statements_of(
                part.body if isinstance(part, (cst.Else, cst.Finally)) else part
            )
    for group in ("handlers", "cases"):
        for handler in getattr(statement, group, ()) or ():
            yield from statements_of(handler.body)


def small_targets(small: cst.BaseSmallStatement, targets: list[cst.CSTNode]) -> None:
    if isinstance(small, cst.Assign):
        targets.extend(t.target for t in small.targets)
    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
        targets.append(small.target)
    elif isinstance(small, cst.Import):
        targets.extend(
            cst.Name(dotted(a.name).split(".")[0]) if a.asname is None else a.asname.name
            for a in small.names
        )
    elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        targets.extend(
            cst.Name(dotted(a.name)) if a.asname is None else a.asname.name for a in small.names
        )


def assignment_targets(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Every target *node*'s statements assign (not those of nested functions/classes)."""
    targets: list[cst.CSTNode] = []

    def walk(statement: cst.CSTNode, top: bool) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                small_targets(small, targets)
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
        for child in child_statements(statement):
            walk(child, False)

    walk(node, True)
    return targets


def target_names(target: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    if isinstance(target, cst.Name):
        names.add(target.value)
    elif isinstance(target, cst.Attribute):
        key = env_key(target)
        if key is not None:
            names.add(key)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            names |= target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        names |= target_names(target.value)
    return names


def assigned_names(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    for target in assignment_targets(node):
        names |= target_names(target)
    return names


def global_declarations(module: cst.Module) -> set[str]:
    """Names declared ``global`` anywhere in the module."""
    return set().union(*map(global_declarations_in, module.body))


def global_declarations_in(statement: cst.CSTNode) -> set[str]:
    """``global_declarations`` for one module-level statement."""
    names: set[str] = set()

    def walk(statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Global):
                    names.update(item.name.value for item in small.names)
            return
        for child in child_statements(statement):
            walk(child)

    walk(statement)
    return names


def expressions(node: cst.CSTNode) -> Iterable[cst.BaseExpression]:
    """The outermost expressions inside *node* (to find calls nested in anything)."""
    for child in node.children:
        if isinstance(child, cst.BaseExpression):
            yield child
        elif isinstance(child, (cst.BaseSuite, cst.BaseStatement)):
            continue
        else:
            yield from expressions(child)


def rebound_names(module: cst.Module) -> set[str]:
    """Module-level names bound more than once (twice, or in a loop, or augmented)."""
    seen: set[str] = set()
    rebound: set[str] = set()
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names = {statement.name.value}
        else:
            names = assigned_names(statement)
            if isinstance(statement, (cst.For, cst.While)):
                rebound |= names
            if isinstance(statement, cst.SimpleStatementLine) and any(
                isinstance(small, cst.AugAssign) for small in statement.body
            ):
                rebound |= names
        rebound |= names & seen
        seen |= names
    return rebound
