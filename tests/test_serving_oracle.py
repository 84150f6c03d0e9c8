"""Differential oracle for TF Serving REST requests.

The verdict each request is owed comes in two halves, as TF Serving reaches it:

1. a test-side JSON decoder written from TF Serving's source
   (``tensorflow_serving/util/json_tensor.cc``: FillPredictRequestFromJson,
   FillClassifyRegressRequestFromJson; ``servables/tensorflow/predict_util.cc``:
   VerifyRequestInputsSize), self-tested on every request case of ``json_tensor_test.cc``
   with the tensors (dtype, shape, values) that file expects;
2. every body the decoder accepts is fed, as the decoded tensors, to the real signature of
   the real SavedModel in this one TensorFlow process: a dtype or shape the signature
   refuses, or a failure inside the model, is a rejection too.

Generated client programs (row and columnar bodies, right and wrong, sent by
``requests.post`` with ``json=``, ``data=json.dumps(...)`` or a JSON text, a
``requests.Session``, ``urllib.request``, or a notebook's ``!curl`` line) are linted: every
rejection must be found (an error; for a failure inside the graph that only differing batch
sizes explain, the SM009 warning, as for in-process calls) and no accepted request may get
an error.
``SM_LINT_FUZZ_BUDGET=N`` multiplies the number of generated requests.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from sm_lint.api import Linter  # noqa: E402
from sm_lint.config import Config  # noqa: E402

ROOT = Path(__file__).parent / "fixtures" / "models"
BUDGET = float(os.environ.get("SM_LINT_FUZZ_BUDGET", "1") or "1")
INT32 = {"int8", "int16", "int32", "uint8"}


#: The JSON numbers the last decode stored as another number (int8 / int16 / uint8).
NARROWED: list[int] = []


class Rejected(Exception):
    """TF Serving answers the request with an error."""


class Undetermined(Exception):
    """TF Serving's answer depends on what the oracle does not model (map order)."""


