"""The complexity gate: programs whose analysis would cost too much, found before libcst
sees them.

libcst's native parser nests a long operator chain one level per operand (``a and b and
...``, ``1 + 1 + ...``, ``x[0][0]...``): past a few thousand levels it overflows the C stack
(8,000 terms: a segfault after ~110 s), and its time per level grows with the depth (a
subscript 1,000 levels deep costs ~18 times what a shallow one does). Its tree costs about
4-5 KB of memory per syntax node, and the analysis keeps it. CPython's own parser is
safe here (its recursion is bounded and raises) and some forty times faster, so the
program's ``ast`` is measured first: the depth libcst would nest each node at, and the
number of nodes, each weighted by that depth (bench/hostile_cost.py measures the limits'
effect; tests/test_hostile_cost.py keeps them).
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass

#: The deepest libcst nesting analysed. Real code stays far below (a 600-term generated
#: sum or string concatenation is deep); libcst's parser crashed past ~5,000 levels.
MAX_DEPTH = 1_000
#: Syntax nodes analysed at most, each counted ``1 + depth / DEPTH_WEIGHT`` (a deeply nested
#: node costs libcst more) plus ``ELEMENT_WEIGHT`` per element of a display, argument or
#: parameter (libcst adds an element, a comma and their whitespace: a list of number rows
#: costs half as much again per node as plain statements). At this limit a file costs at
#: most about 250 MB and a few seconds of parsing (bench/hostile_cost.py's at-limit cases).
MAX_WEIGHT = 75_000
DEPTH_WEIGHT = 32
ELEMENT_WEIGHT = 3
#: Recursion levels CPython's AST builder may use here (it counts about three per level on
#: 3.11): a deeper program raises RecursionError, which means deeper than MAX_DEPTH anyway.
_AST_RECURSION = 1_000

_CONTEXTS = (ast.Load, ast.Store, ast.Del)

#: Source files with more code than this are not analysed. Blank and comment-only lines
#: do not count. Checked on the bytes, before anything compiles them (compiling 16 MB of
#: code took 2 GB just to refuse it).
MAX_SOURCE_BYTES = 512 * 1024


def code_size(data: bytes) -> int | None:
    """The bytes of code in *data* (blank and comment-only lines left out) when over
    MAX_SOURCE_BYTES, else None (then *data* is not scanned)."""
    if len(data) <= MAX_SOURCE_BYTES:
        return None
    code = sum(
        len(line)
        for line in data.splitlines()
        if (stripped := line.strip()) and not stripped.startswith(b"#")
    )
    return code if code > MAX_SOURCE_BYTES else None


def too_big_message(code: int) -> str:
    return (
        f"file not analysed: {code / 2**20:.1f} MB of code, over sm-lint's limit of "
        f"{MAX_SOURCE_BYTES // 1024} KB (blank and comment lines not counted); exclude it "
        "or split it"
    )


@dataclass(frozen=True)
class TooComplex:
    """Why a program is not analysed: which limit it is over."""

    line: int
    message: str


def too_complex(program: str, name: str = "<program>") -> TooComplex | None:
    """Where and why *program* is over a limit; None when it is within them, or when
    CPython cannot parse it (the caller reports the syntax error)."""
    measured = measured_tree(program, name)
    return measured if isinstance(measured, TooComplex) else None


def measured_tree(program: str, name: str = "<program>") -> ast.Module | TooComplex | None:
    """:func:`too_complex`, or else CPython's tree of *program* (None when CPython cannot
    parse it): the caller that needs the tree too does not parse the program again."""
    tree = _tree(program, name)
    if tree is None or isinstance(tree, TooComplex):
        return tree
    return tree_too_complex(tree) or tree


def tree_too_complex(tree: ast.AST) -> TooComplex | None:
    """:func:`too_complex` of a program (or a part of one) already parsed by CPython."""
    weight = 0.0
    # Iterative, depth first: the walk itself never recurses, whatever the depth.
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > MAX_DEPTH:
            line = getattr(node, "lineno", 1)
            return TooComplex(
                line,
                f"too complex to analyse: code nested more than {MAX_DEPTH:,} levels deep "
                "(a long operator chain counts one level per operand); split the expression",
            )
        kind = type(node)
        if kind in _LEAVES:  # nothing below (most nodes): weighed without the field walk
            weight += 1 + depth / DEPTH_WEIGHT
            if weight > MAX_WEIGHT:
                return _too_heavy()
            continue
        elements = 0
        counted = _ELEMENTS.get(kind)
        if counted is not None:
            for name in counted:
                elements += len(getattr(node, name))
        weight += 1 + depth / DEPTH_WEIGHT + ELEMENT_WEIGHT * elements
        if weight > MAX_WEIGHT:  # stop here: the rest of a huge tree costs time too
            return _too_heavy()
        if isinstance(node, ast.BoolOp):
            # libcst nests ``a and b and c`` as ((a and b) and c): one level per operand.
            count = len(node.values)
            stack.extend((v, depth + count - i) for i, v in enumerate(node.values))
            continue
        # ast.iter_child_nodes inlined, in its order: its two generators per node were
        # half the time of this walk, which every analysed file pays.
        below = depth + 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and not isinstance(item, _CONTEXTS):
                        push((item, below))
            elif isinstance(value, ast.AST) and not isinstance(value, _CONTEXTS):
                push((value, below))
    return None


def _too_heavy() -> TooComplex:
    return TooComplex(
        1,
        f"too complex to analyse: the syntax tree weighs over sm-lint's limit of "
        f"{MAX_WEIGHT:,} (one per node, more for nested and comma-separated ones; "
        "about 7,000 lines of ordinary code); exclude the file or split it",
    )


#: Node types with no node below them (Load/Store/Del are never walked): weighed alone.
_LEAVES = frozenset(
    {ast.Name, ast.Constant, *ast.operator.__subclasses__(), *ast.unaryop.__subclasses__()}
    | {*ast.cmpop.__subclasses__(), *ast.boolop.__subclasses__()}
)
#: The fields holding a node's comma-separated elements, by its exact type (CPython's
#: parser makes no subclasses of them); other nodes have none.
_ELEMENTS: dict[type, tuple[str, ...]] = {
    ast.List: ("elts",),
    ast.Tuple: ("elts",),
    ast.Set: ("elts",),
    ast.Dict: ("values",),
    ast.Call: ("args", "keywords"),
    ast.arguments: ("posonlyargs", "args", "kwonlyargs"),
}


def _tree(program: str, name: str) -> ast.Module | TooComplex | None:
    """CPython's AST of *program* under a recursion limit of its own (the caller's may
    have been raised for libcst's visitors): None when it does not parse."""
    old = sys.getrecursionlimit()
    depth = _frames()
    sys.setrecursionlimit(depth + _AST_RECURSION)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not sm-lint's to report
            tree = compile(
                program,
                f"<{name}>",
                "exec",
                flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
            )
    except RecursionError:
        return TooComplex(
            1,
            f"too complex to analyse: code nested more than {MAX_DEPTH:,} levels deep "
            "(a long operator chain counts one level per operand); split the expression",
        )
    except (SyntaxError, ValueError, MemoryError, OverflowError):
        return None
    finally:
        sys.setrecursionlimit(old)
    return tree if isinstance(tree, ast.Module) else None


def _frames() -> int:
    """How many frames deep this call is (the recursion limit counts from the bottom)."""
    frame, count = sys._getframe(), 0
    while frame is not None:
        frame, count = frame.f_back, count + 1  # type: ignore[assignment]
    return count
