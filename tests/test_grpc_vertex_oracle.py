"""TF Serving gRPC clients: generated client programs are linted, and the same programs run
for real up to ``stub.Predict``: the request they build (a real PredictRequest message, its
TensorProtos made by the real ``tf.make_tensor_proto``) is judged by a test-side validator
written from TF Serving's source (tensorflow_serving/servables/tensorflow/predict_util.cc:
RunPredict, VerifyRequestInputsSize, PreProcessPrediction; tensorflow/cc/saved_model/
util.cc: GetInputValues), then fed to the real signature in TensorFlow as TF Serving feeds
it (``tf.make_ndarray`` of each proto, as a tensor: no cast). Every rejection must be an
error of sm-lint's, and no accepted request may get one."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sm_lint.api import Linter
from sm_lint.config import Config

ROOT = Path(__file__).parent / "fixtures" / "models"
#: Served name -> (fixture folder, version, input widths).
MODELS = {
    "dense": ("serving/dense/2", 2, {"x": 6}),
    "two": ("keras_two_inputs", 1, {"a": 10, "b": 5}),
}
#: Served name -> (fixture folder, {signature: {alias: make_tensor_proto arguments}}): the
#: first arguments of each alias fit; the others are each tried in turn.
TYPED = {
    "multi": (
        "module_multi",
        {
            "int_in": {
                "counts": ["[[1, 2]]", "np.array([[1, 2]])", "[[1.0, 2.0]]", "[[3, 4]], tf.int32"],
                "flags": ["[True, False]", "[1, 0]", "np.array([True])", "[[True]]"],
            },
            "lookup": {
                "ids": ["np.array([1, 2])", "[1, 2]", "[[1, 2]], dtype=tf.int64", "[1.5]"],
                "text": ['["a", "b"]', '[b"a"]', 'np.array(["a"])', "[1, 2]", '"a"'],
            },
            "classify_image": {
                "image": [
                    "np.zeros((1, 8, 8, 3), np.uint8)",
                    "np.zeros((1, 8, 8, 3)), dtype=tf.uint8",
                    "np.zeros((1, 8, 8, 3), np.float32)",
                    "np.zeros((1, 8, 8), np.uint8)",
                    "np.zeros((2, 8, 8, 3), np.int32)",
                ],
            },
        },
    ),
    "tf1": (
        "tf1_builder",
        {"serving_default": {"x:0": ["[[1.0, 2.0, 3.0]]", "np.zeros((1, 3))"]}},
    ),
}
#: How much is generated: the CI default, larger with SM_LINT_FUZZ_BUDGET.
BUDGET = int(os.environ.get("SM_LINT_FUZZ_BUDGET", "1"))


class Rejected(Exception):
    pass


class BatchMismatch(Exception):
    """The model fails inside the graph on inputs whose free leading dimensions differ:
    no single input explains it (SM009, a warning; docs/design.md)."""


def _predict_request_class() -> Any:
    """TF Serving's PredictRequest (apis/predict.proto, apis/model.proto: the fields a
    client sets), built on TensorFlow's own TensorProto, without tensorflow-serving-api."""
    # wrappers_pb2 and tensor_pb2 register Int64Value and TensorProto in the default pool.
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2
    from tensorflow.core.framework import tensor_pb2

    assert wrappers_pb2 and tensor_pb2

    pool = descriptor_pool.Default()
    name = "tensorflow.serving.PredictRequest"
    try:
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
    except KeyError:
        pass
    field_type = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="sm_lint_test/predict.proto", package="tensorflow.serving", syntax="proto3"
    )
    proto.dependency.extend(
        ["tensorflow/core/framework/tensor.proto", "google/protobuf/wrappers.proto"]
    )

    def add(message: Any, name: str, number: int, kind: int, **extra: Any) -> None:
        label = extra.pop("label", field_type.LABEL_OPTIONAL)
        message.field.add(name=name, number=number, type=kind, label=label, **extra)

    spec = proto.message_type.add(name="ModelSpec")
    spec.oneof_decl.add(name="version_choice")
    add(spec, "name", 1, field_type.TYPE_STRING)
    add(
        spec,
        "version",
        2,
        field_type.TYPE_MESSAGE,
        type_name=".google.protobuf.Int64Value",
        oneof_index=0,
    )
    add(spec, "version_label", 4, field_type.TYPE_STRING, oneof_index=0)
    add(spec, "signature_name", 3, field_type.TYPE_STRING)
    request = proto.message_type.add(name="PredictRequest")
    entry = request.nested_type.add(name="InputsEntry")
    entry.options.map_entry = True
    add(entry, "key", 1, field_type.TYPE_STRING)
    add(entry, "value", 2, field_type.TYPE_MESSAGE, type_name=".tensorflow.TensorProto")
    spec_type = ".tensorflow.serving.ModelSpec"
    add(request, "model_spec", 1, field_type.TYPE_MESSAGE, type_name=spec_type)
    add(
        request,
        "inputs",
        2,
        field_type.TYPE_MESSAGE,
        label=field_type.LABEL_REPEATED,
        type_name=".tensorflow.serving.PredictRequest.InputsEntry",
    )
    add(request, "output_filter", 3, field_type.TYPE_STRING, label=field_type.LABEL_REPEATED)
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


