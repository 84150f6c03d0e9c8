"""Robustness: sm-lint on any input ends with findings or a clean error, never a traceback,
a crash, a hang or unbounded memory.

1. Property tests (hypothesis, hypothesmith): any generated Python program lints without
   an exception, alone and behind a real model load, with generated expressions passed
   as signature arguments; programs over the modelled numpy/TensorFlow API with awkward
   numbers; sm-lint's own node positions equal libcst's PositionProvider.
2. A mutation fuzzer for ``saved_model.pb`` (truncation at every stride, bit flips, byte
   edits, length prefixes rewritten inside the real wire structure, deep nesting, huge
   counts): ``ModelReadError`` or a valid result, each read timed and memory-bounded; a
   source that loads a corrupted model gets SM012.
3. Source edge cases through ``lint_source`` and the CLI as a subprocess: a 50,000-line
   file, deep nesting and long chains, non-UTF-8, BOM, CRLF and lone CR, tabs, characters
   str.splitlines() breaks at, ``--fix`` on those, binary ``.py`` files, syntax errors,
   symlink loops, unreadable folders, and analyzer corner cases (overlong and unreadable
   model paths, a zero slice step, exponential constant folding).

``SM_LINT_FUZZ_BUDGET`` (a float, default 1) scales every example count; ``5`` runs five
times as many. Hypothesis runs derandomized (the same examples on every run) unless
``SM_LINT_FUZZ_SEED`` is set; the byte fuzzers use that seed (default printed on failure).

Tests marked ``xfail(strict=True)`` expose real bugs; each reason says what is wrong.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesmith
import libcst
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from sm_lint.api import lint_source
from sm_lint.config import Config
from sm_lint.diagnostics import Diagnostic
from sm_lint.models import ModelReadError, ModelSignatures, clear_cache, read_signatures
from sm_lint.rules.catalogue import RULES
from tests.conftest import cli_in_process

with contextlib.suppress(ImportError):  # keep hypothesis' files out of the repository
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "sm-lint-hypothesis"))

# hypothesmith compiles what it generates: CPython's SyntaxWarnings are noise here.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

FIXTURES = (Path(__file__).parent / "fixtures" / "models").resolve()
DENSE = FIXTURES / "keras_export_dense"
MULTI = FIXTURES / "module_multi"
CONFIG = Config(models=(FIXTURES,))

BUDGET = float(os.environ.get("SM_LINT_FUZZ_BUDGET", "1") or "1")
_SEED_ENV = os.environ.get("SM_LINT_FUZZ_SEED")
SEED = int(_SEED_ENV) if _SEED_ENV else 1234

READ_SECONDS = 5.0  # the most any one model read may take
READ_BYTES = 200 * 2**20  # the most memory any one model read may allocate


def scaled(n: int) -> int:
    return max(1, round(n * BUDGET))


def fuzz_settings(examples: int) -> Callable[[Any], Any]:
    """Hypothesis settings: *examples* scaled by the budget, no deadline, no database,
    derandomized unless SM_LINT_FUZZ_SEED is set."""

    def decorate(test: Any) -> Any:
        test = settings(
            max_examples=scaled(examples),
            deadline=None,
            database=None,
            derandomize=_SEED_ENV is None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
                HealthCheck.large_base_example,
            ],
        )(test)
        return seed(SEED)(test) if _SEED_ENV is not None else test

    return decorate


HEAD = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    f"m = tf.saved_model.load({str(DENSE)!r})\n"
    'infer = m.signatures["serving_default"]\n'
    f"multi = tf.saved_model.load({str(MULTI)!r})\n"
    'pair = multi.signatures["pair"]\n'
)


def _lines(source: str | bytes) -> int:
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    return len(re.split(r"\r\n|\r|\n", text))


def checked_lint(source: str | bytes, path: str = "gen.py") -> list[Diagnostic]:
    """lint_source, which must not raise; every finding is a known rule at a real place."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings from compile() on odd programs
        findings = lint_source(source, path, CONFIG)
    last = _lines(source) + 1
    for d in findings:
        assert d.code in RULES, d
        assert 1 <= d.line <= d.end_line <= last, d
        assert d.column >= 1 and d.end_column >= 1, d
        assert (d.end_line, d.end_column) >= (d.line, d.column), d
        assert "\n" not in d.message and "Traceback" not in d.message, d
        # Per-file isolation turns an exception into an SM900: it is a bug all the same.
        assert "internal error" not in d.message, d
    return findings


