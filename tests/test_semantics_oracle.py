"""Re-measure sm_lint.semantics against real TensorFlow: for every input dtype, which Python
values, numpy arrays and tensors a loaded signature accepts. A TensorFlow release that
changes a row fails here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sm_lint.semantics import Kind, Value, Verdict, dtype_verdict, is_lossy_cast

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

TARGETS = [
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
    "string",
    "complex64",
]

PYTHON_VALUES: dict[str, list[Any]] = {
    "bool": [True, False],
    "int": [1, 2],
    "float": [1.5, 2.0],
    "str": ["a", "b"],
    "boolint": [True, 2],
}
NUMPY_DTYPES = [
    "float16",
    "float32",
    "float64",
    "int8",
    "int32",
    "int64",
    "uint8",
    "bool",
    "complex64",
    "string",
]
TENSOR_DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool", "string"]


@pytest.fixture(scope="module")
def dtype_model(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A SavedModel with one rank-1 signature per input dtype, loaded back."""
    module = tf.Module()
    signatures = {}
    for dtype in TARGETS:
        spec = tf.TensorSpec([None], getattr(tf, dtype), name="x")
        signatures[dtype] = tf.function(lambda x: {"y": tf.identity(x)}, input_signature=[spec])
    path = Path(tmp_path_factory.mktemp("dtypes")) / "model"
    tf.saved_model.save(module, str(path), signatures=signatures)
    return tf.saved_model.load(str(path))


def _accepts(model: Any, target: str, value: Any) -> bool:
    try:
        model.signatures[target](x=value)
    except (TypeError, ValueError, tf.errors.InvalidArgumentError):
        return False
    return True


def _numpy_value(dtype: str) -> Any:
    if dtype == "string":
        return np.array(["a", "b"])
    return np.array([1, 0], dtype=dtype)


def _tensor_value(dtype: str) -> Any:
    if dtype == "string":
        return tf.constant(["a", "b"])
    if dtype == "bool":
        return tf.constant([True, False])
    return tf.constant([1, 0], dtype=getattr(tf, dtype))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("element", sorted(PYTHON_VALUES))
def test_python_lists(dtype_model: Any, element: str, target: str) -> None:
    verdict = dtype_verdict(Value(Kind.LIST, element, (2,)), target)
    assert verdict in (Verdict.OK, Verdict.REJECTED)
    assert (verdict is Verdict.OK) == _accepts(dtype_model, target, PYTHON_VALUES[element])


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("source", NUMPY_DTYPES)
def test_numpy_arrays(dtype_model: Any, source: str, target: str) -> None:
    verdict = dtype_verdict(Value(Kind.NDARRAY, source, (2,)), target)
    accepted = _accepts(dtype_model, target, _numpy_value(source))
    if verdict is Verdict.UNKNOWN:
        # numpy strings into numbers: accepted exactly when every string is a numeral, which
        # static analysis cannot know, so sm-lint says nothing.
        assert source == "string"
        assert not accepted
        assert _accepts(dtype_model, target, np.array(["1", "0"]))
        return
    assert (verdict is not Verdict.REJECTED) == accepted, verdict
    if accepted and source != "string":
        assert (verdict is Verdict.LOSSY) == is_lossy_cast(source, target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("source", TENSOR_DTYPES)
def test_tensors_need_the_exact_dtype(dtype_model: Any, source: str, target: str) -> None:
    verdict = dtype_verdict(Value(Kind.TENSOR, source, (2,)), target)
    assert (verdict is Verdict.OK) == _accepts(dtype_model, target, _tensor_value(source))
    assert (verdict is Verdict.OK) == (source == target)


def test_lossy_casts_really_lose_values(dtype_model: Any) -> None:
    # float into uint8 truncates: what SM006 warns about.
    out = dtype_model.signatures["uint8"](x=np.array([0.7, 1.9]))["y"].numpy().tolist()
    assert out == [0, 1]
    # numpy strings into bool: truthiness, every non-empty string is True.
    assert dtype_model.signatures["bool"](x=np.array(["no", ""]))["y"].numpy().tolist() == [
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (np.zeros((2, 3), np.float32), False),
        ([[1.0, 2.0]], False),
        (3.0, False),
        (tf.zeros((2, 3)), True),
        (np.zeros(4, np.float32), True),
    ],
    ids=["ndarray-rank2", "list-rank2", "scalar", "tensor-rank2", "ndarray-rank1"],
)
def test_shapes_are_checked_at_binding_except_for_tensors(
    dtype_model: Any, value: Any, accepted: bool
) -> None:
    """Arrays, lists and scalars of the wrong rank fail at binding; a tf.Tensor of the wrong
    rank gets through (which is why sm-lint reports it: TensorFlow will not)."""
    assert _accepts(dtype_model, "float32", value) == accepted