@dataclass
class Served:
    """A served model as TF Serving sees it: its SignatureDefs and the loaded model."""

    signatures: dict[str, Any]
    loaded: Any


def _served(folder: Path) -> Served:
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((folder / "saved_model.pb").read_bytes())
    meta = saved.meta_graphs[0]
    return Served(dict(meta.signature_def), tf.saved_model.load(str(folder)))


def validate(request: Any, served: Served) -> None:
    """What TF Serving does with a PredictRequest before and while it runs the model."""
    import tensorflow as tf

    # predict_util.cc RunPredict: an empty signature_name is the default one.
    key = request.model_spec.signature_name or "serving_default"
    if key not in served.signatures:
        raise Rejected(f'Serving signature key "{key}" not found.')
    signature = served.signatures[key]
    sent, wanted, defaults = set(request.inputs), set(signature.inputs), set(signature.defaults)
    # VerifyRequestInputsSize.
    if len(sent) > len(wanted) or (len(sent) < len(wanted) and not defaults):
        raise Rejected("input size does not match signature")
    # GetInputValues: every signature input from the request or its default; every alias
    # of the request used.
    tensors = {}
    for alias in wanted:
        if alias not in sent and alias not in defaults:
            raise Rejected(f"Signature input alias: {alias} not found in request")
        if alias in sent:
            tensors[alias] = tf.make_ndarray(request.inputs[alias])
    if sent - wanted:
        raise Rejected("Inputs contains invalid name")
    # PreProcessPrediction: the output filter.
    seen: set[str] = set()
    for alias in request.output_filter:
        if alias not in signature.outputs or alias in seen:
            raise Rejected(f"output tensor alias {alias}")
        seen.add(alias)
    # Session::Run feeds each tensor as it is: the real signature, called with tensors.
    function = served.loaded.signatures[key]
    specs = function.structured_input_signature[1]
    for alias, array in tensors.items():
        if not specs[alias].shape.is_compatible_with(array.shape):
            # Breaks the signature even where the graph lets it through (docs/design.md).
            raise Rejected(f"{alias}: shape {array.shape} is not {specs[alias].shape}")
    try:
        function(**{alias: tf.constant(array) for alias, array in tensors.items()})
    except Exception as error:  # whatever TensorFlow raises is a rejection
        batches = {array.shape[0] for array in tensors.values() if array.ndim}
        if len(batches) > 1:
            # Measured: the same call with every input cut to the smallest batch.
            common = {alias: array[: min(batches)] for alias, array in tensors.items()}
            try:
                function(**{alias: tf.constant(array) for alias, array in common.items()})
            except Exception:
                raise Rejected(f"{type(error).__name__}") from error
            raise BatchMismatch(str(batches)) from error
        raise Rejected(f"{type(error).__name__}") from error


# ----------------------------------------------------------------------------- programs
def _values(width: int) -> dict[str, tuple[str, bool]]:
    """make_tensor_proto arguments for an input of *width* float32 columns -> whether the
    proto fits (for the test's own bookkeeping only: the verdict is the oracle's)."""
    floats = "[" + ", ".join(["[" + ", ".join(["0.5"] * width) + "]"] * 2) + "]"
    ints = "[" + ", ".join(["[" + ", ".join(["1"] * width) + "]"] * 2) + "]"
    return {
        "np32": (f"np.zeros((2, {width}), np.float32)", True),
        "np64": (f"np.zeros((2, {width}))", False),
        "np64_cast": (f"np.zeros((2, {width})), dtype=tf.float32", True),
        "floats": (floats, True),
        "ints": (ints, False),
        "ints_cast": (f"{ints}, dtype=tf.float32", True),
        "wide": (f"np.zeros((2, {width + 1}), np.float32)", False),
        "no_batch": (f"np.zeros({width}, np.float32)", False),
        "shape_kw": (f"np.zeros({2 * width}, np.float32), shape=[2, {width}]", True),
        "shape_kw_flat": (f"np.zeros({width}, np.float32), shape=[{width}]", False),
        "shape_fill": (f"np.zeros({width}, np.float32), shape=[3, {width}]", True),
        "broadcast": (f"0.5, shape=[2, {width}], allow_broadcast=True", True),
        "verified": (
            f"np.zeros((2, {width}), np.float32), shape=[2, {width}], verify_shape=True",
            True,
        ),
        "tensor": (f"tf.zeros((2, {width}))", True),
        "tensor64": (f"tf.zeros((2, {width}), tf.float64)", False),
        "batch3": (f"np.zeros((3, {width}), np.float32)", True),
        "rank3": (f"np.zeros((1, 2, {width}), np.float32)", False),
        "int_dtype": (f"np.zeros((2, {width})), dtype=tf.int32", False),
    }