def _compiles(source: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, "gen.py", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return False
    return True


# =========================================================================== 1. properties


@fuzz_settings(40)
@given(hypothesmith.from_grammar())
def test_any_program_from_the_grammar(program: str) -> None:
    findings = checked_lint(program)
    # hypothesmith only yields programs CPython compiles: no syntax error to report.
    assert not [d for d in findings if d.code == "SM900"], findings


@fuzz_settings(8)
@given(hypothesmith.from_node())
def test_any_program_from_libcst_nodes(program: str) -> None:
    findings = checked_lint(program)
    if _compiles(program):
        assert not [d for d in findings if d.code == "SM900"], findings


def _expressions(program: str, limit: int = 4) -> list[str]:
    """Source text of expressions inside *program* (which CPython parsed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(program)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Starred, ast.Slice)):
            with contextlib.suppress(Exception):
                out.append(ast.unparse(node))
        if len(out) >= limit:
            break
    return out


# Places a generated expression goes: signature arguments, array constructors, model
# paths, signature keys and output keys.
WRAPPERS = [
    "infer(keras_tensor=({}))",
    "infer(({}))",
    "infer(**({}))",
    "infer(keras_tensor=tf.constant({}))",
    "infer(keras_tensor=np.array({}, dtype=np.float32))",
    "infer(keras_tensor=np.zeros(({}), np.float32))",
    "infer(keras_tensor=tf.cast(({}), tf.float32).reshape(({})))",
    "pair(left=({}), right=np.zeros((3, 3), np.float32))",
    "m.signatures[({})](keras_tensor=np.zeros((1, 5), np.float32))",
    "tf.saved_model.load(({})).signatures['serving_default']()",
    "infer(keras_tensor=np.zeros((1, 5), np.float32))[({})]",
    "x = ({})\nout = infer(keras_tensor=x)\nprint(out[x])",
]


@fuzz_settings(40)
@given(hypothesmith.from_grammar(), st.data())
def test_grammar_expressions_as_signature_arguments(program: str, data: st.DataObject) -> None:
    """HEAD loads real models; expressions harvested from a generated program go into
    signature calls; the generated program itself follows."""
    expressions = _expressions(program) or ["0"]
    calls = []
    for expression in expressions:
        wrapper = data.draw(st.sampled_from(WRAPPERS))
        calls.append(wrapper.replace("{}", expression))
    source = HEAD + "\n".join(calls) + "\n" + program
    checked_lint(source)


@fuzz_settings(25)
@given(hypothesmith.from_node(libcst.Call), st.sampled_from(WRAPPERS))
def test_libcst_call_expressions_as_signature_arguments(expression: str, wrapper: str) -> None:
    checked_lint(HEAD + wrapper.replace("{}", expression) + "\n")


# The API surface the analyzer models (README "What it understands"), with awkward
# numbers: zero, negative, huge, float, None, bool, and names it cannot know.
_NUMBERS = st.sampled_from(
    [
        "0",
        "1",
        "2",
        "5",
        "-1",
        "-3",
        "None",
        "10**20",
        "-10**20",
        "2**63",
        "1.5",
        "1e999",
        "True",
        "x",
        "n",
        "len(x)",
    ]
)
_DTYPES = st.sampled_from(
    [
        "np.float32",
        "np.float64",
        "np.int64",
        "np.uint8",
        "np.bool_",
        "'float32'",
        "float",
        "int",
        "tf.float32",
        "tf.int32",
        "tf.string",
        "tf.bfloat16",
        "None",
        "'nonsense'",
    ]
)


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


_SHAPES = st.one_of(
    _NUMBERS,
    st.lists(_NUMBERS, max_size=4).map(_tuple),
    st.lists(_NUMBERS, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
)
_INDICES = st.sampled_from(
    [
        "0",
        "None",
        "...",
        ":",
        "::0",
        "::-1",
        "1:",
        "None, :",
        "..., None",
        ":, 0",
        "10**20",
        "-10**20:",
        "::2, ::3",
        "x",
        "[0, 1]",
        "True",
        "0:0",
        "5:1:-1",
        "0, 0, 0, 0",
    ]
)
_LEAVES = st.one_of(
    st.builds("np.zeros({}, {})".format, _SHAPES, _DTYPES),
    st.builds("np.ones({}, dtype={})".format, _SHAPES, _DTYPES),
    st.builds("np.random.rand({}, {})".format, _NUMBERS, _NUMBERS),
    st.builds("tf.ones({}, dtype={})".format, _SHAPES, _DTYPES),
    st.builds("tf.random.normal({})".format, _SHAPES),
    st.builds("tf.fill({}, {})".format, _SHAPES, _NUMBERS),
    st.builds("np.arange({}, {}, {})".format, _NUMBERS, _NUMBERS, _NUMBERS),
    st.builds("tf.range({}, {})".format, _NUMBERS, _NUMBERS),
    st.builds("np.linspace(0, 1, {}, dtype={})".format, _NUMBERS, _DTYPES),
    st.builds("np.eye({}, {})".format, _NUMBERS, _NUMBERS),
    st.builds("np.full({}, {})".format, _SHAPES, _NUMBERS),
    st.builds("np.random.randint(0, 10, size={})".format, _SHAPES),
    st.builds("np.random.default_rng(0).normal(size={})".format, _SHAPES),
    st.builds("tf.io.decode_png(b'', channels={})".format, _NUMBERS),
    _NUMBERS,
    _SHAPES,
    st.sampled_from(["[[1.0, 2.0], [3.0]]", "'s'", "b'b'", "[]", "[[]]", "{}", "x", "[None]"]),
)


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("tf.cast({}, {})".format, inner, _DTYPES),
        st.builds("np.asarray({}, dtype={})".format, inner, _DTYPES),
        st.builds("({}).astype({})".format, inner, _DTYPES),
        st.builds("tf.constant({})".format, inner),
        st.builds("tf.constant({}, dtype={})".format, inner, _DTYPES),
        st.builds("tf.convert_to_tensor({})".format, inner),
        st.builds("tf.Variable({})".format, inner),
        st.builds("np.array({})".format, inner),
        st.builds("np.expand_dims({}, {})".format, inner, _NUMBERS),
        st.builds("tf.expand_dims({}, axis={})".format, inner, _NUMBERS),
        st.builds("np.squeeze({}, {})".format, inner, _NUMBERS),
        st.builds("np.reshape({}, {})".format, inner, _SHAPES),
        st.builds("({}).reshape({})".format, inner, _SHAPES),
        st.builds("tf.reshape({}, {})".format, inner, _SHAPES),
        st.builds("np.transpose({}, {})".format, inner, _SHAPES),
        st.builds("tf.transpose({})".format, inner),
        st.builds("({}).T".format, inner),
        st.builds("({})[{}]".format, inner, _INDICES),
        st.builds("np.stack([{}, {}], axis={})".format, inner, inner, _NUMBERS),
        st.builds("np.concatenate([{}, {}], axis={})".format, inner, inner, _NUMBERS),
        st.builds("tf.concat([{}, {}], {})".format, inner, inner, _NUMBERS),
        st.builds("np.vstack([{}, {}])".format, inner, inner),
        st.builds("np.hstack(({}, {}))".format, inner, inner),
        st.builds("tf.stack([{}, {}])".format, inner, inner),
        st.builds("np.zeros_like({})".format, inner),
        st.builds("tf.ones_like({}, dtype={})".format, inner, _DTYPES),
        st.builds("tf.image.resize({}, {})".format, inner, _SHAPES),
        st.builds("[{}, {}]".format, inner, inner),
        st.builds("({}, {})".format, inner, inner),
        st.builds("{} * {}".format, inner, inner),
        st.builds("{} + {}".format, inner, inner),
        st.builds("-{}".format, inner),
    )


API_EXPRESSIONS = st.recursive(_LEAVES, _grow, max_leaves=6)
_KEYS = st.sampled_from(
    [
        '"serving_default"',
        '"serve"',
        '"pair"',
        '"classify_image"',
        '"lookup"',
        '"nope"',
        "tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY",
        "0",
        "None",
        "k",
    ]
)
_NAMES = st.sampled_from(
    ["keras_tensor", "x", "left", "right", "image", "ids", "text", "x_0", "bogus"]
)
_MODELS = st.sampled_from(
    [
        "keras_export_dense",
        "module_multi",
        "tf1_builder",
        "keras_two_inputs",
        "serving/dense",
        "text_format",
        "keras_float64",
        "no_such_model",
    ]
)


@st.composite
def api_programs(draw: st.DrawFn) -> str:
    lines = [
        "import numpy as np",
        "import tensorflow as tf",
        f"m = tf.saved_model.load({str(FIXTURES / draw(_MODELS))!r})",
        f"f = m.signatures[{draw(_KEYS)}]",
    ]
    for _ in range(draw(st.integers(1, 3))):
        keywords = draw(st.lists(st.tuples(_NAMES, API_EXPRESSIONS), max_size=3))
        parts = draw(st.lists(API_EXPRESSIONS, max_size=1))
        parts += [f"{name}={value}" for name, value in keywords]
        parts += draw(st.sampled_from([[], [], ["**{'x:0': np.zeros((2, 3))}"], ["*[]"]]))
        output = draw(st.sampled_from(['["output_0"]', '["scores"]', "[0]", "", ".keys()"]))
        lines.append(f"r = f({', '.join(parts)}){output}")
        if draw(st.booleans()):
            lines.append(f"r = m.signatures[{draw(_KEYS)}]({', '.join(parts)})")
    return "\n".join(lines) + "\n"


@fuzz_settings(150)
@given(api_programs())
def test_api_expressions_never_crash_the_analyzer(source: str) -> None:
    checked_lint(source)


def _positions_module() -> Any:
    try:
        from sm_lint.analysis import positions
    except ImportError:  # older layout: positions came from libcst's PositionProvider
        pytest.skip("sm_lint.analysis.positions is not there")
    return positions


# The nodes whose places findings and editor features report.
_PLACED = (libcst.BaseExpression, libcst.Arg, libcst.SubscriptElement, libcst.BaseSmallStatement)


def _position_mismatches(source: str) -> list[tuple[str, Any, Any]]:
    """Nodes whose position sm-lint computes differently from libcst's PositionProvider."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        module = libcst.parse_module(source)
    except Exception:
        return []
    ours = _positions_module().Positions(module)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    out = []
    for node, where in theirs.items():
        if isinstance(node, _PLACED):
            expected = (where.start.line, where.start.column, where.end.line, where.end.column)
            got = ours.of(node)
            if got != expected:
                out.append((type(node).__name__, got, expected))
    return out


@fuzz_settings(40)
@given(st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node()))
def test_positions_match_libcst_position_provider(program: str) -> None:
    """sm-lint computes node positions itself (sm_lint.analysis.positions, "the way
    libcst's PositionProvider does"): the same numbers for every expression, argument and
    statement of any program."""
    assert _position_mismatches(program) == []


