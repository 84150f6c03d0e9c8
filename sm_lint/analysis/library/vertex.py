"""Vertex AI prediction with TensorFlow's prebuilt serving containers (which run TF Serving):
``aiplatform.Endpoint(name).predict(instances=..., parameters=...)``, and the endpoint a
program makes itself with ``aiplatform.Model.upload(artifact_uri=...)`` and ``.deploy()``.

The SDK sends ``{"instances": [...], "parameters": {...}}``; the container hands it to TF
Serving's REST predict (``json_tensor.cc`` FillPredictRequestFromJson takes ``instances``
and ignores other keys), for the default signature. So a predict is a TF Serving REST
request (:class:`~sm_lint.analysis.facts.RestRequest`) whose body the rules decode as
they decode TF Serving's (rules/serving.py). The model is the folder at the artifact URI —
the program's own save there, or a folder [tool.sm-lint.model-paths] maps it (or the
endpoint's name) to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import argument_node
from sm_lint.analysis.facts import JsonValue, RestRequest
from sm_lint.analysis.library import models, serving
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.loaders import LOADERS, Loader
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Const, ModelRef

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

#: Vertex AI's prebuilt TensorFlow prediction images (us-docker.pkg.dev/vertex-ai/prediction/
#: tf2-cpu.2-12, tf-gpu.1-15, ...) serve with TF Serving; any other container is not known.
_TF_IMAGE = "/prediction/tf"
#: The scheme of a Vertex request's ``RestRequest.url``.
SCHEME = "vertex:"


@dataclass(frozen=True)
class Endpoint(AbstractValue):
    """A Vertex AI endpoint (or an uploaded model, ``deployable``) serving a load's model."""

    load_id: int
    deployable: bool = False


def register(registry: Registry) -> None:
    hooks = {
        Loader.VERTEX_ENDPOINT: _endpoint,
        Loader.VERTEX_MODEL: _upload,
        Loader.VERTEX_SAVED_MODEL: _upload_saved_model,
    }
    for loader, hook in hooks.items():
        for name in LOADERS[loader].functions:
            registry.functions[name] = hook
    registry.methods[Endpoint] = _method
    registry.never_none.append(Endpoint)


def _endpoint(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    """``aiplatform.Endpoint(endpoint_name)``."""
    ref = models.model_load(engine, node, Loader.VERTEX_ENDPOINT, args, env)
    return Endpoint(ref.load_id) if isinstance(ref, ModelRef) else UNKNOWN


def _upload(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    """``aiplatform.Model.upload(artifact_uri=..., serving_container_image_uri=<a prebuilt
    TensorFlow image>)``; another or an unknown container: not followed."""
    image = args.get(None, "serving_container_image_uri")
    if not (isinstance(image, Const) and isinstance(image.value, str) and _TF_IMAGE in image.value):
        return UNKNOWN  # another framework's artifacts: no SavedModel to look for
    ref = models.model_load(engine, node, Loader.VERTEX_MODEL, args, env)
    return Endpoint(ref.load_id, deployable=True) if isinstance(ref, ModelRef) else UNKNOWN


def _upload_saved_model(
    engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    """``aiplatform.Model.upload_tensorflow_saved_model(saved_model_dir)``: a prebuilt
    TensorFlow container always."""
    ref = models.model_load(engine, node, Loader.VERTEX_SAVED_MODEL, args, env)
    return Endpoint(ref.load_id, deployable=True) if isinstance(ref, ModelRef) else UNKNOWN


def _method(
    engine: Engine, node: cst.Call, receiver: Endpoint, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    if receiver.deployable:
        # model.deploy(...) with no endpoint given makes a new one serving only this model.
        if name == "deploy" and not args.has(0, "endpoint"):
            return replace(receiver, deployable=False)
        return UNKNOWN
    if name == "predict":
        _predict(engine, node, receiver, args)
    return UNKNOWN


def _predict(engine: Engine, node: cst.Call, endpoint: Endpoint, args: CallArgs) -> None:
    """``endpoint.predict(instances, parameters)``: TF Serving's REST predict of the default
    signature with ``{"instances": instances}``."""
    if engine.contextual or id(node) in engine.state.seen_calls:
        return
    instances = argument_node(node, 0, "instances")
    if instances is None:
        return
    engine.state.seen_calls.add(id(node))
    span = engine.span(instances)
    rows = _numbers(serving.to_json(engine, args.get(0, "instances"), span, [2000]))
    body = JsonValue("object", engine.span(node), (rows,), ("instances",), (span,))
    load = engine.state.loads[endpoint.load_id]
    path = load.path or ""
    request = RestRequest(f"{SCHEME}{path}", path, None, None, body)
    span = engine.span(node.func)
    models.request_call(engine, node, endpoint.load_id, "serving_default", span, rest=request)


def _numbers(value: JsonValue) -> JsonValue:
    """The SDK sends instances as protobuf Values, whose numbers are doubles: whether a
    whole number reaches TF Serving as ``1`` or ``1.0`` is not known here, so every number
    is taken as an integer literal (which every numeric input accepts): no JSON-type finding
    depends on it. Nor does any range finding: a double's text is not known, so its value
    is dropped."""
    value = replace(value, ints=None)
    if value.kind == "float":
        return replace(value, kind="int")
    if value.leaf is not None and "float" in value.leaf:
        return replace(value, leaf=value.leaf.replace("float", "int"))
    if value.items:
        return replace(value, items=tuple(_numbers(item) for item in value.items))
    return value
