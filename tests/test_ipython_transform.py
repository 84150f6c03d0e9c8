"""sm_lint.sources.ipython against IPython itself.

Every cell here, hand-written or generated from fragments of IPython syntax, goes through
sm-lint's transformation and through the real IPython (tests/ipython_oracle.py): both must
agree on whether the cell is Python, whether it parses, and on its code lines. The
transformation must also keep the cell's lines (line l of the result is line l of the cell,
columns shifted by the reported offsets) and never raise, whatever the text.
``SM_LINT_FUZZ_BUDGET`` scales the number of generated cells.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sm_lint.sources import ipython_cleanup
from sm_lint.sources.ipython import CellCode, transform_cell
from tests.ipython_oracle import TRANSFORM_LOOP_LIMIT, compare, parses
from tests.test_robustness import fuzz_settings


def _python(cell: str) -> str | None:
    return transform_cell(cell).python


# -- what the transformation gives ------------------------------------------------------------


def test_an_indented_cell_loses_its_common_indentation() -> None:
    code = transform_cell("  x = 1\n  if x:\n      !ls\n  y = 2")
    assert code == CellCode("x = 1\nif x:\n    get_ipython().system('ls')\ny = 2", (2, 2, 2, 2))


def test_an_escaped_command_continued_with_backslashes_takes_its_lines() -> None:
    cell = (
        "!saved_model_cli run --dir simple-save --tag_set serve \\\n"
        " --signature_def serving_default --input_exprs input=10\n"
        "print(1)\n"
    )
    assert _python(cell) == (
        "get_ipython().system('saved_model_cli run --dir simple-save --tag_set serve   "
        "--signature_def serving_default --input_exprs input=10')\n"
        "\n"
        "print(1)\n"
    )


def test_a_magic_inside_a_block_keeps_the_block() -> None:
    cell = "for i in range(3):\n    %env X=1\n    !echo $i\nprint(i)\n"
    python = _python(cell)
    assert python is not None and parses(python)
    assert python.splitlines()[1] == "    get_ipython().run_line_magic('env', 'X=1')"


def test_assignments_from_magics_still_bind_the_name() -> None:
    assert _python("files = !ls -la\nprint(files)") == (
        "files = get_ipython().getoutput('ls -la')\nprint(files)"
    )
    assert _python("env = %env") == "env = get_ipython().run_line_magic('env', '')"


def test_cells_in_another_language_are_left_out() -> None:
    for magic in ("bash", "writefile model.py", "html", "javascript", "script ruby", "python"):
        assert _python(f"%%{magic}\nwhatever (\n") is None
    assert _python("\n  %%bash\n  echo hi") is None  # after the cleanup, as IPython reads it


def test_cell_magics_with_a_python_body_keep_the_body() -> None:
    assert _python("%%time\nx = 1\n!ls\n") == (
        "get_ipython().run_cell_magic('time', '', '')\nx = 1\nget_ipython().system('ls')\n"
    )
    # %%capture binds its variable; nested cell magics are read the way IPython runs them.
    assert _python("%%capture out --no-stderr\n%%time\ny = 2") == (
        "out = get_ipython().run_cell_magic('capture', 'out --no-stderr', '')\n"
        "get_ipython().run_cell_magic('time', '', '')\n"
        "y = 2"
    )
    # The body is a cell of its own: its indentation goes.
    code = transform_cell("%%timeit\n    f(x)\n    g(x)")
    assert code == CellCode("get_ipython().run_cell_magic('timeit', '', '')\nf(x)\ng(x)", (0, 4, 4))


def test_a_timeit_body_that_binds_names_is_left_out() -> None:
    # %%timeit runs its body in a namespace of its own: its calls are checked, but a body
    # whose bindings would be read as the program's (they vanish after it) is left out.
    assert _python("%%timeit -n 10\ninfer(x=batch)") == (
        "get_ipython().run_cell_magic('timeit', '-n 10', '')\ninfer(x=batch)"
    )
    assert _python("%%timeit\ninfer = other.signatures['b']\ninfer(y=1)") is None
    assert _python("%%time\ninfer = other.signatures['b']") is not None  # %%time: user's


def test_help_prompts_and_autocall_escapes() -> None:
    assert _python("tf.saved_model.load?\n??os") == (
        "get_ipython().run_line_magic('pinfo', 'tf.saved_model.load')\n"
        "get_ipython().run_line_magic('pinfo2', 'os')"
    )
    assert transform_cell(">>> x = 1\n... y = 2\n") == CellCode("x = 1\ny = 2\n", (4, 4, 0))
    assert transform_cell("In [3]: x = 1\n   ...: y = 2") == CellCode("x = 1\ny = 2", (8, 8))
    assert _python("/f 1 2\n,g a b\n;h a b") == 'f(1, 2)\ng("a", "b")\nh("a b")'


def test_time_keeps_its_statement_for_the_analysis() -> None:
    code = transform_cell("def f():\n    %time   y = sig(x=1)\n    return y")
    assert code == CellCode("def f():\n    y = sig(x=1)\n    return y", (0, 8, 0))
    # Column 4 of the statement is column 12 of the cell: offset 8.
    assert "    %time   y = sig(x=1)"[12:] == "    y = sig(x=1)"[4:]
    # A statement that is not Python alone stays a magic call, as %time would fail at run time.
    assert _python("%time !ls") == "get_ipython().run_line_magic('time', '!ls')"


def test_automagic_runs_a_single_line_that_is_not_python() -> None:
    assert _python("pip install -q tensorflow-hub\n") == (
        "get_ipython().run_line_magic('pip', 'install -q tensorflow-hub')\n"
    )
    # Python wins when the line is Python, or when the cell has more than one line.
    assert _python("ls = 3") == "ls = 3"
    assert _python("pip install x\nimport os") == "pip install x\nimport os"


def test_a_real_syntax_error_stays_where_it_is() -> None:
    cell = "splits, info = tfds.load( # YOUR CODE HERE )\n\n(train, test) = splits\n"
    python = _python(cell)
    assert python == cell and not parses(python)


def test_a_cell_of_only_magics_is_python() -> None:
    cell = "%load_ext autoreload\n%autoreload 2\n!pip install -q tf-nightly\n%matplotlib inline"
    python = _python(cell)
    assert python is not None and parses(python)
    assert python.count("\n") == cell.count("\n")


def test_ipython_gives_up_after_500_transformations() -> None:
    # IPython raises "Input transformation still changing after 500 iterations" (asking it
    # here would take minutes: it tokenizes the whole cell once per transformation).
    assert TRANSFORM_LOOP_LIMIT == 500
    cell = "\n".join(f"!echo {i}" for i in range(500))
    python = _python(cell)
    assert python is not None and not parses(python)
    assert python.splitlines()[499] == "!echo 499"  # the one left over
    assert python.splitlines()[498] == "get_ipython().system('echo 498')"
    fewer = "\n".join(f"!echo {i}" for i in range(499))
    assert parses(_python(fewer) or "")
    many = "\n".join(f"!echo {i}" for i in range(5000))  # fast, and no traceback
    assert not parses(_python(many) or "")


# -- agreement with IPython -------------------------------------------------------------------

HAND_WRITTEN = [
    "x = 1",
    "",
    "\n\n",
    "  x = 1\n  y = 2\n",
    "  x = 1\ny = 2\n",
    "\tx = 1\n\tif x:\n\t\t!ls\n",
    "   \n  a = 1\n    b = 2\n",
    "if x:\n    !ls\n  !pwd\n",
    "!ls \\\n  -la \\\n",
    "!ls \\",
    "x = 1 + \\\n%time 2",
    "x = !ls \\\n -la\ny = x",
    "a, b = %sx ls\n",
    "d['k'] = !ls",
    "f(a=!ls)",
    "x == !ls",
    "x = (\n foo?",
    "foo(1)?",
    "foo?  # a comment",
    "%foo?",
    "%%time?\nx = 1",
    "?",
    "??",
    "x = 5 if a else b?",
    "a.b[0]?",
    "a.b[x]?",
    "s = '''\n!ls\n'''\n!pwd",
    "s = 'unterminated\n!ls",
    "print('%d' % 3)\n%env",
    "  !ls\n x = 1",
    "def f():\n    return 1\n  !ls",
    "if x:\n        a = 1\n    !ls",
    "%%time\n",
    "%%time",
    "%%time\n\n\n  x = 1\n  !ls\n",
    "%%capture\n%%bash\necho",
    "%%capture c\nprint(1)\n%%time",
    "%% \nx",
    "%%bash\nx",
    "%%timeit -n1 setup()\nrun()",
    "%%timeit\ny = run()",
    "%%capture\n%%timeit\n[i for i in r]",
    ">>> x = 1\n>>> y = (\n...     2)\n",
    ">>>x = 1",
    "x = 1\n>>> y = 2\n>>> z = 3",
    "In [1]: x = 1\n   ...: y = 2\n",
    "[ins] In [2]: x = 1\n",
    "   ...: y = 2",
    "pip install x",
    "cd ..",
    "ls -la",
    "ls = 1",
    "time.sleep(1)",
    "time f(x)",
    "  pip install x\n\n",
    "pip install x\n\n",
    "/f 1 2",
    "/f a=1 b",
    ',f a"b',
    ";f a b",
    ";",
    "x = 1; !ls",
    "!ls; x = 1",
    "%time x = (",
    "%time x = 1\n%timeit y = 2\n",
    "if x:\n%time y = 1",
    "await asyncio.sleep(0)\n!ls",
    "x = 1\r\n!ls\r\ny = 2\r\n",
    "foo?\r\nbar",
    "!!date\nx = !!date",
    "%%!\nls",
    "# YOUR CODE HERE )",
    "get_ipython().system('ls')\nget_ipython().run_line_magic('matplotlib', 'inline')",
    "x = f'{a!r}'\ny = a != b\nprint('!ls', \"%d?\" % 1)",
    "d = {'a': !ls}",
    "x = [\n  !ls\n]",
    "if True:\n    x = 1\n# comment\n  !ls",
    "%time\n%time \nx = 1",
    "model = tf.keras.Sequential([ # YOUR CODE HERE ])\nmodel.fit()",
]


@pytest.mark.parametrize("cell", HAND_WRITTEN)
def test_hand_written_cells_agree_with_ipython(cell: str) -> None:
    same, why = compare(cell)
    assert same, why


_PYTHON = [
    "x = 1",
    "y = f(x)",
    "if x:",
    "def f():",
    "return 1",
    "print(x)",
    "s = '''a",
    "b'''",
    "t = (1,",
    "2)",
    "# a comment",
    "z = [",
    "]",
    "w = 1 + \\",
    "2",
    "else:",
    "for i in range(3):",
    "pass",
    "result = infer(x=tf.constant([[1.0]]))",
]
_IPYTHON = [
    "!ls -la",
    "!saved_model_cli show --dir m \\",
    "--all \\",
    "!!date",
    "%matplotlib inline",
    "%time x = 1",
    "%timeit f(x)",
    "%env",
    "%%time",
    "%%capture out",
    "%%bash",
    "x = !ls",
    "y = %env",
    "files = !ls \\",
    "os.path?",
    "?os",
    "obj??",
    "foo(1)?",
    "/f 1 2",
    ",f a b",
    ";f a b",
    ">>> x = 1",
    "... y",
    "In [1]: z = 3",
    "   ...: w",
    "pip install x",
    "cd ..",
    "",
    "   ",
]
_LINE = st.tuples(
    st.sampled_from(["", "", "  ", "    ", "\t"]),
    st.sampled_from(_PYTHON + _IPYTHON),
).map("".join)
_CELL = st.tuples(st.lists(_LINE, min_size=1, max_size=8), st.booleans()).map(
    lambda parts: "\n".join(parts[0]) + ("\n" if parts[1] else "")
)


@fuzz_settings(300)
@given(_CELL)
def test_generated_cells_agree_with_ipython(cell: str) -> None:
    same, why = compare(cell)
    assert same, f"{cell!r}: {why}"


# -- any text ---------------------------------------------------------------------------------

_TEXT = st.text(
    st.sampled_from(list(" \t\n\r\\!%?;,/=()[]{}'\"#.:>xyzIn0123456789\x0c\u2028")), max_size=80
) | st.text(max_size=80)


# What str.splitlines (so IPython) splits on: each stays where it was, in order.
_SEPARATORS = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


@fuzz_settings(400)
@given(_TEXT)
def test_any_text_keeps_its_lines_and_never_raises(cell: str) -> None:
    code = transform_cell(cell)
    assert len(code.offsets) == cell.count("\n") + 1
    if code.python is None:
        return
    assert _SEPARATORS.findall(code.python) == _SEPARATORS.findall(cell)
    for whole_ours, whole_theirs, offset in zip(
        code.python.split("\n"), cell.split("\n"), code.offsets, strict=True
    ):
        # The mapping holds up to another separator IPython splits on (\f, \u2028 ...).
        ours, theirs = _SEPARATORS.split(whole_ours)[0], _SEPARATORS.split(whole_theirs)[0]
        indent = len(ours) - len(ours.lstrip())
        rest = theirs[offset + indent :]
        replaced = (
            not ours.strip()
            or "get_ipython()" in ours
            or theirs[offset:].lstrip()[:1] in (",", ";", "/")
        )
        assert replaced or ours[indent:] == rest, (ours, theirs, offset)


@pytest.mark.parametrize("cell", ["9]\n/x;;!ls\r%time \n!ls", "%time ,)await \r8:8)!ls6I3?\n3"])
def test_a_lone_carriage_return_stays_its_own_line_break(cell: str) -> None:
    # An emptied line after a lone "\r" must not turn "\r" + "\n" into one "\r\n".
    python = _python(cell)
    assert python is not None
    assert _SEPARATORS.findall(python) == _SEPARATORS.findall(cell)


# -- the copy used when IPython is not installed ----------------------------------------------


def _installed_major() -> int:
    import IPython

    return int(IPython.__version__.split(".")[0])


_MIRRORED = (
    ipython_cleanup.FALLBACK_MIRRORS[0]
    <= _installed_major()
    <= (ipython_cleanup.FALLBACK_MIRRORS[1])
)
mirrored_only = pytest.mark.skipif(
    not _MIRRORED,
    reason=f"the copy mirrors IPython {ipython_cleanup.FALLBACK_MIRRORS}, not the installed one",
)


@pytest.fixture
def without_ipython(monkeypatch: pytest.MonkeyPatch) -> None:
    """sm-lint as it runs where IPython cannot be imported: the copy of its cleanup."""
    monkeypatch.setattr(ipython_cleanup, "installed_cleanup", lambda: None)


def test_the_installed_ipython_cleanup_is_used_when_importable() -> None:
    assert ipython_cleanup.installed_cleanup() is not None


@mirrored_only
@pytest.mark.parametrize("cell", HAND_WRITTEN)
@pytest.mark.usefixtures("without_ipython")
def test_without_ipython_hand_written_cells_agree_with_ipython(cell: str) -> None:
    same, why = compare(cell)
    assert same, why


@mirrored_only
@fuzz_settings(300)
@given(_CELL)
def test_without_ipython_generated_cells_agree_with_ipython(cell: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ipython_cleanup, "installed_cleanup", lambda: None)
        same, why = compare(cell)
    assert same, why


@mirrored_only
@pytest.mark.parametrize(
    "lines",
    [
        ["  x = 1\n", "y = 2\n"],
        ["    >>> def f():\n", "    ...     return 1\n", "    >>> f()\n"],
        ['s = """\n', ">>> not a prompt\n", '"""\n', ">>> x = 1\n"],
        ["In [3]: x = 1\n", "   ...: y = 2\n"],
        ["  \n", "  a\n", "\tb\n"],
    ],
)
def test_the_copied_cleanup_equals_ipythons_own(lines: list[str]) -> None:
    own = ipython_cleanup.installed_cleanup()
    assert own is not None
    assert ipython_cleanup.copied_cleanup(lines) == own(list(lines))