def test_lone_cr_positions() -> None:
    """A lone CR ends a line (classic Mac files, a backslash-CR continuation); 5378f86
    counted lines at LF only, and bc0a70a fixed that."""
    assert _position_mismatches("x = 1\ry = (1,\r 2)\r") == []
    assert _position_mismatches("x = 1 + \\\r  2\ny = (3,\r\n 4)\r") == []


# =========================================================================== 2. model files


def varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def tensor_info(name: str, dtype: int, dims: list[int]) -> bytes:
    shape = b"".join(field(2, varint(1 << 3) + varint(d)) for d in dims)
    return field(1, name.encode()) + varint(2 << 3) + varint(dtype) + field(3, shape)


def signature_def(inputs: dict[str, bytes], outputs: dict[str, bytes]) -> bytes:
    out = b"".join(field(1, field(1, k.encode()) + field(2, v)) for k, v in inputs.items())
    out += b"".join(field(2, field(1, k.encode()) + field(2, v)) for k, v in outputs.items())
    return out + field(3, b"tensorflow/serving/predict")


def meta_graph(tags: list[str], signatures: dict[str, bytes]) -> bytes:
    body = field(1, b"".join(field(4, t.encode()) for t in tags))
    for key, sig in signatures.items():
        body += field(5, field(1, key.encode()) + field(2, sig))
    return field(2, body)


GOOD_SIGNATURE = signature_def(
    {"x": tensor_info("x:0", 1, [-1, 4])}, {"y": tensor_info("y:0", 1, [-1, 2])}
)


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def length_prefixes(data: bytes, base: int = 0) -> list[tuple[int, int, int]]:
    """(start, end) of the length varint and the payload length of every length-delimited
    field in *data*, recursing into payloads that parse as messages."""
    out: list[tuple[int, int, int]] = []
    i = 0
    try:
        while i < len(data):
            tag, i = _read_varint(data, i)
            wire = tag & 7
            if wire == 0:
                _, i = _read_varint(data, i)
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            elif wire == 2:
                start = i
                length, i = _read_varint(data, i)
                if i + length > len(data):
                    return out
                out.append((base + start, base + i, length))
                out.extend(length_prefixes(data[i : i + length], base + i))
                i += length
            else:
                return out
    except ValueError:
        pass
    return out


SEED_PB = sorted(FIXTURES.rglob("saved_model.pb"))
SEED_PBTXT = FIXTURES / "text_format" / "saved_model.pbtxt"


class ModelFuzzer:
    """Writes bytes as a model folder's saved_model.pb(txt) and reads them back, timing
    each read and tracing its memory."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "fuzzed"
        self.folder.mkdir()
        self.slowest = (0.0, "")
        self.largest = (0, "")
        self.outcomes = {"read": 0, "error": 0}

    def read(self, data: bytes, what: str, name: str = "saved_model.pb") -> ModelSignatures | None:
        for old in ("saved_model.pb", "saved_model.pbtxt"):
            (self.folder / old).unlink(missing_ok=True)
        (self.folder / name).write_bytes(data)
        clear_cache()
        tracemalloc.reset_peak()
        start = time.perf_counter()
        try:
            result: ModelSignatures | None = read_signatures(self.folder)
        except ModelReadError as error:
            text = str(error)
            assert "\n" not in text and text.startswith(str(self.folder)), (what, text)
            result = None
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        assert seconds < READ_SECONDS, f"{what}: one read took {seconds:.1f} s"
        assert peak < READ_BYTES, f"{what}: one read allocated {peak / 2**20:.0f} MB"
        self.slowest = max(self.slowest, (seconds, what))
        self.largest = max(self.largest, (peak, what))
        if result is not None:
            assert isinstance(result, ModelSignatures)
            for sig in result.signatures.values():  # a valid result is usable
                for spec in (*sig.inputs.values(), *sig.outputs.values()):
                    assert isinstance(spec.dtype, str)
                    assert spec.shape is None or all(
                        d is None or isinstance(d, int) for d in spec.shape
                    )
        self.outcomes["read" if result is not None else "error"] += 1
        return result


@pytest.fixture
def fuzzer(tmp_path: Path) -> Iterator[ModelFuzzer]:
    tracemalloc.start()
    try:
        yield ModelFuzzer(tmp_path)
    finally:
        tracemalloc.stop()
        clear_cache()


def test_truncation_at_every_stride(fuzzer: ModelFuzzer) -> None:
    """Each fixture model cut at its first and last 48 bytes and at evenly spaced points
    between (test_models_reader cuts module_multi at seven points only)."""
    for path in SEED_PB:
        data = path.read_bytes()
        step = max(1, len(data) // scaled(60))
        cuts = {*range(48), *range(48, len(data), step), *range(len(data) - 48, len(data))}
        for cut in sorted(c for c in cuts if 0 <= c < len(data)):
            fuzzer.read(data[:cut], f"{path.parent.name} cut at {cut}")
    assert fuzzer.outcomes["error"] > 0


def test_bit_flips(fuzzer: ModelFuzzer) -> None:
    rng = random.Random(SEED)
    for n in range(scaled(300)):
        path = rng.choice(SEED_PB)
        buf = bytearray(path.read_bytes())
        flips = rng.choice([1, 1, 2, 3, 8, 32])
        where = [rng.randrange(len(buf) * 8) for _ in range(flips)]
        for bit in where:
            buf[bit // 8] ^= 1 << (bit % 8)
        fuzzer.read(bytes(buf), f"#{n} seed {SEED}: {path.parent.name} bits {where}")


def test_byte_insertions_deletions_and_splices(fuzzer: ModelFuzzer) -> None:
    rng = random.Random(SEED + 1)
    for n in range(scaled(200)):
        data = rng.choice(SEED_PB).read_bytes()
        at = rng.randrange(len(data))
        kind = rng.choice(["insert", "delete", "duplicate", "splice", "overwrite"])
        if kind == "insert":
            data = data[:at] + rng.randbytes(rng.randint(1, 16)) + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + rng.randint(1, 64) :]
        elif kind == "duplicate":
            data = data[:at] + data[at : at + rng.randint(1, 4096)] + data[at:]
        elif kind == "splice":
            other = rng.choice(SEED_PB).read_bytes()
            data = data[:at] + other[rng.randrange(len(other)) :]
        else:
            data = data[:at] + bytes([rng.choice([0, 0xFF, 0x80])]) * 8 + data[at + 8 :]
        fuzzer.read(data, f"#{n} seed {SEED + 1}: {kind} at {at}")


_HUGE_LENGTHS = [2**31 - 1, 2**31, 2**32 + 5, 2**62, 2**63 - 1, 2**64 - 1]


def test_length_prefixes_rewritten_inside_the_real_structure(fuzzer: ModelFuzzer) -> None:
    """Every kind of length-delimited field of a real model (at every nesting depth)
    gets a huge length, an off-by-one length, or zero."""
    rng = random.Random(SEED + 2)
    data = MULTI.joinpath("saved_model.pb").read_bytes()
    prefixes = length_prefixes(data)
    assert len(prefixes) > 1000  # the walk really went through the structure
    for start, end, length in rng.sample(prefixes, min(len(prefixes), scaled(120))):
        for new in [*_HUGE_LENGTHS, length + 1, max(length - 1, 0), 0, length * 1000 + 7]:
            mutated = data[:start] + varint(new) + data[end:]
            fuzzer.read(mutated, f"length at {start}: {length} -> {new}")


def test_text_format_truncation_and_bit_flips(fuzzer: ModelFuzzer) -> None:
    rng = random.Random(SEED + 3)
    text = SEED_PBTXT.read_bytes()
    for n in range(scaled(25)):
        cut = rng.randrange(len(text))
        fuzzer.read(text[:cut], f"pbtxt cut at {cut}", "saved_model.pbtxt")
        buf = bytearray(text)
        for _ in range(rng.choice([1, 2, 8])):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        fuzzer.read(bytes(buf), f"pbtxt flips #{n} seed {SEED + 3}", "saved_model.pbtxt")


# Extreme but well-formed structures: each runs in its own process so its peak memory
# (protobuf's C allocations included, which tracemalloc does not see) can be measured.
EXTREMES: dict[str, Callable[[], bytes]] = {
    "start_groups_1e6": lambda: varint(99 << 3 | 3) * 10**6 + varint(99 << 3 | 4) * 10**6,
    "unclosed_groups_1e6": lambda: varint(99 << 3 | 3) * 10**6,
    "composite_nesting_1e5": lambda: meta_graph(
        ["serve"], {"s": field(1, field(1, b"x") + _nested_composite(100_000))}
    ),
    "dims_1e6": lambda: meta_graph(
        ["serve"],
        {
            "s": signature_def(
                {"x": field(1, b"x") + field(3, field(2, varint(1 << 3) + varint(1)) * 10**6)},
                {},
            )
        },
    ),
    "signatures_1e4": lambda: meta_graph(
        ["serve"], {f"s{i}": GOOD_SIGNATURE for i in range(10_000)}
    ),
    "meta_graphs_5e4": lambda: (
        meta_graph(["other"], {"s": GOOD_SIGNATURE}) * 50_000
        + meta_graph(["serve"], {"s": GOOD_SIGNATURE})
    ),
    "inputs_5e4": lambda: meta_graph(
        ["serve"],
        {"s": signature_def({f"x{i}": tensor_info(f"x{i}", 1, [1]) for i in range(50_000)}, {})},
    ),
    "unknown_field_20MB": lambda: (
        field(99, b"\0" * 20 * 2**20) + meta_graph(["serve"], {"s": GOOD_SIGNATURE})
    ),
    "key_10MB": lambda: meta_graph(["serve"], {"k" * 10 * 2**20: GOOD_SIGNATURE}),
    "dims_extreme_values": lambda: meta_graph(
        ["serve"],
        {"s": signature_def({"x": tensor_info("x", 2**31 - 1, [2**63 - 1, -(2**63), -7])}, {})},
    ),
}


def _nested_composite(depth: int) -> bytes:
    """TensorInfo.composite_tensor.components[0] ... *depth* times (built inside out in
    linear time: each level is a tag and a length in front of the level below)."""
    inner = field(1, b"leaf")
    heads: list[bytes] = []
    size = len(inner)
    for _ in range(depth):
        for number in (2, 5):  # components (field 2) inside composite_tensor (field 5)
            head = varint(number << 3 | 2) + varint(size)
            heads.append(head)
            size += len(head)
    return field(2, b"".join(reversed(heads)) + inner)


_MEASURE = """
import json, resource, sys, time
from sm_lint.models import ModelReadError, read_signatures


