"""The abstract interpreter's view of values, checked against real numpy and TensorFlow.

Each expression is evaluated twice: by sm-lint's analyzer (statically) and for real. What
the analyzer claims to know (kind, dtype, shape) must be exactly what the real value has.
"""

from __future__ import annotations

from typing import Any

import libcst as cst
import pytest

from sm_lint.analysis.interpreter import Interpreter
from sm_lint.analysis.literals import as_argument
from sm_lint.semantics import Kind, Value

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

PRELUDE = "import numpy as np\nimport tensorflow as tf\n"

# (setup statements, expression); every one of these must be fully known statically.
EXPRESSIONS = [
    ("", "np.random.rand(64, 5)"),
    ("", "np.random.randn(3)"),
    ("", "np.random.random((2, 3))"),
    ("", "np.random.uniform(0, 1, size=(4, 2))"),
    ("", "np.random.normal(0.0, 1.0, (2, 2))"),
    ("", "np.random.randint(0, 255, size=(1, 8, 8, 3))"),
    ("", "np.random.randint(0, 255, size=(2, 2), dtype=np.uint8)"),
    ("", "np.zeros((2, 5))"),
    ("", "np.zeros(5, dtype=np.float32)"),
    ("", "np.ones([3, 4], dtype='int32')"),
    ("", "np.empty((1, 2), np.float16)"),
    ("", "np.full((2, 3), 7)"),
    ("", "np.full((2, 3), 7.5, dtype=np.float32)"),
    ("x = np.zeros((4, 5))", "np.zeros_like(x)"),
    ("x = np.zeros((4, 5))", "np.ones_like(x, dtype=np.int64)"),
    ("", "np.array([[1, 2, 3]])"),
    ("", "np.array([[1.0, 2.0]])"),
    ("", "np.array([[1, 2.5]], dtype=np.float32)"),
    ("", "np.array([True, False])"),
    ("", "np.asarray([[1, 2], [3, 4]], dtype='float64')"),
    ("", "np.array(['a', 'b'])"),
    ("", "np.arange(10)"),
    ("", "np.arange(0.0, 1.0, 0.25)"),
    ("", "np.arange(12).reshape(3, 4)"),
    ("", "np.arange(12).reshape((-1, 6))"),
    ("", "np.arange(12).reshape(2, -1, 3)"),
    ("", "np.linspace(0, 1, 7)"),
    ("", "np.linspace(0, 1)"),
    ("", "np.eye(3)"),
    ("", "np.eye(2, 4)"),
    ("a = np.zeros((2, 3))\nb = np.ones((2, 3))", "np.stack([a, b])"),
    ("a = np.zeros((2, 3))\nb = np.ones((2, 3))", "np.stack([a, b], axis=1)"),
    ("a = np.zeros((2, 3))\nb = np.ones((4, 3))", "np.concatenate([a, b])"),
    ("a = np.zeros((2, 3))\nb = np.ones((2, 1))", "np.concatenate([a, b], axis=1)"),
    ("a = np.zeros(3)\nb = np.ones(3)", "np.vstack([a, b])"),
    ("a = np.zeros((2, 3))\nb = np.ones((2, 2))", "np.hstack([a, b])"),
    ("x = np.zeros((4, 5))", "np.expand_dims(x, 0)"),
    ("x = np.zeros((4, 5))", "np.expand_dims(x, axis=-1)"),
    ("x = np.zeros((1, 5, 1))", "np.squeeze(x)"),
    ("x = np.zeros((1, 5, 1))", "np.squeeze(x, axis=0)"),
    ("x = np.zeros((4, 5))", "x.T"),
    ("x = np.zeros((4, 5, 6))", "x.transpose(2, 0, 1)"),
    ("x = np.zeros((4, 5))", "x.astype(np.float32)"),
    ("x = np.zeros((4, 5))", "x.astype('uint8')"),
    ("x = np.zeros((4, 5))", "x.astype(float)"),
    ("x = np.zeros((4, 5))", "x[None]"),
    ("x = np.zeros((4, 5))", "x[np.newaxis, :, :]"),
    ("x = np.zeros((4, 5))", "x[:, None]"),
    ("x = np.zeros((4, 5))", "x[0]"),
    ("x = np.zeros((4, 5))", "x[1:3]"),
    ("x = np.zeros((4, 5))", "x[:, :2]"),
    ("x = np.zeros((4, 5))", "x[..., None]"),
    ("x = np.zeros((4, 5))", "x[tf.newaxis]"),
    ("", "np.float32(1.5)"),
    ("", "np.int64(3)"),
    ("", "tf.constant([[1.0, 2.0]])"),
    ("", "tf.constant([[1, 2]])"),
    ("", "tf.constant(np.random.rand(2, 5))"),
    ("", "tf.constant(np.random.rand(2, 5), dtype=tf.float32)"),
    ("", "tf.constant(0.0, shape=(3, 2))"),
    ("", "tf.constant(1, dtype='int64', shape=[2])"),
    ("", "tf.constant('hello')"),
    ("", "tf.constant(['a', 'b'])"),
    ("", "tf.convert_to_tensor(np.zeros((2, 3)))"),
    ("", "tf.convert_to_tensor([1.0, 2.0], dtype=tf.float64)"),
    ("", "tf.zeros((3, 4))"),
    ("", "tf.ones([2], dtype=tf.int32)"),
    ("", "tf.fill((2, 2), 3)"),
    ("", "tf.fill([2, 2], 3.0)"),
    ("", "tf.random.normal((5, 3))"),
    ("", "tf.random.uniform([2, 3], dtype=tf.float64)"),
    ("x = tf.zeros((4, 5))", "tf.cast(x, tf.int32)"),
    ("x = tf.zeros((4, 5))", "tf.cast(x, 'float16')"),
    ("x = tf.zeros((4, 5))", "tf.expand_dims(x, 0)"),
    ("x = tf.zeros((4, 5))", "tf.reshape(x, (2, 10))"),
    ("x = tf.zeros((4, 5))", "tf.reshape(x, [-1])"),
    ("a = tf.zeros((2, 3))\nb = tf.ones((2, 3))", "tf.stack([a, b])"),
    ("a = tf.zeros((2, 3))\nb = tf.ones((2, 3))", "tf.concat([a, b], axis=0)"),
    ("a = tf.zeros((2, 3))\nb = tf.ones((2, 3))", "tf.concat([a, b], 1)"),
    ("", "tf.range(5)"),
    ("", "tf.range(0.0, 2.0, 0.5)"),
    ("", "tf.Variable(tf.zeros((2, 2)))"),
    ("x = tf.zeros((4, 5))", "x[None]"),
    ("x = tf.zeros((4, 5))", "x.numpy()"),
    ("", "tf.image.resize(tf.zeros((4, 4, 3)), (8, 8))"),
    ("", "tf.image.resize(tf.zeros((2, 4, 4, 3), tf.uint8), size=[8, 6])"),
    ("", "tf.image.resize(tf.zeros((4, 4, 3), tf.uint8), (8, 8), method='nearest')"),
    ("", "tf.image.resize(np.zeros((4, 4, 3)), (8, 8), 'bicubic')"),
    ("", "tf.image.convert_image_dtype(tf.zeros((4, 4, 3), tf.uint8), tf.float32)"),
    ("", "tf.image.convert_image_dtype(np.zeros((4, 4, 3)), dtype=tf.uint8)"),
    ("x = tf.zeros((2, 3), tf.uint8)", "x / 255"),
    ("x = tf.zeros((2, 3), tf.int16)", "x / 2"),
    ("x = tf.zeros((2, 3), tf.int64)", "x / 2"),
    ("x = tf.zeros((2, 3), tf.int32)", "x / x"),
    ("x = tf.zeros((2, 3), tf.uint8)", "tf.stack([x, np.zeros((2, 3), np.uint8)])"),
    ("x = np.zeros((2, 3), np.float16)", "tf.stack([x, x])"),
    ("", "tf.zeros((2, 3), dtype=np.float64)"),
    ("", "np.zeros((2, 3), dtype=np.dtype('float32'))"),
    ("", "np.zeros((2, 3), dtype=tf.float32.as_numpy_dtype)"),
    ("", "[[1, 2, 3]]"),
    ("", "[[1.0, 2.0], [3.0, 4.0]]"),
    ("", "((1, 2),)"),
    ("", "[True, False]"),
    ("", "['a', 'b']"),
    ("", "[1, 2.5]"),
    ("", "3"),
    ("", "2.5"),
    ("", "True"),
    ("", "'text'"),
    ("", "b'bytes'"),
    ("BATCH = 32\nFEATURES = 5", "np.zeros((BATCH, FEATURES))"),
    ("shape = (3, 4)\nrows, cols = shape", "np.ones((rows, cols))"),
    ("x = np.zeros((1, 2))\nx = np.zeros((3, 4), np.float32)", "x"),
    # Values through functions: return values, defaults, helpers, methods, lambdas.
    ("def make():\n    return np.random.rand(16, 7)", "make()"),
    ("def prep(img):\n    return tf.cast(img, tf.float32) / 255.0", "prep(np.zeros((2, 3)))"),
    ("def f(x, scale=2.0):\n    return x * scale", "f(np.zeros(3, np.float32))"),
    ("def f(x, *, n=3):\n    return np.zeros((x, n))", "f(2, n=4)"),
    ("def f(*rows):\n    return np.array(rows)", "f([1.0, 2.0], [3.0, 4.0])"),
    (
        "def f(x):\n    if x is None:\n        return np.zeros(2)\n    return np.ones(2)",
        "f(None)",
    ),
    ("def g(x):\n    return tf.convert_to_tensor(x)\ndef f(x):\n    return g(x)", "f([[1, 2]])"),
    (
        "class P:\n    def __init__(self, n):\n        self.n = n\n"
        "    def make(self):\n        return np.zeros((self.n, 2))",
        "P(3).make()",
    ),
    ("f = lambda x: x.astype(np.float32)", "f(np.zeros((2, 2)))"),
    # NumPy 2 / NEP 50 promotion: Python scalars are weak, numpy scalars and arrays strong.
    ("x = np.zeros((2, 3), np.float32)", "x * 2.0"),
    ("x = np.zeros((2, 3), np.float32)", "np.float64(2.0) * x"),
    ("x = np.zeros((2, 3), np.int32)", "x * 2.5"),
    ("x = np.zeros((2, 3), np.int32)", "x / 2"),
    ("x = np.zeros((2, 3), np.uint8)", "x + np.zeros(3, np.int8)"),
    ("x = np.zeros((2, 1), np.float16)", "x - np.zeros((1, 4), np.int16)"),
    ("x = np.zeros((2, 3), bool)", "x * 3"),
    ("x = np.zeros((2, 3), np.float32)", "-x"),
    ("x = tf.zeros((2, 3))", "x * 2"),
    ("x = tf.zeros((2, 3), tf.float64)", "(x + x) / 2.0"),
    ("x = tf.constant([[1, 2]])", "x * 3"),
    ("x = tf.zeros((2, 3))", "np.float64(0.5) * x"),
    ("x = tf.zeros((2, 3), tf.float64)", "x - np.ones(3, np.float32)"),
    ("x = tf.zeros((2, 1), tf.int32)", "np.ones((1, 4)) + x"),
    ("x = tf.zeros((2, 3), tf.float16)", "x / np.float64(2.0)"),
]

