"""sm-lint's fast positions equal libcst's PositionProvider on every node, and positions
computed on demand (one statement generated alone: a top-level one, or one inside a block)
equal those of the whole module, node for node, and give the analysis the same facts."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from sm_lint.analysis.interpreter import analyze_module
from sm_lint.analysis.positions import Positions
from sm_lint.sources import read_file
from tests.oracle_cases import CASES
from tests.test_precheck import GRAMMAR
from tests.test_robustness import fuzz_settings

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    [*ROOT.glob("sm_lint/**/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("examples/**/*.py")]
)
ODD = [
    "x = (\n    1 +\n    2\n)\n",
    "def f():\r\n\tif x:\r\n\t\treturn y  # c\r\n",
    '\ufeffa = \'é\' ; b = """\nmulti\nline"""\n',
    "@d\nclass C(B, metaclass=M):\n    x: int = 1\n\n    async def m(self): await g()\n",
    "f(a, *b, c=1, **d)[1:2, ::3]\nlambda: (yield)\n",
    "",
]
# Positions on demand, also where libcst's PositionProvider counts otherwise (the last line
# break of a file without one).
ON_DEMAND_ODD = [
    *ODD,
    # Statements whose code occurs more than once.
    "x = 1\nx = 1\nif x:\n    x = 1\nx = 1\n",
    "# c\nf(a)\n# c\nf(a)\n",
    # The module's last line without its line break.
    "import os\nload(os.path.join('a', 'b'))",
    "def f():\n    return g(1)",
    "a = 1\n# a footer comment\n\n",
    "\n\n# header\n\nx = [\n1,\n]\n\n\n",
    # Where libcst does not give back the text it parsed (a form feed at a line's start,
    # a space before an except clause's colon): the same positions as the whole module's.
    "import a\n\x0cx = f(1)\ny = f(2)\n",
    "try:\n    f(1)\nexcept OSError :\n    g(2)\ntry:\n    f(1)\nexcept OSError:\n    g(2)\n",
    # Decorators, async, a docstring, statements on one line, blocks on one line.
    '"""Doc."""\n@d(\n    1,\n)\nasync def f():\n    await g()\na = 1; b = f(a)\nif a: b = 2\n',
]
NOTEBOOKS = sorted((ROOT / "tests" / "fixtures").rglob("*.ipynb"))


def _nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.children)
    return out


def _same_on_demand(source: str) -> int:
    """Positions on demand equal the whole module's for every node, asked statement by
    statement (each time from scratch) with the statement as the hint, and for a few
    statements with a wrong hint or none; returns how many statements were placed alone
    (without generating the whole module)."""
    module = cst.parse_module(source)
    whole = Positions(module)
    alone = 0
    body = module.body
    for index, statement in enumerate(body):
        hints: list[cst.CSTNode | None] = [statement]
        if index in (1, len(body) - 1):
            hints += [body[index - 1], None]
        for hint in hints:
            lazy = Positions(module, source)
            for node in _nodes(statement):
                if node in whole._spans:
                    assert lazy.of(node, hint) == whole.of(node), (index, hint is statement, node)
            alone += hint is statement and not lazy._complete
    lazy = Positions(module, source)
    for node in _nodes(module):  # header, footer and the module itself, asked last
        assert lazy.of(node) == whole.of(node), node
    return alone + _same_nested(module, source, whole)


def _inner_statements(module: cst.Module) -> list[cst.CSTNode]:
    """The statements inside blocks (``elif`` clauses included), innermost first."""
    out: list[cst.CSTNode] = []

    def visit(node: cst.CSTNode, top: bool) -> None:
        for child in node.children:
            visit(child, False)
        if not top and isinstance(node, (cst.BaseStatement, cst.If)):
            out.append(node)

    for statement in module.body:
        visit(statement, True)
    return out


def _same_nested(module: cst.Module, source: str, whole: Positions) -> int:
    """Positions asked with each statement inside a block as the hint, innermost first
    (so that each is generated alone), equal the whole module's; returns how many
    statements were placed alone."""
    lazy = Positions(module, source)
    inner = _inner_statements(module)
    for statement in inner:
        for node in _nodes(statement):
            if node in whole._spans:
                assert lazy.of(node, statement) == whole.of(node), (statement, node)
    if lazy._complete:
        return 0
    return sum(statement in lazy._generated_nested for statement in inner)


def _same(module: cst.Module) -> int:
    reference = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = Positions(module)
    for node, r in reference.items():
        assert ours.of(node) == (r.start.line, r.start.column, r.end.line, r.end.column), node
    return len(reference)


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_positions_match_libcst_on_real_files(path: Path) -> None:
    assert _same(cst.parse_module(path.read_bytes())) > 0
    source = path.read_text("utf-8")
    alone = _same_on_demand(source)
    # Files with statements at all place most of them alone (else the test proves nothing).
    assert alone or not cst.parse_module(source).body, path


@pytest.mark.parametrize("source", ODD)
def test_positions_match_libcst_on_odd_sources(source: str) -> None:
    _same(cst.parse_module(source))


def test_positions_on_demand_on_odd_sources() -> None:
    placed = [_same_on_demand(source) for source in ON_DEMAND_ODD]
    assert any(placed)
    # Each statement is placed by its own line, also where the same code occurs twice.
    assert _same_on_demand("x = 1\nx = 1\n") == 2
    # Inside blocks too: the two returns, the elif clause and the statements under it
    # (the if statement itself is top-level).
    nested = "if a:\n    return 1\nelif b:\n    # c\n\n    return 2\n"
    module = cst.parse_module(nested)
    assert _same_nested(module, nested, Positions(module)) == 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_positions_on_demand_on_notebook_programs(path: Path) -> None:
    program = read_file(path, precheck=False).program
    assert _same_on_demand(program) > 0


@fuzz_settings(40)
@given(GRAMMAR)
def test_positions_on_demand_on_generated_programs(program: str) -> None:
    try:
        cst.parse_module(program)
    except cst.ParserSyntaxError:
        return
    _same_on_demand(program)


@fuzz_settings(30)
@given(st.lists(st.sampled_from(CASES), min_size=1, max_size=3), st.data())
def test_facts_with_positions_on_demand_equal_the_whole_module(
    cases: list[object], data: st.DataObject
) -> None:
    """The analysis asks for positions as it goes (with the statement it is in as the
    hint): its facts are the same as with every position computed first."""
    sources = [case.source for case in cases]  # type: ignore[attr-defined]
    source = "\n".join(sources)
    if data.draw(st.booleans()):
        source = source.rstrip("\n")  # no line break at the end
    module = cst.parse_module(source)
    whole = analyze_module(module, "gen.py", Positions(module))
    assert analyze_module(module, "gen.py", Positions(module, source)) == whole


@pytest.mark.parametrize(
    "path",
    [*NOTEBOOKS, *sorted((ROOT / "examples").rglob("*.py"))],
    ids=lambda p: p.name,
)
def test_facts_with_positions_on_demand_on_real_programs(path: Path) -> None:
    program = read_file(path, precheck=False).program
    module = cst.parse_module(program)
    whole = analyze_module(module, str(path), Positions(module))
    assert analyze_module(module, str(path), Positions(module, program)) == whole
