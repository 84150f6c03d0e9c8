"""sm-lint's fast positions equal libcst's PositionProvider on every node."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from sm_lint.analysis.positions import Positions

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


def _same(module: cst.Module) -> int:
    reference = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = Positions(module)
    for node, r in reference.items():
        assert ours.of(node) == (r.start.line, r.start.column, r.end.line, r.end.column), node
    return len(reference)


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_positions_match_libcst_on_real_files(path: Path) -> None:
    assert _same(cst.parse_module(path.read_bytes())) > 0


@pytest.mark.parametrize("source", ODD)
def test_positions_match_libcst_on_odd_sources(source: str) -> None:
    _same(cst.parse_module(source))