def _program(
    name: str, spec_lines: list[str], inputs: list[tuple[str, str]], extra: list[str]
) -> str:
    lines = [
        "import grpc",
        "import numpy as np",
        "import tensorflow as tf",
        "from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc",
        "",
        'channel = grpc.insecure_channel("localhost:8500")',
        "stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)",
        "request = predict_pb2.PredictRequest()",
        f'request.model_spec.name = "{name}"',
        *spec_lines,
        *(
            f'request.inputs["{alias}"].CopyFrom(tf.make_tensor_proto({value}))'
            for alias, value in inputs
        ),
        *extra,
        "result = stub.Predict(request, 10.0)",
    ]
    return "\n".join(lines) + "\n"


def programs() -> list[tuple[str, str]]:
    """(served model, program) pairs: values of every kind into each input, wrong and
    missing aliases, signature names, versions and output filters."""
    out = []
    for name, (_, _, widths) in MODELS.items():
        good = {alias: _values(width)["np32"][0] for alias, width in widths.items()}
        for alias, width in widths.items():
            for value, _ in _values(width).values():
                out.append((name, _program(name, [], list({**good, alias: value}.items()), [])))
        first = next(iter(widths))
        out.append((name, _program(name, [], [(k, v) for k, v in good.items() if k != first], [])))
        out.append((name, _program(name, [], [*good.items(), ("zz", good[first])], [])))
        misspelled = [(f"{first}x", good[first]), *list(good.items())[1:]]
        out.append((name, _program(name, [], misspelled, [])))
        for signature in ("serving_default", "serve", "serving", ""):
            line = f'request.model_spec.signature_name = "{signature}"'
            out.append((name, _program(name, [line], list(good.items()), [])))
        for outputs in ('"output_0"', '"y"', '"nope"'):
            filters = [f"request.output_filter.append({outputs})"]
            out.append((name, _program(name, [], list(good.items()), filters)))
            # the same name twice: PreProcessPrediction's duplicate output tensor alias
            out.append((name, _program(name, [], list(good.items()), filters * 2)))
            filters = [f"request.output_filter.extend([{outputs}, {outputs}])"]
            out.append((name, _program(name, [], list(good.items()), filters)))
        if name == "dense":  # version 1 of the dense model takes (?, 2)
            version = ["request.model_spec.version.value = 1"]
            for width in (2, 6):
                value = f"np.zeros((1, {width}), np.float32)"
                out.append((name, _program(name, version, [("x", value)], [])))
    for name, (_, signatures) in TYPED.items():
        for signature, aliases in signatures.items():
            line = [f'request.model_spec.signature_name = "{signature}"']
            good = {alias: values[0] for alias, values in aliases.items()}
            for alias, values in aliases.items():
                for value in values:
                    out.append(
                        (name, _program(name, line, list({**good, alias: value}.items()), []))
                    )
            sanitized = {alias.replace(":", "_"): value for alias, value in good.items()}
            if sanitized != good:  # TensorFlow's keyword spelling is no alias to TF Serving
                out.append((name, _program(name, line, list(sanitized.items()), [])))
    if BUDGET > 1:  # two inputs wrong at once, each way
        for name, (_, _, widths) in MODELS.items():
            if len(widths) < 2:
                continue
            (a, wa), (b, wb) = list(widths.items())[:2]
            for (va, _), (vb, _) in itertools.product(_values(wa).values(), _values(wb).values()):
                out.append((name, _program(name, [], [(a, va), (b, vb)], [])))
    return out


