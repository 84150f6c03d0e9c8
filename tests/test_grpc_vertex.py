"""TF Serving gRPC clients and Vertex AI endpoints: what is reported, what ``calls`` lists,
what ``--verbose`` says of a request whose model is not found, and the requests that are
not followed (changed where the analysis does not see it) staying quiet."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sm_lint.api import Linter
from sm_lint.config import Config

FIXTURES = Path(__file__).parent / "fixtures" / "models"
HEAD = """\
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
request = predict_pb2.PredictRequest()
request.model_spec.name = "dense"
"""


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A models root laid out NAME/VERSION: dense/1 takes x (?, 2), dense/2 x (?, 6)."""
    root = tmp_path / "models"
    shutil.copytree(FIXTURES / "serving" / "dense" / "1", root / "dense" / "1")
    shutil.copytree(FIXTURES / "serving" / "dense" / "2", root / "dense" / "2")
    return root


def _lint(tmp_path: Path, root: Path, body: str) -> list[tuple[str, str]]:
    path = tmp_path / "client.py"
    path.write_text(HEAD + textwrap.dedent(body))
    return [(d.code, d.message) for d in Linter(Config(models=[root])).lint_paths([path])]


def test_grpc_request_findings(tmp_path: Path, served: Path) -> None:
    found = _lint(
        tmp_path,
        served,
        """
        request.model_spec.signature_name = "serving"
        stub.Predict(request, 10.0)
        other = predict_pb2.PredictRequest()
        other.model_spec.name = "dense"
        other.inputs["xx"].CopyFrom(tf.make_tensor_proto(np.zeros((1, 6), np.float32)))
        stub.Predict(other, 10.0)
        """,
    )
    assert [code for code, _ in found] == ["SM001", "SM002"]
    assert "did you mean 'serving_default'" in found[0][1]
    assert found[1][1].startswith("TF Serving gRPC request: 'xx' is not an input")


def test_grpc_unknown_alias_fix_renames_it(tmp_path: Path, served: Path) -> None:
    path = tmp_path / "client.py"
    path.write_text(
        HEAD
        + 'request.inputs["xx"].CopyFrom(tf.make_tensor_proto(np.zeros((1, 6), np.float32)))\n'
        + "stub.Predict(request)\n"
    )
    (finding,) = Linter(Config(models=[served])).lint_paths([path])
    assert finding.fix is not None and not finding.fix.safe
    (edit,) = finding.fix.edits
    assert (edit.line, edit.column, edit.text) == (8, 16, '"x"')


def test_grpc_tensor_proto_dtype_and_shape(tmp_path: Path, served: Path) -> None:
    """make_tensor_proto keeps a numpy array's float64; a Python list of floats becomes
    float32; ``shape=`` is the proto's shape; the version the request names is served."""
    found = _lint(
        tmp_path,
        served,
        """
        request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.zeros((1, 6))))
        stub.Predict(request)
        r2 = predict_pb2.PredictRequest()
        r2.model_spec.name = "dense"
        r2.inputs["x"].CopyFrom(tf.make_tensor_proto([0.5] * 6, shape=[6]))
        stub.Predict.future(r2, 5.0)
        r3 = predict_pb2.PredictRequest()
        r3.model_spec.name = "dense"
        r3.model_spec.version.value = 1
        r3.inputs["x"].CopyFrom(tf.make_tensor_proto([[0.5, 0.5]]))
        r3.output_filter.append("y")
        stub.Predict(r3)
        """,
    )
    assert [code for code, _ in found] == ["SM005", "SM007"]
    assert "got a float64 TensorProto" in found[0][1] and "dtype=tf.float32" in found[0][1]
    assert "expects rank 2" in found[1][1]