# ------------------------------------------------------------------ the decoder (json_tensor.cc)
def _number(value: object) -> str | None:
    """rapidjson's view of a parsed JSON number: the narrowest of int (IsInt), int64,
    uint (IsUint: also set for non-negative ints), uint64 and double."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        return "double"
    if -(2**31) <= value < 2**31:
        return "int"
    if -(2**63) <= value < 2**63:
        return "int64"
    if 0 <= value < 2**64:
        return "uint64"
    return "double"  # beyond uint64 or int64 (a negative) rapidjson parses a double


def _add(value: object, dtype: str) -> object:
    """AddValueToTensor, and the b64 branch of FillTensorProto: the value stored."""
    kind = _number(value)
    if isinstance(value, dict):
        if dtype != "string" or not _b64(value):
            raise Rejected("object is not of expected type")
        try:
            return base64.b64decode(value["b64"], validate=True)
        except ValueError:
            raise Rejected("Unable to base64 decode") from None
    if dtype in ("float32", "float64"):
        if kind is None:
            raise Rejected("not of expected type")
        return float(value)  # type: ignore[arg-type]
    if dtype in INT32:
        if kind != "int":  # IsInt
            raise Rejected("not of expected type")
        stored = _narrow(value, dtype)  # type: ignore[arg-type]
        if stored != value:
            NARROWED.append(value)  # type: ignore[arg-type]
        return stored
    if dtype == "int64":
        if kind not in ("int", "int64"):  # IsInt64
            raise Rejected("not of expected type")
        return value
    if dtype == "uint32":
        if kind != "int" and not (kind == "int64" and 0 <= value < 2**32):  # type: ignore[operator]
            raise Rejected("not of expected type")
        if value < 0:  # type: ignore[operator]
            raise Rejected("not of expected type")
        return value
    if dtype == "uint64":
        if kind not in ("int", "int64", "uint64") or value < 0:  # type: ignore[operator]
            raise Rejected("not of expected type")
        return value
    if dtype == "bool":
        if not isinstance(value, bool):
            raise Rejected("not of expected type")
        return value
    if dtype == "string":
        if not isinstance(value, str):
            raise Rejected("not of expected type")
        return value.encode()
    raise Rejected("Unimplemented conversion")


def _narrow(value: int, dtype: str) -> int:
    """The int32 stored in ``int_val`` as the int8 / int16 / uint8 tensor Tensor::FromProto
    makes of it (a C++ cast: the low bits, two's complement)."""
    bits = {"int8": 8, "int16": 16, "int32": 32, "uint8": 8}[dtype]
    low = value % 2**bits
    return low - 2**bits if dtype != "uint8" and low >= 2 ** (bits - 1) else low


def _shape(value: object) -> list[int]:
    """GetDenseTensorShape: sizes along the first elements."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _fill(value: object, level: int, shape: list[int], dtype: str, out: list[object]) -> None:
    """FillTensorProto."""
    if not isinstance(value, list):
        if level != len(shape):
            raise Rejected("found at incorrect level")
        out.append(_add(value, dtype))
        return
    if level >= len(shape) or len(value) != shape[level]:
        raise Rejected("Encountered list at unexpected level or size")
    for item in value:
        _fill(item, level + 1, shape, dtype, out)


def _b64(value: object) -> bool:
    """IsValBase64Object."""
    return isinstance(value, dict) and list(value) == ["b64"] and isinstance(value["b64"], str)


@dataclass(frozen=True)
class Tensor:
    """A decoded TensorProto: dtype, shape, values in row-major order."""

    dtype: str
    shape: tuple[int, ...]
    values: tuple[object, ...]


def _parse(text: str) -> dict[str, Any]:
    """ParseJson: NaN and Infinity allowed (kParseNanAndInfFlag); the top level an object."""
    if not text:
        raise Rejected("The document is empty")
    try:
        doc = json.loads(text)
    except ValueError:
        raise Rejected("JSON Parse error") from None
    if not isinstance(doc, dict):
        raise Rejected("Is not object")
    if "signature_name" in doc and not isinstance(doc["signature_name"], str):
        raise Rejected("'signature_name' key must be a string value")
    return doc


def decode(text: str, inputs: dict[str, str]) -> dict[str, Tensor]:
    """FillPredictRequestFromJson, then VerifyRequestInputsSize: input name -> tensor."""
    doc = _parse(text)
    if "instances" in doc:
        if "inputs" in doc:
            raise Rejected("Not formatted correctly expecting only one of")
        rows = doc["instances"]
        if not isinstance(rows, list):
            raise Rejected("Expecting 'instances' to be an list/array")
        if not rows:
            raise Rejected("No values in 'instances' array")
        tensors = _instances(rows, inputs)
    elif "inputs" in doc:
        tensors = _inputs(doc["inputs"], inputs)
    else:
        raise Rejected("Missing 'inputs' or 'instances' key")
    if set(tensors) != set(inputs):  # VerifyRequestInputsSize (no signature has defaults)
        raise Rejected("input size does not match signature")
    return tensors


def _objects(value: object) -> bool:
    return isinstance(value, dict) and not _b64(value)


def _instances(rows: list[Any], inputs: dict[str, str]) -> dict[str, Tensor]:
    """FillTensorMapFromInstancesList."""
    if not isinstance(rows[0], dict) and len(inputs) > 1:
        raise Rejected("instances is a plain list")
    objects = _objects(rows[0])
    if not objects and len(inputs) > 1:
        raise Undetermined("a b64 first instance goes to the map's first input")
    shapes: dict[str, list[int]] = {}
    values: dict[str, list[object]] = {}
    for row in rows:
        if objects != _objects(row):
            raise Rejected("Expecting object but got list" if objects else "got object")
        items = row.items() if objects else [(next(iter(inputs)), row)]
        for name, item in items:
            if name not in inputs:
                raise Rejected("JSON object: does not have named input")
            shape = _shape(item)
            out: list[object] = []
            _fill(item, 0, shape, inputs[name], out)
            if shapes.setdefault(name, shape) != shape:
                raise Rejected("Expecting tensor size / shape")
            values.setdefault(name, []).extend(out)
        if objects and set(row) != set(inputs):
            raise Rejected("keys must be equal to")
    return {n: Tensor(inputs[n], (len(rows), *shapes[n]), tuple(values[n])) for n in values}


def _inputs(value: object, inputs: dict[str, str]) -> dict[str, Tensor]:
    """FillTensorMapFromInputsMap: extra keys are never looked at."""
    if not isinstance(value, dict) or _b64(value):
        if len(inputs) > 1:
            raise Rejected("inputs is a plain value/list")
        value = {next(iter(inputs)): value}
    out = {}
    for name, dtype in inputs.items():
        if name not in value:
            raise Rejected("Missing named input")
        shape = _shape(value[name])
        values: list[object] = []
        _fill(value[name], 0, shape, dtype, values)
        out[name] = Tensor(dtype, tuple(shape), tuple(values))
    return out


def _feature(name: str, value: object, kind: str | None) -> tuple[str, list[object]]:
    """AddValueToFeature for each element: the feature's kind and its values."""
    values: list[object] = []
    for item in value if isinstance(value, list) else [value]:
        number = _number(item)
        if item is None or isinstance(item, list) or (isinstance(item, dict) and not _b64(item)):
            raise Rejected(f"{name} has element with unexpected JSON type")
        if isinstance(item, bool):
            new, stored = "int64", int(item)
        elif isinstance(item, dict):
            new, stored = "bytes", item["b64"]
        elif isinstance(item, str):
            new, stored = "bytes", item
        elif number == "double":
            new, stored = "float", item
        else:
            if number == "uint64":
                raise Rejected("Only int64_t is supported")
            new, stored = "int64", item
        if kind is not None and kind != new:
            raise Rejected(f"feature: {name} expecting type: {kind}")
        kind = new
        values.append(stored)
    return kind or "none", values


def _example(value: object) -> dict[str, tuple[str, list[object]]]:
    """MakeExampleFromJsonObject."""
    if not isinstance(value, dict):
        raise Rejected("Example must be JSON object")
    return {name: _feature(name, content, None) for name, content in value.items()}


def decode_examples(text: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """FillClassifyRegressRequestFromJson: the context and the examples."""
    doc = _parse(text)
    context = _example(doc["context"]) if "context" in doc else None
    if "examples" not in doc:
        raise Rejected("key 'examples' is expected and was not found")
    examples = doc["examples"]
    if not isinstance(examples, list):
        raise Rejected("Expecting 'examples' value to be an list/array")
    if not examples:
        raise Rejected("'examples' value is an empty array")
    return context, [_example(e) for e in examples]


# --------------------------------------------------- json_tensor_test.cc's cases, reproduced
def _deep(key: str, value: str) -> str:
    """The test's 500000 levels of nesting, cut to what Python's json parser recurses
    through (the decoder's verdict does not depend on the depth)."""
    return '{"' + key + '":' + value + "[" * 500 + "]" * 500 + "}"


I = {"default": "int32"}  # noqa: E741
#: (inputs, JSON text, expected tensors as name -> (dtype, shape, values) or None: rejected).
PREDICT_CASES: list[tuple[str, dict[str, str], str, dict[str, tuple] | None]] = [
    ("SingleUnnamedTensor", I, '{"instances": [[1,2],[3,4],[5,6]]}',
     {"default": ("int32", (3, 2), (1, 2, 3, 4, 5, 6))}),
    ("DeeplyNestedWellFormed", I, _deep("instances", '[1], "nested":'),
     {"default": ("int32", (1,), (1,))}),
    ("DeeplyNestedMalformed", I, _deep("signature_name", ""), None),
    ("MixedInputForFloatTensor", {"default": "float32"},
     '{"instances": [1, 2.0, 3, 4, 5.003, 0.007, 0.0]}',
     {"default": ("float32", (7,), (1, 2, 3, 4, 5.003, 0.007, 0))}),
    ("MixedInputForDoubleTensor", {"default": "float64"},
     '{"instances": [1.0, 2, 3, 4, 0.662, 0, 0.0]}',
     {"default": ("float64", (7,), (1, 2, 3, 4, 0.662, 0, 0))}),
    ("FloatTensorWithPrecisionLoss", {"default": "float32"}, '{"instances": [1435774380]}',
     {"default": ("float32", (1,), (1435774380,))}),
    ("FloatTensorWithPrecisionLoss.0", {"default": "float32"}, '{"instances": [1435774380.0]}',
     {"default": ("float32", (1,), (1435774380,))}),
    ("FloatTensorThatExceedsMaxReturnsInf", {"default": "float32"},
     '{ "instances": [1.7976931348623157e+308] }',
     {"default": ("float32", (1,), (math.inf,))}),
    ("FloatTensorThatExceedsMaxReturnsInf-", {"default": "float32"},
     '{ "instances": [-1.7976931348623157e+308] }',
     {"default": ("float32", (1,), (-math.inf,))}),
    ("FloatTensorThatExceedsMinReturnsZero", {"default": "float32"},
     '{ "instances": [2.2250738585072014e-308] }', {"default": ("float32", (1,), (0,))}),
    ("SingleUnnamedTensorWithSignature", I,
     '{"signature_name": "predict_images", "instances": [[1,2]]}',
     {"default": ("int32", (1, 2), (1, 2))}),
    ("TensorFromNonNullTerminatedBuffer", I, '{"instances": [[1,2],[3,4],[5,6]]}',
     {"default": ("int32", (3, 2), (1, 2, 3, 4, 5, 6))}),
    ("SingleUnnamedTensorBase64Scalars", {"default": "string"},
     '{"instances": [ { "b64" : "aGVsbG8=" }, { "b64": "d29ybGQ=" } ]}',
     {"default": ("string", (2,), (b"hello", b"world"))}),
    ("SingleUnnamedTensorBase64Lists", {"default": "string"},
     '{"instances": [ [{ "b64" : "aGVsbG8=" }], [{ "b64": "d29ybGQ=" }] ]}',
     {"default": ("string", (2, 1), (b"hello", b"world"))}),
    ("SingleNamedTensorBase64", {"default": "string"},
     '{"instances": [{"default": [ [{ "b64" : "aGVsbG8=" }], [{ "b64": "d29ybGQ=" }] ]}]}',
     {"default": ("string", (1, 2, 1), (b"hello", b"world"))}),
    ("MultipleNamedTensor",
     {"int_tensor": "int32", "str_tensor": "string", "float_tensor": "float32",
      "dbl_tensor": "float64"},
     '{"instances": [{"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"],'
     ' "float_tensor": [1.0, NaN], "dbl_tensor": [NaN]}, {"int_tensor": [[7,8],[9,0],[1,2]],'
     ' "str_tensor": ["baz", "bat"], "float_tensor": [2.0, Infinity], "dbl_tensor": [2.0]}]}',
     {"int_tensor": ("int32", (2, 3, 2), (1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2)),
      "str_tensor": ("string", (2, 2), (b"foo", b"bar", b"baz", b"bat")),
      "float_tensor": ("float32", (2, 2), (1.0, math.nan, 2.0, math.inf)),
      "dbl_tensor": ("float64", (2, 1), (math.nan, 2.0))}),
    ("SingleUnnamedTensorColumnarFormat", {"int_tensor": "int32"},
     '{"inputs": {"int_tensor": [[[1,2],[3,4],[5,6]]]}}',
     {"int_tensor": ("int32", (1, 3, 2), (1, 2, 3, 4, 5, 6))}),
    ("SingleUnnamedTensorColumnarFormat.unnamed", {"int_tensor": "int32"},
     '{"inputs": [[[1,2],[3,4],[5,6]]]}',
     {"int_tensor": ("int32", (1, 3, 2), (1, 2, 3, 4, 5, 6))}),
    ("MultipleNamedTensorColumnarFormat",
     {"int_tensor": "int32", "str_tensor": "string", "bin_tensor": "string"},
     '{"inputs": {"int_tensor": [[[1,2],[3,4],[5,6]]], "str_tensor": ["foo", "bar"],'
     ' "bin_tensor": { "b64" : "aGVsbG8=" }}}',
     {"int_tensor": ("int32", (1, 3, 2), (1, 2, 3, 4, 5, 6)),
      "str_tensor": ("string", (2,), (b"foo", b"bar")),
      "bin_tensor": ("string", (), (b"hello",))}),
    ("SingleUnnamedTensorErrors.empty", I, "", None),
    ("SingleUnnamedTensorErrors.signature", I,
     '{"signature_name": 5, "instances": [[1,2],[3,4],[5,6,7]]}', None),
    ("SingleUnnamedTensorErrors.both", I,
     '{"instances": [[1,2],[3,4],[5,6,7]], "inputs": [[1,2],[3,4],[5,6,7]]}', None),
    ("SingleUnnamedTensorErrors.size", I, '{"instances": [[1,2],[3,4],[5,6,7]]}', None),
    ("SingleUnnamedTensorErrors.shape", I, '{"instances": [[1,2],[3,4],[[5,6]]]}', None),
    ("SingleUnnamedTensorErrors.level", I, '{"instances": [1, [1]]}', None),
    ("SingleUnnamedTensorErrors.type", I, '{"instances": [[1,2],["a", "b"]]}', None),
    ("MultipleNamedTensorErrors.shape", {"int_tensor": "int32", "str_tensor": "string"},
     '{"instances": [{"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]},'
     ' {"int_tensor": [[[7,8],[9,0],[1,2]]], "str_tensor": ["baz", "bat"]}]}', None),
    ("MultipleNamedTensorErrors.size", {"int_tensor": "int32", "str_tensor": "string"},
     '{"instances": [{"int_tensor": [[1,2],[3,4],[5,6],[7,8]], "str_tensor": ["foo", "bar"]},'
     ' {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"]}]}', None),
    ("MultipleNamedTensorErrors.object_then_list",
     {"int_tensor": "int32", "str_tensor": "string"},
     '{"instances": [{"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]},'
     ' [1, 20, 30], {"int_tensor": [[[7,8],[9,0],[1,2]]], "str_tensor": ["baz", "bat"]}]}',
     None),
    ("MultipleNamedTensorErrors.list_then_object", {"str_tensor": "string"},
     '{"instances": [["baz", "bar"], {"str_tensor": ["baz", "bat"]}]}', None),
]  # fmt: skip

#: json_tensor_test.cc's ClassifyRegressRequestTest: (name, JSON text, accepted).
EXAMPLE_CASES: list[tuple[str, str, bool]] = [
    ("RequestNoContext",
     '{"examples": [{"names": [ "foo", "bar" ], "ratings": [ 8.0, 9.0 ], "age": 20},'
     ' {"names": [ "baz" ], "ratings": 6.0}]}', True),
    ("RequestWithContextAndSignature",
     '{"signature_name": "custom_signture", "context": {"query": "pizza", "location": ["sfo"]},'
     ' "examples": [{"names": [ "foo", "bar" ], "ratings": [ 8.0, 9.0, NaN, Infinity ],'
     ' "age": 20}, {"names": [ "baz", { "b64": "aGVsbG8=" } ], "ratings": 6.0,'
     ' "intboolmix": [ 1, true, false ]}, {"names": "bar", "ratings": -Infinity}]}', True),
    ("JsonErrors.signature", '{"signature_name": ["hello"], "examples": [{"names": ["foo"]}]}',
     False),
    ("JsonErrors.context", '{"context": [ { "names": [ "foo", "bar" ] } ]}', False),
    ("JsonErrors.examples_object", '{"examples": { "names": [ "foo", "bar" ] }}', False),
    ("JsonErrors.nested", '{"examples": [ [ { "names": [ "foo", "bar" ] } ] ]}', False),
    ("JsonErrors.null", '{"examples": [ { "names": [ 10, null ] } ]}', False),
    ("JsonErrors.mixed", '{"examples": [ { "names": [ 10, 10.0 ] } ]}', False),
    ("JsonErrors.object", '{"examples": [ { "names": [ 10, { "test": 10 } ] } ]}', False),
    ("JsonErrors.array", '{"examples": [ { "names": [ [10], 20 ] } ]}', False),
    ("JsonErrors.uint64", '{"examples": [ { "names": [ 20, 18446744073709551603 ] } ]}', False),
    # Not in the file: beyond uint64, or below int64, rapidjson parses a double (float).
    ("beyond_uint64", '{"examples": [ { "names": [ 0.5, 18446744073709551616 ] } ]}', True),
    ("below_int64", '{"examples": [ { "names": [ -9223372036854775809, 2.5 ] } ]}', True),
    ("below_int64_mixed", '{"examples": [ { "names": [ -9223372036854775809, 2 ] } ]}', False),
]  # fmt: skip


def _same(got: tuple[object, ...], want: tuple[object, ...]) -> bool:
    def one(a: object, b: object) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            a32 = float(np.float32(a)) if isinstance(a, (int, float)) else a
            b32 = float(np.float32(b)) if isinstance(b, (int, float)) else b
            return (math.isnan(a32) and math.isnan(b32)) or a32 == b32  # type: ignore[arg-type]
        return a == b

    with np.errstate(over="ignore"):  # float32 overflows to inf, as the test expects
        return len(got) == len(want) and all(one(a, b) for a, b in zip(got, want, strict=True))


@pytest.mark.parametrize(
    ("inputs", "text", "expected"),
    [case[1:] for case in PREDICT_CASES],
    ids=[case[0] for case in PREDICT_CASES],
)
def test_decoder_reproduces_json_tensor_test(
    inputs: dict[str, str], text: str, expected: dict[str, tuple] | None
) -> None:
    """Each FillPredictRequestFromJson case of json_tensor_test.cc: rejected where the
    file expects an error, else the very tensors it expects (dtype, shape, values)."""
    try:
        got = {n: (t.dtype, t.shape, t.values) for n, t in decode(text, inputs).items()}
    except Rejected:
        got = None
    if expected is None or got is None:
        assert got is expected
        return
    assert set(got) == set(expected)
    for name, (dtype, shape, values) in expected.items():
        assert got[name][:2] == (dtype, shape)
        assert _same(got[name][2], values), (name, got[name][2], values)


@pytest.mark.parametrize(
    ("text", "accepted"), [c[1:] for c in EXAMPLE_CASES], ids=[c[0] for c in EXAMPLE_CASES]
)
def test_example_decoder_reproduces_json_tensor_test(text: str, accepted: bool) -> None:
    """Each ClassifyRegressRequestTest case of json_tensor_test.cc."""
    try:
        context, examples = decode_examples(text)
        ok = True
    except Rejected:
        ok = False
    assert ok is accepted
    if text.startswith('{"examples": [{"names"'):  # RequestNoContext's expected Examples
        assert context is None
        assert examples[0] == {
            "names": ("bytes", ["foo", "bar"]),
            "ratings": ("float", [8.0, 9.0]),
            "age": ("int64", [20]),
        }
        assert examples[1] == {"names": ("bytes", ["baz"]), "ratings": ("float", [6.0])}


#: Integers at and beyond each dtype's range (rapidjson's IsInt / IsInt64 / IsUint /
#: IsUint64 as AddValueToTensor asks them): (dtype, JSON number, accepted).
RANGE_CASES = [
    ("int32", 2**31 - 1, True), ("int32", 2**31, False),
    ("int32", -(2**31), True), ("int32", -(2**31) - 1, False),
    ("uint8", -1, True), ("uint8", 300, True), ("uint8", 2**31, False),
    ("int8", 200, True), ("int16", -(2**31) - 1, False),
    ("int64", 2**63 - 1, True), ("int64", 2**63, False), ("int64", -(2**63), True),
    ("int64", -(2**63) - 1, False), ("int64", 2**64, False),
    ("uint32", 2**32 - 1, True), ("uint32", 2**32, False), ("uint32", -1, False),
    ("uint64", 2**64 - 1, True), ("uint64", 2**64, False), ("uint64", -1, False),
    ("float32", 2**70, True), ("float64", -(2**70), True),
]  # fmt: skip


@pytest.mark.parametrize(("dtype", "number", "accepted"), RANGE_CASES)
def test_decoder_takes_integers_in_the_range_rapidjson_reports(
    dtype: str, number: int, accepted: bool
) -> None:
    """A JSON integer into an integer input: rejected outside the range AddValueToTensor's
    rapidjson check covers, else stored; int8 / int16 / uint8 keep the int32 and TensorFlow's
    Tensor::FromProto (here tf.io.parse_tensor of the same TensorProto) narrows it."""
    text = json.dumps({"instances": [number]})
    try:
        tensor = decode(text, {"x": dtype})["x"]
    except Rejected:
        assert not accepted
        return
    assert accepted
    if dtype in INT32:
        from tensorflow.core.framework import tensor_pb2

        proto = tensor_pb2.TensorProto(dtype=tf.as_dtype(dtype).as_datatype_enum)
        proto.tensor_shape.dim.add(size=1)
        proto.int_val.append(number)
        parsed = tf.io.parse_tensor(proto.SerializeToString(), out_type=tf.as_dtype(dtype))
        assert tensor.values == (int(parsed.numpy()[0]),)


# ------------------------------------------------------------------ the TensorFlow half
#: Served name -> fixture folder; module_multi's named signatures cover int, bool, string,
#: unknown-rank, scalar and fixed-batch inputs.
MODELS = {"dense": "serving/dense", "two": "keras_two_inputs", "multi": "module_multi"}


@dataclass(frozen=True)
class Served:
    """One served signature, as TensorFlow reports it."""

    model: str
    key: str
    #: input name -> (dtype, shape or None for an unknown rank)
    inputs: dict[str, tuple[str, tuple[int | None, ...] | None]]
    function: Any


def _served(root: Path) -> list[Served]:
    out = []
    for name in MODELS:
        folder = root / name
        version = max(int(p.name) for p in folder.iterdir() if p.name.isdigit())
        loaded = tf.saved_model.load(str(folder / str(version)))
        for key, function in sorted(loaded.signatures.items()):
            specs = function.structured_input_signature[1]
            inputs = {
                n: (
                    s.dtype.name,
                    None if s.shape.rank is None else tuple(s.shape.as_list()),
                )
                for n, s in sorted(specs.items())
            }
            out.append(Served(name, key, inputs, (loaded, function)))
    return out


def run_in_tensorflow(served: Served, tensors: dict[str, Tensor]) -> str | None:
    """Call the real signature with the decoded tensors; the error, or None."""
    args = {}
    for name, tensor in tensors.items():
        dtype = object if tensor.dtype == "string" else tensor.dtype
        array = np.array(tensor.values, dtype=dtype).reshape(tensor.shape)
        args[name] = array
    try:
        served.function[1](**args)
    except Exception as error:  # every failure TensorFlow raises counts
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0][:160]}"
    return None


