"""Differential oracle for calls of restored functions (docs/design.md, "Calling a restored
function"): generated programs call the functions of SavedModels this test saves with real
TensorFlow (with and without input_signature, several concrete functions, Python arguments,
nested structures, a child object's method); each program is linted, and its call is run
against the real loaded objects (loaded once, in this one TensorFlow process). sm-lint must
report SM013 exactly where TensorFlow raises: no false error, no missed rejection among the
generated forms. ``SM_LINT_FUZZ_BUDGET=N`` raises the number of generated programs.

The reader is compared with TensorFlow too: the protobuf subset's field numbers with
tensorflow's own descriptors, and every restored function's concrete input signatures with
what TensorFlow reports for the loaded object (``concrete_functions``,
``structured_input_signature``)."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from sm_lint.api import lint_source  # noqa: E402
from sm_lint.config import Config  # noqa: E402
from sm_lint.models.reader import read_signatures  # noqa: E402
from sm_lint.models.schema import SavedModel  # noqa: E402
from sm_lint.models.types import Structure  # noqa: E402
from tests.tf_support import run_with_tensorflow  # noqa: E402

BUDGET = int(os.environ.get("SM_LINT_FUZZ_BUDGET", "0") or 0) or 120


def _save(root: Path) -> None:
    class Encoder(tf.Module):
        @tf.function
        def embed(self, x: Any) -> Any:
            return x + 1

    class Free(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = Encoder()

        @tf.function
        def __call__(self, x: Any, training: Any = False) -> Any:
            return x * 2.0 if training else x

        @tf.function
        def f(self, x: Any) -> Any:
            return x

        @tf.function
        def lst(self, xs: Any) -> Any:
            return xs[0]

        @tf.function
        def d(self, inputs: Any) -> Any:
            return inputs["a"]

    class Typed(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def __call__(self, x: Any) -> Any:
            return x * 2.0

        @tf.function(
            input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([], tf.int32)]
        )
        def two(self, x: Any, n: Any) -> Any:
            return x

    free = Free()
    free(tf.zeros([2, 3]))
    free(tf.zeros([2, 3]), training=True)
    free.f(tf.zeros([4], tf.int32))
    free.f(tf.zeros([2, 5]))
    free.lst([tf.zeros([2])])
    free.d({"a": tf.zeros([2])})
    free.encoder.embed(tf.zeros([3], tf.int64))
    tf.saved_model.save(free, str(root / "free"))
    tf.saved_model.save(Typed(), str(root / "typed"))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("restored") / "models"
    _save(root)
    return root


@pytest.fixture(scope="module")
def loaded(models: Path) -> dict[str, Any]:
    return {name: tf.saved_model.load(str(models / name)) for name in ("free", "typed")}


def test_field_numbers_are_tensorflows() -> None:
    from tensorflow.core.protobuf import saved_object_graph_pb2, struct_pb2

    ours = {m.name: m for m in SavedModel.DESCRIPTOR.file.message_types_by_name.values()}
    pairs = {
        "SavedObjectGraph": saved_object_graph_pb2.SavedObjectGraph,
        "SavedObject": saved_object_graph_pb2.SavedObject,
        "SavedFunction": saved_object_graph_pb2.SavedFunction,
        "SavedConcreteFunction": saved_object_graph_pb2.SavedConcreteFunction,
        "SavedBareConcreteFunction": saved_object_graph_pb2.SavedBareConcreteFunction,
        "FunctionSpec": saved_object_graph_pb2.FunctionSpec,
        "StructuredValue": struct_pb2.StructuredValue,
        "NamedTupleValue": struct_pb2.NamedTupleValue,
        "PairValue": struct_pb2.PairValue,
        "TensorSpecProto": struct_pb2.TensorSpecProto,
    }
    for name, theirs in pairs.items():
        real = {f.name: f.number for f in theirs.DESCRIPTOR.fields}
        for field in ours[name].fields:
            assert real.get(field.name) == field.number, (name, field.name)


def _as_structure(value: Any) -> Any:
    """TensorFlow's structured_input_signature item in the reader's terms."""
    if isinstance(value, tf.TensorSpec):
        shape = None if value.shape.rank is None else tuple(value.shape.as_list())
        return ("tensor", value.dtype.name, shape)
    if isinstance(value, list):
        return ("list", tuple(_as_structure(v) for v in value))
    if isinstance(value, tuple):
        return ("tuple", tuple(_as_structure(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _as_structure(v)) for k, v in sorted(value.items())))
    return ("value", value)


def _ours(value: Structure) -> Any:
    if value.kind == "tensor":
        assert value.spec is not None
        return ("tensor", value.spec.dtype, value.spec.shape)
    if value.kind in ("list", "tuple"):
        return (value.kind, tuple(_ours(v) for v in value.items))
    if value.kind == "dict":
        return ("dict", tuple((k, _ours(v)) for k, v in zip(value.keys, value.items, strict=True)))
    return ("value", value.value)


def test_reader_agrees_with_the_loaded_objects(models: Path, loaded: dict[str, Any]) -> None:
    for name, obj in loaded.items():
        functions = read_signatures(models / name).functions
        assert set(functions) >= {"__call__"}
        for path, function in functions.items():
            real = obj
            for part in path.split("."):
                real = getattr(real, part)
            theirs = sorted(
                repr(
                    (
                        _as_structure(c.structured_input_signature[0]),
                        _as_structure(c.structured_input_signature[1]),
                    )
                )
                for c in real.concrete_functions
            )
            mine = sorted(
                repr(
                    (
                        ("tuple", tuple(_ours(a) for a in c.args)),
                        ("dict", tuple((k, _ours(v)) for k, v in c.kwargs)),
                    )
                )
                for c in function.concrete
            )
            assert mine == theirs, path
            assert (function.input_signature is not None) == (real.input_signature is not None), (
                path
            )


# Argument expressions by what they are; the generator combines them.
_TENSORS = [
    "tf.zeros({shape}, tf.{dtype})",
    "np.zeros({shape}, np.{dtype})",
]
_SHAPES = ["(2, 3)", "(5, 3)", "(2, 4)", "(3,)", "(4,)", "(7,)", "(2, 5)", "(9, 5)", "(2,)"]
_DTYPES = ["float32", "float64", "int32", "int64"]
_OTHER = [
    "[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]",
    "[[0, 1, 2], [3, 4, 5]]",
    "[1, 2, 3, 4]",
    "3",
    "3.5",
    "[tf.zeros((2,))]",
    "(tf.zeros((2,)),)",
    "[tf.zeros((2,)), tf.zeros((2,))]",
    '{"a": tf.zeros((2,))}',
    '{"b": tf.zeros((2,))}',
]
_TRAINING = ["True", "False", "None", "0", "1", "tf.constant(True)"]
_TARGETS = {
    "free": ["a", "a.f", "a.lst", "a.d", "a.encoder.embed"],
    "typed": ["b", "b.two"],
}


#: Arguments of the traced or declared forms, so that accepted calls are generated too.
_FITTING = {
    "a": ["tf.zeros((2, 3))", "np.zeros((2, 3), np.float32)", "[[0.0, 1.0, 2.0], [3, 4, 5]]"],
    "a.f": ["tf.zeros((4,), tf.int32)", "np.zeros((2, 5), np.float32)", "[1, 2, 3, 4]"],
    "a.lst": ["[tf.zeros((2,))]", "[np.zeros((2,), np.float32)]"],
    "a.d": ['{"a": tf.zeros((2,))}', '{"a": [1.0, 2.0]}'],
    "a.encoder.embed": ["tf.zeros((3,), tf.int64)", "np.zeros((3,), np.int64)"],
    "b": ["tf.zeros((5, 3))", "np.zeros((1, 3))", "[[1, 2, 3]]", "np.zeros((4, 3), np.int64)"],
    "b.two": ["tf.zeros((2, 3))", "np.zeros((7, 3))", "[[1.0, 2.0, 3.0]]"],
}


def _argument(rng: random.Random, target: str) -> str:
    if rng.random() < 0.5:
        return rng.choice(_FITTING[target])
    if rng.random() < 0.6:
        form = rng.choice(_TENSORS)
        return form.format(shape=rng.choice(_SHAPES), dtype=rng.choice(_DTYPES))
    return rng.choice(_OTHER)


def _program(rng: random.Random) -> tuple[str, str]:
    model = rng.choice(sorted(_TARGETS))
    target = rng.choice(_TARGETS[model])
    args = [_argument(rng, target)]
    if target in ("a", "b.two") and rng.random() < 0.7:
        extra = rng.choice(_TRAINING) if target == "a" else rng.choice(["3", "3", "3.5", "n"])
        if extra == "n":
            args.append("n=tf.constant(3, tf.int64)")
        elif target == "a" and rng.random() < 0.5:
            args.append(f"training={extra}")
        else:
            args.append(extra)
    if rng.random() < 0.08:
        extra = rng.choice(["foo=1", "7"])
        if extra == "7":  # a positional argument goes before the keywords
            at = next((i for i, a in enumerate(args) if "=" in a.split("(")[0]), len(args))
            args.insert(at, extra)
        else:
            args.append(extra)
    if rng.random() < 0.05:
        args = []
    return model, f"{target}({', '.join(args)})"


def _cases() -> list[tuple[str, str]]:
    rng = random.Random(22)
    seen: dict[str, str] = {}
    while len(seen) < BUDGET:
        model, call = _program(rng)
        seen.setdefault(call, model)
    return [(model, call) for call, model in seen.items()]


def test_generated_calls_agree_with_tensorflow(models: Path, loaded: dict[str, Any]) -> None:
    config = Config(models=(models,))
    false_errors, missed, rejected = [], [], 0
    for model, call in _cases():
        var = "a" if model == "free" else "b"
        program = (
            "import numpy as np\nimport tensorflow as tf\n"
            f'{var} = tf.saved_model.load("models/{model}")\n{call}\n'
        )
        found = [d for d in lint_source(program, models.parent / "case.py", config)]
        codes = {d.code for d in found}
        assert codes <= {"SM013"}, (call, [(d.code, d.message) for d in found])
        outcome = run_with_tensorflow(
            call, {"np": np, "tf": tf, "a": loaded["free"], "b": loaded["typed"]}
        )
        rejected += not outcome.ok
        if codes and outcome.ok:
            false_errors.append((call, found[0].message))
        if not codes and not outcome.ok:
            missed.append((call, outcome.error))
    print(f"restored-call oracle: {len(_cases())} programs, {rejected} rejected by TensorFlow")
    assert not false_errors, false_errors
    assert not missed, "\n".join(f"{c} -> {e[:60]}" for c, e in missed)
    assert rejected >= len(_cases()) // 4  # the generator reaches rejections
