"""The pre-check (sm_lint/sources/precheck.py): it skips files whose code names no model
load, and it never skips a file the full analysis reports on or finds a load or call in.

1. Precision: words in comments, strings, docstrings and URLs do not count; real standard
   library modules that only mention "signatures" or "github" are skipped; the byte search
   never rules out a name the compiler finds in code.
2. Safety on the corpora: every oracle program (tests/oracle_cases.py), every example and
   fixture source, every notebook fixture, and every Python program embedded as a string in
   the test suite that the analysis finds a load, lookup or call in passes the pre-check.
3. Safety on generated programs: hypothesmith programs, and programs assembled from load
   and call fragments (every load spelling and alias, placed at top level, in functions,
   classes, dead branches, f-strings, ...), mixed with generated code: whenever the
   analysis finds something, the pre-check lets the file through.

``SM_LINT_FUZZ_BUDGET`` scales the example counts, as in tests/test_robustness.py.
"""

from __future__ import annotations

import ast
import json
import sysconfig
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sm_lint.api import Linter
from sm_lint.config import Config
from sm_lint.sources import from_bytes
from sm_lint.sources.precheck import (
    NAMES,
    _compiled,
    _has_word,
    code_names,
    may_need_analysis,
)
from tests.oracle_cases import CASES
from tests.test_robustness import fuzz_settings

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

TESTS = Path(__file__).parent
REPO = TESTS.parent
MODELS = (TESTS / "fixtures" / "models").resolve()
DENSE = MODELS / "keras_export_dense"
LINTER = Linter(Config(models=(MODELS,)))