def _graph_failure(error: str) -> bool:
    return error.startswith("InvalidArgumentError")


# ------------------------------------------------------------------ generated requests
_LEAVES = {
    "float32": [0.5, 1, -2.25],
    "float64": [0.5, 3],
    "int32": [1, 7],
    "int64": [2, -3],
    "uint8": [3, 200],
    "bool": [True, False],
    "string": ["s", {"b64": "aGk="}],
}
_WRONG = [0.5, 1, True, "s", {"b64": "aGk="}, None, {"k": 1}]
#: Integers at and beyond what each dtype takes (a "range" mistake; some are accepted).
_EDGES = {
    "float32": [2**70, -(2**64)],
    "float64": [2**70],
    "int32": [2**31, -(2**31) - 1, 2**31 - 1, 2**40],
    "int64": [2**63, -(2**63), 2**63 - 1, 2**64, -(2**63) - 1],
    "uint8": [-1, 300, 2**31, -(2**31) - 1],
}


def _value(
    rng: random.Random,
    dtype: str,
    shape: tuple[int | None, ...] | None,
    wrong: bool,
    edge: bool = False,
) -> Any:
    """A nested list of *shape* (None dims: 1 to 3) of leaves *dtype* takes, or with one
    leaf of another JSON type where *wrong*, or an integer at or beyond the dtype's range
    where *edge*."""
    if shape is None:
        shape = tuple([None] * rng.randint(0, 2))
    sizes = [d if d is not None else rng.randint(1, 3) for d in shape]

    def build(level: int) -> Any:
        if level == len(sizes):
            return rng.choice(_LEAVES[dtype])
        return [build(level + 1) for _ in range(sizes[level])]

    value = build(0)
    if wrong or (edge and dtype in _EDGES):
        if wrong:
            bad = rng.choice([w for w in _WRONG if _accepts(dtype, w) is False])
        else:
            bad = rng.choice(_EDGES[dtype])
        if isinstance(value, list):
            holder = value
            while isinstance(holder[0], list):
                holder = holder[0]
            holder[0] = bad
        else:
            value = bad
    return value