# tf.data element specs: a None dimension is one that varies between elements.
DATASET_EXPRESSIONS = [
    ("ds = tf.data.Dataset.from_tensor_slices(np.random.rand(100, 5)).batch(16)", "next(iter(ds))"),
    ("ds = tf.data.Dataset.from_tensor_slices([[1.0, 2.0], [3.0, 4.0]])", "next(iter(ds))"),
    (
        "ds = tf.data.Dataset.from_tensors(np.zeros((3, 4), np.int32)).repeat(3).batch(2)",
        "next(iter(ds))",
    ),
    (
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((10, 4), np.uint8))\n"
        "ds = ds.batch(4, drop_remainder=True).map(lambda x: tf.cast(x, tf.float32) / 255.0)",
        "next(iter(ds))",
    ),
    (
        "def prep(x, y):\n    return tf.cast(x, tf.float32), y\n"
        "ds = tf.data.Dataset.from_tensor_slices((np.zeros((8, 3)), np.zeros(8, np.int64)))\n"
        "ds = ds.shuffle(8).map(prep).batch(2).prefetch(1)",
        "next(iter(ds))[0]",
    ),
    (
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((8, 3), np.float32)).batch(4)",
        "next(ds.as_numpy_iterator())",
    ),
    (
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((8, 3), np.float32)).batch(4).unbatch()",
        "next(iter(ds))",
    ),
]

