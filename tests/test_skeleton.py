"""Definitions whose bodies cannot change a file's facts are left out of the parse
(analysis/skeleton.py): the facts are those of the whole program, on the golden corpus and
on generated programs that mix model calls with definitions which name them, name what
they name, change what they read, or have nothing to do with them; and the bodies are
indeed left out where the rules say so (else the equality proves nothing)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sm_lint.analysis.facts import FileFacts
from sm_lint.analysis.interpreter import analyze_module
from sm_lint.analysis.library import hooks
from sm_lint.analysis.parse import parse_program
from sm_lint.analysis.positions import Positions
from sm_lint.analysis.skeleton import skeleton
from sm_lint.cache import encode_facts
from sm_lint.sources.precheck import wanted_names
from tests.golden import make_golden
from tests.oracle_cases import CASES
from tests.test_robustness import fuzz_settings


def _whole(name: str, program: str) -> str:
    """The facts of *program* parsed whole, as the cache encodes them."""
    module = cst.parse_module(program)
    tree = ast.parse(program)
    facts = analyze_module(module, name, Positions(module, program, tree))
    return _encoded(facts)


def _encoded(facts: FileFacts) -> str:
    data = json.loads(encode_facts(facts))
    ids: dict[int, int] = {}

    def walk(item: object) -> object:  # call ids are object ids: renumbered
        if isinstance(item, dict):
            return {
                k: ids.setdefault(v, len(ids)) if k == "id" else walk(v) for k, v in item.items()
            }
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return json.dumps(walk(data), sort_keys=True)


def _wanted(program: str) -> frozenset[str]:
    """What the parse asks the skeleton to keep: the pre-check's words, and the names the
    libraries register as making a fact on any object."""
    return wanted_names(program.encode()) | hooks().fact_names


def _skipped(program: str, path: str | None = None) -> frozenset[int]:
    found = skeleton(program, ast.parse(program), _wanted(program), path)
    return frozenset() if found is None else found.skipped


def _same_facts(name: str, program: str) -> None:
    parsed = parse_program(name, program)
    assert isinstance(parsed, FileFacts), parsed
    assert _encoded(parsed) == _whole(name, program)


def test_facts_equal_the_whole_programs_on_the_golden_corpus() -> None:
    corpus = json.loads(make_golden.CORPUS.read_text(encoding="utf-8"))
    checked = 0
    for name, program in corpus.items():
        try:
            tree = ast.parse(program)
        except SyntaxError:
            continue
        if skeleton(program, tree, _wanted(program), None) is None:
            continue
        _same_facts(make_golden.program_name(name), program)
        checked += 1
    assert checked >= 100  # the corpus has programs with bodies to leave out


HEAD = "import os\nimport json\nimport tensorflow as tf\nimport numpy as np\nLIMIT = 3\n"
#: Definitions, each with a name the others and the calls below may use.
FILLERS = [
    # Nothing to do with the model: left out.
    'def tidy(items):\n    """Doc."""\n    out = []\n    for item in items:\n'
    "        out.append(str(item).strip())\n    return out\n",
    "def path_of(name):\n    return os.path.join('data', name + '.json')\n",
    "class Record:\n    def __init__(self, name):\n        self.name = name\n\n"
    "    def grow(self):\n        return Record(self.name * 2)\n",
    # Named by the calls below (rows), or naming a module-level value (LIMIT, loaded).
    "def rows(n=2):\n    return np.zeros((n, 5), np.float32)\n",
    "def limited(xs):\n    return xs[:LIMIT]\n",
    "def again():\n    return loaded.signatures['serving_default']\n",
    # Changes a module-level list the calls read, or rebinds through global.
    "def spoil():\n    VALUES.append('x')\n",
    "def reset():\n    global VALUES\n    VALUES = []\n",
    # Loads a model itself, or calls a definition that is kept.
    "def own_model():\n    m = tf.saved_model.load('models/x')\n    return m\n",
    "def wraps():\n    return rows(3)\n",
    "def helper_of_helper():\n    return tidy([1, 2])\n",
    # Named only in a string, or by __all__.
    "def by_name():\n    return 1\n",
    # Saves whatever it is given where a later load may read it.
    "def keep(thing):\n    thing.save('models/x')\n",
]
TAILS = [
    "",
    "VALUES = [[1.0, 2.0, 3.0, 4.0, 5.0]]\n",
    "__all__ = ['by_name']\n",
    "out = infer(x=tf.constant(rows()))\n",
    "extra = infer(x=tf.constant(VALUES))\n",
    "name = getattr(__import__(__name__), 'by_name')\n",
]


@fuzz_settings(40)
@given(
    st.lists(st.sampled_from(CASES), min_size=1, max_size=2),
    st.lists(st.sampled_from(FILLERS), max_size=6, unique=True),
    st.lists(st.sampled_from(TAILS), max_size=3),
    st.booleans(),
)
def test_facts_equal_the_whole_programs_on_generated_programs(
    cases: list[object], fillers: list[str], tails: list[str], fillers_first: bool
) -> None:
    sources = [case.source for case in cases]  # type: ignore[attr-defined]
    parts = [*fillers, *sources] if fillers_first else [*sources, *fillers]
    program = HEAD + "\n".join([*parts, *tails])
    try:
        compile(program, "<gen>", "exec")
    except SyntaxError:
        return
    _same_facts("/gen/program.py", program)


def _lines(program: str, *names: str) -> frozenset[int]:
    """The lines of the definitions named."""
    tree = ast.parse(program)
    return frozenset(s.lineno for s in tree.body if getattr(s, "name", None) in names)


def test_what_is_left_out_and_what_is_kept() -> None:
    program = HEAD + CASES[0].source + "\n".join(FILLERS) + "\n" + "\n".join(TAILS[1:4])
    # Left out: the helpers, the record class (it names itself), and helper_of_helper,
    # which names only tidy (left out too). Kept: what the calls or __all__ name, what
    # names a module-level value or a kept definition, loads a model or declares a global.
    assert _skipped(program) == _lines(program, "tidy", "path_of", "Record", "helper_of_helper")


def test_a_file_beside_the_module_shadowing_an_import_keeps_its_users(tmp_path: Path) -> None:
    program = (
        "import json\nimport tensorflow as tf\n\ndef parse(text):\n    return json.loads(text)\n"
    )
    module = str(tmp_path / "module.py")
    assert _skipped(program, module) == _lines(program, "parse")
    (tmp_path / "json.py").write_text("def loads(text):\n    return text\n")
    assert _skipped(program, module) == frozenset()


@pytest.mark.parametrize(
    "program",
    [
        "from helpers import *\ndef f():\n    return 1\n",  # names this does not count
        "def f():\n    return 1\nif (g := 2):\n    pass\n",  # a walrus binds module names
        "@register\ndef f():\n    return 1\n",  # a decorator may register it
        "def f(): return 1\n",  # the body shares the header's line
        "import tensorflow_hub as hub\ndef f():\n    return hub.load('x')\n",  # a loader word
        "def f():\n    import helpers\n    return helpers.run()\n",  # imports inside
        "def f():\n    return 1\nf = f\n",  # bound twice
        "def f(m):\n    m.export('out/model')\n",  # a save of whatever it is given
        "def f():\n    get_ipython().system('curl localhost:8501/v1/models/m:predict')\n",
    ],
)
def test_nothing_left_out(program: str) -> None:
    assert _skipped(program) == frozenset()


def test_lines_and_columns_of_the_rest_are_kept() -> None:
    program = (
        HEAD + FILLERS[0] + "\r\n" + "x = 1  # after\r\ndef last():\r\n    return 'no line break'"
    )
    found = skeleton(program, ast.parse(program), _wanted(program), None)
    assert found is not None
    before, after = program.splitlines(), found.program.splitlines()
    assert len(before) == len(after)
    kept = [(b, a) for b, a in zip(before, after, strict=True) if b == a]
    assert "x = 1  # after" in [a for _, a in kept]
    assert after[-2:] == ["def last():", "    ..."]