def _accepts(dtype: str, leaf: object) -> bool:
    try:
        _add(leaf, dtype)
    except Rejected:
        return False
    return True


def _reshape(rng: random.Random, value: Any) -> Any:
    """The value with a shape the signature may not take."""
    choice = rng.randrange(4)
    if choice == 0:
        return [value]
    if choice == 1 and isinstance(value, list) and value:
        return value[:-1] if len(value) > 1 else value + value
    if choice == 2 and isinstance(value, list) and value:
        return value[0]
    return [value, value] if choice == 3 else value


def body_for(rng: random.Random, served: Served) -> dict[str, Any]:
    """A request body for *served*: mostly right, with one or two random mistakes."""
    names = list(served.inputs)
    mistakes = rng.choice([0, 0, 1, 1, 2])
    kinds = rng.sample(
        ["dtype", "shape", "name", "missing", "extra", "format", "batch", "signature", "range"],
        mistakes,
    )
    row = rng.random() < 0.6
    count = rng.randint(1, 3)
    body: dict[str, Any] = {}
    if served.key != "serving_default" or rng.random() < 0.2:
        body["signature_name"] = served.key
    if "signature" in kinds:
        body["signature_name"] = rng.choice(["nope", "", 5, served.key.upper()])
    wrong_input = rng.choice(names)

    def value(name: str, per_instance: bool) -> Any:
        dtype, shape = served.inputs[name]
        if per_instance and shape is not None:
            shape = shape[1:] if shape else None  # a scalar input: no instance axis to drop
        mistaken = name == wrong_input
        v = _value(rng, dtype, shape, "dtype" in kinds and mistaken, "range" in kinds and mistaken)
        return _reshape(rng, v) if "shape" in kinds and name == wrong_input else v

    if row:
        if len(names) == 1 and rng.random() < 0.5 and "format" not in kinds:
            body["instances"] = [value(names[0], True) for _ in range(count)]
        else:
            instances = []
            for _ in range(count):
                instance = {n: value(n, True) for n in names}
                instances.append(instance)
            if "name" in kinds:
                for instance in instances:
                    instance[wrong_input + "x"] = instance.pop(wrong_input)
            if "missing" in kinds:
                for instance in instances:
                    instance.pop(wrong_input, None)
            if "extra" in kinds:
                for instance in instances:
                    instance["zz"] = [1]
            if "format" in kinds:
                instances = (
                    [next(iter(i.values()), 1) for i in instances] if rng.random() < 0.5 else []
                )
            if "batch" in kinds and len(instances) > 1 and isinstance(instances[1], dict):
                instances[1] = {**instances[1], names[0]: value(names[0], True)}
            body["instances"] = instances
    else:
        columns = {n: value(n, False) for n in names}
        if "name" in kinds:
            columns[wrong_input + "x"] = columns.pop(wrong_input)
        if "missing" in kinds:
            columns.pop(wrong_input, None)
        if "extra" in kinds:
            columns["zz"] = [1]
        if "batch" in kinds:
            columns[names[0]] = value(names[0], False)
        body["inputs"] = (
            next(iter(columns.values()), 1) if "format" in kinds and columns else columns
        )
        if "format" in kinds and rng.random() < 0.3:
            body["instances"] = [1]
    return body


