"""The loader table: every way a program reaches a SavedModel, one row each.

A load site is recognised, resolved and guarded through the row of its loader: the
functions that load (by qualified name, as the analysis normalises it), which argument holds
the path or handle and which the tags, what kind of name the path is (a folder, a TF Hub
handle, a Kaggle handle), how calls on the loaded object bind, and the words the pre-check
looks for in a file's code. Everything else reads this table; a new way to reach a model is
one new row here (plus a library hook that recognises it).

This module is a leaf: it imports nothing of sm-lint, so the pre-check (below the
analysis) and the runtime guard can read it without importing the analysis.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "CACHE_SETTINGS",
    "LOADERS",
    "Binding",
    "HandleKind",
    "Loader",
    "LoaderSpec",
    "Param",
    "handle_loaders",
    "marked_words",
    "precheck_words",
    "restored_loaders",
    "spec_for",
]


class Loader(str, enum.Enum):
    """Which loader made a load (``ModelLoad.loader``). The values are the strings the
    facts cache stores: a str enum, so cached facts and plain-string comparisons stay valid."""

    SAVED_MODEL = "saved_model.load"
    #: The ``keras`` package's ``load_model``: Keras 3 when the installed keras is 3 or later
    #: (it refuses SavedModel folders: SM017).
    KERAS = "keras.load_model"
    #: ``tf_keras``' ``load_model`` and ``tf.keras``' (Keras 3, or tf_keras where
    #: ``TF_USE_LEGACY_KERAS`` is set when the program runs): it may read SavedModel folders.
    TF_KERAS = "tf_keras.load_model"
    TFSM_LAYER = "TFSMLayer"
    #: A TF Hub handle or path, resolved as tensorflow_hub does.
    HUB = "hub.load"
    #: ``hub.Module(handle)``: the TF1 API, gone from tensorflow_hub 0.16 (SM017).
    HUB_MODULE = "hub.Module"
    #: A Kaggle model handle (``kagglehub.model_download``).
    KAGGLEHUB = "kagglehub"
    #: A TF Serving REST request (``requests.post(".../v1/models/NAME:predict", json=...)``).
    SERVING_REST = "serving.rest"
    #: A TF Serving gRPC request (``stub.Predict(request)`` with a ``PredictRequest``).
    SERVING_GRPC = "serving.grpc"
    #: A Vertex AI endpoint by name (``aiplatform.Endpoint(name).predict(instances=...)``).
    VERTEX_ENDPOINT = "vertex.endpoint"
    #: A model the program uploads to Vertex AI (``aiplatform.Model.upload(artifact_uri=...)``)
    #: and deploys (``.deploy()``): the folder at its artifact URI.
    VERTEX_MODEL = "vertex.model"
    #: A SavedModel folder uploaded to a prebuilt TensorFlow container
    #: (``aiplatform.Model.upload_tensorflow_saved_model(saved_model_dir)``).
    VERTEX_SAVED_MODEL = "vertex.saved_model"

    def __str__(self) -> str:
        # The value, on every Python version (3.11 changed format() of mixed-in enums).
        return str(self.value)


class HandleKind(enum.Enum):
    """What the path argument names, which decides how it is resolved."""

    #: A file-system path (or a remote URL TensorFlow reads itself).
    PATH = "path"
    #: A TF Hub handle: a URL tensorflow_hub downloads into its cache, else a path.
    TFHUB = "tfhub"
    #: A Kaggle model handle ``owner/model/framework/variation[/version]`` in kagglehub's cache.
    KAGGLE = "kaggle"
    #: A TF Serving URL ``.../v1/models/NAME[/versions/N | /labels/L]:VERB``: the served
    #: model's folder is found as TF Serving finds it (mapping, models.config, models root).
    SERVING = "serving"
    #: A prediction endpoint by name (Vertex AI): only [tool.sm-lint.model-paths] says
    #: which model it serves.
    ENDPOINT = "endpoint"


class Binding(enum.Enum):
    """How calls on what the loader returns reach the model."""

    #: The restored object: calls go through ``.signatures[key]``.
    SIGNATURES = "signatures"
    #: As SIGNATURES, and calling the restored object itself calls the model's ``__call__``.
    RESTORED_CALL = "restored-call"
    #: A Keras layer calling one endpoint; Keras converts the input before the call.
    LAYER = "layer"
    #: A request to a model server: its body is decoded against the signature.
    REST = "rest"
    #: A gRPC request to a model server: its inputs are TensorProtos by alias, fed as they are.
    GRPC = "grpc"


@dataclass(frozen=True)
class Param:
    """A parameter of a loading function: its position (None: keyword-only) and keyword."""

    position: int | None
    keyword: str


@dataclass(frozen=True)
class LoaderSpec:
    """One row of the loader table."""

    loader: Loader
    #: The functions (or layer classes) that load a model, by normalised qualified name.
    functions: tuple[str, ...]
    #: The path (or handle) argument.
    path: Param
    #: What the path names.
    handle: HandleKind
    #: How calls on the loaded object bind.
    binding: Binding
    #: Words of which at least one is in the code of every file that loads this way: the
    #: pre-check's (each holds one of its anchors: "hub", "_model" or "TFSMLayer").
    words: tuple[str, ...]
    #: Other public names of the same functions (compat aliases): the analysis normalises
    #: them to ``functions``; the runtime guard replaces them too.
    aliases: tuple[str, ...] = ()
    #: Keras layers that load the model and call it (``hub.KerasLayer``).
    layers: tuple[str, ...] = ()
    #: Functions that return a handle's local folder: a load of what they return is this
    #: loader's load (``tf.saved_model.load(hub.resolve(h))``).
    handle_functions: tuple[str, ...] = ()
    #: The tag-set argument, where the loader takes one.
    tags: Param | None = None
    #: The endpoint argument of a layer, and the endpoint it calls without one.
    endpoint: Param | None = None
    default_endpoint: str | None = None
    #: Environment variables that decide where the library caches a handle; a program that
    #: sets them in ``os.environ`` before the load is followed.
    settings: tuple[str, ...] = ()
    #: Path suffixes of other formats the loader reads (not SavedModels: never checked).
    other_formats: tuple[str, ...] = ()
    #: Text of which one stands in every file that reaches a model this way, besides a word
    #: (a TF Serving URL's path): without one, the row's words do not send a file to the
    #: analysis. Empty: the words alone do.
    markers: tuple[str, ...] = ()

    def names(self) -> Iterator[str]:
        """Every qualified name in this row."""
        yield from self.functions
        yield from self.aliases
        yield from self.layers
        yield from self.handle_functions


_ROWS = (
    LoaderSpec(
        Loader.SAVED_MODEL,
        functions=("tensorflow.saved_model.load",),
        aliases=(
            "tensorflow.compat.v2.saved_model.load",
            # tensorflow_hub's hub.load calls this spelling.
            "tensorflow.compat.v1.saved_model.load_v2",
        ),
        path=Param(0, "export_dir"),
        tags=Param(1, "tags"),
        handle=HandleKind.PATH,
        binding=Binding.RESTORED_CALL,
        words=("saved_model",),
    ),
    LoaderSpec(
        Loader.KERAS,
        # Keras 3 refuses SavedModel folders (ValueError, SM017); Keras 2 read them.
        functions=("keras.models.load_model", "keras.saving.load_model"),
        path=Param(0, "filepath"),
        handle=HandleKind.PATH,
        binding=Binding.SIGNATURES,
        words=("load_model",),
        # tf_keras' saving_utils.is_hdf5_filepath and Keras 3's saving_api: these
        # suffixes are its own file formats (a SavedModel is a folder).
        other_formats=(".keras", ".h5", ".hdf5"),
    ),
    LoaderSpec(
        Loader.TF_KERAS,
        # tf_keras' load_model reads SavedModel folders; tf.keras is tf_keras or Keras 3 as
        # TF_USE_LEGACY_KERAS is set where the program runs (names.py keeps these apart).
        functions=(
            "tf_keras.models.load_model",
            "tf_keras.saving.load_model",
            "tensorflow.keras.models.load_model",
            "tensorflow.keras.saving.load_model",
            "tensorflow.python.keras.models.load_model",
            "tensorflow.python.keras.saving.load_model",
        ),
        path=Param(0, "filepath"),
        handle=HandleKind.PATH,
        binding=Binding.SIGNATURES,
        words=("load_model",),
        other_formats=(".keras", ".h5", ".hdf5"),
    ),
    LoaderSpec(
        Loader.TFSM_LAYER,
        functions=("keras.layers.TFSMLayer", "keras.export.TFSMLayer"),
        path=Param(0, "filepath"),
        endpoint=Param(1, "call_endpoint"),
        default_endpoint="serve",
        handle=HandleKind.PATH,
        binding=Binding.LAYER,
        words=("TFSMLayer",),
    ),
    LoaderSpec(
        Loader.HUB,
        functions=("tensorflow_hub.load",),
        layers=("tensorflow_hub.KerasLayer", "tensorflow_hub.keras_layer.KerasLayer"),
        handle_functions=("tensorflow_hub.resolve", "tensorflow_hub.module_v2.resolve"),
        path=Param(0, "handle"),
        handle=HandleKind.TFHUB,
        binding=Binding.RESTORED_CALL,
        # `import tensorflow_hub as hub` is how nearly every program spells it.
        words=("tensorflow_hub", "hub"),
        settings=("TFHUB_CACHE_DIR", "TFHUB_MODEL_LOAD_FORMAT"),
    ),
    LoaderSpec(
        Loader.HUB_MODULE,
        # tensorflow_hub 0.16 removed it (AttributeError): recorded only to say so.
        functions=("tensorflow_hub.Module",),
        path=Param(0, "spec"),
        handle=HandleKind.TFHUB,
        binding=Binding.SIGNATURES,
        words=("tensorflow_hub", "hub"),
        settings=("TFHUB_CACHE_DIR", "TFHUB_MODEL_LOAD_FORMAT"),
    ),
    LoaderSpec(
        Loader.KAGGLEHUB,
        functions=(),
        handle_functions=("kagglehub.model_download",),
        path=Param(0, "handle"),
        handle=HandleKind.KAGGLE,
        binding=Binding.RESTORED_CALL,
        words=("kagglehub",),
        settings=("KAGGLEHUB_CACHE",),
    ),
    LoaderSpec(
        Loader.SERVING_REST,
        functions=(
            "requests.post",
            "httpx.post",
            "urllib.request.Request",
            "urllib.request.urlopen",
        ),
        aliases=("requests.api.post",),
        path=Param(0, "url"),
        handle=HandleKind.SERVING,
        binding=Binding.REST,
        # Sessions (requests.Session, aiohttp.ClientSession) post too; a notebook's
        # ``!curl`` line is a shell command with the URL and the body.
        words=("requests", "httpx", "urllib", "aiohttp", "curl"),
        # "requests" is in too many files: only beside a TF Serving URL path.
        markers=("v1/models",),
    ),
    LoaderSpec(
        Loader.SERVING_GRPC,
        # The request names the served model (``model_spec.name``); ``stub.Predict(request)``
        # sends it (library/grpc.py).
        functions=("tensorflow_serving.apis.predict_pb2.PredictRequest",),
        path=Param(None, "model_spec"),
        handle=HandleKind.SERVING,
        binding=Binding.GRPC,
        # Every gRPC client builds its request from this module.
        words=("predict_pb2",),
    ),
    LoaderSpec(
        Loader.VERTEX_ENDPOINT,
        # An endpoint resolves only through [tool.sm-lint.model-paths] (its name as the key):
        # which model an endpoint serves is not in the program.
        functions=("google.cloud.aiplatform.Endpoint", "google.cloud.aiplatform.models.Endpoint"),
        path=Param(0, "endpoint_name"),
        handle=HandleKind.ENDPOINT,
        binding=Binding.REST,
        words=("aiplatform",),
    ),
    LoaderSpec(
        Loader.VERTEX_MODEL,
        functions=(
            "google.cloud.aiplatform.Model.upload",
            "google.cloud.aiplatform.models.Model.upload",
        ),
        path=Param(None, "artifact_uri"),
        handle=HandleKind.PATH,
        binding=Binding.REST,
        words=("aiplatform",),
    ),
    LoaderSpec(
        Loader.VERTEX_SAVED_MODEL,
        functions=(
            "google.cloud.aiplatform.Model.upload_tensorflow_saved_model",
            "google.cloud.aiplatform.models.Model.upload_tensorflow_saved_model",
        ),
        path=Param(0, "saved_model_dir"),
        handle=HandleKind.PATH,
        binding=Binding.REST,
        words=("aiplatform",),
    ),
)

#: Every loader's row, in the enum's order.
LOADERS: Mapping[Loader, LoaderSpec] = MappingProxyType({row.loader: row for row in _ROWS})
assert tuple(LOADERS) == tuple(Loader), "one row per loader"

#: Environment variables that decide where any handle is cached.
CACHE_SETTINGS = frozenset(name for row in _ROWS for name in row.settings)


def spec_for(loader: str) -> LoaderSpec:
    """The row of *loader* (a :class:`Loader` or its string, as facts hold it)."""
    return LOADERS[Loader(loader)]


def restored_loaders() -> tuple[Loader, ...]:
    """The loaders that return the restored object itself, whose functions can be called
    (``loaded(x)``, ``loaded.f(x)``)."""
    return tuple(row.loader for row in _ROWS if row.binding is Binding.RESTORED_CALL)


def handle_loaders() -> tuple[Loader, ...]:
    """The loaders whose path is a handle resolved through a library's cache."""
    return tuple(row.loader for row in _ROWS if row.handle in (HandleKind.TFHUB, HandleKind.KAGGLE))


def precheck_words() -> frozenset[str]:
    """The words the pre-check looks for alone: those of the rows without markers."""
    return frozenset(word for row in _ROWS if not row.markers for word in row.words)


def marked_words() -> tuple[tuple[tuple[str, ...], frozenset[str]], ...]:
    """(markers, words) of the rows whose words count only beside one of their markers."""
    return tuple((row.markers, frozenset(row.words)) for row in _ROWS if row.markers)