def _sent_request(program: str) -> Any:
    """Run *program* for real up to its ``stub.Predict``: the request it sends."""
    request_class = _predict_request_class()
    sent: list[Any] = []

    class Stub:  # the network end: TF Serving's part is the validator's
        def __init__(self, channel: object) -> None:
            pass

        def Predict(self, request: Any, timeout: float | None = None) -> None:
            sent.append(request)

    apis = types.ModuleType("tensorflow_serving.apis")
    predict_pb2 = types.ModuleType("tensorflow_serving.apis.predict_pb2")
    predict_pb2.PredictRequest = request_class  # type: ignore[attr-defined]
    grpc_module = types.ModuleType("tensorflow_serving.apis.prediction_service_pb2_grpc")
    grpc_module.PredictionServiceStub = Stub  # type: ignore[attr-defined]
    apis.predict_pb2 = predict_pb2  # type: ignore[attr-defined]
    apis.prediction_service_pb2_grpc = grpc_module  # type: ignore[attr-defined]
    modules = {
        "tensorflow_serving": types.ModuleType("tensorflow_serving"),
        "tensorflow_serving.apis": apis,
        "tensorflow_serving.apis.predict_pb2": predict_pb2,
        "tensorflow_serving.apis.prediction_service_pb2_grpc": grpc_module,
    }
    saved = {k: sys.modules.get(k) for k in modules}
    sys.modules.update(modules)
    try:
        exec(compile(program, "<client>", "exec"), {"__name__": "__client__"})
    finally:
        for key, module in saved.items():
            if module is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = module
    assert len(sent) == 1
    return sent[0]