def _program(rng: random.Random, model: str, body: dict[str, Any]) -> tuple[str, str]:
    """A client sending *body* (requests, a session, urllib, or a notebook's ``!curl``
    line), and the file name it is linted as."""
    url = f"http://localhost:8501/v1/models/{model}:predict"
    text = json.dumps(body)
    style = rng.randrange(6)
    if style == 5 and "'" not in text:
        cell = f"!curl -s -X POST -d '{text}' {url}"
        notebook = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"language_info": {"name": "python"}},
            "cells": [
                {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None,
                 "outputs": [], "source": [cell]}
            ],
        }  # fmt: skip
        return json.dumps(notebook), "client.ipynb"
    head = "import json\nimport urllib.request\n\nimport requests\n\n"
    if style == 0:
        call = f"requests.post({url!r}, json={body!r})"
    elif style == 1:
        call = f"requests.post({url!r}, data=json.dumps({body!r}))"
    elif style == 2:
        call = f"requests.post({url!r}, data={text!r})"
    elif style == 3:
        call = f"with requests.Session() as s:\n    s.post({url!r}, json={body!r})"
    else:
        call = (
            f"request = urllib.request.Request({url!r}, data=json.dumps({body!r}).encode())\n"
            "urllib.request.urlopen(request)"
        )
    return head + call + "\n", "client.py"


