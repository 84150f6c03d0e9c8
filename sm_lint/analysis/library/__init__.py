"""What sm-lint knows of libraries, as hooks the engine calls (analysis/engine/hooks.py).

One module per library, each with a ``register(registry)``: names (aliases and constants),
saved_model (TensorFlow's and Keras' loaders, signatures, calls), hub (TF Hub, Kaggle), saves
(signatures derived from the program's own saves), numpy, tf_data, tf_image (tf.io and
tf.image), pil (Pillow images), keras_images (keras.utils.load_img...), python (builtins),
paths, serving (TF Serving REST clients), grpc (TF Serving gRPC clients) and vertex
(Vertex AI endpoints). A new library's value effects are one new module here, added to
``_MODULES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sm_lint.analysis.engine.hooks import Hooks, Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.facts import FileFacts, SignatureCall
from sm_lint.analysis.library import (
    choices,
    environ,
    grpc,
    hub,
    keras_images,
    models,
    names,
    numpy,
    paths,
    pil,
    python,
    restored,
    saved_model,
    saves,
    serving,
    tf_data,
    tf_image,
    vertex,
)

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

_MODULES = (
    choices,
    names,
    saved_model,
    hub,
    restored,
    saves,
    numpy,
    tf_data,
    tf_image,
    pil,  # after numpy: it wraps np.array for images
    keras_images,
    environ,
    python,
    paths,
    serving,
    grpc,
    vertex,
)
_HOOKS: list[Hooks] = []


def hooks() -> Hooks:
    """Every library's hooks (built once per process)."""
    if not _HOOKS:
        registry = Registry()
        for module in _MODULES:
            module.register(registry)
        registry.finish = facts
        _HOOKS.append(registry.freeze())
    return _HOOKS[0]


def facts(engine: Engine, env: Env) -> FileFacts:
    """The file's facts from a finished run (*env*: the module's names at its end)."""
    state = engine.state
    calls = tuple(
        SignatureCall(
            **{**call.__dict__, "outputs": tuple(dict.fromkeys(state.outputs.get(call.id, ())))}
        )
        for call in state.calls.values()
    )
    return FileFacts(
        loads=tuple(state.loads),
        lookups=tuple(dict.fromkeys(state.lookups)),
        calls=calls,
        tf_alias=models.alias_of(env, "tensorflow"),
        np_alias=models.alias_of(env, "numpy"),
        saves=tuple(state.saves),
        context_calls=state.new_context_calls(),
    )