def test_generated_grpc_clients_match_tf_serving(tmp_path: Path) -> None:
    """Every request TF Serving (or the signature it feeds) rejects is an error of
    sm-lint's, and no accepted request gets one."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("grpc")
    root = tmp_path / "models"
    served: dict[tuple[str, int], Served] = {}
    for name, (where, version, _) in MODELS.items():
        shutil.copytree(ROOT / where, root / name / str(version))
        served[name, version] = _served(root / name / str(version))
    for name, (where, _) in TYPED.items():
        shutil.copytree(ROOT / where, root / name / "1")
        served[name, 1] = _served(root / name / "1")
    served["dense", 1] = _served(ROOT / "serving" / "dense" / "1")
    shutil.copytree(ROOT / "serving" / "dense" / "1", root / "dense" / "1")
    cases = programs()
    paths = []
    for index, (_, program) in enumerate(cases):
        path = tmp_path / f"client_{index}.py"
        path.write_text(program)
        paths.append(path)
    findings = Linter(Config(models=[root])).lint_paths(paths)
    errors: dict[str, list[Any]] = {}
    warned = {Path(f.path).name for f in findings if f.code == "SM009"}
    for finding in findings:
        if finding.severity.value == "error":
            errors.setdefault(Path(finding.path).name, []).append(finding)
    counts = dict.fromkeys(("rejected", "found", "accepted", "false_errors", "batch_mismatch"), 0)
    counts["programs"] = len(cases)
    for (name, program), path in zip(cases, paths, strict=True):
        request = _sent_request(program)
        version = request.model_spec.version.value if request.model_spec.HasField("version") else 0
        model = served[name, version or max(v for n, v in served if n == name)]
        batch = False
        try:
            validate(request, model)
            rejected = None
        except Rejected as why:
            rejected = str(why)
        except BatchMismatch:
            rejected, batch = None, True
        found = errors.get(path.name, [])
        if batch:
            counts["batch_mismatch"] += 1
            assert not found and path.name in warned, program
            continue
        if rejected is not None:
            counts["rejected"] += 1
            counts["found"] += bool(found)
            assert found, f"{rejected}\n{program}"
        else:
            counts["accepted"] += 1
            counts["false_errors"] += bool(found)
            assert not found, f"{program}\n{[f.message for f in found]}"
    print(counts)
    assert counts["found"] == counts["rejected"] > 0 and counts["false_errors"] == 0
    assert counts["accepted"] > 0


# ------------------------------------------------------------------------------ Vertex AI
def _instances(widths: dict[str, int]) -> list[object]:
    """``instances`` lists, right and wrong, for a signature of float inputs: the row
    format's cases of TF Serving's REST decoder (json_tensor.cc)."""
    names = list(widths)
    first, width = names[0], widths[names[0]]
    row = {n: [0.5] * w for n, w in widths.items()}
    out: list[object] = [
        [row, row],
        [{**row, first: [1] * width}],
        [{**row, first: [True] * width}],
        [{**row, first: ["s"] * width}],
        [{**row, first: [0.5] * (width + 1)}],
        [{**row, first: 0.5}],
        [{**row, "zz": [0.5]}],
        [{k: v for k, v in row.items() if k != names[-1]}],
        [],
        [row[first]],
        [row, {**row, first: [[0.5] * width]}],
    ]
    out += [
        [{**row, first: [[0.5] * width]}],
        [{**row, first: ["a"] * width}],
        [{**row, first: [1] * width}, {**row, first: [2] * width}],
        [{**row, first: [0.5] * (width - 1)}],
        [{n: v for n, v in row.items() if n != first}],
    ]
    if len(names) == 1:
        out += [[[0.5] * width] * 3, [[0.5] * (width + 2)], [0.5] * width, [[[0.5] * width]]]
    return out


def _vertex_program(endpoint: str, instances: object, upload: bool) -> str:
    lines = ["from google.cloud import aiplatform", ""]
    if upload:  # the endpoint the program makes itself
        lines += [
            "model = aiplatform.Model.upload(",
            '    display_name="m",',
            f'    artifact_uri="gs://bucket/{endpoint}",',
            '    serving_container_image_uri="us-docker.pkg.dev/vertex-ai/prediction/'
            'tf2-cpu.2-12:latest",',
            ")",
            'endpoint = model.deploy(machine_type="n1-standard-4")',
        ]
    else:
        lines.append(
            f'endpoint = aiplatform.Endpoint("projects/p/locations/l/endpoints/{endpoint}")'
        )
    lines.append(f"endpoint.predict(instances={instances!r}, parameters={{}})")
    return "\n".join(lines) + "\n"


def _vertex_verdict(instances: object, served: Served) -> str | None:
    """Why TF Serving (behind the endpoint) or the signature rejects the body, or None."""
    import numpy as np
    import tensorflow as tf

    from tests.test_serving_oracle import Rejected as JsonRejected
    from tests.test_serving_oracle import decode

    function = served.loaded.signatures["serving_default"]
    specs = function.structured_input_signature[1]
    try:
        decoded = decode(
            json.dumps({"instances": instances}), {n: s.dtype.name for n, s in specs.items()}
        )
    except JsonRejected as why:
        return f"decoder: {why}"
    if set(decoded) != set(specs):
        return "inputs"
    tensors = {}
    for name, tensor in decoded.items():
        array = np.array(tensor.values, dtype=specs[name].dtype.as_numpy_dtype).reshape(
            tensor.shape
        )
        if not specs[name].shape.is_compatible_with(array.shape):
            return f"{name}: shape {array.shape}"
        tensors[name] = tf.constant(array)
    try:
        function(**tensors)
    except Exception as error:  # whatever TensorFlow raises is a rejection
        return type(error).__name__
    return None


def test_generated_vertex_clients_match_tf_serving(tmp_path: Path) -> None:
    """Vertex AI predictions on a TensorFlow container: every body TF Serving's decoder or
    the signature rejects is an error of sm-lint's, and no accepted one gets one; the
    endpoint is found through model-paths (its name) or the deployed model's artifact URI."""
    pytest.importorskip("tensorflow")
    root = tmp_path / "models"
    served = {}
    for name, (where, _, widths) in MODELS.items():
        shutil.copytree(ROOT / where, root / name)
        served[name] = (_served(root / name), widths)
    mapping = {"projects/p/locations/l/endpoints": root, "gs://bucket": root}
    cases = []
    for name, (_, widths) in served.items():
        for index, instances in enumerate(_instances(widths)):
            # Each body through one way to the endpoint (both, with a larger budget).
            for upload in (index % 2 == 1,) if BUDGET == 1 else (False, True):
                cases.append((name, instances, _vertex_program(name, instances, upload)))
    paths = []
    for index, (_, _, program) in enumerate(cases):
        path = tmp_path / f"vertex_{index}.py"
        path.write_text(program)
        paths.append(path)
    findings = Linter(Config(model_paths=mapping)).lint_paths(paths)
    errors = {Path(f.path).name for f in findings if f.severity.value == "error"}
    counts = dict.fromkeys(("rejected", "found", "accepted", "false_errors"), 0)
    for (name, instances, program), path in zip(cases, paths, strict=True):
        why = _vertex_verdict(instances, served[name][0])
        if why is not None:
            counts["rejected"] += 1
            counts["found"] += path.name in errors
            assert path.name in errors, f"{why}\n{program}"
        else:
            counts["accepted"] += 1
            counts["false_errors"] += path.name in errors
            assert path.name not in errors, f"{program}\n{[f.message for f in findings]}"
    print(counts)
    assert counts["found"] == counts["rejected"] > 0 and counts["false_errors"] == 0
    assert counts["accepted"] > 0