@dataclass
class Counts:
    rejected_by_decoder: int = 0
    rejected_by_tensorflow: int = 0
    found: int = 0
    found_as_batch_warning: int = 0
    accepted: int = 0
    false_errors: int = 0
    undetermined: int = 0
    #: Bodies with an integer at or beyond an input dtype's range, and those rejected.
    edge_integers: int = 0
    edge_integers_rejected: int = 0
    #: Accepted bodies with a number stored wrapped, each warned of (SM006).
    wrapped_warned: int = 0


def _has_edge(value: object, edges: set[int] | None = None) -> bool:
    """Whether *value* holds one of *edges* (default: the generated edge integers), or
    with an empty set, an integer beyond int64."""
    if edges is None:
        edges = {n for numbers in _EDGES.values() for n in numbers}
    if isinstance(value, dict):
        return any(_has_edge(v, edges) for v in value.values())
    if isinstance(value, list):
        return any(_has_edge(v, edges) for v in value)
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return value in edges if edges else not -(2**63) <= value < 2**63


def verdict(served: Served, signatures: dict[str, Served], body: dict[str, Any]) -> str | None:
    """What TF Serving answers: the rejection, or None when the model runs."""
    text = json.dumps(body)
    name = body.get("signature_name", "serving_default")
    if isinstance(name, str):
        target = signatures.get(name or "serving_default")
        if target is None:
            try:
                _parse(text)
            except Rejected as error:
                return f"decoder: {error}"
            return "decoder: Serving signature key not found"  # predict_util.cc
    else:
        target = served
    types = {n: dtype for n, (dtype, _) in target.inputs.items()}
    try:
        tensors = decode(text, types)
    except Rejected as error:
        return f"decoder: {error}"
    error = run_in_tensorflow(target, tensors)
    return None if error is None else f"tensorflow: {error}"