def test_grpc_request_made_with_a_model_spec(tmp_path: Path, served: Path) -> None:
    found = _lint(
        tmp_path,
        served,
        """
        from tensorflow_serving.apis import model_pb2
        spec = model_pb2.ModelSpec(name="dense", signature_name="serving")
        r = predict_pb2.PredictRequest(model_spec=spec)
        stub.Predict(r)
        r2 = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(name="dense"))
        r2.inputs["x"].CopyFrom(tf.make_tensor_proto(np.zeros((2, 6), np.int64)))
        stub.Predict(r2)
        r3 = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(name="dense", **kw))
        stub.Predict(r3)
        """,
    )
    assert [code for code, _ in found] == ["SM001", "SM005"]


def test_grpc_missing_input_and_unknown_output(tmp_path: Path, served: Path) -> None:
    found = _lint(
        tmp_path,
        served,
        """
        request.output_filter.append("yy")
        stub.Predict(request)
        """,
    )
    assert sorted(code for code, _ in found) == ["SM003", "SM010"]


@pytest.mark.parametrize(
    "body",
    [
        # a function fills it: not seen here
        "def fill(r):\n    r.inputs['x'].CopyFrom(p)\nfill(request)\nstub.Predict(request)\n",
        # another function may fill the global request
        "def fill():\n    request.inputs['x'].CopyFrom(p)\nfill()\nstub.Predict(request)\n",
        # filled on one branch only
        "if c:\n    request.inputs['x'].CopyFrom(p)\nstub.Predict(request)\n",
        # aliases not known statically
        "for k, v in feeds.items():\n    request.inputs[k].CopyFrom(v)\nstub.Predict(request)\n",
        # written in ways not modelled
        "request.inputs['zz'].float_val.extend([1.0])\nstub.Predict(request)\n",
        "inputs = request.inputs\ninputs['zz'].CopyFrom(p)\nstub.Predict(request)\n",
        "request.MergeFrom(other)\nstub.Predict(request)\n",
        # a ModelSpec changed after it was made
        "from tensorflow_serving.apis import model_pb2\n"
        "spec = model_pb2.ModelSpec(name='dense')\nspec.name = 'other'\n"
        "r = predict_pb2.PredictRequest(model_spec=spec)\nr.inputs['zz'].CopyFrom(p)\n"
        "stub.Predict(r)\n",
        # the served model is not known statically
        "request.model_spec.name = sys.argv[1]\nstub.Predict(request)\n",
        # which version a label names is the server's configuration
        "request.model_spec.version_label = 'canary'\nstub.Predict(request)\n",
        # held by an attribute: any method may fill it
        "class C:\n    def __init__(self):\n        self.r = predict_pb2.PredictRequest()\n"
        "    def send(self):\n        self.r.model_spec.name = 'dense'\n"
        "        stub.Predict(self.r)\n",
    ],
)
def test_grpc_requests_changed_out_of_sight_are_not_checked(
    tmp_path: Path, served: Path, body: str
) -> None:
    assert _lint(tmp_path, served, body) == []