# Expressions whose dtype or shape the analyzer may leave unknown (it must never be wrong).
PARTIAL = {
    "np.zeros((2, 3), dtype=tf.float32.as_numpy_dtype)",
    # TensorFlow converts a list of integer numpy arrays by its values (int32 or int64).
    "tf.stack([a, a])",
    "tf.constant([a, a])",
}


def _static(setup: str, expression: str) -> Value:
    source = f"{PRELUDE}{setup}\n__value = {expression}\n"
    interpreter = Interpreter(cst.parse_module(source), None)
    env = interpreter.block(interpreter.module.body, {})
    return as_argument(env["__value"])


def _python_element_type(value: Any) -> str | None:
    flat = (
        np.asarray(value, dtype=object).ravel().tolist()
        if isinstance(value, (list, tuple))
        else [value]
    )
    kinds = set()
    for item in flat:
        if isinstance(item, bool):
            kinds.add("bool")
        elif isinstance(item, int):
            kinds.add("int")
        elif isinstance(item, float):
            kinds.add("float")
        elif isinstance(item, (str, bytes)):
            kinds.add("str")
    if kinds == {"int", "float"}:
        return "float"
    return kinds.pop() if len(kinds) == 1 else None


def _numpy_dtype(dtype: Any) -> str:
    dtype = np.dtype(dtype)
    return "string" if dtype.kind in "US" else dtype.name


