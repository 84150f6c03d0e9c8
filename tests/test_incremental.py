"""Incremental analysis of an open document equals a full analysis after any edit sequence.

Random edit sequences (lines replaced, inserted, deleted, duplicated; characters typed and
deleted; fragments that break the syntax, open brackets and strings, indent, add
decorators, ``else:``, ``global`` and ``__future__`` lines) are applied to real programs:
the demo project, the oracle cases and a long module built like the language-server
benchmark's. After every edit the findings of a Linter that keeps the document's parse
(``Linter.analyze(document, open_as=...)``) must equal a fresh Linter's, position for position,
message for message, fix for fix; and whenever the incremental parser gives a tree, it must
be the tree libcst parses from the whole text, with the same position for every node.

``SM_LINT_FUZZ_BUDGET`` (a float, default 1) scales the number of examples.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from sm_lint.analysis import functions
from sm_lint.analysis.facts import FileFacts
from sm_lint.analysis.incremental import IncrementalParser
from sm_lint.analysis.interpreter import analyze_module
from sm_lint.analysis.positions import Positions
from sm_lint.api import Linter
from sm_lint.config import Config
from sm_lint.diagnostics import Diagnostic
from sm_lint.sources import from_cells, from_text
from tests.conftest import lsp_client_fixture
from tests.oracle_cases import CASES

BUDGET = float(os.environ.get("SM_LINT_FUZZ_BUDGET", "1") or "1")
DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
PATH = DEMO / "src" / "edited.py"  # never written: it anchors "models/dense" and __file__
CONFIG = Config(models=(DEMO / "models",), project_root=DEMO)

CALL = [
    "def predict_{i}(rows={i}):",
    '    """Score a batch with the dense model."""',
    "    batch = np.random.rand(rows, 5).astype(np.float32)",
    "    outputs = infer(keras_tensor=tf.constant(batch))",
    '    return outputs["output_0"]',
]
HELPER = [
    "def helper_{i}(values, limit=3):",
    "    # keep the first few",
    "    total = 0",
    "    for value in values[:limit]:",
    "        if value > {i}:",
    "            total += value",
    "        else:",
    "            total -= 1",
    "    return total",
]


def long_module(blocks: int) -> str:
    """A module shaped like the language-server benchmark's, *blocks* calls long."""
    lines = [
        '"""A long module with signature calls."""',
        "import numpy as np",
        "import tensorflow as tf",
        "",
        'model = tf.saved_model.load("models/dense")',
        'infer = model.signatures["serving_default"]',
        "",
    ]
    for i in range(blocks):
        lines += ["", *(x.format(i=i) for x in HELPER), "", f"SETTING_{i} = {i}", ""]
        lines += [x.format(i=i) for x in CALL]
    return "\n".join(lines) + "\n"