def test_grpc_and_vertex_calls_and_verbose(tmp_path: Path, served: Path) -> None:
    """``calls`` gives the transport; --verbose says how to resolve an unknown served name
    and an endpoint no mapping names."""
    path = tmp_path / "client.py"
    path.write_text(
        HEAD
        + textwrap.dedent(
            """
            request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.zeros((1, 6), np.float32)))
            stub.Predict(request)
            other = predict_pb2.PredictRequest()
            other.model_spec.name = "nowhere"
            stub.Predict(other)

            from google.cloud import aiplatform
            aiplatform.Endpoint("projects/p/locations/l/endpoints/7").predict(instances=[[1.0]])
            """
        )
    )
    run = [sys.executable, "-m", "sm_lint"]
    out = subprocess.run(
        [*run, "calls", str(path), "--models", str(served), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    records = json.loads(out.stdout)
    assert [r["transport"] for r in records] == ["grpc", "grpc", "vertex"]
    assert records[0]["model"].endswith("dense/2") and records[0]["arguments"] == [
        {"name": "x", "kind": "tensor", "dtype": "float32", "shape": [1, 6]}
    ]
    assert records[1]["model"] is None and records[2]["model"] is None
    verbose = subprocess.run(
        [*run, str(path), "--models", str(served), "--verbose", "--no-cache"],
        capture_output=True,
        text=True,
    )
    assert verbose.returncode == 0, verbose.stdout
    assert "TF Serving model 'nowhere' not found: map it in [tool.sm-lint.model-paths]" in (
        verbose.stderr
    )
    assert "which model endpoint 'projects/p/locations/l/endpoints/7' serves" in verbose.stderr
    assert "3 signature calls, 1 checked" in verbose.stderr


def test_vertex_endpoint_of_the_programs_own_save(tmp_path: Path) -> None:
    """Model.upload(artifact_uri=the folder the program saved) then deploy: checked against
    the signatures derived from the save; another container is not TF Serving."""
    path = tmp_path / "notebook.py"
    image = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-12:latest"
    path.write_text(
        textwrap.dedent(
            f"""
            import tensorflow as tf
            from google.cloud import aiplatform

            class Doubler(tf.Module):
                @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
                def __call__(self, x):
                    return {{"y": x * 2.0}}

            tf.saved_model.save(Doubler(), "gs://bucket/doubler")
            model = aiplatform.Model.upload(
                artifact_uri="gs://bucket/doubler", serving_container_image_uri="{image}"
            )
            endpoint = model.deploy(machine_type="n1-standard-4")
            endpoint.predict(instances=[[1.0, 2.0, 3.0]])
            endpoint.predict(instances=[{{"xx": [1.0, 2.0, 3.0]}}])
            custom = aiplatform.Model.upload(
                artifact_uri="gs://bucket/doubler", serving_container_image_uri="my/image"
            )
            custom.deploy().predict(instances=[{{"xx": 1}}])
            local = aiplatform.Model.upload(artifact_uri=".", serving_container_image_uri="x")
            saved = aiplatform.Model.upload_tensorflow_saved_model("gs://bucket/doubler")
            saved.deploy().predict(instances=[[1.0, 2.0]])
            """
        )
    )
    found = Linter(Config()).lint_paths([path])
    assert [(d.code, d.line) for d in found] == [("SM002", 16), ("SM008", 23)]
    assert found[0].message.startswith("Vertex AI request: 'xx' is not an input")


def test_grpc_request_across_notebook_cells(tmp_path: Path, served: Path) -> None:
    """A notebook builds the request in one cell and sends it in another: the finding is
    placed in its cell."""
    cells = [
        HEAD,
        'request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.zeros((1, 5), np.float32)))',
        "stub.Predict(request, 10.0)",
    ]
    notebook = {
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": c} for c in cells],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "client.ipynb"
    path.write_text(json.dumps(notebook))
    (finding,) = Linter(Config(models=[served])).lint_paths([path])
    assert (finding.code, finding.cell, finding.line) == ("SM008", 2, 1)


@pytest.mark.parametrize(
    ("filters", "codes"),
    [
        ('request.output_filter.append("y")\nrequest.output_filter.append("y")\n', ["SM014"]),
        ('request.output_filter.extend(["y", "y"])\n', ["SM014"]),
        ('request.output_filter.extend(["y"])\nrequest.output_filter.append("y")\n', ["SM014"]),
        ('request.output_filter.append("y")\n', []),
        ('for _ in range(1):\n    request.output_filter.append("y")\n', []),
        ('if c:\n    request.output_filter.append("y")\nrequest.output_filter.append("y")\n', []),
    ],
)
def test_grpc_output_filter_naming_an_output_twice_is_sm014(
    tmp_path: Path, served: Path, filters: str, codes: list[str]
) -> None:
    """PreProcessPrediction (predict_util.cc) refuses a duplicate output tensor alias; one
    name once, or a filter changed where it may not run, is not reported."""
    proto = 'request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.zeros((1, 6), np.float32)))\n'
    found = _lint(tmp_path, served, proto + filters + "stub.Predict(request)\n")
    assert [code for code, _ in found] == codes
    if codes:
        assert "output_filter names 'y' twice" in found[0][1]