def _real(setup: str, expression: str) -> Value:
    scope: dict[str, Any] = {}
    exec(compile(f"{PRELUDE}{setup}\n__value = {expression}\n", "<case>", "exec"), scope)
    value = scope["__value"]
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return Value(Kind.TENSOR, value.dtype.name, tuple(value.shape))
    if isinstance(value, (np.ndarray, np.generic)):
        return Value(Kind.NDARRAY, _numpy_dtype(value.dtype), tuple(np.shape(value)))
    if isinstance(value, (list, tuple)):
        return Value(Kind.LIST, _python_element_type(value), tuple(np.shape(value)))
    if isinstance(value, (str, bytes)):
        return Value(Kind.STRING, "str", ())
    return Value(Kind.SCALAR, _python_element_type(value), ())


EXPRESSIONS += [
    # A list comprehension over a list of known length: its elements as the items agree.
    ("", "[1.0 for _ in [1, 2, 3]]"),
    ("", "np.stack([tf.zeros((4, 4, 3)) / 2 for _ in [1, 2]])"),
    ("a = np.zeros((2, 3))\nb = np.ones((2, 3))", "np.array([v * 2 for v in (a, b)])"),
    ("", "[[1, 2] for _ in [0, 0]]"),
    ("a = np.zeros((2, 3), np.uint8)", "tf.stack([a, a])"),
    ("a = np.zeros((2, 3), np.int64)", "tf.constant([a, a])"),
    ("", "tf.io.read_file(np.__file__)"),
]


@pytest.mark.parametrize(("setup", "expression"), EXPRESSIONS, ids=[e for _, e in EXPRESSIONS])
def test_inferred_value_matches_reality(setup: str, expression: str) -> None:
    static = _static(setup, expression)
    real = _real(setup, expression)
    assert static.kind == real.kind
    if expression in PARTIAL:
        assert static.dtype in (None, real.dtype)
        assert static.shape is None or static.shape == real.shape
    else:
        assert (static.dtype, static.shape) == (real.dtype, real.shape)