# Programs for the reuse of function analyses between edits (analysis/reuse.py): functions
# defined early and called late, names defined again, classes with self.attr, nested
# functions and lambdas, tf.data, saves the program makes itself, hub handles, globals
# changed in place or declared global, a star import.
EARLY_LATE = """\
\"\"\"Functions defined early and called late.\"\"\"
import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
batch = np.zeros((4, 5), dtype=np.float32)
feed = {"keras_tensor": tf.constant(batch)}


def score(rows):
    return infer(keras_tensor=tf.constant(rows))


def late():
    out = infer(keras_tensor=tf.constant(batch))
    return out["output_0"]


def spread():
    return infer(**feed)


def nested():
    def inner(x):
        return infer(keras_tensor=x)

    return inner(tf.zeros([2, 5]))


class Predictor:
    def __init__(self, fn):
        self.fn = fn
        self.batch = np.ones((2, 5), np.float32)

    def run(self):
        return self.fn(keras_tensor=tf.constant(self.batch))


def pipeline():
    ds = tf.data.Dataset.from_tensor_slices(np.zeros((8, 5), np.float32)).batch(2)
    for x in ds:
        infer(keras_tensor=x)
    return ds.map(lambda v: infer(keras_tensor=v))


handler = lambda v: infer(keras_tensor=tf.constant(v))

score(np.zeros((3, 5)))
late()
p = Predictor(infer)
p.run()
batch = np.zeros((4, 5))
late()


def score(rows, scale=2.0):
    return infer(keras_tensor=tf.constant(rows * scale))
"""
SAVES_AND_HUB = """\
import os
import tempfile

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub


class Doubler(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def __call__(self, x):
        return {"y": x * 2.0}


def save_and_load(folder):
    tf.saved_model.save(Doubler(), os.path.join(folder, "m"))
    loaded = tf.saved_model.load(os.path.join(folder, "m"))
    return loaded.signatures["serving_default"](x=tf.zeros([2, 3], tf.float64))


def check(fn):
    return fn(x=tf.zeros([2, 3], tf.float64))


path = tempfile.mkdtemp()
tf.saved_model.save(Doubler(), path)
loaded = tf.saved_model.load(path)
call = loaded.signatures["serving_default"]


def later():
    return call(x=tf.zeros([2, 3], tf.float64))["y"]


layer = hub.KerasLayer("https://tfhub.dev/google/nnlm-en-dim50/2")


def embed(texts):
    return layer(tf.constant(texts))


check(call)
os.environ["TFHUB_CACHE_DIR"] = "/tmp/sm-lint-no-hub-cache"
hub_model = hub.load("https://tfhub.dev/google/nnlm-en-dim50/2")


def use_hub():
    return hub_model(tf.constant(["a"]))
"""
GLOBALS = """\
import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
state = {"x": np.zeros((2, 5), np.float32)}
size = 5


def reset():
    global model
    model = None


def fill():
    state["x"] = np.zeros((2, size))


def read():
    return infer(keras_tensor=tf.constant(state["x"]))


def shaped():
    return infer(keras_tensor=tf.zeros([2, size]))


read()
"""

CALLS = (
    """\
import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]


def run(x):
    return infer(keras_tensor=x)


def twice(x):
    run(x)
    return run(x)


def convert(rows, dtype=np.float32):
    return tf.constant(np.asarray(rows, dtype=dtype))


def pipeline(rows):
    return twice(convert(rows))


def countdown(n, x):
    if n == 0:
        return run(x)
    return countdown(n - 1, x)


def many():
"""
    + "".join(f"    run(tf.zeros([{i}, 5]))\n" for i in range(1, 21))
    + """

def many_more():
"""
    + "".join(f"    run(tf.zeros([{i}, 5], tf.float64))\n" for i in range(1, 9))
    + """

def main():
    pipeline(np.zeros((2, 5)))
    twice(tf.zeros([3, 5], tf.float64))
    countdown(2, tf.zeros([2, 4]))


main()
"""
)