def analysis_finds_something(source: str, path: str = "gen.py") -> bool:
    """Whether the full analysis finds a load, lookup or call, or reports anything other
    than a syntax error (a file that Python compiles but libcst does not parse is skipped
    as it was before: it cannot hold a load the analysis would see)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = LINTER.analyze_source(source, path)
        if analysis.facts is None:
            return False
        facts = analysis.facts
        found = bool(facts.loads or facts.lookups or facts.calls)
        return found or any(d.code != "SM900" for d in LINTER.diagnose(analysis))


def passes(source: str | bytes) -> bool:
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    return may_need_analysis(data, notebook=False)


# ============================================================================ 1. precision


@pytest.mark.parametrize(
    "source",
    [
        '"""Compare the signatures of two callables."""\nimport inspect\n',
        "# see https://github.com/tensorflow/hub\nx = 1\n",
        'URL = "https://github.com/org/repo"\n',
        "def f():\n    '''Loads with tf.saved_model.load and hub.load.'''\n    return 1\n",
        "x = 'the signatures'  # load_model TFSMLayer kagglehub tensorflow_hub saved_model\n",
        "from json import load as read\nread(open('x'))\n",
        "import pickle\nobj = pickle.load(f)\n",
        "hubris = 1\nsignatures_seen = 2\nmy_saved_models = 3\n",
        "print(b'hub', rb'signatures', u'a saved_model')\n",
    ],
)
def test_names_outside_code_are_skipped(source: str) -> None:
    assert not passes(source)


@pytest.mark.parametrize(
    "source",
    [
        "m = get()\nf = m.signatures['serving_default']\n",
        "def f(m):\n    return m.signatures['serving_default'](x=1)\n",
        "sigs = getattr(model, 'signatures')\n",
        # The standard library's test_clinic.py: Argument Clinic's own "signatures".
        "def test(block):\n    return [s.name for s in block.signatures]\n",
    ],
)
def test_signatures_without_a_load_are_skipped_and_the_analysis_agrees(source: str) -> None:
    """Every finding and every listed call hangs off a model load: `.signatures` on an
    object no load in the file made is nothing the analysis can check or list."""
    assert not analysis_finds_something(source)
    assert not passes(source)


@pytest.mark.parametrize(
    "source",
    [
        "import tensorflow as tf\nm = tf.saved_model.load('m')\n",
        "import tensorflow as foo\nm = foo.saved_model.load('m')\n",
        "from tensorflow.saved_model import load as restore\nm = restore('m')\n",
        "from tensorflow.saved_model import *\nm = load('m')\n",
        "from tensorflow.keras.models import load_model as lm\nm = lm('m')\n",
        "import keras\nlayer = keras.layers.TFSMLayer('m')\n",
        "import tensorflow_hub as th\nm = th.load('h')\n",
        "from tensorflow_hub import load as hl\nm = hl('h')\n",
        "import kagglehub\np = kagglehub.model_download('a/b/c/d')\n",
        "if False:\n    import tensorflow as tf\n    tf.saved_model.load('m')\n",
        "def f():\n    return 1\n    hub.load('h')\n",
        "print(f\"{tf.saved_model.load('m')}\")\n",
        "assert tf.saved_model.load('m')\n",
        "x = [hub.load(h) for h in handles]\n",
        "class C:\n    layer = keras.layers.TFSMLayer('m')\n",
        "import importlib\nhub = importlib.import_module('tensorflow_hub')\n",
    ],
)
def test_names_in_code_pass(source: str) -> None:
    assert passes(source)


# Fragments of code (names in code, next to keywords, in f-strings, after quotes) and of
# comments and strings (names in prose), put together at random: whenever the program
# compiles and its code uses a name, the byte test lets it through to the compiler.
CODE_FRAGMENTS = [
    "x = hub.load(h)",
    "y = m.signatures['a']",
    "import tensorflow_hub as hub",
    "from tensorflow import saved_model as sm",
    "z = not signatures",
    "w = hub if signatures else saved_model",
    "for hub in hubs: pass",
    "f = lambda kagglehub: kagglehub",
    "v = f'a # {hub.load(h)}'",
    "s = '#'; hub",
    "u = f'{x:{TFSMLayer}}'",
    "del load_model",
    "t = [signatures for _ in ()]",
    "r = {'#': 1, 'k': hub}",
    "assert tensorflow_hub",
    "q = getattr(m, 'signatures')",
]
PROSE_FRAGMENTS = [
    "# the hub and its signatures",
    "x = 1  # hub.load(h)",
    "'''their signatures will vary'''",
    '"""\nA hub of saved_model files.\n"""',
    "n = 'a load_model call'",
    "p = 'TFSMLayer layers'  # kagglehub",
]


@fuzz_settings(200)
@given(
    st.lists(st.sampled_from(CODE_FRAGMENTS + PROSE_FRAGMENTS), min_size=1, max_size=6),
    st.lists(st.sampled_from(["", " ", "\t", "  "]), min_size=6, max_size=6),
)
def test_the_byte_test_never_rules_out_a_name_in_code(
    fragments: list[str], spaces: list[str]
) -> None:
    # Spacing varied around the first space of each fragment (none, tabs, several).
    lines = [f.replace(" ", space, 1) for f, space in zip(fragments, spaces, strict=False)]
    data = ("\n".join(lines) + "\n").encode()
    code = _compiled(data)
    if code is not None and not code_names(code).isdisjoint(NAMES):
        assert _has_word(data), data


@fuzz_settings(40)
@given(st.deferred(lambda: GRAMMAR), st.sampled_from(CODE_FRAGMENTS))
def test_generated_programs_with_a_name_in_code_reach_the_compiler(
    program: str, fragment: str
) -> None:
    data = (program + "\n" + fragment + "\n").encode()
    code = _compiled(data)
    if code is not None and not code_names(code).isdisjoint(NAMES):
        assert _has_word(data), data


def test_doubtful_files_pass() -> None:
    # A syntax error: the analysis reports it, so the file is not skipped.
    assert passes("import tensorflow as tf\nm = tf.saved_model.load(\n")
    # UTF-7 spells "hub" without those bytes: only the compiler can tell.
    assert passes("# coding: utf-7\n+AGg-ub.load(1)\n".encode("ascii"))
    assert not passes(b"# coding: latin-1\nx = 1\n")


@pytest.mark.parametrize(
    "source",
    [
        {"cells": [{"cell_type": "code", "source": ["x = 1\n", "hub.load(h)"]}]},
        {"cells": [{"cell_type": "code", "source": "x = 1\nhub.load(h)"}]},
        {"cells": [{"cell_type": "markdown", "source": "see github"}]},
    ],
)
def test_notebooks_get_the_conservative_byte_test(source: dict[str, object]) -> None:
    # "\nhub" in JSON is the bytes "\\nhub": no word boundary before "hub".
    text = json.dumps(source)
    assert may_need_analysis(text.encode())
    assert may_need_analysis(text.encode(), notebook=None)  # guessed from the leading "{"
    # An escaped letter hides a name from any byte search: a \u escape keeps the notebook.
    hidden = text.replace("hub", "\\u0068ub")
    assert may_need_analysis(hidden.encode(), notebook=True)
    assert not may_need_analysis(b'{"cells": []}', notebook=True)


def test_standard_library_modules_that_only_mention_the_names_are_skipped() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    # Each mentions "signatures" or "github" in docstrings or comments (the old byte test
    # sent them all to libcst); none names a model load in code.
    names = ["inspect.py", "typing.py", "shutil.py", "socket.py", "dataclasses.py"]
    mentioned = [n for n in names if b"signatures" in (stdlib / n).read_bytes()]
    assert mentioned, "the standard library no longer mentions the words: pick other files"
    for name in names:
        assert not may_need_analysis((stdlib / name).read_bytes()), name


# ============================================================ 2. the corpora of the tests


def _corpus() -> list[tuple[str, str]]:
    out = [(f"oracle {case.id}", case.source) for case in CASES]
    for folder in (REPO / "examples", TESTS / "fixtures"):
        out += [(str(p), p.read_text("utf-8")) for p in sorted(folder.rglob("*.py"))]
    # Programs written as string literals inside the tests (lint_source inputs, files the
    # CLI and the language server tests write).
    for test_file in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(test_file.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if "\n" in text and any(name in text for name in NAMES):
                    out.append((f"{test_file.name}:{node.lineno}", text))
    return out


def test_every_corpus_program_the_analysis_finds_something_in_passes() -> None:
    checked = 0
    for label, source in _corpus():
        if analysis_finds_something(source):
            checked += 1
            assert passes(source), label
    assert checked > len(CASES), checked  # the corpus is not empty


def test_notebook_fixtures_pass() -> None:
    notebooks = sorted((TESTS / "fixtures").rglob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        data = path.read_bytes()
        program = from_bytes(data, path).program
        if analysis_finds_something(program, str(path)):
            assert may_need_analysis(data, notebook=True), path
            assert may_need_analysis(data), path


# ====================================================================== 3. generated code

P = repr(str(DENSE))
# (import, load expression): every spelling of a load the analysis knows, with aliases.
LOADS = [
    ("import tensorflow as tf", f"tf.saved_model.load({P})"),
    ("import tensorflow as foo", f"foo.saved_model.load({P})"),
    ("import tensorflow.compat.v2 as tf2", f"tf2.saved_model.load({P})"),
    ("import tensorflow.compat.v1 as v1", f"v1.saved_model.load_v2({P})"),
    ("from tensorflow import saved_model as sm", f"sm.load({P})"),
    ("from tensorflow.saved_model import load as restore", f"restore({P})"),
    ("from tensorflow import keras", f"keras.models.load_model({P})"),
    ("from tensorflow.keras.models import load_model as lm", f"lm({P})"),
    ("from keras.saving import load_model", f"load_model({P})"),
    ("import keras", f"keras.layers.TFSMLayer({P}, call_endpoint='serving_default')"),
    ("from keras.layers import TFSMLayer as Layer", f"Layer({P})"),
    ("import tensorflow_hub as hub", f"hub.load({P})"),
    ("import tensorflow_hub as th", f"th.load({P})"),
    ("from tensorflow_hub import load as hl", f"hl({P})"),
    ("import tensorflow as tf\nloader = tf.saved_model.load", f"loader({P})"),
]
USES = [
    "infer = m.signatures['serving_default']\nout = infer(keras_tensor=np.zeros((1, 5)))",
    "out = m.signatures['serving_default'](keras_tensor=np.zeros((2, 5), np.float32))",
    "m.signatures['no_such_key']",
    "sig = m.signatures\ninfer = sig['serving_default']\ninfer(wrong=1)",
    "out = m(np.zeros((1, 5), np.float32))",
    "",
]
# Where the fragment goes; {} is the fragment, already indented for the place.
PLACES = [
    ("{}", 0),
    ("def run():\n{}\n    return None\nrun()", 4),
    ("if False:\n{}", 4),
    ("class Holder:\n    def go(self):\n{}", 8),
    ("try:\n{}\nexcept Exception:\n    pass", 4),
    ("with open(__file__) as handle:\n{}", 4),
    ("for _ in range(1):\n{}", 4),
    ("def run():\n    return 0\n{}", 4),
    ("async def run():\n{}", 4),
]
NOISE = [
    '"""Module docstring: it compares the signatures, see https://github.com/hub."""',
    "# a comment about saved_model and load_model",
    "text = 'hub kagglehub TFSMLayer tensorflow_hub'",
    "from json import load as read",
    "import numpy as np",
]