@pytest.fixture(scope="module")
def served_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    for name, where in MODELS.items():
        source = ROOT / where
        if (source / "saved_model.pb").exists():
            shutil.copytree(source, root / name / "1")
        else:
            shutil.copytree(source, root / name)
    return root


def test_generated_clients_match_tf_serving(served_root: Path, tmp_path: Path) -> None:
    """Every request TF Serving rejects (its decoder, or the real signature called with the
    decoded tensors) is found by sm-lint, and no request it serves gets an error."""
    served = _served(served_root)
    by_model: dict[str, dict[str, Served]] = {}
    for s in served:
        by_model.setdefault(s.model, {})[s.key] = s
    rng = random.Random(24)
    linter = Linter(Config(models=(served_root,)))
    counts = Counts()
    failures = []
    for _ in range(int(240 * BUDGET)):
        target = rng.choice(served)
        body = body_for(rng, target)
        NARROWED.clear()
        try:
            why = verdict(target, by_model[target.model], body)
        except Undetermined:
            counts.undetermined += 1
            continue
        program, name = _program(rng, target.model, body)
        found = linter.lint_source(program, tmp_path / name)
        errors = [d for d in found if d.severity.value == "error"]
        batch = [d for d in found if d.code == "SM009"]
        if _has_edge(body):
            counts.edge_integers += 1
            counts.edge_integers_rejected += why is not None
        if why is None:
            counts.accepted += 1
            if errors:
                counts.false_errors += 1
                failures.append(("false error", body, [d.message for d in errors]))
            warned = any(d.code == "SM006" for d in found)
            if warned != bool(NARROWED):
                failures.append(("wrap warning", body, f"stored wrapped: {NARROWED}"))
            counts.wrapped_warned += warned
            continue
        if why.startswith("decoder"):
            counts.rejected_by_decoder += 1
        else:
            counts.rejected_by_tensorflow += 1
        if errors:
            counts.found += 1
        elif batch and _graph_failure(why.split(": ", 1)[1]):
            counts.found_as_batch_warning += 1
        else:
            failures.append(("missed", body, why))
    print(counts)
    assert not failures, failures[:5]
    assert counts.accepted and counts.rejected_by_decoder and counts.rejected_by_tensorflow


# ------------------------------------------------------------------ :classify and :regress
def _save_heads(path: Path) -> None:
    """One signature each that TF Serving can run for :classify (serving_default),
    :regress, and :predict only, all taking what the Example decoder makes."""
    batch = tf.TensorSpec([None], tf.string, name="inputs")

    class Heads(tf.Module):
        @tf.function(input_signature=[batch])
        def classify(self, inputs: Any) -> Any:
            n = tf.shape(inputs)[0]
            classes = tf.tile(tf.constant([["a", "b"]]), [n, 1])
            return {"classes": classes, "scores": tf.ones([n, 2]) * 0.5}

        @tf.function(input_signature=[batch])
        def regress(self, inputs: Any) -> Any:
            return {"outputs": tf.zeros([tf.shape(inputs)[0]])}

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def predict(self, x: Any) -> Any:
            return {"y": x * 2.0}

    heads = Heads()
    signatures = {
        "serving_default": heads.classify,
        "regress": heads.regress,
        "predict": heads.predict,
    }
    tf.saved_model.save(heads, str(path), signatures=signatures)


def runs_verb(verb: str, inputs: dict[str, Any], outputs: set[str]) -> bool:
    """PreProcessClassification / PreProcessRegression (classifier.cc, regressor.cc), the
    method-name check off as by default: one input 'inputs'; :classify one or two outputs
    with 'classes' or 'scores', :regress one output 'outputs'."""
    if list(inputs) != ["inputs"]:
        return False
    if verb == "classify":
        return len(outputs) in (1, 2) and bool(outputs & {"classes", "scores"})
    return outputs == {"outputs"}


