"""Top-level definitions whose bodies cannot change a file's facts, and the program text
with those bodies left out, so that libcst parses and the engine walks only the rest.

libcst's parse is most of a cold run's cost, and a module that calls a model usually holds
many definitions that have nothing to do with it (records, helpers over files and lists).
A function or class body can change the facts only when it runs, or when the engine
analyses it on its own. It runs only where something names it, and on its own it can reach
a model only through a name: a loader's (the pre-check's words), or a module-level name.
So a top-level definition's body is left out when:

- nothing else in the module names it (code, or a string spelling it), it is bound once,
  and a function has no decorator (a class's decorators, bases and keywords name only
  standard-library imports or builtins, as they run when the class is defined);
- its own code names none of the pre-check's words, nor a name the libraries register as
  making a fact on any object (``x.save(path)``, a notebook's ``!curl``), and no
  module-level name other than standard-library imports (that no project file shadows,
  as sources/layout.py resolves imports) and other definitions left out;
- its text spells none of the words through which code reaches names dynamically or
  binds them elsewhere (``global``, ``import``, ``globals``, ``exec``, ...).

The body is replaced by ``...`` on its first line and blank lines after it: every other
statement keeps its lines and columns, so positions are those of the whole program.
``tests/test_skeleton.py`` checks that the facts are those of the whole program.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import CodeType

from sm_lint.sources.layout import project_root, resolve
from sm_lint.sources.precheck import code_names

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
#: Words through which a body may reach or bind names other than by spelling them.
_DYNAMIC = re.compile(
    r"\b(?:global|nonlocal|import|exec|eval|compile|globals|locals|vars|__import__|__dict__"
    r"|__builtins__|__getattr__|__init_subclass__|__set_name__|__class_getitem__)\b"
)
_LINE_BREAK = re.compile(r"\r\n|\n")
_BUILTINS = frozenset(
    dir(__builtins__) if isinstance(__builtins__, dict) else dir(sys.modules["builtins"])
)


@dataclass(frozen=True)
class Skeleton:
    """The program with some definitions' bodies left out."""

    #: The text: each left-out body is ``...`` on its first line, then blank lines.
    program: str
    #: The line (CPython's ``lineno``) of each definition whose body was left out.
    skipped: frozenset[int]


def skeleton(
    program: str,
    tree: ast.Module,
    wanted: frozenset[str],
    path: str | None,
    code: CodeType | None = None,
) -> Skeleton | None:
    """*program* without the bodies that cannot change its facts; None when there are none
    (or when the module binds names in ways this does not follow). *tree*: CPython's tree
    of *program*; *wanted*: the pre-check's words for it and the names that make a fact
    on any object; *path*: the module's file (None: none), whose project may shadow a
    standard-library module; *code*: the code Python compiled
    *program* to, when the caller has it (else *tree* is compiled)."""
    # Lone carriage returns end lines for CPython, not for the line split below; a walrus
    # binds module names from inside expressions, which the binding count does not read.
    if ":=" in program or "\r" in program.replace("\r\n", ""):
        return None
    starts = [0, *(m.end() for m in _LINE_BREAK.finditer(program))]
    candidates = [
        s for s in tree.body if isinstance(s, _DEFINITIONS) and _own_body(s, program, starts)
    ]
    if not candidates:
        return None
    bindings = _bindings(tree.body)
    if bindings is None:
        return None
    counts, imported = bindings
    safe = _safe_imports(counts, imported, path)
    if code is None:
        code = _compile(tree)
        if code is None:
            return None
    codes = _definition_codes(code)
    own: dict[Definition, CodeType] = {}
    for statement in candidates:
        found = codes.get((statement.name, _first_line(statement)))
        if found is not None and counts[statement.name] == 1 and _header_safe(statement, safe):
            own[statement] = found
    outside = _names_outside(tree, code, own)
    names = {statement: code_names(found) for statement, found in own.items()}
    left = _left_out(names, outside, set(counts) - safe, wanted, program, starts)
    if not left:
        return None
    return Skeleton(_without_bodies(program, starts, left), frozenset(s.lineno for s in left))


def _compile(tree: ast.Module) -> CodeType | None:
    try:
        code: CodeType = compile(
            tree,
            "<skeleton>",
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
            optimize=0,  # names used only in asserts stay listed
        )
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return code


def _first_line(statement: ast.stmt) -> int:
    """The line CPython's code object for a definition starts at (its first decorator)."""
    decorators = getattr(statement, "decorator_list", None)
    return decorators[0].lineno if decorators else statement.lineno


def _own_body(statement: ast.stmt, program: str, starts: Sequence[int]) -> bool:
    """Whether the body starts on a line of its own, at the start of that line."""
    body = getattr(statement, "body", None)
    if not body or body[0].lineno <= statement.lineno or body[-1].end_lineno is None:
        return False
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.decorator_list:
        return False  # a decorator may register the function: it is named, in effect
    first = body[0]
    line = program[starts[first.lineno - 1] : starts[first.lineno - 1] + first.col_offset]
    return not line.strip(" \t\f")


def _bindings(
    statements: Iterable[ast.stmt],
) -> tuple[Counter[str], dict[str, list[tuple[int, str]]]] | None:
    """How often each module-level name is bound, and the imports that bind it (level,
    module); None where a star import or a match statement binds names not counted."""
    counts: Counter[str] = Counter()
    imported: dict[str, list[tuple[int, str]]] = {}
    todo = list(statements)
    while todo:
        statement = todo.pop()
        if isinstance(statement, ast.Match):
            return None
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                if alias.name == "*":
                    return None
                name = alias.asname or alias.name
                counts[name] += 1
                imported.setdefault(name, []).append((statement.level, statement.module or ""))
            continue
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                name = alias.asname or alias.name.split(".")[0]
                counts[name] += 1
                imported.setdefault(name, []).append((0, alias.name))
            continue
        if isinstance(statement, _DEFINITIONS):
            counts[statement.name] += 1
            continue
        counts.update(_bound_names(statement))
        for field in ("body", "orelse", "finalbody"):
            todo.extend(getattr(statement, field, None) or ())
        for handler in getattr(statement, "handlers", None) or ():
            if handler.name:
                counts[handler.name] += 1
            todo.extend(handler.body)
    return counts, imported


