"""What the analyzer found in one file: model loads, signature lookups, calls, outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sm_lint.models.types import UNKNOWN_DTYPE, ModelSignatures, Signature, TensorSpec
from sm_lint.semantics import Value


@dataclass(frozen=True)
class Span:
    """A source range: 1-based line and column, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class LayerOptions:
    """The options of a ``hub.KerasLayer(handle, ...)`` that tensorflow_hub checks when the
    layer is built, where every one is known."""

    #: ``signature=``, None where not passed.
    signature: str | None
    #: ``output_key=`` passed (not None).
    output_key: bool
    #: ``signature_outputs_as_dict=`` true.
    as_dict: bool
    #: The constructor call.
    span: Span
    #: The keys of ``arguments={...}`` (extra keyword arguments of every call), where all
    #: are known; None where not passed or not known.
    arguments: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ModelLoad:
    """A model source such as ``tf.saved_model.load(path)``."""

    id: int
    span: Span
    #: The path argument's source text.
    expr: str
    #: The path folded to a string, or None where it cannot be known statically.
    path: str | None
    #: True when the path is a plain string literal (SM011 is only reported for those).
    literal: bool
    #: Which loader made it: a :class:`~sm_lint.analysis.loaders.Loader` value (its row in
    #: the loader table says how it resolves and binds). Typed str: a Loader is one, and the
    #: facts cache gives back its plain value.
    loader: str
    #: The tag-set passed with ``tags=``, if any.
    tags: tuple[str, ...] | None = None
    #: The id of the save earlier in the program that wrote this path (ModelSave), if any.
    saved_by: int | None = None
    #: For hub / kagglehub handles: the cache settings the program itself put in
    #: ``os.environ`` before the load (name, value; None where the value is not known).
    environ: tuple[tuple[str, str | None], ...] = ()
    #: The file holding the load when it is in another module of the project (reached
    #: through an import): its path resolves against that file, ``span`` is in that file.
    file: str | None = None
    #: The options of a ``hub.KerasLayer`` load, where all are known.
    layer_options: LayerOptions | None = None
    #: The environment variables whose default the path is (``os.getenv("X", default)``):
    #: what loads where they are unset.
    unset: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignatureLookup:
    """``loaded.signatures[key]`` (or ``.get(key)``, or a TFSMLayer endpoint)."""

    load_id: int
    key: str
    span: Span
    #: A lookup on a model loaded in branches: the loads of every possible model (this
    #: one's too), in order; reported only where every one of them lacks the key.
    alternatives: tuple[int, ...] = ()


@dataclass(frozen=True)
class Passed:
    """The structure of an argument of a restored function's call: a leaf value, a Python
    constant, or a list, tuple or dict literal of them (TensorFlow matches it against the
    traced structures)."""

    #: "leaf" (only ``value`` is known), "const", "list", "tuple" or "dict".
    kind: str
    value: Value = field(default_factory=Value)
    #: For "const": the Python constant (None, bool, int, float, str).
    const: object = None
    items: tuple[Passed, ...] = ()
    #: For "dict": the keys of ``items``, in order.
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Argument:
    """One argument of a signature call."""

    #: The keyword (input name), or None for a positional argument.
    name: str | None
    value: Value
    span: Span
    value_span: Span
    #: Source text of the value, for fixes.
    value_text: str
    #: Span of the keyword itself (None for positional arguments and ``**{...}`` keys).
    keyword_span: Span | None = None
    #: True for keys of a ``**{...}`` literal.
    from_dict: bool = False
    #: For a call of a restored function: the argument's structure (None otherwise).
    structure: Passed | None = None
    #: A TensorProto sent to TF Serving by gRPC (``request.inputs[alias].CopyFrom(...)``):
    #: the server feeds the tensor it decodes as it is, never cast.
    proto: bool = False


@dataclass(frozen=True)
class OutputAccess:
    """``result["key"]`` on what a signature call returned."""

    key: str
    span: Span


@dataclass(frozen=True)
class CallSite:
    """A call of a user function on the way to a signature call inside it."""

    #: ``predict``, or ``Predictor.predict`` for a method.
    function: str
    span: Span
    #: The known arguments, described for messages (``float64 numpy array (16, 7)``).
    arguments: str
    #: The file of a call in another module of the project (None: the file analysed).
    file: str | None = None


@dataclass(frozen=True)
class JsonValue:
    """A JSON value of a request body, as far as the program's source tells it.

    ``kind`` is ``object``, ``array``, ``int``, ``float`` (a JSON number with a fraction or
    exponent, as ``json.dumps`` writes a Python float), ``bool``, ``string``, ``null`` or
    ``unknown``. An object holds ``keys`` (None where not all are known) parallel to
    ``items``; an array holds its ``items``, or, summarised (a nested list of numbers,
    ``array.tolist()``), its ``shape`` and the JSON type of its leaves in ``leaf``
    (None: unknown; ``float`` where any leaf is one). ``ints`` is the smallest and largest
    integer leaf (booleans not counted), set only where every integer leaf's value is known.
    """

    kind: str
    span: Span
    items: tuple[JsonValue, ...] = ()
    keys: tuple[str, ...] | None = None
    key_spans: tuple[Span, ...] = ()
    shape: tuple[int | None, ...] | None = None
    leaf: str | None = None
    summarised: bool = False
    ints: tuple[int, int] | None = None


