"""TF Serving REST requests: a test-side decoder written from TF Serving's source
(tensorflow_serving/util/json_tensor.cc), self-tested on json_tensor_test.cc's cases, is the
oracle for generated client programs run through sm-lint against real SavedModels."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from sm_lint.api import Linter
from sm_lint.config import Config

ROOT = Path(__file__).parent / "fixtures" / "models"
INT = {"int8", "int16", "int32", "uint8", "int64", "uint32", "uint64"}


class Rejected(Exception):
    pass


def _add(value: object, dtype: str) -> None:
    """AddValueToTensor / the b64 branch of FillTensorProto."""
    if isinstance(value, dict):
        if dtype != "string" or list(value) != ["b64"] or not isinstance(value["b64"], str):
            raise Rejected("object")
    elif dtype in ("float32", "float64"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Rejected("not a number")
    elif dtype in INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Rejected("not an integer")
    elif dtype == "bool":
        if not isinstance(value, bool):
            raise Rejected("not a bool")
    elif dtype == "string":
        if not isinstance(value, str):
            raise Rejected("not a string")
    else:
        raise Rejected("unimplemented")


def _shape(value: object) -> list[int]:
    """GetDenseTensorShape: sizes along the first elements."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _fill(value: object, level: int, shape: list[int], dtype: str) -> None:
    """FillTensorProto."""
    if not isinstance(value, list):
        if level != len(shape):
            raise Rejected("incorrect level")
        _add(value, dtype)
        return
    if level >= len(shape) or len(value) != shape[level]:
        raise Rejected("unexpected level or size")
    for item in value:
        _fill(item, level + 1, shape, dtype)


def _b64(value: object) -> bool:
    return isinstance(value, dict) and list(value) == ["b64"] and isinstance(value["b64"], str)


def decode(body: dict, inputs: dict[str, str]) -> dict[str, tuple[list[int], object]]:
    """FillPredictRequestFromJson: input name -> (shape, nested values), or Rejected."""
    if "signature_name" in body and not isinstance(body["signature_name"], str):
        raise Rejected("signature_name")
    if "instances" in body and "inputs" in body:
        raise Rejected("both")
    out: dict[str, tuple[list[int], object]] = {}
    if "instances" in body:
        rows = body["instances"]
        if not isinstance(rows, list):
            raise Rejected("not a list")
        if not rows:
            raise Rejected("empty")
        if not isinstance(rows[0], dict) and len(inputs) > 1:
            raise Rejected("plain list")
        objects = isinstance(rows[0], dict) and not _b64(rows[0])
        shapes: dict[str, list[int]] = {}
        values: dict[str, list[object]] = {}
        for row in rows:
            if objects != (isinstance(row, dict) and not _b64(row)):
                raise Rejected("mixed")
            items = row.items() if objects else [(next(iter(inputs)), row)]
            for name, item in items:
                if name not in inputs:
                    raise Rejected("no such input")
                shape = _shape(item)
                _fill(item, 0, shape, inputs[name])
                if shapes.setdefault(name, shape) != shape:
                    raise Rejected("instance shapes differ")
                values.setdefault(name, []).append(item)
            if objects and set(row) != set(inputs):
                raise Rejected("keys")
        return {n: ([len(rows), *shapes[n]], values[n]) for n in values}
    if "inputs" in body:
        value = body["inputs"]
        if not isinstance(value, dict) or _b64(value):
            if len(inputs) > 1:
                raise Rejected("plain inputs")
            value = {next(iter(inputs)): value}
        for name, dtype in inputs.items():
            if name not in value:
                raise Rejected("missing")
            shape = _shape(value[name])
            _fill(value[name], 0, shape, dtype)
            out[name] = (shape, value[name])
        return out
    raise Rejected("neither")


