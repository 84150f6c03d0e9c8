"""Findings (Diagnostic, Fix, Edit) and the rule catalogue."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Edit:
    """Replace the text between two 1-based (line, column) positions with *text*."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


class Applicability(str, enum.Enum):
    """How far a fix can be trusted, as in ruff: a *safe* fix keeps the program's meaning
    (a positional argument passed by the name it binds to, a cast to the only dtype the
    input takes) and ``--fix`` applies it; an *unsafe* one is a guess (a name chosen by
    similarity) and is applied only with ``--unsafe-fixes``."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE

    @property
    def safe(self) -> bool:
        return self.applicability is Applicability.SAFE


@dataclass(frozen=True)
class Related:
    """A second place a finding concerns (LSP ``relatedInformation``): 1-based positions,
    end column exclusive; *cell* as in Diagnostic."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    cell: int | None = None


@dataclass(frozen=True)
class Diagnostic:
    """One finding. Positions are 1-based; the end column is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    severity: Severity
    message: str
    model: str | None = None
    signature: str | None = None
    fix: Fix | None = None
    #: 1-based notebook cell index, for findings in .ipynb files.
    cell: int | None = None
    #: Where the facts behind the finding came from: "static" or "runtime".
    origin: str = field(default="static", compare=False)
    #: Other places the finding concerns, e.g. the call that passed the value.
    related: tuple[Related, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A documented rule: what it catches, why it matters, a bad and a good example."""

    code: str
    name: str
    severity: Severity
    summary: str
    why: str
    bad: str
    good: str


def _rule(
    code: str, name: str, severity: Severity, summary: str, why: str, bad: str, good: str
) -> Rule:
    return Rule(code, name, severity, summary, why, bad.strip("\n"), good.strip("\n"))


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        _rule(
            "SM001",
            "unknown-signature",
            _E,
            "The signature key is not one of the model's signatures.",
            "`loaded.signatures[key]` raises KeyError at run time, after TensorFlow and the "
            "model have been loaded.",
            'infer = loaded.signatures["serving"]',
            'infer = loaded.signatures["serving_default"]',
        ),
        _rule(
            "SM002",
            "unexpected-input",
            _E,
            "A keyword argument that is not one of the signature's input names.",
            "Input names come from the SavedModel, not from the Python code that built it "
            "(Keras 3 `model.export()` names them `keras_tensor`, ...): TensorFlow rejects "
            "the call with 'unexpected keyword argument'.",
            "infer(a=tf.constant(x))  # the input is called keras_tensor",
            "infer(keras_tensor=tf.constant(x))",
        ),
        _rule(
            "SM003",
            "missing-input",
            _E,
            "A signature input that the call does not pass.",
            "Signature functions have no defaults for their inputs: TensorFlow fails with "
            "'missing a required argument'.",
            "infer(a=xa)  # the signature also needs b",
            "infer(a=xa, b=xb)",
        ),
        _rule(
            "SM004",
            "positional-input",
            _E,
            "An argument passed by position. An error where TensorFlow rejects it (TF2 "
            "models with several inputs, non-tensor values); a warning where it binds but "
            "depends on an implicit order (one tf.Tensor into a one-input signature; TF1 "
            "models, which bind in sorted input-name order).",
            "Signature functions bind by name. A positional call breaks as soon as the model "
            "gains an input, or silently feeds the wrong input when names sort differently.",
            "infer(tf.constant(x))",
            "infer(keras_tensor=tf.constant(x))",
        ),
        _rule(
            "SM005",
            "dtype-mismatch",
            _E,
            "A value TensorFlow will not accept for the input's dtype.",
            "A tf.Tensor must have exactly the input's dtype (float64 into float32 fails); "
            "Python lists of floats do not convert to integer inputs; strings and numbers "
            "do not mix.",
            "infer(x=tf.constant(np.random.rand(64, 5)))  # float64 tensor, float32 input",
            "infer(x=tf.constant(np.random.rand(64, 5), dtype=tf.float32))",
        ),
        _rule(
            "SM006",
            "lossy-cast",
            _W,
            "A value TensorFlow converts silently, losing data (float into an integer input, "
            "signed into unsigned, integer narrowing to 8 or 16 bits).",
            "The call succeeds but the model sees truncated values: 0.7 becomes 0.",
            "classify(image=np.random.rand(1, 8, 8, 3))  # float64 into uint8: all zeros",
            "classify(image=(np.random.rand(1, 8, 8, 3) * 255).astype(np.uint8))",
        ),
        _rule(
            "SM007",
            "rank-mismatch",
            _E,
            "A value with a different number of dimensions than the input.",
            "Arrays and lists are rejected at binding; a tf.Tensor of the wrong rank gets "
            "through binding and fails deep inside the graph, or computes on the wrong data.",
            "infer(x=np.zeros(5, np.float32))  # the input is (?, 5)",
            "infer(x=np.zeros((1, 5), np.float32))",
        ),
        _rule(
            "SM008",
            "dimension-mismatch",
            _E,
            "A fixed dimension of the value differs from the input's.",
            "As for rank: rejected at binding for arrays and lists, a failure inside the "
            "model (or silently wrong results) for tensors.",
            "infer(a=tf.zeros((32, 12)))  # the input is (?, 10)",
            "infer(a=tf.zeros((32, 10)))",
        ),
        _rule(
            "SM009",
            "batch-mismatch",
            _W,
            "Inputs whose free leading (batch) dimensions get different sizes.",
            "TensorFlow binds each input on its own; the model then fails inside the graph "
            "(a concat or an add of the two) with an error that names no input.",
            "pair(left=np.zeros((32, 3), np.float32), right=np.zeros((16, 3), np.float32))",
            "pair(left=np.zeros((32, 3), np.float32), right=np.zeros((32, 3), np.float32))",
        ),
        _rule(
            "SM010",
            "unknown-output",
            _E,
            "Indexing the result with a key the signature does not return.",
            "The result is a dict keyed by output names (Keras 3 exports call it "
            "`output_0`): a wrong key raises KeyError after the model ran.",
            'infer(x=x)["predictions"]',
            'infer(x=x)["output_0"]',
        ),
        _rule(
            "SM011",
            "model-not-found",
            _W,
            "A literal model path that resolves to no SavedModel under the model roots.",
            "The call cannot be checked; usually a typo or a model that was never exported.",
            'loaded = tf.saved_model.load("models/dense_v2")  # no such folder',
            'loaded = tf.saved_model.load("models/dense")',
        ),
        _rule(
            "SM012",
            "invalid-savedmodel",
            _E,
            "The model folder's saved_model.pb is unreadable or corrupt.",
            "tf.saved_model.load will fail on it too.",
            'tf.saved_model.load("models/broken")  # truncated saved_model.pb',
            "Re-export the model.",
        ),
        _rule(
            "SM900",
            "syntax-error",
            _E,
            "The file could not be parsed as Python, or was not analysed (over the size "
            "limit, or an internal error: please report those).",
            "Nothing in it can be checked until it parses; the other files are checked as ever.",
            "def f(:",
            "def f(x):",
        ),
    )
}


def rule(code: str) -> Rule:
    return RULES[code]