def _bound_names(statement: ast.stmt) -> list[str]:
    """The names a simple statement (or a compound statement's header) binds."""
    targets: list[ast.expr] = []
    if isinstance(statement, (ast.Assign, ast.Delete)):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [statement.target]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in statement.items if i.optional_vars is not None]
    names: list[str] = []
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
    return names


def _safe_imports(
    counts: Counter[str], imported: dict[str, list[tuple[int, str]]], path: str | None
) -> set[str]:
    """Names bound only by imports of standard-library modules no project file shadows:
    what they hold cannot load a model or call the project's code."""
    root = project_root(path) if path is not None else None
    shadowed: dict[str, bool] = {}

    def standard(level: int, module: str) -> bool:
        top = module.split(".")[0]
        if level or top not in sys.stdlib_module_names:
            return False
        if top not in shadowed:
            found = None if path is None or root is None else resolve(path, top, 0, root)
            shadowed[top] = found is not None
        return not shadowed[top]

    return {
        name
        for name, imports in imported.items()
        # Bound by these imports alone (not also assigned), each of the standard library.
        if len(imports) == counts[name] and all(standard(*each) for each in imports)
    }


def _header_safe(statement: ast.stmt, safe: set[str]) -> bool:
    """A class's decorators, bases and keywords run where it is defined: they may name
    only standard-library imports and builtins."""
    if not isinstance(statement, ast.ClassDef):
        return True
    parts: list[ast.AST] = [
        *statement.decorator_list,
        *statement.bases,
        *(k.value for k in statement.keywords),
    ]
    for part in parts:
        for node in ast.walk(part):
            if isinstance(node, ast.Name) and node.id not in safe and node.id not in _BUILTINS:
                return False
    return True


def _definition_codes(code: CodeType) -> dict[tuple[str, int], CodeType]:
    """The code objects of the module's own definitions, by name and first line."""
    return {
        (const.co_name, const.co_firstlineno): const
        for const in code.co_consts
        if isinstance(const, CodeType)
    }


def _names_outside(tree: ast.Module, code: CodeType, own: dict[Definition, CodeType]) -> set[str]:
    """The names the module uses outside the bodies of the definitions *own*: in its
    module-level code (read from CPython's tree: a definition's header runs there, its
    body does not) and in every other code object."""
    names: set[str] = set()
    todo: list[ast.AST] = []
    for statement in tree.body:
        if statement in own:
            todo.extend(_header(statement))
        else:
            todo.append(statement)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.update(node.value.split("."))
        elif isinstance(node, ast.alias):
            names.update(node.name.split("."))
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
        todo.extend(ast.iter_child_nodes(node))
    inside = set(own.values())
    for const in code.co_consts:
        if isinstance(const, CodeType) and const not in inside:
            names |= code_names(const)
    return names


def _header(statement: ast.stmt) -> list[ast.AST]:
    """What of a definition runs where it is defined: decorators, defaults, annotations,
    bases and keywords."""
    assert isinstance(statement, _DEFINITIONS)
    parts: list[ast.AST] = list(statement.decorator_list)
    if isinstance(statement, ast.ClassDef):
        return [*parts, *statement.bases, *statement.keywords]
    arguments = statement.args
    parts += [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    parts += [a.annotation for a in every if a.annotation is not None]
    if statement.returns is not None:
        parts.append(statement.returns)
    return parts


def _left_out(
    own: dict[Definition, set[str]],
    outside: set[str],
    bound: set[str],
    wanted: frozenset[str],
    program: str,
    starts: Sequence[int],
) -> list[Definition]:
    """The candidates whose bodies cannot change the facts: the largest set closed under
    "names only what is left out", found by dropping offenders until none is left."""
    left = {
        statement
        for statement, names in own.items()
        if statement.name not in outside
        and names.isdisjoint(wanted)
        and not _DYNAMIC.search(
            program, starts[statement.body[0].lineno - 1], _end(statement, program, starts)
        )
    }
    while True:
        names_left = {s.name for s in left}
        kept_uses = set().union(*(own[s] for s in own if s not in left))
        unsafe = bound - names_left
        drop = {s for s in left if own[s] & unsafe or s.name in kept_uses}
        if not drop:
            return sorted(left, key=lambda s: s.lineno)
        left -= drop


def _end(statement: ast.stmt, program: str, starts: Sequence[int]) -> int:
    """Where the line after the statement's last body line starts."""
    last = statement.body[-1].end_lineno  # type: ignore[attr-defined]
    return starts[last] if last < len(starts) else len(program)


def _without_bodies(program: str, starts: Sequence[int], left: Sequence[Definition]) -> str:
    """*program* with each body of *left* replaced, line for line."""
    pieces: list[str] = []
    done = 0
    for statement in left:
        first = statement.body[0]
        begin = starts[first.lineno - 1]
        end = _end(statement, program, starts)
        pieces.append(program[done:begin])
        # The same line breaks: every line below keeps its number.
        breaks = _LINE_BREAK.findall(program, begin, end)
        pieces.append(program[begin : begin + first.col_offset] + "..." + "".join(breaks))
        done = end
    pieces.append(program[done:])
    return "".join(pieces)