# Built once: hypothesmith compiles the grammar each time the strategy is created.
GRAMMAR = hypothesmith.from_grammar()


def _indent(text: str, depth: int) -> str:
    return "\n".join(" " * depth + line if line else line for line in text.splitlines())


@st.composite
def assembled(draw: st.DrawFn) -> str:
    imports, load = draw(st.sampled_from(LOADS))
    use = draw(st.sampled_from(USES))
    body = f"m = {load}\n{use}"
    if draw(st.booleans()):  # the import inside the block, next to the load
        body = f"{imports}\n{body}"
        imports = ""
    place, depth = draw(st.sampled_from(PLACES))
    block = place.replace("{}", _indent(body, depth))
    lines = [draw(st.sampled_from(NOISE)), "import numpy as np", imports, block]
    program = draw(GRAMMAR)
    lines.insert(draw(st.integers(0, len(lines))), program)
    return "\n".join(lines) + "\n"


@fuzz_settings(60)
@given(assembled())
def test_assembled_programs_with_loads_pass(program: str) -> None:
    if analysis_finds_something(program):
        assert passes(program), program


@fuzz_settings(40)
@given(GRAMMAR)
def test_grammar_programs_the_analysis_finds_something_in_pass(program: str) -> None:
    if analysis_finds_something(program):
        assert passes(program), program