def _serialized(context: dict[str, Any] | None, examples: list[dict[str, Any]]) -> list[bytes]:
    out = []
    for features in examples:
        example = tf.train.Example()
        for name, (kind, values) in {**(context or {}), **features}.items():
            feature = example.features.feature[name]
            if kind == "int64":
                feature.int64_list.value.extend(values)
            elif kind == "float":
                feature.float_list.value.extend(values)
            elif kind == "bytes":
                feature.bytes_list.value.extend(
                    v.encode() if isinstance(v, str) else base64.b64decode(v) for v in values
                )
        out.append(example.SerializeToString())
    return out


def _example_body(rng: random.Random, keys: list[str]) -> dict[str, Any]:
    good = [[1, 2], [0.5], ["a", "b"], 3, 2.5, "s", [True, 0], [{"b64": "aGk="}], []]
    good += [[-(2**63), 2**63 - 1], [2**64, 0.5], -(2**63) - 1]  # beyond int64: doubles
    bad = [[1, 0.5], [None], [[1]], [{"k": 1}], None, {"k": 1}, [1, "a"]]
    bad += [[2**63], [1, 2**64 - 1], [1, 2**64], [-(2**63) - 1, 2]]

    def example() -> Any:
        features = {f"f{i}": rng.choice(good) for i in range(rng.randint(1, 3))}
        if rng.random() < 0.15:
            features["g"] = rng.choice(bad)
        return features if rng.random() > 0.05 else rng.choice([[1], "x", [{"a": 1}]])

    body: dict[str, Any] = {}
    if rng.random() < 0.4:
        body["signature_name"] = rng.choice([*keys, 5])
    if rng.random() < 0.3:
        body["context"] = example()
    shape = rng.random()
    if shape < 0.85:
        body["examples"] = [example() for _ in range(rng.randint(1, 3))]
    elif shape < 0.9:
        body["examples"] = []
    elif shape < 0.95:
        body["examples"] = example()
    return body


def test_generated_classify_and_regress_requests_match_tf_serving(tmp_path: Path) -> None:
    """:classify / :regress bodies decoded as FillClassifyRegressRequestFromJson does, sent
    to signatures that can or cannot run the verb; what TF Serving accepts is then run
    with the serialized Examples in TensorFlow. Every rejection found, no false error."""
    root = tmp_path / "models"
    _save_heads(root / "heads" / "1")
    loaded = tf.saved_model.load(str(root / "heads" / "1"))
    keys = list(loaded.signatures)
    rng = random.Random(6)
    linter = Linter(Config(models=(root,)))
    counts = Counts()
    failures = []
    for _ in range(int(120 * BUDGET)):
        verb = rng.choice(["classify", "regress"])
        body = _example_body(rng, keys)
        why = None
        try:
            context, examples = decode_examples(json.dumps(body))
            name = body.get("signature_name") or "serving_default"
            function = loaded.signatures.get(name)
            if function is None:
                raise Rejected("No signature was found with the name")
            inputs = function.structured_input_signature[1]
            if not runs_verb(verb, inputs, set(function.structured_outputs)):
                raise Rejected(f"not a {verb} signature")
        except Rejected as error:
            why = f"decoder: {error}"
        else:
            try:
                function(inputs=np.array(_serialized(context, examples), dtype=object))
            except Exception as error:  # every failure TensorFlow raises counts
                why = f"tensorflow: {type(error).__name__}"
        if _has_edge(body, set()):
            counts.edge_integers += 1
            counts.edge_integers_rejected += why is not None
        url = f"http://localhost:8501/v1/models/heads:{verb}"
        program = f"import requests\nrequests.post({url!r}, json={body!r})\n"
        errors = [
            d for d in linter.lint_source(program, tmp_path / "c.py") if d.severity.value == "error"
        ]
        if why is None:
            counts.accepted += 1
            if errors:
                counts.false_errors += 1
                failures.append(("false error", verb, body, [d.message for d in errors]))
        else:
            counts.rejected_by_decoder += why.startswith("decoder")
            counts.rejected_by_tensorflow += why.startswith("tensorflow")
            if errors:
                counts.found += 1
            else:
                failures.append(("missed", verb, body, why))
    print(counts)
    assert not failures, failures[:5]
    assert counts.accepted and counts.found


#: Example features of integers beyond int64 (AddValueToFeature): (feature, accepted).
FEATURE_RANGES = [
    ([1, 2**63 - 1, -(2**63)], True),
    ([1, 2**63], False),  # uint64: "Only int64_t is supported"
    ([2**64 - 1], False),
    ([0.5, 2**64], True),  # beyond uint64 rapidjson parses a double: a float feature
    ([-(2**63) - 1, 2.5], True),
    ([2, -(2**63) - 1], False),  # int64 then float: a mixed feature
    ([2**64, 3], False),
]


@pytest.mark.parametrize(("feature", "accepted"), FEATURE_RANGES)
def test_example_integers_beyond_int64_as_tf_serving_decodes_them(
    tmp_path: Path, feature: list[object], accepted: bool
) -> None:
    """The decoder's verdict, and sm-lint's SM014 exactly where it rejects."""
    body = {"examples": [{"f": feature}]}
    try:
        decode_examples(json.dumps(body))
        ok = True
    except Rejected:
        ok = False
    assert ok is accepted
    root = tmp_path / "models"
    _save_heads(root / "heads" / "1")
    linter = Linter(Config(models=(root,)))
    url = "http://localhost:8501/v1/models/heads:classify"
    for sent in (f"json={body!r}", f"data={json.dumps(body)!r}"):
        found = linter.lint_source(
            f"import requests\nrequests.post({url!r}, {sent})\n", tmp_path / "c.py"
        )
        assert [d.code for d in found] == ([] if accepted else ["SM014"])