def peak_kb():
    # VmHWM: this process's peak resident set (ru_maxrss survives exec on Linux, so it
    # would report the parent's peak).
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


before = peak_kb()
start = time.perf_counter()
try:
    model = read_signatures(sys.argv[1])
    outcome = "read %d signatures" % len(model.signatures)
except ModelReadError as error:
    outcome = "ModelReadError: " + str(error)[-120:]
seconds = time.perf_counter() - start
grown = peak_kb() - before
print(json.dumps({"seconds": seconds, "grown_kb": grown, "outcome": outcome}))
"""


@pytest.fixture(scope="module")
def extreme_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each extreme model read in a fresh process (two at a time)."""
    root = tmp_path_factory.mktemp("extremes")
    procs: dict[str, subprocess.Popen[str]] = {}
    results: dict[str, dict[str, Any]] = {}

    def collect(name: str) -> None:
        out, err = procs[name].communicate(timeout=120)
        results[name] = json.loads(out) if procs[name].returncode == 0 else {"crash": err}

    for name, make in EXTREMES.items():
        folder = root / name
        folder.mkdir()
        (folder / "saved_model.pb").write_bytes(make())
        if len(procs) - len(results) >= 2:
            collect(next(n for n in procs if n not in results))
        procs[name] = subprocess.Popen(
            [sys.executable, "-c", _MEASURE, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for name in procs:
        if name not in results:
            collect(name)
    return results


@pytest.mark.parametrize("case", list(EXTREMES))
def test_extreme_structures(extreme_results: dict[str, dict[str, Any]], case: str) -> None:
    result = extreme_results[case]
    assert "crash" not in result, result.get("crash")
    assert result["seconds"] < READ_SECONDS, result
    assert result["grown_kb"] * 1024 < READ_BYTES, result
    assert result["outcome"].startswith(("read", "ModelReadError")), result


def _corrupt_models(root: Path) -> dict[str, Path]:
    """Model folders whose saved_model.pb does not read, each made a different way."""
    data = DENSE.joinpath("saved_model.pb").read_bytes()
    prefix = length_prefixes(data)[0]
    made = {
        "truncated": data[: len(data) // 2],
        "huge_length": data[: prefix[0]] + varint(2**63 - 1) + data[prefix[1] :],
        "garbage": random.Random(SEED).randbytes(4096),
        "empty": b"",
    }
    rng = random.Random(SEED)
    while "bit_flipped" not in made:  # flips until the model no longer reads
        buf = bytearray(data)
        for _ in range(16):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        folder = root / "probe"
        folder.mkdir(exist_ok=True)
        (folder / "saved_model.pb").write_bytes(bytes(buf))
        clear_cache()
        try:
            read_signatures(folder)
        except ModelReadError:
            made["bit_flipped"] = bytes(buf)
    shutil.rmtree(root / "probe")
    folders = {}
    for name, content in made.items():
        folder = root / "models" / name
        shutil.copytree(DENSE, folder)
        (folder / "saved_model.pb").write_bytes(content)
        folders[name] = folder
    clear_cache()
    return folders


_LOADS = """import numpy as np
import tensorflow as tf
loaded = tf.saved_model.load({path!r})
infer = loaded.signatures["serving_default"]
out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))
print(out["scores"])
"""


def test_source_loading_a_corrupted_model_gets_sm012(tmp_path: Path) -> None:
    for name, folder in _corrupt_models(tmp_path).items():
        findings = lint_source(_LOADS.format(path=str(folder)), tmp_path / f"{name}.py", CONFIG)
        assert [(d.code, d.line) for d in findings] == [("SM012", 3)], (name, findings)
        assert "\n" not in findings[0].message


def test_cli_on_corrupted_models_reports_sm012(tmp_path: Path) -> None:
    folders = _corrupt_models(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    for name in folders:
        (src / f"{name}.py").write_text(_LOADS.format(path=f"models/{name}"))
    proc = run_cli(src, "--models", tmp_path / "models", "--format", "json", cwd=tmp_path)
    assert_clean_exit(proc)
    found = sorted((Path(d["path"]).stem, d["code"], d["line"]) for d in json.loads(proc.stdout))
    assert found == sorted((name, "SM012", 3) for name in folders)


# =========================================================================== 3. sources


def run_cli(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *map(str, args)],
        cwd=cwd,  # a temp folder: sm-lint's cache goes there, not into the repository
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def assert_clean_exit(proc: subprocess.CompletedProcess[str]) -> None:
    """Findings or none (exit 1 or 0), never a usage/internal error, never a traceback."""
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "internal error" not in proc.stderr, proc.stderr[-2000:]


def _json(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert_clean_exit(proc)
    data = json.loads(proc.stdout)
    assert isinstance(data, list)
    return data


BAD_CALL = "out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))"
BAD_OUTPUT = 'print(out["scores"])'
SIMPLE = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    f"m = tf.saved_model.load({str(DENSE)!r})\n"
    'infer = m.signatures["serving_default"]\n'
    f"{BAD_CALL}\n"
    f"{BAD_OUTPUT}\n"
)
# (code, line, column, end_line, end_column) of SIMPLE's two findings.
SIMPLE_FINDINGS = [("SM005", 5, 26, 5, 59), ("SM010", 6, 11, 6, 19)]


def _where(findings: list[Diagnostic]) -> list[tuple[str, int, int, int, int]]:
    return [(d.code, d.line, d.column, d.end_line, d.end_column) for d in findings]


def _where_json(data: list[dict[str, Any]]) -> list[tuple[str, int, int, int, int]]:
    return sorted((d["code"], d["line"], d["column"], d["end_line"], d["end_column"]) for d in data)


def test_simple_source_baseline() -> None:
    assert _where(checked_lint(SIMPLE)) == SIMPLE_FINDINGS


# --------------------------------------------------------------------------- size


def _big_source(lines: int) -> tuple[str, list[int]]:
    """*lines* lines: comments, blank lines, docstrings, statements, and a bad signature
    call every 10,000 lines. Returns the text and the lines of the bad calls."""
    out = SIMPLE.splitlines()[:4]
    bad = []
    while len(out) < lines:
        n = len(out) + 1
        if n % 10_000 == 5_000:
            out.append(BAD_CALL)
            bad.append(n)
        elif n % 7 == 0:
            out.append("")
        elif n % 5 == 0:
            out.append(f"value = {n} + 1")
        elif n % 11 == 0:
            out.append(f'"""docstring {n}"""')
        else:
            out.append(f"# filler comment {n}: signatures, saved_model")
    return "\n".join(out) + "\n", bad


def test_50000_line_file(tmp_path: Path) -> None:
    text, bad = _big_source(50_000)
    assert len(text.splitlines()) == 50_000 and len(bad) == 5
    start = time.perf_counter()
    findings = checked_lint(text, str(tmp_path / "big.py"))
    seconds = time.perf_counter() - start
    assert [(d.code, d.line, d.column) for d in findings] == [("SM005", n, 26) for n in bad]
    assert seconds < 60, f"lint_source took {seconds:.0f} s on 50,000 lines"
    (tmp_path / "big.py").write_text(text)
    proc = run_cli("big.py", "--models", FIXTURES, "--format", "json", cwd=tmp_path)
    assert [(d["code"], d["line"]) for d in _json(proc)] == [("SM005", n) for n in bad]
    assert proc.returncode == 1


def test_many_distinct_assignments_lint_in_linear_time(tmp_path: Path) -> None:
    lines = SIMPLE.splitlines()[:4]
    lines += [f"value_{n} = {n}" for n in range(12_000)] + [BAD_CALL]
    (tmp_path / "names.py").write_text("\n".join(lines) + "\n")
    try:
        proc = run_cli("names.py", "--models", FIXTURES, "-q", cwd=tmp_path, timeout=12)
    except subprocess.TimeoutExpired:
        pytest.fail("12,000 assignments took more than 12 s (a few seconds when linear)")
    assert proc.returncode == 1 and "SM005" in proc.stdout


# --------------------------------------------------------------------------- nesting

# Expressions 500 levels deep, as a signature argument. CPython refuses some of them (more
# than 200 nested parentheses): SM900 with its message. The others it compiles; sm-lint
# may give up on them (SM900 "nested too deeply") but must not crash.
DEEP = {
    "parentheses": "(" * 500 + "1.0" + ")" * 500,
    "lists": "[" * 500 + "1.0" + "]" * 500,
    "np_array_of_lists": "np.array(" + "[" * 500 + "1.0" + "]" * 500 + ")",
    "unary_minus": "-" * 500 + "1.0",
    "binary_chain": "1.0" + " + 1.0" * 500,
    "attribute_chain": "np" + ".T" * 500,
    "nested_casts": "tf.cast(" * 500 + "x" + ", tf.float32)" * 500,
    "subscripts": "x" + "[0]" * 500,
    "calls": "f" + "()" * 500,
    "dicts": "{'a': " * 500 + "1" + "}" * 500,
}


@pytest.mark.parametrize("name", list(DEEP))
def test_deep_nesting_lint_source(name: str) -> None:
    source = HEAD + f"x = 1\nf = print\ninfer(keras_tensor={DEEP[name]})\n"
    findings = checked_lint(source)
    if not _compiles(source):
        assert [d.code for d in findings] == ["SM900"], findings


@pytest.mark.parametrize("name", ["parentheses", "lists", "binary_chain"])
def test_deep_nesting_cli(tmp_path: Path, name: str) -> None:
    (tmp_path / "deep.py").write_text(HEAD + f"infer(keras_tensor={DEEP[name]})\n")
    assert_clean_exit(run_cli("deep.py", "--models", FIXTURES, cwd=tmp_path))


def test_very_deep_nesting_does_not_segfault(tmp_path: Path) -> None:
    """~1,500 nested brackets overflow the C stack in libcst's native parser; CPython
    refuses them first (more than 200 nested parentheses)."""
    (tmp_path / "deeper.py").write_text(HEAD + "x = " + "[" * 3000 + "]" * 3000 + "\n")
    proc = run_cli("deeper.py", "--models", FIXTURES, cwd=tmp_path)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}"
    assert_clean_exit(proc)


# Long but flat constructs that real (often generated) code has and CPython compiles.
LONG_CHAINS = {
    "string_literal_lines": "(\n" + "    'line of text '\n" * 600 + ")",
    "sum_of_terms": "1.0" + " + 1.0" * 600,
    "and_chain": "x" + " and x" * 600,
    "method_chain": "np.zeros((1, 5))" + ".copy()" * 300,
}


@pytest.mark.parametrize("name", list(LONG_CHAINS))
def test_long_flat_chains_are_not_syntax_errors(name: str) -> None:
    source = SIMPLE + f"y = {LONG_CHAINS[name]}\n"
    assert _compiles(source)
    assert _where(checked_lint(source)) == SIMPLE_FINDINGS


def test_long_boolean_chain_does_not_segfault(tmp_path: Path) -> None:
    """`x and x and ...` with 20,000 operands (a flat BoolOp for CPython) crashed libcst's
    native parser (C stack overflow): it is refused before libcst sees it."""
    source = SIMPLE + "ok = x" + " and x" * 20_000 + "\n"
    assert _compiles(source)
    (tmp_path / "chain.py").write_text(source)
    proc = run_cli("chain.py", "--models", FIXTURES, cwd=tmp_path)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}"
    assert_clean_exit(proc)
    assert "too complex to analyse" in proc.stdout


# --------------------------------------------------------------------------- encodings


def test_non_utf8_bytes(tmp_path: Path) -> None:
    """Latin-1 bytes without a coding cookie are not Python 3 source: SM900, exit 1. With
    a cookie the file is valid, and its findings are where they are in the text."""
    plain = ("# caf\xe9\n" + SIMPLE).encode("latin-1")
    findings = checked_lint(plain)
    assert [d.code for d in findings] == ["SM900"]
    declared = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + SIMPLE).encode("latin-1")
    assert _where(checked_lint(declared)) == [
        (code, line + 2, col, end_line + 2, end_col)
        for code, line, col, end_line, end_col in SIMPLE_FINDINGS
    ]
    (tmp_path / "plain.py").write_bytes(plain)
    (tmp_path / "declared.py").write_bytes(declared)
    (tmp_path / "half.py").write_bytes(SIMPLE.encode() + b"x = '\xff\xfe'\n")
    data = _json(run_cli(".", "--models", FIXTURES, "--format", "json", cwd=tmp_path))
    by_file = {
        name: sorted(d["code"] for d in data if Path(d["path"]).name == name)
        for name in ("plain.py", "declared.py", "half.py")
    }
    assert by_file == {
        "plain.py": ["SM900"],
        "declared.py": ["SM005", "SM010"],
        "half.py": ["SM900"],
    }


def test_utf8_bom(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf" + SIMPLE.encode()
    assert _where(checked_lint(bom)) == SIMPLE_FINDINGS
    assert _where(checked_lint("\ufeff" + SIMPLE)) == SIMPLE_FINDINGS
    (tmp_path / "bom.py").write_bytes(bom)
    data = _json(run_cli("bom.py", "--models", FIXTURES, "--format", "json", cwd=tmp_path))
    assert _where_json(data) == SIMPLE_FINDINGS


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_line_endings_keep_positions(tmp_path: Path, newline: str) -> None:
    text = SIMPLE.replace("\n", newline)
    assert _where(checked_lint(text)) == SIMPLE_FINDINGS
    assert _where(checked_lint(text.encode())) == SIMPLE_FINDINGS
    mixed = SIMPLE.replace("\n", newline, 3)
    assert _where(checked_lint(mixed)) == SIMPLE_FINDINGS
    (tmp_path / "endings.py").write_bytes(text.encode())
    data = _json(run_cli("endings.py", "--models", FIXTURES, "--format", "json", cwd=tmp_path))
    assert _where_json(data) == SIMPLE_FINDINGS


def test_tabs_count_as_one_column(tmp_path: Path) -> None:
    text = SIMPLE.replace(BAD_CALL, "if True:\n\tout = infer(\tkeras_tensor=\ttf.constant(x))")
    text = text.replace(BAD_OUTPUT, "\tprint(out['scores'])")
    lines = text.splitlines()
    call_line = next(i for i, line in enumerate(lines, 1) if "tf.constant(x)" in line)
    col = lines[call_line - 1].index("tf.constant(x)") + 1
    findings = checked_lint(text.replace("tf.constant(x)", "tf.constant(np.ones((2, 5)))"))
    assert [(d.code, d.line, d.column) for d in findings] == [
        ("SM005", call_line, col),
        ("SM010", call_line + 1, lines[call_line].index("'scores'") + 1),
    ]
    (tmp_path / "tabs.py").write_text(text)
    assert_clean_exit(run_cli("tabs.py", "--models", FIXTURES, cwd=tmp_path))


@pytest.mark.xfail(
    strict=True,
    reason="BUG: on a line that starts with a form feed (\\x0c, a page break that CPython "
    "accepts), every column is one too small (libcst drops the form feed), so fixes edit "
    "the wrong characters; the language server's code action corrupts the line",
)
def test_form_feed_at_line_start_keeps_columns() -> None:
    text = SIMPLE.replace(BAD_CALL, "\x0c" + BAD_CALL)
    (finding, _) = checked_lint(text)
    line = re.split(r"\r\n|\r|\n", text)[finding.line - 1]  # not splitlines: \x0c
    assert line[finding.column - 1 : finding.end_column - 1] == (
        "tf.constant(np.random.rand(4, 5))"
    )


# Characters str.splitlines() breaks at but Python does not: inside a comment or string,
# or (a form feed) as a page break on a line of its own.
_NOT_LINE_BREAKS = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def test_text_report_excerpt_is_the_finding_line(tmp_path: Path) -> None:
    for char in _NOT_LINE_BREAKS:
        text = SIMPLE.replace("as tf\n", f"as tf  # page{char}2\n")
        assert _compiles(text), repr(char)
        (tmp_path / f"sep_{ord(char):04x}.py").write_text(text)
    proc = run_cli(".", "--models", FIXTURES, "--no-color", cwd=tmp_path)
    assert_clean_exit(proc)
    excerpts = re.findall(r"^ *5 \| (.*)$", proc.stdout, re.M)
    assert excerpts == [BAD_CALL] * len(_NOT_LINE_BREAKS), proc.stdout


def _fix(tmp_path: Path, name: str, data: bytes) -> bytes:
    (tmp_path / name).write_bytes(data)
    proc = run_cli(name, "--models", FIXTURES, "--fix", "--unsafe-fixes", "-q", cwd=tmp_path)
    assert_clean_exit(proc)
    return (tmp_path / name).read_bytes()


FIXED_CALL = "out = infer(keras_tensor=tf.cast(tf.constant(np.random.rand(4, 5)), tf.float32))"


def test_fix_keeps_crlf(tmp_path: Path) -> None:
    fixed = _fix(tmp_path, "crlf.py", SIMPLE.replace("\n", "\r\n").encode())
    assert fixed.count(b"\r\n") == SIMPLE.count("\n") and fixed.count(b"\n") == fixed.count(b"\r\n")
    assert FIXED_CALL.encode() in fixed and b'out["output_0"]' in fixed


def test_fix_on_lone_cr_line_endings(tmp_path: Path) -> None:
    fixed = _fix(tmp_path, "cr.py", SIMPLE.replace("\n", "\r").encode())
    assert FIXED_CALL.encode() in fixed


def test_fix_on_the_first_line_after_a_bom(tmp_path: Path) -> None:
    one_line = (
        f"import numpy as np; import tensorflow as tf; tf.saved_model.load({str(DENSE)!r})"
        '.signatures["serving_default"](keras_tensor=tf.constant(np.random.rand(4, 5)))\n'
    )
    fixed = _fix(tmp_path, "bom.py", b"\xef\xbb\xbf" + one_line.encode())
    assert fixed.startswith(b"\xef\xbb\xbf")
    assert b"tf.cast(tf.constant(np.random.rand(4, 5)), tf.float32)" in fixed


# --------------------------------------------------------------------------- odd files


def test_binary_files_named_py(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    (tmp_path / "nul.py").write_bytes(b"saved_model\0\x01\x02" * 100)
    (tmp_path / "model.py").write_bytes(DENSE.joinpath("saved_model.pb").read_bytes())
    noise = bytes(b for b in rng.randbytes(20_000) if b) + b"saved_model signatures"
    (tmp_path / "noise.py").write_bytes(noise)
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "only_bom.py").write_bytes(b"\xef\xbb\xbf")
    for name in ("nul.py", "model.py", "noise.py"):
        findings = checked_lint((tmp_path / name).read_bytes())
        assert [d.code for d in findings] == ["SM900"], (name, findings)
    data = _json(run_cli(".", "--models", FIXTURES, "--format", "json", cwd=tmp_path))
    assert sorted((Path(d["path"]).name, d["code"]) for d in data) == [
        ("model.py", "SM900"),
        ("noise.py", "SM900"),
        ("nul.py", "SM900"),
    ]


SYNTAX_ERRORS = [
    "def f(:\n    pass\n",
    "x = (1,\ny = 2\n",
    "if True:\npass\n",
    "  x = 1\n",
    "x = 'abc\n",
    "x = '''abc\n",
    "x = 1 $ 2\n",
    "x = )\n",
    "if True:\n\tx = 1\n        y = 2\n",
    "x = f'{'\n",
    "print 'hello'\n",
    "s = '\u00e9\U0001f60b'; x = (1 2)\n",
    "x = 0777\n",
    "x = \\\n",
    "x = 1\r\ny = (\r\n",
    "\x0bx = 1\n",
    BAD_CALL + "\n" + "def g(\n",
]


@pytest.mark.parametrize("snippet", SYNTAX_ERRORS, ids=range(len(SYNTAX_ERRORS)))
def test_syntax_errors_are_sm900_where_python_says(snippet: str) -> None:
    source = SIMPLE + snippet
    with pytest.raises(SyntaxError) as python:
        compile(source, "x.py", "exec", dont_inherit=True)
    findings = checked_lint(source)
    assert [(d.code, d.line, d.column) for d in findings] == [
        ("SM900", python.value.lineno, python.value.offset)
    ]


def test_syntax_errors_through_the_cli(tmp_path: Path) -> None:
    for i, snippet in enumerate(SYNTAX_ERRORS):
        (tmp_path / f"bad_{i:02}.py").write_text(SIMPLE + snippet, newline="")
    data = _json(run_cli(".", "--models", FIXTURES, "--format", "json", cwd=tmp_path))
    assert sorted(Path(d["path"]).name for d in data) == [
        f"bad_{i:02}.py" for i in range(len(SYNTAX_ERRORS))
    ]
    assert {d["code"] for d in data} == {"SM900"}


def test_repeated_keyword_is_a_syntax_error() -> None:
    source = SIMPLE + "infer(keras_tensor=np.zeros((1, 5)), keras_tensor=np.zeros((1, 5)))\n"
    findings = checked_lint(source)
    assert ("SM900", 7) in [(d.code, d.line) for d in findings]


# --------------------------------------------------------------------------- folders


def _real_project(root: Path) -> Path:
    src = root / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "real.py").write_text(SIMPLE)
    (root / "outside.py").write_text(SIMPLE)  # above src: must not be linted
    return src


def test_symlink_loops_in_a_walked_folder(tmp_path: Path) -> None:
    src = _real_project(tmp_path)
    (src / "self").symlink_to(".")
    (src / "pkg" / "up").symlink_to("..")
    (src / "pkg" / "again").symlink_to("../pkg")
    (src / "a").mkdir()
    (src / "a" / "b").symlink_to("../a")
    (src / "dangling_dir").symlink_to("nowhere")
    start = time.perf_counter()
    data = _json(run_cli("src", "--models", FIXTURES, "--format", "json", cwd=tmp_path))
    assert time.perf_counter() - start < 60
    # Each real file once, by one of its names; nothing outside the folder given.
    assert sorted(d["code"] for d in data) == ["SM005", "SM010"], data
    assert all(Path(d["path"]).name == "real.py" for d in data), data


def test_symlinked_file_loops_are_skipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "clean.py").write_text("import tensorflow as tf\n")
    (src / "x.py").symlink_to("y.py")
    (src / "y.py").symlink_to("x.py")
    (src / "dangling.py").symlink_to("nowhere.py")
    proc = run_cli("src", "--models", FIXTURES, "--format", "json", cwd=tmp_path)
    assert _json(proc) == [] and proc.returncode == 0