@pytest.mark.parametrize(
    ("setup", "expression"),
    DATASET_EXPRESSIONS,
    ids=[s.splitlines()[-1] for s, _ in DATASET_EXPRESSIONS],
)
def test_dataset_element_matches_reality(setup: str, expression: str) -> None:
    static = _static(setup, expression)
    real = _real(setup, expression)
    assert (static.kind, static.dtype) == (real.kind, real.dtype)
    assert static.shape is not None and real.shape is not None
    assert len(static.shape) == len(real.shape)
    assert all(s is None or s == r for s, r in zip(static.shape, real.shape, strict=True))


FLOW_CASES = [
    # (source, name, expected (kind, dtype, shape) or None for unknown)
    (
        "if cond:\n    x = np.zeros((2, 5))\nelse:\n    x = np.zeros((2, 5))",
        "x",
        (Kind.NDARRAY, "float64", (2, 5)),
    ),
    (
        "if cond:\n    x = np.zeros((2, 5))\nelse:\n    x = np.zeros((3, 5))",
        "x",
        (Kind.NDARRAY, "float64", (None, 5)),
    ),
    ("if cond:\n    x = np.zeros((2, 5))\nelse:\n    x = [1, 2]", "x", None),
    ("x = np.zeros(3)\nfor i in range(3):\n    x = np.zeros(4)", "x", None),
    ("x = np.zeros(3)\nwhile cond:\n    x = x[None]", "x", None),
    ("def f(x):\n    return x\nx = f(1)", "x", (Kind.SCALAR, "int", ())),
    ("def f(x):\n    return f(x)\nx = f(np.zeros(2))", "x", None),
    ("def f(x):\n    yield np.zeros(2)\nx = f(1)", "x", None),
    ("@decorate\ndef f(x):\n    return np.zeros(2)\nx = f(1)", "x", None),
    ("def f(x):\n    return np.zeros(2)\ndef f(x):\n    return x\nx = f(cond)", "x", None),
    ("def f(x, acc=[]):\n    return acc\nx = f(1)", "x", None),
    ("def f(x):\n    return np.zeros(2)\nx = f(1, 2)", "x", None),
    ("def f(*a, **k):\n    return k\nx = f(*cond)", "x", None),
    ("def f(x):\n    if x:\n        return np.zeros(2)\nx = f(cond)", "x", None),
    ("x = (lambda: np.zeros(2))()", "x", (Kind.NDARRAY, "float64", (2,))),
    (
        "def f(x, n):\n    if n == 0:\n        return x\n    return f(x, n - 1)\n"
        "x = f(np.zeros(2), 2)",
        "x",
        (Kind.NDARRAY, "float64", (2,)),
    ),
    (
        "def f(x, n):\n    if n == 0:\n        return x\n    return f(x, n - 1)\n"
        "x = f(np.zeros(2), 50)",
        "x",
        None,
    ),
    (
        "def f(x):\n    return np.zeros(2)\n    return x\nx = f(cond)",
        "x",
        (Kind.NDARRAY, "float64", (2,)),
    ),
    ("def f(x):\n    raise ValueError(x)\nx = f(np.zeros(2))", "x", None),
    ("a, b = np.zeros(2), np.ones((1, 3))", "b", (Kind.NDARRAY, "float64", (1, 3))),
    ("x = np.zeros(3)\nx += 1", "x", None),
    (
        "try:\n    x = np.zeros(2)\nexcept ValueError:\n    x = np.zeros(2)",
        "x",
        (Kind.NDARRAY, "float64", (2,)),
    ),
    ("with open('f') as x:\n    pass", "x", None),
]


@pytest.mark.parametrize(("source", "name", "expected"), FLOW_CASES)
def test_flow(source: str, name: str, expected: tuple[Kind, str, tuple[int, ...]] | None) -> None:
    interpreter = Interpreter(cst.parse_module(PRELUDE + source), None)
    env = interpreter.block(interpreter.module.body, {})
    value = as_argument(env.get(name)) if name in env else Value()
    if expected is None:
        assert value == Value()
    else:
        assert (value.kind, value.dtype, value.shape) == expected