@pytest.mark.parametrize(("imports", "load"), LOADS)
def test_every_load_spelling_is_found_by_the_analysis_and_passes(imports: str, load: str) -> None:
    # The generated programs above rely on these fragments being real loads.
    program = f"import numpy as np\n{imports}\nm = {load}\n{USES[0]}\n"
    assert analysis_finds_something(program), program
    assert passes(program)


def test_known_facts_skip_the_compile_but_only_after_the_byte_test() -> None:
    asked: list[bool] = []

    def known() -> bool:
        asked.append(True)
        return True

    assert not may_need_analysis(b"x = 1\n", notebook=False, known=known)
    assert not asked  # no name in the bytes: the cache is not even asked
    # The bytes match ("saved_model" in a docstring): cached facts decide, no compile.
    assert may_need_analysis(b'"""a saved_model"""\n', notebook=False, known=known)
    assert asked
    assert not may_need_analysis(b'"""a saved_model"""\n', notebook=False, known=lambda: False)


@fuzz_settings(30)
@given(assembled(), st.data())
def test_assembled_programs_as_notebooks_pass(program: str, data: st.DataObject) -> None:
    """The program split into code cells and written as notebook JSON, as Jupyter writes it
    or with every character escaped the way another JSON writer may."""
    if not analysis_finds_something(program):
        return
    lines = program.splitlines(keepends=True)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(lines) - 1)), max_size=4)))
    cells = [lines[a:b] for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True)]
    notebook = {
        "cells": [{"cell_type": "code", "metadata": {}, "source": c} for c in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text = json.dumps(notebook, indent=1, ensure_ascii=data.draw(st.booleans()))
    assert may_need_analysis(text.encode(), notebook=True)
    escaped = _escaped_json(notebook)
    assert json.loads(escaped) == notebook
    assert may_need_analysis(escaped.encode(), notebook=True)


def _escaped_json(value: object) -> str:
    """JSON for *value* with every character of every string written as a \\u escape."""
    if isinstance(value, dict):
        return (
            "{" + ",".join(f"{_escaped_json(k)}:{_escaped_json(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(_escaped_json(v) for v in value) + "]"
    if isinstance(value, str):
        units = value.encode("utf-16-be")
        return (
            '"'
            + "".join(f"\\u{units[i] << 8 | units[i + 1]:04x}" for i in range(0, len(units), 2))
            + '"'
        )
    return json.dumps(value)