def _as_nobody(fn: Callable[[], Any]) -> Any:
    """Run *fn* in a forked child that dropped root to uid/gid 65534, as
    tests/test_models_reader.py does (root ignores file modes). The child cannot exec a
    new interpreter (it lives under /root, mode 0700), so every module sm-lint imports
    lazily must be imported by the caller first. Returns what *fn* returned (JSON)."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_end)
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            except OSError as error:
                result: Any = {"cannot_drop_root": str(error)}
            else:
                try:
                    result = {"value": fn()}
                except BaseException as error:
                    result = {"raised": f"{type(error).__name__}: {error}"}
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        raw = reader.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"the child died: status {status}"
    result = json.loads(raw or b'{"raised": "no output"}')
    if "cannot_drop_root" in result:
        pytest.skip(f"cannot drop root: {result['cannot_drop_root']}")
    return result


def _cli_in_process(args: list[str]) -> dict[str, Any]:
    """sm-lint's main() in this process, as a dict (it crosses a process boundary)."""
    code, out, err = cli_in_process(args)
    return {"rc": code, "stdout": out, "stderr": err}


@contextlib.contextmanager
def _shared_tmp() -> Iterator[Path]:
    """A temp folder other users can enter and write (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="sm-lint-robust-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        for current, dirs, files in os.walk(folder):
            for name in dirs + files:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(current, name), 0o755, follow_symlinks=False)
        shutil.rmtree(folder)


def _warm_up(project: Path) -> None:
    """Import everything the CLI imports lazily (the unprivileged child cannot)."""
    checked_lint(SIMPLE, str(project / "warm.py"))
    _cli_in_process([str(project / "warm.py"), "--models", str(FIXTURES), "--format", "json"])
    _cli_in_process([str(project / "warm.py"), "--models", str(FIXTURES)])


@pytest.fixture
def unreadable_project(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    if not hasattr(os, "fork") or not hasattr(os, "setuid"):
        pytest.skip("needs fork and setuid")
    with _shared_tmp() as root:
        project = root / "proj"
        for folder in ("open", "locked/inner"):
            (project / folder).mkdir(parents=True)
        (project / "open" / "real.py").write_text(SIMPLE)
        (project / "open" / "secret.py").write_text(SIMPLE)
        (project / "locked" / "hidden.py").write_text(SIMPLE)
        (project / "locked" / "inner" / "deeper.py").write_text(SIMPLE)
        (project / "warm.py").write_text(SIMPLE)
        for current, dirs, files in os.walk(root):
            for name in dirs:
                os.chmod(os.path.join(current, name), 0o777)
            for name in files:
                os.chmod(os.path.join(current, name), 0o666)
        monkeypatch.chdir(root)  # the CLI's cache goes here, writable by the child
        _warm_up(project)
        (project / "warm.py").unlink()
        (project / "open" / "secret.py").chmod(0)
        (project / "locked").chmod(0)
        yield project


def test_unreadable_folder_and_file(unreadable_project: Path) -> None:
    if os.geteuid() == 0:
        result = _as_nobody(
            lambda: _cli_in_process(
                [str(unreadable_project), "--models", str(FIXTURES), "--format", "json"]
            )
        )
        assert "raised" not in result, result["raised"]
        out = result["value"]
    else:
        out = _cli_in_process(
            [str(unreadable_project), "--models", str(FIXTURES), "--format", "json"]
        )
    assert out["rc"] == 1, out
    assert "Traceback" not in out["stderr"] and "internal error" not in out["stderr"], out
    found = sorted(
        (Path(d["path"]).name, d["code"], d["message"]) for d in json.loads(out["stdout"])
    )
    # The unreadable folder is skipped silently; the unreadable file is named.
    assert [(name, code) for name, code, _ in found] == [
        ("real.py", "SM005"),
        ("real.py", "SM010"),
        ("secret.py", "SM900"),
    ]
    assert "permission denied" in found[-1][2].lower()


def test_model_path_under_an_unreadable_folder(unreadable_project: Path) -> None:
    model = unreadable_project / "locked" / "inner" / "model"
    source = SIMPLE.replace(repr(str(DENSE)), repr(str(model)))
    if os.geteuid() == 0:
        result = _as_nobody(lambda: [d.code for d in lint_source(source, "x.py", CONFIG)])
    else:
        try:
            result = {"value": [d.code for d in lint_source(source, "x.py", CONFIG)]}
        except Exception as error:
            result = {"raised": f"{type(error).__name__}: {error}"}
    assert "raised" not in result, result["raised"]
    assert result["value"] in (["SM011"], ["SM012"]), result


# --------------------------------------------------------------------------- analyzer bugs


def test_overlong_model_path(tmp_path: Path) -> None:
    # The folder exists, so the kernel reaches the overlong name (else: ENOENT first).
    source = SIMPLE.replace(repr(str(DENSE)), repr(str(FIXTURES / ("a" * 300))))
    assert [d.code for d in checked_lint(source)] == ["SM011"]


def test_zero_slice_step() -> None:
    checked_lint(SIMPLE + "infer(keras_tensor=np.zeros((4, 5), np.float32)[::0])\n")


_DOUBLING = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
from sm_lint.api import lint_source
source = "import tensorflow as tf\\ns = 'ab'\\n" + "s = s + s\\n" * 40
source += "m = tf.saved_model.load(s)\\nm.signatures['x']()\\n"
start = time.perf_counter()
try:
    lint_source(source, "doubling.py")
except MemoryError:
    print("MemoryError after", round(time.perf_counter() - start, 1), "s")
    sys.exit(3)
print(round(time.perf_counter() - start, 1), "s, max rss",
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "MB")
"""