PROGRAMS = [
    *(p.read_text() for p in sorted((DEMO / "src").glob("*.py"))),
    *(case.source for case in CASES[:: max(1, len(CASES) // 12)]),
    long_module(6),
    EARLY_LATE,
    SAVES_AND_HUB,
    GLOBALS,
    CALLS,
]
TRICKY = [
    "",
    "    ",
    "# a comment",
    "    # an indented comment",
    "else:",
    "    pass",
    "def f(:",
    "x = (",
    ")",
    '"""',
    "@decorator",
    "global infer",
    "from __future__ import annotations",
    "x = 1; y = 2",
    "if True:",
    "\\",
    "class A:",
    "        deep = 1",
    "infer = model.signatures['serving_default']",
    "out = infer(keras_tensor=tf.constant(batch, dtype=tf.float64))",
    "out = infer(tf.zeros([2, 5]))",
    "batch = np.zeros((3, 5), dtype=np.float32)  # noqa: SM101",
    "\f",
    "z = 'é'",
    "batch = np.zeros((4, 5), dtype=np.float64)",
    "size = 7",
    "tf = None",
    "import tensorflow as tf",
    "import tensorflow as tensorflow_two",
    "infer = None",
    "    global batch",
    "    batch = np.zeros((3, 5))",
    "p.fn = infer",
    "    self.fn = None",
    "from os import *",
    "def late():",
    "def score(rows):",
    "class Predictor:",
    "    return infer(keras_tensor=tf.constant(batch, dtype=tf.float64))",
    "out = late()",
    "    run(tf.zeros([2, 5], tf.float64))",
    "def run(x, y=None):",
    "main()",
]
FRAGMENTS = sorted({line for p in PROGRAMS for line in p.splitlines()} | set(TRICKY))


def _findings(linter: Linter, text: str, document: str | None) -> list[Diagnostic]:
    return linter.findings(linter.analyze(from_text(text, PATH), document))


def _analysis(linter: Linter, text: str, document: str | None) -> tuple[object, ...]:
    """The findings and the facts (signature calls without their node ids, which differ
    between two parses) of *text*."""
    analysis = linter.analyze(from_text(text, PATH), document)
    facts = analysis.facts
    if facts is not None:
        facts = replace(
            facts,
            calls=tuple(replace(c, id=0) for c in facts.calls),
            context_calls=tuple(replace(c, id=0) for c in facts.context_calls),
        )
    return linter.findings(analysis), facts


def _pairs(a: cst.CSTNode, b: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, cst.CSTNode]]:
    yield a, b
    for x, y in zip(a.children, b.children, strict=True):
        yield from _pairs(x, y)


def _same_tree(parser: IncrementalParser, text: str) -> None:
    """When the parser gives a tree, it is libcst's and every node sits where libcst says."""
    result = parser.parse(text)
    if result is None:
        return
    module, positions = result
    full = cst.parse_module(text)
    assert module.deep_equals(full), "the incremental tree differs from a full parse"
    assert module.code == text
    expected = Positions(full)
    for ours, theirs in _pairs(module, full):
        if ours is not module:
            assert positions.of(ours) == expected.of(theirs), ours


def _edit(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    kind = data.draw(st.sampled_from(["replace", "insert", "delete", "duplicate", "type", "cut"]))
    line = data.draw(st.integers(0, max(0, len(lines) - 1)))
    if kind == "replace":
        lines[line] = data.draw(st.sampled_from(FRAGMENTS))
    elif kind == "insert":
        lines.insert(line, data.draw(st.sampled_from(FRAGMENTS)))
    elif kind == "delete":
        del lines[line : line + data.draw(st.integers(1, 3))]
    elif kind == "duplicate":
        size = data.draw(st.integers(1, 6))
        lines[line:line] = lines[line : line + size]
    else:
        offset = data.draw(st.integers(0, len(text)))
        if kind == "type":
            typed = data.draw(st.sampled_from(["x", " ", "\n", "(", ")", '"', ":", "0", "#"]))
            return text[:offset] + typed + text[offset:]
        return text[:offset] + text[offset + data.draw(st.integers(1, 12)) :]
    return "\n".join(lines)


@settings(
    max_examples=max(10, int(40 * BUDGET)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_incremental_findings_equal_a_full_analysis(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(PROGRAMS))
    incremental, full = Linter(CONFIG), Linter(CONFIG)
    parser = IncrementalParser()
    assert _analysis(incremental, text, "doc") == _analysis(full, text, None)
    _same_tree(parser, text)
    for _ in range(data.draw(st.integers(1, 8))):
        text = _edit(text, data)
        assert _analysis(incremental, text, "doc") == _analysis(Linter(CONFIG), text, None)
        _same_tree(parser, text)


def test_an_edit_in_one_function_parses_that_function_only() -> None:
    text = long_module(8)
    parser = IncrementalParser()
    assert parser.parse(text) is not None
    edited = text.replace(
        "tf.constant(batch))\n    return outputs", "tf.constant(batch[0]))\n    return outputs", 1
    )
    assert edited != text
    assert parser.parse(edited) is not None
    assert parser.parsed_chunks == 1
    assert parser.parse(edited) is not None
    assert parser.parsed_chunks == 0


def _analyse(parser: IncrementalParser, text: str) -> FileFacts:
    """*text* analysed as the language server does: parsed edit by edit, function analyses
    of the previous text offered for reuse."""
    parsed = parser.parse(text)
    assert parsed is not None
    return analyze_module(parsed[0], str(PATH), parsed[1], parser.reuse)


def test_an_edit_in_one_function_analyses_that_function_again_only() -> None:
    text = long_module(8)
    parser = IncrementalParser()
    _analyse(parser, text)
    assert (parser.reuse.replayed, parser.reuse.analysed) == (0, 16)
    edited = text.replace("tf.constant(batch))", "tf.constant(batch, dtype=tf.float64))", 1)
    facts = _analyse(parser, edited)
    assert (parser.reuse.replayed, parser.reuse.analysed) == (15, 1)
    assert len(facts.calls) == 8
    assert _findings(Linter(CONFIG), edited, "doc") == _findings(Linter(CONFIG), edited, None)
    _analyse(parser, edited)
    assert (parser.reuse.replayed, parser.reuse.analysed) == (16, 0)


LATE_READ = """\
import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
batch = np.zeros((4, 5), dtype=np.float32)


def late():
    return infer(keras_tensor=tf.constant(batch))


def other():
    return infer(keras_tensor=tf.zeros([2, 5]))


def with_default(rows=batch):
    return infer(keras_tensor=tf.constant(rows))


with_default()
"""


def test_an_unchanged_function_sees_what_an_edit_changed_before_it() -> None:
    """No stale facts: a function whose text did not change is analysed again when a value
    it reads changed, or its position moved; and only then."""
    linter = Linter(CONFIG)
    assert _findings(linter, LATE_READ, "doc") == []
    reuse = linter._open["doc"].reuse
    float64 = LATE_READ.replace("np.float32", "np.float64")
    assert [(d.code, d.line) for d in _findings(linter, float64, "doc")] == [
        ("SM005", 10),
        ("SM005", 18),  # through the default value, evaluated where the def is
    ]
    assert (reuse.replayed, reuse.analysed) == (1, 2)  # other() replayed
    moved = "import os\n" + float64  # the functions' nodes are kept, one line lower
    assert [(d.code, d.line) for d in _findings(linter, moved, "doc")] == [
        ("SM005", 11),
        ("SM005", 19),
    ]
    assert (reuse.replayed, reuse.analysed) == (3, 0)  # their facts moved down a line
    other = moved.replace("tf.zeros([2, 5])", "tf.zeros([2, 5], tf.int32)")
    assert _findings(linter, other, "doc") == _findings(Linter(CONFIG), other, None)
    assert len(_findings(linter, other, "doc")) == 3
    # A name defined again with other defaults is another function value.
    redefined = other + "\n\ndef late(scale=2):\n    return scale\n"
    assert _findings(linter, redefined, "doc") == _findings(Linter(CONFIG), redefined, None)
    assert _findings(linter, LATE_READ, "doc") == []
    # Another name holds tensorflow first (fixes use it), above functions that do not name it.
    aliased = float64.replace("import numpy as np", "import tensorflow as np")
    _analysis(linter, float64, "doc")
    assert _analysis(linter, aliased, "doc") == _analysis(Linter(CONFIG), aliased, None)


THROUGH_CALLS = """\
import numpy as np
import tensorflow as tf

model = tf.saved_model.load("models/dense")
infer = model.signatures["serving_default"]
dtype = tf.float32


def run(x):
    return infer(keras_tensor=tf.cast(x, dtype))


run(tf.zeros([2, 5]))


def outer():
    return run(tf.zeros([2, 5]))
"""


@pytest.mark.parametrize(
    "program",
    [
        THROUGH_CALLS,
        # A lambda among the arguments: the call's analysis is not memoised.
        THROUGH_CALLS.replace("run(tf.zeros([2, 5]))\n\n", "")
        .replace("def run(x):", "def run(x, hook=None):")
        .replace("run(tf.zeros([2, 5]))\n", "run(tf.zeros([2, 5]), lambda: None)\n"),
    ],
    ids=["memoised", "not-memoised"],
)
def test_a_function_whose_callee_reads_what_changed_is_analysed_again(program: str) -> None:
    """The facts of a function that calls another depend on what the callee reads, and on
    whether the callee's analysis for these arguments was made before it (then its calls
    were reported from there)."""
    linter = Linter(CONFIG)
    assert _findings(linter, program, "doc") == []
    reuse = linter._open["doc"].reuse
    float64 = program.replace("dtype = tf.float32", "dtype = tf.float64")
    without_call = float64.replace("run(tf.zeros([2, 5]))\n\n", "print(tf.zeros([2, 5]))\n\n")
    for text in dict.fromkeys((float64, without_call)):
        ours = _analysis(linter, text, "doc")
        assert ours == _analysis(Linter(CONFIG), text, None)
        # run() without a caller, and run() called with outer()'s or the module's tensor.
        assert [d.code for d in ours[0]] == ["SM005", "SM005"]
        assert reuse.analysed >= 1
    # The same text again: everything replayed.
    assert _analysis(linter, text, "doc") == ours
    assert reuse.analysed == 0


def _counted(
    calls: int, dtype: str = "tf.float32", inside: int = 10, distinct: bool = False
) -> str:
    """run() followed *calls* times from the module (with *dtype* tensors), on one line,
    then *inside* times from ``many()`` (float64 tensors, of distinct shapes if asked)."""
    module = "; ".join(f"run(tf.zeros([2, 5], {dtype}), {i + 100})" for i in range(calls))
    body = "".join(
        f"    run(tf.zeros([{i + 1 if distinct else 2}, 5], tf.float64), {i})\n"
        for i in range(inside)
    )
    return (
        "import tensorflow as tf\n\n"
        'infer = tf.saved_model.load("models/dense").signatures["serving_default"]\n\n\n'
        "def run(x, tag):\n    return infer(keras_tensor=x)\n\n\n"
        f"{module}\n\n\ndef many():\n{body}"
    )


def test_the_limit_of_contexts_per_function_counts_what_came_before() -> None:
    """run() is analysed in at most MAX_CONTEXTS_PER_FUNCTION contexts: with 10 before
    many(), many()'s calls are followed (float64: SM005); with 24, none is."""
    linter = Linter(CONFIG)
    assert [d.code for d in _findings(linter, _counted(10), "doc")] == ["SM005"]
    assert _analysis(linter, _counted(24), "doc") == _analysis(Linter(CONFIG), _counted(24), None)
    assert _findings(linter, _counted(24), "doc") == []


def test_a_call_reported_before_is_reported_again_when_what_came_first_changed() -> None:
    """One context call per distinct facts and call site: many()'s float64 call is reported
    from the module's call while that one passes float64 too, else from many()."""
    linter = Linter(CONFIG)
    (first,) = _findings(linter, _counted(1, "tf.float64"), "doc")
    (second,) = _findings(linter, _counted(1), "doc")
    assert first.message != second.message  # the call path named differs
    assert _analysis(linter, _counted(1), "doc") == _analysis(Linter(CONFIG), _counted(1), None)


def test_the_statement_budget_ends_where_a_full_analysis_ends_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Calls are followed until the file's statement budget runs out (one statement per
    call of run() here): with one call before many(), all six of many()'s are followed;
    with four, five are. A replayed many() must stop where a full analysis stops."""
    monkeypatch.setattr(functions, "MAX_CONTEXT_STATEMENTS", 8)
    linter = Linter(CONFIG)
    counts = []
    for calls in (1, 4, 1):
        text = _counted(calls, inside=6, distinct=True)
        ours = _analysis(linter, text, "doc")
        assert ours == _analysis(Linter(CONFIG), text, None)
        counts.append(len(ours[0]))
    assert counts == [6, 5, 6]


def test_a_notebook_edited_cell_by_cell_equals_a_full_analysis() -> None:
    """The language server keeps a notebook's program edit by edit too (cells joined)."""
    cells = [
        "import numpy as np\nimport tensorflow as tf",
        'model = tf.saved_model.load("models/dense")\ninfer = model.signatures["serving_default"]',
        "def run(x):\n    return infer(keras_tensor=x)",
        "%time run(tf.zeros([2, 5]))\nrun(np.zeros((2, 5)))",
        "batch = tf.zeros([2, 5], tf.float64)\nrun(batch)",
    ]
    notebook = DEMO / "src" / "edited.ipynb"  # never written: it anchors "models/dense"
    linter = Linter(CONFIG)
    edits = [
        (4, "batch = tf.zeros([2, 5], tf.float32)\nrun(batch)"),
        (2, "def run(x):\n    return infer(keras_tensor=tf.cast(x, tf.int32))"),
        (1, "model = tf.saved_model.load('models/dense')\ninfer = model.signatures['nope']"),
        (3, "run(tf.zeros([2, 5]))\n!ls"),
        (0, "import numpy as np\nimport tensorflow as tf\n"),
    ]
    for index, text in [(0, cells[0]), *edits]:
        cells[index] = text
        document = from_cells(list(enumerate(cells, start=1)), notebook)
        full = Linter(CONFIG)
        ours = linter.findings(linter.analyze(document, "notebook"))
        assert ours == full.findings(full.analyze(document))
    assert [d.code for d in ours] == ["SM001"]


def test_an_edit_that_breaks_the_syntax_reports_it_and_recovers() -> None:
    text = long_module(3)
    linter = Linter(CONFIG)
    before = _findings(linter, text, "doc")
    broken = text.replace("def predict_1(rows=1):", "def predict_1(rows=1:")
    (error,) = _findings(linter, broken, "doc")
    assert error.code == "SM900"
    assert error.line == text.split("\n").index("def predict_1(rows=1):") + 1
    assert _findings(linter, text, "doc") == before
    linter.forget("doc")
    assert _findings(linter, text, "doc") == before


# ------------------------------------------------------------------ the real server

PROJECT = Path(tempfile.mkdtemp(prefix="sm-lint-incremental-"))
shutil.copytree(DEMO / "models" / "dense", PROJECT / "models" / "dense")
(PROJECT / "src").mkdir()


client = lsp_client_fixture(PROJECT)


async def _diagnostics(client: LanguageClient, uri: str, version: int) -> list[lsp.Diagnostic]:
    """The diagnostics published for *version* of *uri* (a failure after 30 s)."""

    async def wait() -> list[lsp.Diagnostic]:
        while True:
            params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), timeout=30)


def _range(text: str, start: int, end: int) -> lsp.Range:
    def position(offset: int) -> lsp.Position:
        before = text[:offset]
        line = before.count("\n")
        column = len(before) - (before.rfind("\n") + 1)
        return lsp.Position(line, column)  # the module is ASCII: UTF-16 units = characters

    return lsp.Range(position(start), position(end))


@pytest.mark.asyncio
async def test_server_after_incremental_edits_publishes_what_a_fresh_document_gets(
    client: LanguageClient,
) -> None:
    text = long_module(6)
    uri = (PROJECT / "src" / "long_module.py").as_uri()
    version = 1
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", version, text))
    )
    assert await _diagnostics(client, uri, version) == []

    async def edit(start: int, end: int, new: str) -> list[lsp.Diagnostic]:
        """Replace text[start:end] by *new* with a range edit, as an editor sends it."""
        nonlocal text, version
        version += 1
        change = lsp.TextDocumentContentChangePartial(range=_range(text, start, end), text=new)
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=version, uri=uri), [change]
            )
        )
        text = text[:start] + new + text[end:]
        return await _diagnostics(client, uri, version)

    # A mistake typed into the third call, a line inserted at the top, a function deleted,
    # a statement broken and mended.
    third = [i for i in range(len(text)) if text.startswith("tf.constant(batch))", i)][2]
    at = third + len("tf.constant(batch")
    assert [d.code for d in await edit(at, at, ", dtype=tf.float64")] == ["SM005"]
    await edit(0, 0, "import json\n")
    await edit(text.index("def helper_1("), text.index("SETTING_1 = 1"), "")
    header = "def predict_4(rows=4)"
    at = text.index(header) + len(header) - 1
    assert [d.code for d in await edit(at, at + 1, "")] == ["SM900"]
    final = await edit(at, at, ")")
    assert [d.code for d in final] == ["SM005"]

    fresh_uri = (PROJECT / "src" / "fresh_copy.py").as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(fresh_uri, "python", 1, text))
    )
    assert final == await _diagnostics(client, fresh_uri, 1)
    assert final[0].range.start.line == text[: text.index("dtype=tf.float64")].count("\n")