# json_tensor_test.cc's request cases: (inputs, body, accepted).
SOURCE_CASES = [
    ({"default": "int32"}, {"instances": [[1, 2], [3, 4], [5, 6]]}, True),
    ({"default": "float32"}, {"instances": [1, 2.0, 3, 4, 5.003, 0.007, 0.0]}, True),
    ({"default": "float64"}, {"instances": [1.0, 2, 3, 4, 0.662, 0, 0.0]}, True),
    ({"default": "string"}, {"instances": [{"b64": "aGVsbG8="}, {"b64": "d29ybGQ="}]}, True),
    ({"default": "int32"}, {"signature_name": 5, "instances": [[1, 2], [3, 4], [5, 6, 7]]}, False),
    ({"default": "int32"}, {"instances": [[1, 2]], "inputs": [[1, 2]]}, False),
    ({"default": "int32"}, {"instances": [[1, 2], [3, 4], [5, 6, 7]]}, False),
    ({"default": "int32"}, {"instances": [[1, 2], [3, 4], [[5, 6]]]}, False),
    ({"default": "int32"}, {"instances": [1, [1]]}, False),
    ({"default": "int32"}, {"instances": [[1, 2], ["a", "b"]]}, False),
    (
        {"int_tensor": "int32", "str_tensor": "string"},
        {"instances": [{"int_tensor": [[1, 2]], "str_tensor": ["foo"]}, [1, 20, 30]]},
        False,
    ),
    ({"str_tensor": "string"}, {"instances": [["baz", "bar"], {"str_tensor": ["baz"]}]}, False),
    (
        {"int_tensor": "int32", "str_tensor": "string"},
        {"inputs": {"int_tensor": [[1, 2], [3, 4]], "str_tensor": ["foo", "bar"]}},
        True,
    ),
    ({"int_tensor": "int32", "str_tensor": "string"}, {"inputs": [1, 2]}, False),
    ({"default": "int32"}, {"instances": [1.0]}, False),
]


@pytest.mark.parametrize(("inputs", "body", "accepted"), SOURCE_CASES)
def test_decoder_reproduces_json_tensor_test(inputs: dict, body: dict, accepted: bool) -> None:
    try:
        decode(body, inputs)
        ok = True
    except Rejected:
        ok = False
    assert ok is accepted


def _bodies(names: list[str], width: dict[str, int]) -> list[dict]:
    """Row and columnar bodies, right and wrong, for a signature of float inputs."""
    good = {n: [0.5] * width[n] for n in names}
    out: list[dict] = [
        {"instances": [good, good]},
        {"inputs": {n: [v] for n, v in good.items()}},
        {"instances": [{**good, names[0]: [1] * width[names[0]]}]},
        {"instances": [{**good, names[0]: [True] * width[names[0]]}]},
        {"instances": [{**good, names[0]: ["s"] * width[names[0]]}]},
        {"instances": [{**good, names[0]: [0.5] * (width[names[0]] + 1)}]},
        {"instances": [{**good, names[0]: 0.5}]},
        {"instances": [{**good, "zz": [0.5]}]},
        {"instances": [{k: v for k, v in good.items() if k != names[-1]}]},
        {"instances": []},
        {"instances": [good], "inputs": {}},
        {"signature_name": "serving_default"},
        {"inputs": {**{n: [v] for n, v in good.items()}, "extra": [1]}},
        {"inputs": {n: v for n, v in good.items()}},
        {"instances": [good[names[0]]]},
        {"inputs": [good[names[0]]]},
        {"instances": [good, {**good, names[0]: [[0.5] * width[names[0]]]}]},
    ]
    return out


MODELS = {"dense": ("serving/dense", {"x": 6}), "two": ("keras_two_inputs", {"a": 10, "b": 5})}


def test_generated_clients_match_the_decoder(tmp_path: Path) -> None:
    """Every body TF Serving's decoder (or the signature's shapes) rejects is found by
    sm-lint, and no accepted body gets an error."""
    root = tmp_path / "models"
    for name, (where, _) in MODELS.items():
        source = ROOT / where
        target = root / name
        if (source / "saved_model.pb").exists():
            shutil.copytree(source, target / "1")
        else:
            shutil.copytree(source, target)
    counts = {"rejected": 0, "found": 0, "accepted": 0, "false_errors": 0}
    for (name, (_, width)), style in itertools.product(MODELS.items(), ("json", "data")):
        names = list(width)
        for index, body in enumerate(_bodies(names, width)):
            inputs = dict.fromkeys(names, "float32")
            try:
                decoded = decode(body, inputs)
                rejected = any(shape[1:] != [width[n]] for n, (shape, _) in decoded.items()) or any(
                    len(shape) != 2 for shape, _ in decoded.values()
                )
            except Rejected:
                rejected = True
            arg = f"json={body!r}" if style == "json" else f"data=json.dumps({body!r})"
            program = (
                "import json\nimport requests\n"
                f'requests.post("http://h:8501/v1/models/{name}:predict", {arg})\n'
            )
            path = tmp_path / f"client_{name}_{style}_{index}.py"
            path.write_text(program)
            found = Linter(Config(models=[root])).lint_paths([path])
            errors = [d for d in found if d.severity.value == "error"]
            if rejected:
                counts["rejected"] += 1
                counts["found"] += bool(errors)
                assert errors, (body, name)
            else:
                counts["accepted"] += 1
                counts["false_errors"] += bool(errors)
                assert not errors, (body, name, errors)
    print(counts)
    assert counts["found"] == counts["rejected"] and counts["false_errors"] == 0