def test_constant_folding_is_bounded(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _DOUBLING],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr[-1000:])
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------ values through functions
# Programs that stress the context-sensitive analysis of user functions: each must lint
# without a crash or a hang, with bounded work (counted, not timed), and with the findings
# named here only (no wrong finding). HEAD binds ``infer`` (dense: keras_tensor float32
# (?, 5)); line numbers below count from the first line after HEAD.
_PREDICT = "def predict(batch):\n    return infer(keras_tensor=batch)\n"
INTERPROC = {
    "recursion": (
        "def f(x):\n    infer(keras_tensor=x)\n    return f(x)\nf(np.zeros((2, 7)))\n",
        {("SM008", 2)},
    ),
    "mutual recursion": (
        "def a(x):\n    return b(x)\ndef b(x):\n    infer(keras_tensor=x)\n    return a(x)\n"
        "a(np.zeros((2, 7)))\n",
        {("SM008", 4)},
    ),
    # 3,000: ten thousand are over the complexity limit (they cost 590 MB and 10 s).
    "3,000 equal calls": (_PREDICT + "predict(np.zeros((2, 7)))\n" * 3_000, {("SM008", 2)}),
    "2,000 distinct calls": (
        _PREDICT + "".join(f"predict(np.zeros(({k}, 5), np.float32))\n" for k in range(2_000)),
        set(),
    ),
    "exponential call tree": (
        "def f0(x):\n    return infer(keras_tensor=x)\n"
        + "".join(f"def f{k}(x):\n    f{k - 1}(x)\n    return f{k - 1}(x)\n" for k in range(1, 40))
        + "f39(np.zeros((2, 5), np.float32))\n",
        set(),
    ),
    "shared structure": (
        "def pair(x):\n    return (x, x)\nx = np.zeros(3)\n"
        + "x = pair(x)\n" * 80
        + _PREDICT
        + "predict(x)\n",
        set(),
    ),
    "long body, many callers": (
        "def big(x):\n"
        + "    y = x\n" * 3_000
        + "    return infer(keras_tensor=y)\n"
        + "".join(f"big(np.zeros(({k}, 6)))\n" for k in range(1, 500)),
        None,  # findings at line 3002 for the callers analysed within the budget
    ),
    "nested instances": (
        "class P:\n    def __init__(self, inner):\n        self.inner = inner\n"
        "p = None\n" + "p = P(p)\n" * 2_000,
        set(),
    ),
    "decorators": (
        "@tf.function\ndef predict(batch):\n    return infer(keras_tensor=batch)\n"
        "predict(np.zeros((2, 5)))\n",
        set(),  # inside tf.function the argument is a float64 tensor: not known here
    ),
    "star arguments": (
        "def predict(*args, **kwargs):\n    return infer(keras_tensor=args[0], **kwargs)\n"
        "predict(np.zeros((2, 7)))\npredict(*[1])\npredict(np.zeros((2, 5)), other=1)\n",
        {("SM008", 2)},
    ),
    "generator": (
        "def batches(x):\n    yield x\n    infer(keras_tensor=x)\nbatches(np.zeros((2, 7)))\n",
        set(),  # the body never runs here
    ),
    "lambdas": (
        "f = lambda x: infer(keras_tensor=x)\nf(np.zeros((2, 7)))\ng = lambda: g()\ng()\n",
        {("SM008", 1)},
    ),
    "default arguments": (
        "def predict(batch=np.zeros((2, 7)), rows=[]):\n    return infer(keras_tensor=batch)\n"
        "predict()\n",
        {("SM008", 2)},
    ),
    "redefined function": (
        _PREDICT + "predict(np.zeros((2, 7)))\n"
        "def predict(batch):\n    return infer(keras_tensor=np.zeros((2, 5), np.float32))\n"
        "predict(np.zeros((2, 9)))\n",
        {("SM008", 2)},
    ),
    "wrong arity": (_PREDICT + "predict()\npredict(1, 2)\npredict(x=1)\n", set()),
    "map of itself": (
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((4, 5)))\n"
        "def f(x):\n    return ds.map(f)\nds.map(f)\n",
        set(),
    ),
    "instance changed from outside": (
        "class P:\n    def __init__(self, fn):\n        self.fn = fn\n"
        "    def run(self, x):\n        return self.fn(keras_tensor=x)\n"
        "def swap(p):\n    p.fn = pair\np = P(infer)\nswap(p)\np.run(np.zeros((2, 7)))\n",
        set(),
    ),
    "early return in __init__": (
        "class P:\n    def __init__(self, fn=None):\n        if fn is None:\n"
        "            self.fn = pair\n            return\n        self.fn = fn\n"
        "    def run(self, x):\n        return self.fn(keras_tensor=x)\n"
        "P().run(np.zeros((2, 7)))\n",
        {("SM002", 8)},  # P() takes the early return: self.fn is pair, which has no such input
    ),
}