@dataclass(frozen=True)
class RestRequest:
    """A TF Serving REST request (``POST /v1/models/NAME[/versions/N]:VERB``)."""

    #: The URL as far as it is known (unknown parts as ``{...}``).
    url: str
    model: str
    version: int | None
    label: str | None
    #: The JSON body; None where it is not known.
    body: JsonValue | None
    #: ``predict``, ``classify`` or ``regress`` (the URL's ``:verb``).
    verb: str = "predict"


@dataclass(frozen=True)
class SignatureCall:
    """A call of a signature function, with what is known of each argument."""

    id: int
    load_id: int
    key: str
    span: Span
    #: Span of the callee expression (``infer`` in ``infer(x=...)``).
    func_span: Span
    arguments: tuple[Argument, ...]
    #: ``*args`` or ``**kwargs`` whose contents are unknown: names cannot be checked.
    opaque_arguments: bool
    outputs: tuple[OutputAccess, ...] = ()
    #: Called through a TFSMLayer: Keras converts the single input itself.
    layer: bool = False
    #: The name TensorFlow is bound to where the call is (None: none), for fixes.
    tf_alias: str | None = None
    #: For a call inside a function analysed with one caller's arguments: the calls that
    #: led here, outermost first (empty for the context-free analysis).
    context: tuple[CallSite, ...] = ()
    #: Called through a ``hub.KerasLayer`` (``layer`` is True too): a dict input binds its
    #: items by name, and is recorded as the keyword arguments.
    hub_layer: bool = False
    #: A call of a restored function: its attribute path from the loaded object
    #: (``__call__``, ``f``, ``encoder.embed``); None for a signature.
    function: str | None = None
    #: A TF Serving REST request: the arguments are decoded from its body against the
    #: signature (rules/serving.py); ``arguments`` stays empty.
    rest: RestRequest | None = None
    #: A TF Serving gRPC ``PredictRequest``: ``arguments`` are its inputs by alias (exact
    #: names, TensorProtos); ``opaque_arguments`` where some inputs are not known.
    grpc: bool = False
    #: A call of a model loaded in branches: the ids of the calls of every possible model
    #: (this one's too), in order; its errors are reported only where each of them has one.
    alternatives: tuple[int, ...] = ()
    #: A call in another module of the project, analysed there under a call made in this
    #: file (``context[0]`` is that call, here): the other module's path.
    file: str | None = None


@dataclass(frozen=True)
class DerivedSpec:
    """One input of a signature derived from source; None where it cannot be known."""

    name: str
    dtype: str | None
    shape: tuple[int | None, ...] | None
    #: Set when the real name is unknown (see TensorSpec.name_pattern).
    name_pattern: str | None = None


@dataclass(frozen=True)
class DerivedSignature:
    """A signature as TensorFlow will write it; inputs/outputs None where not derivable."""

    key: str
    inputs: tuple[DerivedSpec, ...] | None
    outputs: tuple[str, ...] | None


@dataclass(frozen=True)
class ModelSave:
    """A SavedModel the program writes itself (``tf.saved_model.save``, ``model.export``)."""

    id: int
    span: Span
    #: The path argument's source text, and the path folded to a string where it can be.
    expr: str
    path: str | None
    signatures: tuple[DerivedSignature, ...]
    #: False when other signature keys may exist (part of the save could not be derived).
    complete: bool

    def model(self) -> ModelSignatures:
        """The signatures the saved folder will hold, as the reader would give them."""
        signatures = {}
        for sig in self.signatures:
            inputs = {
                spec.name: TensorSpec(
                    spec.name,
                    spec.dtype or UNKNOWN_DTYPE,
                    spec.shape,
                    name_pattern=spec.name_pattern,
                )
                for spec in sig.inputs or ()
            }
            outputs = {name: TensorSpec(name, UNKNOWN_DTYPE, None) for name in sig.outputs or ()}
            signatures[sig.key] = Signature(
                sig.key,
                "tensorflow/serving/predict",
                inputs,
                outputs,
                inputs_known=sig.inputs is not None,
                outputs_known=sig.outputs is not None,
            )
        return ModelSignatures(
            Path(self.path or f"<model saved at line {self.span.line}>"),
            ("serve",),
            signatures,
            source_file="source",
            complete=self.complete,
            saved_at=self.span.line,
        )


@dataclass(frozen=True)
class FileFacts:
    loads: tuple[ModelLoad, ...]
    lookups: tuple[SignatureLookup, ...]
    calls: tuple[SignatureCall, ...]
    #: The local name bound to tensorflow and to numpy at module level, for fixes.
    tf_alias: str | None = None
    np_alias: str | None = None
    #: Models the program saves itself, in program order.
    saves: tuple[ModelSave, ...] = ()
    #: Signature calls inside functions whose arguments are known only under one caller's
    #: arguments (each with its ``context``); ``calls`` holds the context-free analysis.
    context_calls: tuple[SignatureCall, ...] = ()
    #: The project modules the analysis read through imports (path, sha256 of its bytes):
    #: the facts hold only while each is unchanged.
    imports: tuple[tuple[str, str], ...] = ()
