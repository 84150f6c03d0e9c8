"""Signature calls for the differential oracle test (tests/test_oracle_calls.py).

Each case is one small, self-contained script: imports, one model load, one signature
lookup, optional setup lines, one signature call. The test lints the script with sm-lint
and runs the very same script with real TensorFlow; the verdict it expects is derived from
what TensorFlow did with the real values.

``error`` is the code the case's author expects (None: the call does not break the
signature); ``warn`` the warning codes expected when it does not. The test checks both
against TensorFlow's behaviour, so a wrong expectation here fails loudly instead of
silently agreeing with the linter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent / "fixtures" / "models"

#: 1-based line of ``loaded = tf.saved_model.load(...)`` in every generated source.
LOAD_LINE = 3

_SHORT = {
    "keras_export_dense": "dense",
    "keras_two_inputs": "two",
    "keras_float64": "f64",
    "keras_saved": "saved",
    "module_multi": "multi",
    "tf1_builder": "tf1",
}


@dataclass(frozen=True)
class Case:
    model: str
    key: str | None
    call: str
    error: str | None = None
    warn: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    #: The lookup expression bound to ``infer`` (default ``loaded.signatures["<key>"]``).
    lookup: str | None = None
    #: Why the lead should look at this case (marks it xfail(strict=True)).
    xfail: str | None = None

    @property
    def source(self) -> str:
        lines = [
            "import numpy as np",
            "import tensorflow as tf",
            f'loaded = tf.saved_model.load("{(MODELS_DIR / self.model).as_posix()}")',
        ]
        if self.key is not None or self.lookup is not None:
            lines.append(
                f"infer = {self.lookup or f'loaded.signatures[{self.key!r}]'}".replace("'", '"')
            )
        lines.extend(self.setup)
        lines.append(f"result = {self.call}")
        lines.extend(self.after)
        return "\n".join(lines) + "\n"

    @property
    def id(self) -> str:
        head = (
            f"{_SHORT[self.model]}.{self.key}"
            if self.lookup is None
            else (f"{_SHORT[self.model]}.<{self.lookup}>")
        )
        return f"{head}: " + "; ".join([*self.setup, self.call, *self.after])


def _c(
    model: str, key: str | None, args: str, error: str | None = None, suffix: str = "", **kw: object
) -> Case:
    return Case(model, key, f"infer({args}){suffix}", error, **kw)  # type: ignore[arg-type]


def dense(arg: str, error: str | None = None, **kw: object) -> Case:
    """keras_export_dense serving_default: keras_tensor float32 [None, 5]."""
    return _c("keras_export_dense", "serving_default", f"keras_tensor={arg}", error=error, **kw)


def f64(arg: str, error: str | None = None, **kw: object) -> Case:
    """keras_float64 serving_default: keras_tensor float64 [None, 5]."""
    return _c("keras_float64", "serving_default", f"keras_tensor={arg}", error=error, **kw)


def two(args: str, error: str | None = None, **kw: object) -> Case:
    """keras_two_inputs: a float32 [None, 10], b float32 [None, 5]."""
    return _c("keras_two_inputs", "serving_default", args, error=error, **kw)


def saved(args: str, error: str | None = None, **kw: object) -> Case:
    """keras_saved: inputs float32 [None, 3]."""
    return _c("keras_saved", "serving_default", args, error=error, **kw)


def multi(key: str, args: str, error: str | None = None, **kw: object) -> Case:
    return _c("module_multi", key, args, error=error, **kw)


def image(arg: str, error: str | None = None, **kw: object) -> Case:
    """module_multi classify_image: image uint8 [None, 8, 8, 3]."""
    return multi("classify_image", f"image={arg}", error, **kw)


def counts(arg: str, error: str | None = None, flags: str = "[True, False]", **kw: object) -> Case:
    """module_multi int_in: counts int32 [None, 2] (two rows unless told), flags bool [None]."""
    return multi("int_in", f"counts={arg}, flags={flags}", error, **kw)


def matrix(arg: str, error: str | None = None, temperature: str = "2.0", **kw: object) -> Case:
    """module_multi scale: temperature float32 [], matrix float32 [2, 3]."""
    return multi("scale", f"temperature={temperature}, matrix={arg}", error, **kw)


def tf1(args: str, error: str | None = None, **kw: object) -> Case:
    """tf1_builder serving_default: "my/y", "x:0" float32 [None, 3] (TF1 Builder)."""
    return _c("tf1_builder", "serving_default", args, error=error, **kw)


Z = "np.zeros((2, 3))"  # a fitting tf1 / pair / saved value

CASES: list[Case] = [
    # ---------------------------------------------------------- numpy random
    dense("np.random.rand(64, 5)"),
    dense("np.random.randn(8, 5)"),
    dense("np.random.random((8, 5))"),
    dense("np.random.random(size=(8, 5))"),
    dense("np.random.uniform(0, 1, (8, 5))"),
    dense("np.random.uniform(size=(8, 5))"),
    dense("np.random.normal(0.0, 1.0, size=(8, 5))"),
    dense("np.random.randint(0, 10, (8, 5))"),
    dense("np.random.randint(0, 10, size=(8, 5), dtype=np.int32)"),
    dense("np.random.rand(64, 6)", "SM008"),
    dense("np.random.rand(64)", "SM007"),
    dense("np.random.rand(2, 64, 5)", "SM007"),
    dense("np.random.randn(5, 8)", "SM008"),
    dense("np.random.random((8, 4))", "SM008"),
    dense("np.random.uniform(0, 1, size=(8,))", "SM007"),
    dense("np.random.normal(size=(8, 5, 1))", "SM007"),
    dense("np.random.randint(0, 10, (8, 3))", "SM008"),
    dense("np.random.rand()", "SM007"),
    # ---------------------------------------------------------- numpy filled
    dense("np.zeros((8, 5))"),
    dense("np.ones((8, 5), dtype=np.float32)"),
    dense("np.empty((8, 5), 'float32')"),
    dense("np.full((8, 5), 0.5)"),
    dense("np.full((8, 5), 1, dtype=np.int64)"),
    dense("np.zeros(5)", "SM007"),
    dense("np.ones([8, 6])", "SM008"),
    dense("np.empty((8, 5, 5))", "SM007"),
    dense("np.full((8, 7), 0.5)", "SM008"),
    dense("np.zeros_like(np.ones((8, 5)))"),
    dense("np.ones_like(x)", setup=("x = np.random.rand(8, 5)",)),
    dense("np.full_like(x, 2.0)", setup=("x = np.random.rand(8, 5)",)),
    dense("np.empty_like(x, dtype=np.float32)", setup=("x = np.random.rand(8, 5)",)),
    dense("np.zeros_like(x)", "SM008", setup=("x = np.random.rand(8, 6)",)),
    dense("np.ones_like(np.zeros((3, 8, 5)))", "SM007"),
    # ---------------------------------------------------------- np.array literals
    dense("np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])"),
    dense("np.array([[1, 2, 3, 4, 5]], dtype='float32')"),
    dense("np.array([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])"),
    dense("np.asarray([[1, 2, 3, 4, 5]])"),
    dense("np.asarray([[1, 2, 3, 4, 5]], dtype=np.float64)"),
    dense("np.array([[True, False, True, False, True]])"),
    dense("np.array([1.0, 2.0, 3.0, 4.0, 5.0])", "SM007"),
    dense("np.array([[1.0, 2.0, 3.0]])", "SM008"),
    dense("np.asarray([[1, 2, 3, 4, 5, 6]], dtype=np.float32)", "SM008"),
    dense("np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])", "SM007"),
    dense("np.array(3.0)", "SM007"),
    dense("np.array([['a', 'b', 'c', 'd', 'e']])", "SM005"),
    # ---------------------------------------------------------- arange / linspace / eye
    dense("np.arange(10).reshape(2, 5)"),
    dense("np.arange(10.0).reshape(-1, 5)"),
    dense("np.arange(0, 20, 2).reshape(2, 5)"),
    dense("np.arange(10, dtype=np.float32).reshape((2, 5))"),
    dense("np.arange(10).reshape(5, 2)", "SM008"),
    dense("np.arange(5)", "SM007"),
    dense("np.arange(12).reshape(-1, 6)", "SM008"),
    dense("np.linspace(0, 1, 5)[None, :]"),
    dense("np.linspace(0, 1, 10).reshape(2, 5)"),
    dense("np.linspace(0, 1, 5)", "SM007"),
    dense("np.linspace(0, 1, num=12).reshape(2, 6)", "SM008"),
    dense("np.eye(5)"),
    dense("np.eye(5, 5, dtype=np.float32)"),
    dense("np.eye(3, 5)"),
    dense("np.eye(4)", "SM008"),
    dense("np.eye(5, 4)", "SM008"),
    # ---------------------------------------------------------- stack / concatenate
    dense("np.stack([np.zeros(5), np.ones(5)])"),
    dense("np.stack([np.zeros(4), np.ones(4)], axis=1)", "SM008"),
    dense("np.stack([np.zeros((2, 5)), np.ones((2, 5))])", "SM007"),
    dense("np.concatenate([np.zeros((2, 5)), np.ones((3, 5))])"),
    dense("np.concatenate([np.zeros((2, 2)), np.ones((2, 3))], axis=1)"),
    dense("np.concatenate([np.zeros((2, 3)), np.ones((2, 3))], axis=1)", "SM008"),
    dense("np.vstack([np.zeros(5), np.ones(5)])"),
    dense("np.vstack([np.zeros(4), np.ones(4)])", "SM008"),
    dense("np.hstack([np.zeros((2, 2)), np.ones((2, 3))])"),
    dense("np.hstack([np.zeros(2), np.ones(3)])", "SM007"),
    dense("np.stack([a, b])", setup=("a = np.zeros(5)", "b = np.ones(5)")),
    # ---------------------------------------------------------- expand / squeeze / reshape / T
    dense("np.expand_dims(np.zeros(5), 0)"),
    dense("np.expand_dims(np.zeros(5), axis=-1)", "SM008"),
    dense("np.expand_dims(np.zeros((8, 5)), 0)", "SM007"),
    dense("np.squeeze(np.zeros((1, 8, 5)))"),
    dense("np.squeeze(np.zeros((8, 1, 5)), axis=1)"),
    dense("np.squeeze(np.zeros((1, 5)))", "SM007"),
    dense("np.zeros(40).reshape(-1, 5)"),
    dense("np.zeros(40).reshape(8, -1)"),
    dense("np.zeros(40).reshape((-1, 8))", "SM008"),
    dense("np.zeros((4, 10)).reshape(-1, 5)"),
    dense("np.zeros((5, 8)).T"),
    dense("np.zeros((8, 5)).T", "SM008"),
    dense("x.T", setup=("x = np.random.rand(5, 16)",)),
    dense("x", "SM008", setup=("x = np.zeros(40)", "x = x.reshape(5, 8)")),
    # ---------------------------------------------------------- astype / indexing
    dense("np.random.rand(8, 5).astype(np.float32)"),
    dense("np.random.rand(8, 5).astype('float16')"),
    dense("np.random.rand(8, 5).astype(np.int64)"),
    dense("np.random.rand(8, 6).astype(np.float32)", "SM008"),
    dense("np.zeros(5)[None, :]"),
    dense("np.zeros(5)[np.newaxis]"),
    dense("np.zeros((3, 8, 5))[0]"),
    dense("np.zeros((8, 10))[:, :5]"),
    dense("np.zeros((8, 10))[:, 5:]"),
    dense("np.zeros((8, 10))[:, ::2]"),
    dense("np.zeros((2, 8, 5))[:, 0]"),
    dense("np.zeros((8, 10))[:, :4]", "SM008"),
    dense("np.zeros((8, 5))[0]", "SM007"),
    dense("np.zeros(5)[:, None]", "SM008"),
    dense("np.zeros((8, 5))[None]", "SM007"),
    dense("x[:, 1:6]", setup=("x = np.random.rand(4, 10)",)),
    dense("x[:, 1:]", "SM008", setup=("x = np.random.rand(4, 10)",)),
    # ---------------------------------------------------------- numpy scalars
    dense("np.float32(1.0)", "SM007"),
    dense("np.float64(2.5)", "SM007"),
    dense("np.int32(3)", "SM007"),
    # ---------------------------------------------------------- tf.constant / convert
    dense("tf.constant(np.random.rand(8, 5))", "SM005"),
    dense("tf.constant(np.random.rand(8, 5), dtype=tf.float32)"),
    dense("tf.constant([[1.0, 2.0, 3.0, 4.0, 5.0]])"),
    dense("tf.constant([[1, 2, 3, 4, 5]])", "SM005"),
    dense("tf.constant(0.0, shape=(8, 5))"),
    dense("tf.constant(1, dtype=tf.float32, shape=[8, 5])"),
    dense("tf.constant(0.0, shape=(8, 6))", "SM008"),
    dense("tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])", "SM007"),
    dense("tf.constant(np.zeros((8, 5), np.float32))"),
    dense("tf.constant(x)", "SM005", setup=("x = np.random.rand(64, 5)",)),
    dense("tf.convert_to_tensor(np.zeros((8, 5), np.float32))"),
    dense("tf.convert_to_tensor(np.zeros((8, 5)))", "SM005"),
    dense("tf.convert_to_tensor([[1.0, 2, 3, 4, 5]])"),
    dense("tf.convert_to_tensor([[1, 2, 3, 4, 5]], dtype=tf.float32)"),
    dense("tf.convert_to_tensor([[1, 2, 3, 4, 5]])", "SM005"),
    # ---------------------------------------------------------- tf.zeros / ones / fill / random
    dense("tf.zeros((8, 5))"),
    dense("tf.ones([8, 5], dtype=tf.float32)"),
    dense("tf.zeros((8, 5), tf.int32)", "SM005"),
    dense("tf.ones((8, 5), dtype=tf.float64)", "SM005"),
    dense("tf.zeros((8, 6))", "SM008"),
    dense("tf.ones([5])", "SM007"),
    dense("tf.zeros((2, 8, 5))", "SM007"),
    dense("tf.fill([8, 5], 1.0)"),
    dense("tf.fill([8, 5], 1)", "SM005"),
    dense("tf.fill([8, 5], np.float32(1.0))"),
    dense("tf.fill([8, 4], 1.0)", "SM008"),
    dense("tf.random.normal((8, 5))"),
    dense("tf.random.uniform([8, 5])"),
    dense("tf.random.uniform([8, 5], maxval=10, dtype=tf.int32)", "SM005"),
    dense("tf.random.normal([8, 5], dtype=tf.float64)", "SM005"),
    dense("tf.random.normal([8, 3])", "SM008"),
    dense("tf.zeros_like(np.zeros((8, 5), np.float32))"),
    # ---------------------------------------------------------- tf.cast / expand / reshape / stack
    dense("tf.cast(np.random.rand(8, 5), tf.float32)"),
    dense("tf.cast(tf.zeros((8, 5), tf.int32), tf.float32)"),
    dense("tf.cast(np.zeros((8, 5)), 'float64')", "SM005"),
    dense("tf.cast(np.zeros((8, 4)), tf.float32)", "SM008"),
    dense("tf.expand_dims(tf.zeros(5), 0)"),
    dense("tf.expand_dims(tf.zeros(5), axis=1)", "SM008"),
    dense("tf.reshape(tf.range(10, dtype=tf.float32), (2, 5))"),
    dense("tf.reshape(tf.zeros(10), [-1, 5])"),
    dense("tf.reshape(tf.zeros(10), [5, -1])", "SM008"),
    dense("tf.stack([tf.zeros(5), tf.ones(5)])"),
    dense("tf.stack([tf.zeros(5), tf.ones(5)], axis=1)", "SM008"),
    dense("tf.concat([tf.zeros((2, 5)), tf.ones((3, 5))], axis=0)"),
    dense("tf.concat([tf.zeros((2, 2)), tf.ones((2, 3))], 1)"),
    dense("tf.concat([tf.zeros((2, 2)), tf.ones((2, 2))], 1)", "SM008"),
    dense("tf.range(5)", "SM005"),
    dense("tf.range(5.0)[None, :]"),
    dense("tf.cast(tf.range(10), tf.float32)", "SM007"),
    dense("tf.zeros((8, 5))[0]", "SM007"),
    dense("x", setup=("x = tf.zeros((4, 5))",)),
    dense("x", "SM005", setup=("x = tf.zeros((4, 5))", "x = tf.cast(x, tf.float64)")),
    # ---------------------------------------------------------- Python values
    dense("[[1.0, 2.0, 3.0, 4.0, 5.0]]"),
    dense("[[1, 2, 3, 4, 5]]"),
    dense("[[True, False, True, False, True]]"),
    dense("((1.0, 2.0, 3.0, 4.0, 5.0),)"),
    dense("[[1, 2.5, 3, 4, 5], [6, 7, 8, 9, 10]]"),
    dense("[[1.0, 2.0, 3.0]]", "SM008"),
    dense("[1.0, 2.0, 3.0, 4.0, 5.0]", "SM007"),
    dense("(1, 2, 3, 4, 5)", "SM007"),
    dense("1.0", "SM007"),
    dense("3", "SM007"),
    dense("True", "SM007"),
    dense("'abc'", "SM005"),
    dense("b'abc'", "SM005"),
    dense("[['a', 'b', 'c', 'd', 'e']]", "SM005"),
    dense("rows", setup=("rows = [[0.5, 0.5, 0.5, 0.5, 0.5]]",)),
    dense("row", "SM007", setup=("row = [0.5, 0.5, 0.5, 0.5, 0.5]",)),
    # ---------------------------------------------------------- dtype spellings (tensors)
    dense("tf.zeros((2, 5), dtype='float32')"),
    dense("tf.zeros((2, 5), dtype=np.float32)"),
    dense("tf.zeros((2, 5), dtype=tf.float32)"),
    dense("tf.zeros((2, 5), dtype=np.dtype('float32'))"),
    dense("tf.zeros((2, 5), dtype=float)"),
    dense("tf.zeros((2, 5), dtype='float64')", "SM005"),
    dense("tf.zeros((2, 5), dtype=np.float64)", "SM005"),
    dense("tf.zeros((2, 5), dtype=tf.float64)", "SM005"),
    dense("tf.zeros((2, 5), dtype=np.dtype('float64'))", "SM005"),
    dense("tf.zeros((2, 5), dtype=tf.double)", "SM005"),
    dense("tf.zeros((2, 5), dtype='double')", "SM005"),
    dense("tf.zeros((2, 5), dtype='half')", "SM005"),
    dense("tf.zeros((2, 5), dtype=bool)", "SM005"),
    dense("tf.constant([[1, 2, 3, 4, 5]], dtype='float32')"),
    dense("tf.constant([[1, 2, 3, 4, 5]], dtype=np.float32)"),
    dense("tf.constant([[1, 2, 3, 4, 5]], dtype=float)"),
    dense("tf.constant([[1, 2, 3, 4, 5]], dtype=np.dtype('float32'))"),
    dense("tf.constant([[1, 2, 3, 4, 5]], tf.float64)", "SM005"),
    dense("tf.cast(x, dtype='float32')", setup=("x = np.zeros((2, 5))",)),
    dense("tf.cast(x, np.float32)", setup=("x = np.zeros((2, 5))",)),
    dense("tf.cast(x, np.dtype('float32'))", setup=("x = np.zeros((2, 5))",)),
    dense("tf.cast(x, float)", setup=("x = np.zeros((2, 5))",)),
    dense("tf.cast(x, 'float16')", "SM005", setup=("x = np.zeros((2, 5))",)),
    dense("tf.cast(x, tf.int64)", "SM005", setup=("x = np.zeros((2, 5))",)),
    dense("tf.random.normal((2, 5), dtype='float64')", "SM005"),
    # ---------------------------------------------------------- numpy dtypes into float32
    dense("np.zeros((2, 5), np.float16)"),
    dense("np.zeros((2, 5), dtype=bool)"),
    dense("np.zeros((2, 5), dtype=np.complex64)", warn=("SM006",)),
    # ---------------------------------------------------------- positional, keywords
    dense("np.zeros((2, 5))", suffix='["output_0"]'),
    _c("keras_export_dense", "serving_default", "tf.zeros((2, 5))", warn=("SM004",)),
    _c("keras_export_dense", "serving_default", "np.zeros((2, 5))", "SM004"),
    _c("keras_export_dense", "serving_default", "[[1.0, 2.0, 3.0, 4.0, 5.0]]", "SM004"),
    _c("keras_export_dense", "serving_default", "tf.constant(np.random.rand(2, 5))", "SM005"),
    _c("keras_export_dense", "serving_default", "tf.zeros((2, 6))", "SM008"),
    _c(
        "keras_export_dense",
        "serving_default",
        "tf.zeros((2, 5)), keras_tensor=tf.zeros((2, 5))",
        "SM004",
    ),
    _c("keras_export_dense", "serving_default", "x=np.zeros((2, 5))", "SM002"),
    _c("keras_export_dense", "serving_default", "inputs=np.zeros((2, 5))", "SM002"),
    _c("keras_export_dense", "serving_default", "", "SM003"),
    _c("keras_export_dense", "serving_default", "**{'keras_tensor': np.zeros((2, 5))}"),
    _c("keras_export_dense", "serving_default", "**{'keras_tensor': np.zeros((2, 4))}", "SM008"),
    _c("keras_export_dense", "serving_default", "**{'Keras_tensor': np.zeros((2, 5))}", "SM002"),
    _c(
        "keras_export_dense",
        "serving_default",
        "**feed",
        setup=("feed = {'keras_tensor': np.random.rand(4, 5)}",),
    ),
    _c(
        "keras_export_dense",
        "serving_default",
        "**feed",
        "SM007",
        setup=("feed = {'keras_tensor': np.random.rand(4)}",),
    ),
    _c(
        "keras_export_dense",
        "serving_default",
        "keras_tensor=x",
        setup=("x = np.random.rand(64, 5)",),
    ),
    _c("keras_export_dense", "serving", "keras_tensor=np.zeros((2, 5))", "SM001"),
    _c("keras_export_dense", "Serving_Default", "keras_tensor=np.zeros((2, 5))", "SM001"),
    _c("keras_export_dense", "serve", "keras_tensor=np.zeros((2, 5))"),
    _c("keras_export_dense", "serve", "keras_tensor=np.zeros((2, 6))", "SM008"),
    Case(
        "keras_export_dense",
        None,
        "infer(keras_tensor=np.zeros((2, 5)))",
        lookup="loaded.signatures[tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY]",
    ),
    Case(
        "keras_export_dense",
        None,
        "infer(keras_tensor=np.zeros((2, 6)))",
        "SM008",
        lookup="loaded.signatures[tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY]",
    ),
    Case(
        "keras_export_dense",
        None,
        "infer(keras_tensor=np.zeros((2, 5)))",
        "SM001",
        lookup="loaded.signatures.get('predict')",
    ),
    Case(
        "keras_export_dense",
        None,
        "loaded.signatures['serving_default'](keras_tensor=np.zeros((2, 5)))",
    ),
    Case(
        "keras_export_dense",
        None,
        "loaded.signatures['serving_default'](keras_tensor=np.zeros((2, 4)))",
        "SM008",
    ),
    Case(
        "keras_export_dense",
        None,
        "loaded.signatures['predict'](keras_tensor=np.zeros((2, 5)))",
        "SM001",
    ),
    dense("np.zeros((2, 5))", suffix='["output_1"]', error="SM010"),
    dense("np.zeros((2, 5))", suffix='["dense"]', error="SM010"),
    dense("np.zeros((2, 5))", after=('y = result["output_0"]',)),
    dense("np.zeros((2, 5))", "SM010", after=('y = result["outputs"]',)),
    # ---------------------------------------------------------- keras_float64
    f64("np.random.rand(4, 5)"),
    f64("np.random.rand(4, 5).astype(np.float32)"),
    f64("tf.constant(np.random.rand(4, 5))"),
    f64("tf.constant(np.random.rand(4, 5), dtype=tf.float32)", "SM005"),
    f64("tf.zeros((4, 5))", "SM005"),
    f64("tf.zeros((4, 5), dtype=tf.float64)"),
    f64("tf.zeros((4, 5), dtype='float64')"),
    f64("tf.zeros((4, 5), dtype=np.float64)"),
    f64("tf.zeros((4, 5), dtype=np.dtype('float64'))"),
    f64("tf.zeros((4, 5), dtype=float)", "SM005"),
    f64("[[1.0, 2.0, 3.0, 4.0, 5.0]]"),
    f64("[[1, 2, 3, 4, 5]]"),
    f64("tf.cast(tf.zeros((4, 5)), tf.float64)"),
    f64("tf.cast(tf.zeros((4, 5)), tf.double)"),
    f64("tf.convert_to_tensor([[1.0, 2.0, 3.0, 4.0, 5.0]])", "SM005"),
    f64("tf.convert_to_tensor([[1.0, 2.0, 3.0, 4.0, 5.0]], dtype=tf.float64)"),
    f64("tf.random.normal((4, 5), dtype=tf.float64)"),
    f64("tf.reshape(tf.range(10, dtype=tf.float64), (2, 5))"),
    f64("tf.constant(np.random.rand(4, 6))", "SM008"),
    _c("keras_float64", "serving_default", "tf.zeros((1, 5), tf.float64)", warn=("SM004",)),
    _c("keras_float64", "serving_default", "tf.zeros((1, 5))", "SM005"),
    # ---------------------------------------------------------- keras_two_inputs
    two("a=np.random.rand(8, 10), b=np.random.rand(8, 5)"),
    two("a=np.random.rand(8, 5), b=np.random.rand(8, 10)", "SM008"),
    two("a=tf.zeros((8, 5)), b=tf.zeros((8, 10))", "SM008"),
    two("a=np.random.rand(8, 10)", "SM003"),
    two("b=np.random.rand(8, 5)", "SM003"),
    two("a=np.random.rand(8, 10), c=np.random.rand(8, 5)", "SM002"),
    two("a=np.random.rand(8, 10), b=np.random.rand(8, 5), c=1", "SM002"),
    two("A=np.random.rand(8, 10), b=np.random.rand(8, 5)", "SM002"),
    two("np.zeros((8, 10)), np.zeros((8, 5))", "SM004"),
    two("tf.zeros((8, 10)), tf.zeros((8, 5))", "SM004"),
    two("tf.zeros((8, 10)), b=tf.zeros((8, 5))", "SM004"),
    two("**{'a': np.zeros((8, 10)), 'b': np.zeros((8, 5))}"),
    two("**{'a': np.zeros((8, 10)), 'B': np.zeros((8, 5))}", "SM002"),
    two("a=np.zeros((8, 10)), b=np.zeros((4, 5))", warn=("SM009",)),
    two("a=tf.zeros((8, 10)), b=tf.zeros((8, 5), tf.float64)", "SM005"),
    two("a=[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]], b=[[0.5, 0.5, 0.5, 0.5, 0.5]]"),
    two("a=np.zeros((8, 10)), b=np.zeros((8, 5, 1))", "SM007"),
    two("a=np.zeros((8, 10)), b=np.zeros((8, 5))", suffix='["output_0"]'),
    two("a=np.zeros((8, 10)), b=np.zeros((8, 5))", suffix='["output"]', error="SM010"),
    two("a=x, b=y", setup=("x = np.random.rand(3, 10)", "y = np.random.rand(3, 5)")),
    two("a=x, b=y", "SM008", setup=("x = np.random.rand(3, 10)", "y = np.random.rand(3, 4)")),
    two("**batch", setup=("batch = {'a': np.zeros((2, 10)), 'b': np.zeros((2, 5))}",)),
    # ---------------------------------------------------------- keras_saved
    saved("inputs=np.random.rand(2, 3)"),
    saved("x=np.random.rand(2, 3)", "SM002"),
    saved("input=np.random.rand(2, 3)", "SM002"),
    saved("tf.zeros((2, 3))", warn=("SM004",)),
    saved("np.zeros((2, 3))", "SM004"),
    saved("[[1.0, 2.0, 3.0]]", "SM004"),
    saved("tf.constant(np.random.rand(2, 3))", "SM005"),
    saved("tf.zeros((2, 4))", "SM008"),
    saved("inputs=tf.zeros((2, 3))", suffix='["output_0"]'),
    saved("inputs=tf.zeros((2, 3))", suffix='["output_1"]', error="SM010"),
    saved("inputs=[[1, 2, 3], [4, 5, 6]]"),
    saved("inputs=np.zeros((2, 3, 1))", "SM007"),
    _c("keras_saved", "serve", "inputs=np.zeros((2, 3))", "SM001"),
    _c("keras_saved", "serving-default", "inputs=np.zeros((2, 3))", "SM001"),
    # ---------------------------------------------------------- module_multi serving_default
    multi("serving_default", "x=np.random.rand(3, 4)"),
    multi("serving_default", "x=np.random.rand(3, 5)", "SM008"),
    multi("serving_default", "x=tf.zeros((3, 5))", "SM008"),
    multi("serving_default", "x=tf.zeros((3, 4, 1))", "SM007"),
    multi("serving_default", "x=np.random.rand(3, 4)", suffix='["y"]'),
    multi("serving_default", "x=np.random.rand(3, 4)", suffix='["output_0"]', error="SM010"),
    multi("serving_default", "inputs=np.random.rand(3, 4)", "SM002"),
    _c("module_multi", "classify", "image=np.zeros((1, 8, 8, 3), np.uint8)", "SM001"),
    # ---------------------------------------------------------- classify_image (uint8)
    image("np.random.randint(0, 255, (2, 8, 8, 3), dtype=np.uint8)"),
    image("np.random.randint(0, 255, (2, 8, 8, 3))", warn=("SM006",)),
    image("np.random.rand(2, 8, 8, 3)", warn=("SM006",)),
    image("np.zeros((2, 8, 8, 3), dtype=np.uint8)"),
    image("np.zeros((2, 8, 8, 3), 'uint8')"),
    image("np.zeros((2, 8, 8, 3), dtype=np.dtype('uint8'))"),
    image("np.zeros((2, 8, 8, 3), dtype='u1')"),
    image("np.zeros((2, 8, 8, 3), dtype='float32')", warn=("SM006",)),
    image("np.zeros((2, 8, 8, 3), dtype=np.float32)", warn=("SM006",)),
    image("np.zeros((2, 8, 8, 3), dtype=np.dtype('float32'))", warn=("SM006",)),
    image("np.zeros((2, 8, 8, 3), dtype=float)", warn=("SM006",)),
    image("np.zeros((2, 8, 8, 3), dtype=int)", warn=("SM006",)),
    image("np.zeros((2, 8, 8, 3), dtype=np.int8)", warn=("SM006",)),
    image("np.zeros((2, 8, 8, 3), dtype=np.uint16)", warn=("SM006",)),
    image("np.full((1, 8, 8, 3), 7, dtype=np.uint8)"),
    image("np.random.rand(2, 8, 8, 3).astype(np.uint8)"),
    image("np.random.rand(2, 8, 8, 3).astype('uint8')"),
    image("np.random.rand(8, 8, 3)", "SM007"),
    image("np.zeros((2, 8, 8, 4), np.uint8)", "SM008"),
    image("np.zeros((2, 16, 16, 3), np.uint8)", "SM008"),
    image("np.zeros((8, 8, 3), np.uint8)[None]"),
    image("np.zeros((8, 8, 3), np.uint8)[np.newaxis, ...]"),
    image("np.expand_dims(np.zeros((8, 8, 3), np.uint8), 0)"),
    image("np.expand_dims(np.zeros((8, 8, 3), np.uint8), axis=-1)", "SM008"),
    image("np.stack([img, img])", setup=("img = np.zeros((8, 8, 3), np.uint8)",)),
    image("np.concatenate([img, img])", "SM007", setup=("img = np.zeros((8, 8, 3), np.uint8)",)),
    image("tf.zeros((2, 8, 8, 3), tf.uint8)"),
    image("tf.zeros((2, 8, 8, 3))", "SM005"),
    image("tf.cast(tf.random.uniform((2, 8, 8, 3), maxval=255), tf.uint8)"),
    image("tf.zeros((2, 8, 8, 4), tf.uint8)", "SM008"),
    image("tf.zeros((8, 8, 3), dtype=tf.uint8)", "SM007"),
    image("tf.constant(np.zeros((1, 8, 8, 3)), dtype=tf.uint8)"),
    image("np.zeros((1, 8, 8, 3), np.uint8)", suffix='["label"]'),
    image("np.zeros((1, 8, 8, 3), np.uint8)", suffix='["probabilities"]'),
    image("np.zeros((1, 8, 8, 3), np.uint8)", suffix='["logits"]', error="SM010"),
    multi("classify_image", "np.zeros((1, 8, 8, 3), np.uint8)", "SM004"),
    multi("classify_image", "tf.zeros((1, 8, 8, 3), tf.uint8)", warn=("SM004",)),
    multi("classify_image", "images=np.zeros((1, 8, 8, 3), np.uint8)", "SM002"),
    image("x", warn=("SM006",), setup=("x = np.random.rand(768)", "x = x.reshape(4, 8, 8, 3)")),
    # ---------------------------------------------------------- lookup (string, unknown rank)
    multi("lookup", "text=['a', 'bc'], ids=[1, 2, 3]"),
    multi("lookup", "text=[b'a', b'b'], ids=np.array([[1, 2], [3, 4]])"),
    multi("lookup", "text=np.array(['a', 'b']), ids=5"),
    multi("lookup", "text=np.array([b'a', b'b']), ids=np.zeros((2, 3, 4), dtype=np.int64)"),
    multi("lookup", "text=tf.constant(['a']), ids=tf.constant([1], dtype=tf.int64)"),
    multi("lookup", "text='abc', ids=5", "SM007"),
    multi("lookup", "text=b'abc', ids=5", "SM007"),
    multi("lookup", "text=tf.constant('abc'), ids=tf.constant(1, tf.int64)", "SM007"),
    multi("lookup", "text=np.array([['a', 'b']]), ids=5", "SM007"),
    multi("lookup", "text=[1, 2], ids=5", "SM005"),
    multi("lookup", "text=np.array([1, 2]), ids=5", "SM005"),
    multi("lookup", "text=['a'], ids=tf.constant([1])", "SM005"),
    multi("lookup", "text=['a'], ids=[1.5]", "SM005"),
    multi("lookup", "text=['a'], ids=1.5", "SM005"),
    multi("lookup", "text=['a'], ids=np.array([1.5])", warn=("SM006",)),
    multi("lookup", "text=['a'], ids=np.float64(2.5)", warn=("SM006",)),
    multi("lookup", "text=['a'], ids=np.int32(3)"),
    multi("lookup", "text=['a'], ids=True"),
    multi("lookup", "text=['a'], ids=np.arange(6).reshape(2, 3)"),
    multi("lookup", "text=['a'], id=7", "SM002"),
    multi("lookup", "text=['a']", "SM003"),
    multi("lookup", "text=['a'], ids=1", suffix='["count"]'),
    multi("lookup", "text=['a'], ids=1", suffix='["n"]'),
    multi("lookup", "text=['a'], ids=1", suffix='["length"]', error="SM010"),
    multi("lookup", "['a'], 1", "SM004"),
    # ---------------------------------------------------------- scale (scalar, fixed shape)
    matrix("np.ones((2, 3))"),
    matrix("[[1, 2, 3], [4, 5, 6]]", temperature="2"),
    matrix("np.ones((2, 3), np.float32)", temperature="np.float32(0.5)"),
    matrix("np.ones((2, 3))", temperature="np.float64(0.5)"),
    matrix("tf.ones((2, 3))", temperature="tf.constant(2.0)"),
    matrix("np.ones((2, 3))", "SM005", temperature="tf.constant(2.0, dtype=tf.float64)"),
    matrix("np.ones((2, 3))", "SM007", temperature="[2.0]"),
    matrix("np.ones((2, 3))", "SM007", temperature="np.array([2.0])"),
    matrix("np.ones((2, 3))", temperature="np.array(2.0)"),
    matrix("np.ones((2, 3))", temperature="True"),
    matrix("np.ones((2, 3))", "SM005", temperature="'hot'"),
    matrix("np.ones((2, 3))", "SM007", temperature="np.linspace(0, 1, 1)"),
    matrix("tf.ones((2, 3))", "SM007", temperature="tf.ones((1,))"),
    matrix("np.ones((3, 3))", "SM008"),
    matrix("np.ones((2, 3, 1))", "SM007"),
    matrix("np.ones(6).reshape(2, 3)"),
    matrix("np.ones(6).reshape(3, -1)", "SM008"),
    matrix("np.ones((3, 2)).T"),
    matrix("np.arange(6, dtype=np.float32).reshape((2, 3))"),
    matrix("tf.ones((3, 3))", "SM008"),
    matrix("tf.ones((3, 3))", "SM008", temperature="tf.constant(2.0)"),
    matrix("tf.reshape(tf.range(6.0), (2, 3))"),
    matrix("np.eye(2, 3)"),
    matrix("np.eye(3)", "SM008"),
    matrix("np.vstack([np.zeros(3), np.ones(3)])"),
    matrix("np.hstack([np.zeros((2, 1)), np.ones((2, 2))])"),
    matrix("np.concatenate([np.zeros((1, 3)), np.ones((1, 3))])"),
    matrix("np.concatenate([np.zeros((2, 1)), np.ones((2, 2))], axis=1)"),
    matrix("np.stack([np.zeros(3), np.ones(3), np.ones(3)])", "SM008"),
    matrix("np.zeros((2, 3))[:, :2]", "SM008"),
    matrix("np.zeros((4, 3))[::2]"),
    matrix("np.zeros((4, 3))[1:3]"),
    matrix("np.zeros((4, 3))[1:]", "SM008"),
    matrix("np.zeros((1, 2, 3))[0]"),
    matrix("np.squeeze(np.zeros((2, 1, 3)))"),
    matrix("np.zeros((2, 3))[..., None]", "SM007"),
    matrix("tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])"),
    matrix("tf.constant([[1.0, 2.0, 3.0]])", "SM008", temperature="tf.constant(1.0)"),
    matrix("m", setup=("m = np.random.rand(2, 3).astype(np.float32)",)),
    matrix("m", "SM008", setup=("m = np.random.rand(6)", "m = m.reshape(6, 1)")),
    multi("scale", "matrix=np.ones((2, 3))", "SM003"),
    multi("scale", "temperature=1.0, matrix=np.ones((2, 3)), scale=2.0", "SM002"),
    multi("scale", "2.0, np.ones((2, 3))", "SM004"),
    matrix("np.ones((2, 3))", suffix='["scaled"]'),
    # ---------------------------------------------------------- pair (batch sizes)
    multi("pair", "left=np.zeros((4, 3)), right=np.ones((4, 3))"),
    multi("pair", "left=np.zeros((2, 3)), right=np.ones((3, 3))", warn=("SM009",)),
    multi("pair", "left=tf.zeros((2, 3)), right=tf.zeros((5, 3))", warn=("SM009",)),
    multi(
        "pair", "left=[[1.0, 2.0, 3.0]], right=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]", warn=("SM009",)
    ),
    multi(
        "pair",
        "left=l, right=r",
        warn=("SM009",),
        setup=("l = np.random.rand(8, 3)", "r = np.random.rand(16, 3)"),
    ),
    multi("pair", "left=np.zeros((2, 4)), right=np.zeros((2, 3))", "SM008"),
    multi("pair", "left=tf.zeros((2, 4)), right=tf.zeros((2, 3))", "SM008"),
    multi("pair", "left=np.zeros((2, 3))", "SM003"),
    multi("pair", "left=np.zeros((2, 3)), rigth=np.zeros((2, 3))", "SM002"),
    multi("pair", "np.zeros((2, 3)), np.zeros((2, 3))", "SM004"),
    # ---------------------------------------------------------- int_in (int32, bool)
    counts("np.array([[1, 2], [3, 4]], dtype=np.int32)", flags="np.array([True, False])"),
    counts("[[1, 2], [3, 4]]"),
    counts("np.array([[1, 2], [3, 4]])"),
    counts("np.random.rand(2, 2)", warn=("SM006",)),
    counts("[[1.5, 2.0], [3.0, 4.0]]", "SM005"),
    counts("tf.constant([[1, 2], [3, 4]])", flags="tf.constant([True, False])"),
    counts("tf.constant([[1, 2], [3, 4]], dtype=tf.int64)", "SM005"),
    counts("np.zeros((2, 2), dtype=np.int32)", flags="np.zeros(2, dtype=bool)"),
    counts("[[1, 2], [3, 4]]", warn=("SM006",), flags="np.array([1, 0])"),
    counts("[[1, 2], [3, 4]]", warn=("SM006",), flags="np.array(['a', ''])"),
    counts("[[1, 2], [3, 4]]", "SM005", flags="[1, 0]"),
    counts("[[1, 2], [3, 4]]", "SM005", flags="[1.0, 0.0]"),
    counts("[[1, 2], [3, 4]]", flags="tf.ones(2, dtype=tf.bool)"),
    counts("[[1, 2], [3, 4]]", "SM005", flags="tf.ones(2)"),
    counts("[[True, False], [False, True]]"),
    counts("np.ones((2, 3), np.int32)", "SM008"),
    counts("[[1, 2], [3, 4]]", "SM007", flags="True"),
    counts("tf.zeros((2, 2), dtype=tf.int32)", flags="tf.zeros((2,), tf.bool)"),
    counts("np.zeros((2, 2), dtype='int32')"),
    counts("np.zeros((2, 2), dtype=np.dtype('int32'))"),
    counts("np.zeros((2, 2), dtype='i4')"),
    counts("np.zeros((2, 2), dtype=np.dtype('int64'))"),
    counts("np.zeros((2, 2), dtype=int)"),
    counts("np.zeros((2, 2), dtype=bool)"),
    counts("np.zeros((2, 2), dtype=np.uint8)"),
    counts("np.zeros((2, 2), dtype='float32')", warn=("SM006",)),
    counts("np.zeros((2, 2), dtype=np.float32)", warn=("SM006",)),
    counts("np.zeros((2, 2), dtype=np.dtype('float32'))", warn=("SM006",)),
    counts("np.zeros((2, 2), dtype=float)", warn=("SM006",)),
    counts("np.zeros((2, 2), dtype='f4')", warn=("SM006",)),
    counts("np.zeros((2, 2), dtype=np.float16)", warn=("SM006",)),
    counts("np.full((2, 2), 1.5)", warn=("SM006",)),
    counts("np.arange(4).reshape(2, 2)"),
    counts("np.arange(4.0).reshape(2, 2)", warn=("SM006",)),
    counts("np.linspace(0, 3, 4).reshape(2, 2)", warn=("SM006",)),
    counts("np.eye(2)", warn=("SM006",)),
    counts("np.eye(2, dtype=np.int32)"),
    counts("np.array([[1, 2], [3, 4]], dtype=np.float64)", warn=("SM006",)),
    counts("np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.int32)"),
    counts("np.asarray([[1.0, 2.0], [3.0, 4.0]])", warn=("SM006",)),
    counts("np.random.rand(2, 2).astype(np.int32)"),
    counts("np.random.rand(2, 2).astype('int32')"),
    counts("np.random.rand(2, 2).astype(np.dtype('int32'))"),
    counts("np.random.rand(2, 2).astype(int)"),
    counts("np.random.rand(2, 2).astype(float)", warn=("SM006",)),
    counts("np.random.rand(2, 2).astype('float32')", warn=("SM006",)),
    counts("np.random.randint(0, 5, size=(2, 2))"),
    counts("np.ones((2, 2), dtype=np.complex64)", warn=("SM006",)),
    counts("c", setup=("c = np.random.rand(2, 2)",), warn=("SM006",)),
    multi("int_in", "counts=[[1, 2]]", "SM003"),
    multi("int_in", "counts=[[1, 2]], flags=[True]", suffix='["total"]'),
    multi("int_in", "counts=[[1, 2]], flags=[True]", suffix='["sum"]', error="SM010"),
    # ---------------------------------------------------------- tf1_builder
    tf1("**{'x:0': np.zeros((2, 3)), 'my/y': np.ones((2, 3))}"),
    tf1("**{'x:0': [[1.0, 2.0, 3.0]], 'my/y': [[1, 2, 3]]}"),
    tf1("x_0=np.zeros((2, 3)), my_y=np.ones((2, 3))"),
    tf1("**{'x:0': np.zeros((2, 3)), 'my_y': np.ones((2, 3))}"),
    tf1("**{'x': np.zeros((2, 3)), 'my/y': np.ones((2, 3))}", "SM002"),
    tf1("**{'X:0': np.zeros((2, 3)), 'my/y': np.ones((2, 3))}", "SM002"),
    tf1("**{'x:0': np.zeros((2, 3))}", "SM003"),
    tf1("x=np.zeros((2, 3)), y=np.zeros((2, 3))", "SM002"),
    tf1("np.zeros((2, 3)), np.ones((2, 3))", warn=("SM004",)),
    tf1("tf.zeros((2, 3)), tf.ones((2, 3))", warn=("SM004",)),
    tf1("[[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]", warn=("SM004",)),
    tf1("tf.zeros((2, 3)), tf.ones((2, 3)), tf.ones((2, 3))", "SM004"),
    tf1("np.zeros((2, 3)), np.zeros((2, 4))", "SM008"),
    tf1("np.zeros((2, 4)), np.zeros((2, 3))", "SM008"),
    tf1("tf.zeros((2, 3)), tf.zeros((2, 3), tf.float64)", "SM005"),
    tf1("**{'x:0': tf.zeros((2, 4)), 'my/y': tf.zeros((2, 4))}", "SM008"),
    tf1("**{'x:0': tf.zeros((3,)), 'my/y': tf.zeros((2, 3))}", "SM007"),
    tf1("**{'x:0': np.zeros((2, 4)), 'my/y': np.zeros((2, 3))}", "SM008"),
    tf1("**{'x:0': tf.zeros((2, 3), tf.float64), 'my/y': tf.zeros((2, 3))}", "SM005"),
    tf1("**{'x:0': np.zeros((2, 3)), 'my/y': np.zeros((4, 3))}", warn=("SM009",)),
    tf1("**{'x:0': np.zeros((1, 3)), 'my/y': np.zeros((4, 3))}", warn=("SM009",)),
    tf1("**{'x:0': np.zeros((2, 3)), 'my/y': np.ones((2, 3))}", suffix='["sum"]'),
    tf1(
        "**{'x:0': np.zeros((2, 3)), 'my/y': np.ones((2, 3))}", suffix='["output_0"]', error="SM010"
    ),
    tf1("**{'x:0': np.zeros((2, 3)), 'my/y': 'abc'}", "SM005"),
    _c("tf1_builder", "only_x", "b_input=np.zeros((2, 3))"),
    _c("tf1_builder", "only_x", "np.zeros((2, 3))", warn=("SM004",)),
    _c("tf1_builder", "only_x", "[[1.0, 2.0, 3.0]]", warn=("SM004",)),
    _c("tf1_builder", "only_x", "tf.zeros((2, 3))", warn=("SM004",)),
    _c("tf1_builder", "only_x", "np.zeros((2, 4))", "SM008"),
    _c("tf1_builder", "only_x", "b=np.zeros((2, 3))", "SM002"),
    _c("tf1_builder", "only_x", "b_input=np.zeros((2, 3))", suffix='["doubled"]'),
    _c("tf1_builder", "only_x", "b_input=np.zeros((2, 3))", suffix='["sum"]', error="SM010"),
    _c("tf1_builder", "serve", "**{'x:0': np.zeros((2, 3)), 'my/y': np.ones((2, 3))}", "SM001"),
]

# Edge cases: further spellings of what the analyzer understands, and values whose
# verdict TensorFlow decides differently from the simple rules.
CASES += [
    # numpy random, more spellings
    dense("np.random.normal(0, 1, (8, 5))"),
    dense("np.random.randint(10, size=(8, 5))"),
    dense("np.random.random_sample((8, 5))"),
    dense("np.random.standard_normal((8, 6))", "SM008"),
    dense("rng.random((8, 5))", setup=("rng = np.random.default_rng(0)",)),
    dense("rng.normal(size=(8, 6))", "SM008", setup=("rng = np.random.default_rng(0)",)),
    image(
        "rng.integers(0, 255, (2, 8, 8, 3))",
        warn=("SM006",),
        setup=("rng = np.random.default_rng(0)",),
    ),
    # filled / like with keywords and dtypes
    dense("np.zeros(shape=(8, 5))"),
    dense("np.zeros((8, 5)).reshape(-1)", "SM007"),
    dense("np.zeros((2, 3, 5)).reshape(-1, 5)"),
    dense("np.zeros((8, 5)).reshape(2, -1, 5)", "SM007"),
    dense("np.zeros((8, 5)).flatten()", "SM007"),
    dense("np.zeros((8, 5)).copy()"),
    dense("np.zeros((1, 8, 5)).squeeze()"),
    dense("np.zeros((5, 8)).transpose()"),
    dense("np.zeros((5, 8)).transpose(1, 0)"),
    dense("np.transpose(np.zeros((5, 8)))"),
    dense("np.transpose(np.zeros((8, 5, 1)), (0, 2, 1))", "SM007"),
    dense("np.reshape(np.zeros(10), (2, 5))"),
    dense("np.reshape(np.zeros(10), shape=(5, 2))", "SM008"),
    dense("np.random.rand(8, 5).astype(dtype=np.float32)"),
    dense("np.random.rand(8, 5)[:, :3]", "SM008"),
    dense("np.zeros((8, 10))[:, -5:]"),
    dense("np.zeros((8, 10))[:, -3:]", "SM008"),
    dense("np.zeros((10, 5))[::-1]"),
    dense("np.zeros((10, 5))[1:-1]"),
    dense("np.zeros((2, 8, 5))[-1]"),
    dense("np.zeros((8, 5, 1))[..., 0]"),
    dense("np.zeros((8, 5))[:, :, None]", "SM007"),
    dense("np.zeros(5)[None, None]", "SM007"),
    dense("np.stack((np.zeros(5), np.ones(5)), axis=0)"),
    dense("np.stack([np.zeros(5), np.ones(5)], -1)", "SM008"),
    dense("np.concatenate((np.zeros((2, 2)), np.ones((2, 3))), axis=-1)"),
    dense("np.row_stack([np.zeros(5), np.ones(5)])"),
    dense("np.vstack([np.zeros((2, 5)), np.ones((3, 5))])"),
    dense("np.expand_dims(np.zeros(5), axis=0)"),
    dense("np.squeeze(np.zeros((8, 5, 1)), axis=-1)"),
    dense("np.squeeze(np.zeros((1, 8, 5)), 0)"),
    dense("np.linspace(0, 1, 5, dtype=np.float32)[np.newaxis, :]"),
    dense("np.linspace(0, 1).reshape(10, 5)"),
    dense("np.linspace(0, 1, 5, endpoint=False)[None]"),
    dense("np.arange(0.0, 1.0, 0.1).reshape(2, 5)"),
    dense("np.arange(1, 11, dtype=float).reshape(2, 5)"),
    dense("np.arange(start=0, stop=10).reshape(2, 5)"),
    dense("np.eye(N=5)"),
    dense("np.eye(5, k=1)"),
    dense("np.array(x)", setup=("x = tf.zeros((3, 5))",)),
    dense("np.asarray(tf.zeros((3, 6)))", "SM008"),
    dense("tf.zeros((3, 5)).numpy()"),
    dense("tf.zeros((3, 6)).numpy()", "SM008"),
    dense("np.float32([1, 2, 3, 4, 5])", "SM007"),
    dense("np.zeros((2, 5), dtype='<f8')"),
    dense("np.zeros((2, 5), dtype=np.single)"),
    dense("np.zeros((2, 5), dtype=np.double)"),
    dense("np.zeros((2, 5), dtype=np.half)"),
    # tensors: more spellings
    dense("tf.constant(x, tf.float32)", setup=("x = np.random.rand(8, 5)",)),
    dense("tf.convert_to_tensor(np.zeros((8, 5)), tf.float32)"),
    dense("tf.convert_to_tensor(np.zeros((8, 5)), dtype=tf.float64)", "SM005"),
    dense("tf.zeros(shape=[8, 5])"),
    dense("tf.zeros([8, 5], 'float64')", "SM005"),
    dense("tf.ones(5)", "SM007"),
    dense("tf.fill(dims=[8, 5], value=0.5)"),
    dense("tf.random.normal(shape=(8, 5))"),
    dense("tf.random.uniform((8, 5), 0, 10)"),
    dense("tf.random.truncated_normal((8, 5))"),
    dense("tf.cast(x, dtype=tf.float32)", setup=("x = np.zeros((8, 5))",)),
    dense("tf.dtypes.cast(np.zeros((8, 5)), tf.float32)"),
    dense("tf.expand_dims(tf.zeros(5), -1)", "SM008"),
    dense("tf.expand_dims(input=tf.zeros(5), axis=0)"),
    dense("tf.reshape(tf.zeros(10), shape=[-1, 5])"),
    dense("tf.reshape(tf.zeros(10), (-1,))", "SM007"),
    dense("tf.stack([tf.zeros(5), tf.ones(5)], axis=-1)", "SM008"),
    dense("tf.stack((tf.zeros(5), tf.ones(5)))"),
    dense("tf.concat([tf.zeros((2, 2)), tf.ones((2, 3))], axis=-1)"),
    dense("tf.concat([tf.zeros((2, 5)), tf.ones((2, 5))], 0)"),
    dense("tf.range(0, 10, 2)", "SM005"),
    dense("tf.reshape(tf.range(10, dtype=tf.float32), (5, 2))", "SM008"),
    dense("tf.reshape(tf.range(start=0, limit=10, dtype=tf.float32), (2, 5))"),
    dense("tf.transpose(tf.zeros((5, 8)))"),
    dense("tf.transpose(tf.zeros((8, 5)))", "SM008"),
    dense("tf.squeeze(tf.zeros((1, 8, 5)))"),
    dense("tf.squeeze(tf.zeros((8, 5, 1)), axis=-1)"),
    dense("tf.ones_like(tf.zeros((2, 5), tf.int32))", "SM005"),
    dense("tf.zeros_like(tf.zeros((2, 5), tf.int32), dtype=tf.float32)"),
    dense("tf.Variable(tf.zeros((2, 5)))"),
    dense("tf.Variable(np.zeros((2, 5)))", "SM005"),
    dense("tf.constant(np.zeros((2, 5)), dtype=tf.float32)[0]", "SM007"),
    dense("tf.zeros((2, 5), dtype=tf.dtypes.float32)"),
    dense("tf.zeros((2, 5), dtype=tf.dtypes.float64)", "SM005"),
    dense("tf.zeros((2, 5), dtype=np.dtype(np.float64))", "SM005"),
    dense("tf.zeros((2, 5), dtype=np.dtype('f4'))"),
    f64("tf.constant(np.zeros((4, 5), dtype='f8'))"),
    f64("tf.constant(np.zeros((4, 5), dtype=np.float64))"),
    f64("tf.constant(np.zeros((4, 5), dtype=float))"),
    f64("tf.constant(np.zeros((4, 5), dtype='double'))"),
    dense("tf.constant(np.zeros((4, 5), dtype='float32'))"),
    dense("tf.constant(np.zeros((4, 5), dtype=float))", "SM005"),
    # Python values
    dense("[[True, 2, 3, 4, 5]]"),
    dense("([1.0, 2.0, 3.0, 4.0, 5.0],)"),
    dense("'1.5'", "SM005"),
    dense("[]", "SM007"),
    multi("lookup", "text=('a', 'b'), ids=1"),
    multi("lookup", "text=[['a']], ids=1", "SM007"),
    multi("lookup", "text=np.array(['a', 'b'], dtype=str), ids=1"),
    multi("lookup", "text=np.array(['a', 'b'], dtype='U5'), ids=1"),
    multi("lookup", "text=['a'], ids=np.float32(3.0)", warn=("SM006",)),
    multi("lookup", "text=['a'], ids=np.int64(3)"),
    multi("lookup", "text=['a'], ids=[True, False]"),
    multi("lookup", "text=['a'], ids=np.array([1], np.uint64)"),
    multi("lookup", "text=np.array([1.5]), ids=1", "SM005"),
    matrix("np.ones((2, 3))", temperature="np.bool_(True)"),
    matrix("[[True, 2.5, 1], [1, 1, 1]]"),
    counts("[[True, 2], [3, 4]]"),
    counts("[[1, 2.0], [3, 4]]", "SM005"),
    counts("[[1, 2], [3, 4]]", flags="np.array([0.5, 0.0])", warn=("SM006",)),
    counts("np.zeros((2, 2), np.uint64)"),
    image("np.zeros((2, 8, 8, 3), dtype=bool)"),
    dense("np.zeros((2, 5), np.int16)"),
    dense("np.zeros((2, 5), np.uint64)"),
    # calls
    _c(
        "keras_export_dense",
        "serving_default",
        "keras_tensor=np.zeros((2, 5))",
        suffix='["output_0"].numpy()',
    ),
    Case(
        "keras_export_dense",
        None,
        "infer(keras_tensor=np.zeros((2, 5)))",
        lookup="loaded.signatures.get('serving_default')",
    ),
    Case(
        "keras_export_dense",
        None,
        "infer(keras_tensor=np.zeros((2, 5)))",
        "SM001",
        setup=("key = 'predict'", "infer = loaded.signatures[key]"),
    ),
    Case(
        "keras_export_dense",
        None,
        "infer(keras_tensor=np.zeros((2, 5)))",
        setup=("key = 'serve'", "infer = loaded.signatures[key]"),
    ),
    Case(
        "keras_export_dense",
        None,
        "infer(keras_tensor=np.zeros((2, 6)))",
        "SM008",
        lookup="loaded.signatures[tf.compat.v1.saved_model.signature_constants"
        ".DEFAULT_SERVING_SIGNATURE_DEF_KEY]",
    ),
    two("{'a': np.zeros((1, 10)), 'b': np.zeros((1, 5))}", "SM004"),
    tf1("np.zeros((2, 3)), **{'x:0': np.zeros((2, 3))}", warn=("SM004",)),
    tf1("tf.zeros((2, 3)), x_0=tf.zeros((2, 4))", "SM008"),
    _c("tf1_builder", "only_x", "np.float32(1.0)", "SM007"),
    _c("tf1_builder", "only_x", "np.zeros((2, 3)), np.zeros((2, 3))", "SM004"),
]

# Where sm-lint and TensorFlow disagree today; the reason says what the lead should decide.
CASES += [
    dense(
        "tf.random.uniform((8, 5), 0, 10, tf.int32)",
        "SM005",
    ),
    f64(
        "tf.random.normal((4, 5), 0.0, 1.0, tf.float64)",
    ),
    _c(
        "keras_export_dense",
        "serving_default",
        "tf.Variable(tf.zeros((2, 5)))",
        "SM004",
    ),
    tf1(
        "np.zeros((2, 3)), my_y=np.zeros((2, 3)), x_0=np.zeros((2, 3))",
        "SM004",
    ),
    _c(
        "tf1_builder",
        "only_x",
        "np.zeros((2, 3)), b_input=np.zeros((2, 3))",
        "SM004",
    ),
    counts(
        "[[1, 2], [3, 4]]",
        "SM005",
        flags="[True, 1]",
    ),
    counts(
        "[[1, 2], [3, 4]]",
        "SM005",
        flags="[1, True]",
    ),
    counts(
        "np.array([['1', '2'], ['3', '4']])",
    ),
    multi(
        "lookup",
        "text=[], ids=[1]",
    ),
    multi(
        "lookup",
        "text=['a'], ids=[]",
    ),
    dense(
        "None",
        "SM005",
    ),
    dense(
        "[[1.0, 2.0, 3.0, 4.0, 5.0], [1.0]]",
        "SM007",
    ),
    dense(
        "[np.zeros(4), np.ones(4)]",
        "SM008",
    ),
]

# Values built in several statements, and more constructors.
CASES += [
    dense("y", setup=("x = np.zeros((8, 5))", "y = x")),
    dense("y", "SM008", setup=("x, y = np.zeros((8, 5)), np.zeros((8, 6))",)),
    dense("x", "SM007", setup=("x = np.zeros((8, 5))", "x = x[None]")),
    dense("x", setup=("x = np.zeros((5, 8))", "x = x.T")),
    dense("np.array([np.zeros(5), np.ones(5)])"),
    dense("np.array([np.zeros(4), np.ones(4)])", "SM008"),
    dense("np.arange(10).reshape(2, 5).astype(np.uint8)"),
    dense("np.zeros((8, 5))[0, 0]", "SM007"),
    dense("np.zeros((8, 5))[0:1]"),
    dense("np.full((8, 5), np.float32(0.5))"),
    dense("np.full((8, 5), True)"),
    dense("np.zeros_like(x, dtype=float)", setup=("x = np.zeros((8, 5), np.int32)",)),
    dense("np.asarray(rows, dtype='float32')", setup=("rows = [[1, 2, 3, 4, 5]]",)),
    dense("np.random.uniform(0, 1, 5)", "SM007"),
    dense("np.random.randint(0, 10, size=8)", "SM007"),
    dense("tf.constant([1, 2, 3, 4, 5], shape=(1, 5))", "SM005"),
    counts("np.array([[1, 2]], dtype=np.uint8)", flags="[True]"),
    counts("np.full((2, 2), 1)", flags="np.full(2, True)"),
    counts("np.full((2, 2), np.float32(1.0))", warn=("SM006",)),
    matrix("np.ones((2, 3))", temperature="tf.constant(5.0, shape=[])"),
    matrix("np.ones((2, 3))", temperature="tf.constant(np.float32(2.0))"),
    matrix("np.ones((2, 3))", temperature="tf.cast(2, tf.float32)"),
    matrix("tf.ones((2, 3))", temperature="tf.ones([])"),
    matrix("tf.ones((2, 3))", temperature="tf.fill([], 2.0)"),
    matrix("np.ones((2, 3))", "SM007", temperature="tf.constant([2.0])"),
    matrix("np.ones((2, 3))", "SM007", temperature="np.zeros((2, 3))[0, :1]"),
    matrix("np.ones((2, 3))", temperature="np.zeros((2, 3))[0, 0]"),
    image("tf.image.resize(tf.zeros((2, 16, 16, 3), tf.uint8), (8, 8))", "SM005"),
    image("tf.cast(tf.image.resize(tf.zeros((2, 16, 16, 3), tf.uint8), (8, 8)), tf.uint8)"),
    image(
        "tf.cast(tf.image.resize(tf.zeros((2, 16, 16, 3), tf.uint8), (8, 9)), tf.uint8)", "SM008"
    ),
    image("tf.zeros((2, 8, 8, 4), dtype=tf.uint8)[..., :3]"),
    two(
        "**feed", setup=("feed = {'a': np.zeros((2, 10)), 'b': np.zeros((2, 5))}", "x = feed['a']")
    ),
]

# Values changed in place after they were assigned.
CASES += [
    two(
        "**feed",
        setup=("feed = {'a': np.zeros((2, 10))}", "feed['b'] = np.zeros((2, 5))"),
    ),
    two(
        "**feed",
        setup=("feed = {'a': np.zeros((2, 10))}", "feed.update(b=np.zeros((2, 5)))"),
    ),
    dense(
        "rows",
        setup=("rows = []", "rows.append([0.5, 0.5, 0.5, 0.5, 0.5])"),
    ),
]

CASES += [
    two(
        "**feed",
        "SM003",
        setup=("feed = {'a': np.zeros((2, 10)), 'b': np.zeros((2, 5))}", "del feed['b']"),
    ),
    dense(
        "np.array([['1', '2', '3', '4', '5.5']])",
    ),
]