@pytest.mark.parametrize("name", list(INTERPROC))
def test_values_through_functions_stay_bounded(name: str) -> None:
    from sm_lint.analysis import functions
    from sm_lint.analysis.interpreter import Interpreter

    body, expected = INTERPROC[name]
    source = HEAD + body
    offset = HEAD.count("\n")
    findings = checked_lint(source)
    got = {(d.code, d.line - offset) for d in findings if d.line > offset}
    if expected is not None:
        assert got == expected, [d.message for d in findings]
    else:
        assert got and {code for code, _ in got} == {"SM008"}
        assert {line for _, line in got} == {3002}
    interpreter = Interpreter(libcst.parse_module(source), "gen.py")
    interpreter.run()
    statements, contexts = interpreter.context_work()
    # The budget is checked before each context: one more function body may overshoot it.
    assert statements <= functions.MAX_CONTEXT_STATEMENTS + 3_100
    assert contexts <= functions.MAX_CONTEXTS_PER_FUNCTION


_INTERPROC_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
sys.path.insert(0, {root!r})
from tests.test_robustness import HEAD, INTERPROC
from sm_lint.api import lint_source
for name, (body, _) in INTERPROC.items():
    if body.count("\\n") < 5_000:  # the big ones run in-process above
        lint_source(HEAD + body, "gen.py")
print("ok")
"""


def test_values_through_functions_never_hang(tmp_path: Path) -> None:
    """All of the programs above in a fresh process with 3 GB of address space; the
    timeout is only a hang guard (they take seconds)."""
    proc = subprocess.run(
        [sys.executable, "-c", _INTERPROC_CHILD.format(root=str(Path(__file__).parent.parent))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["ok"]
