"""What the analyzer found in one file: model loads, signature lookups, calls, outputs."""

from __future__ import annotations

from dataclasses import dataclass

from sm_lint.semantics import Value


@dataclass(frozen=True)
class Span:
    """A source range: 1-based line and column, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


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
    #: "saved_model.load", "keras.load_model", "TFSMLayer" or "hub.load".
    loader: str
    #: The tag-set passed with ``tags=``, if any.
    tags: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SignatureLookup:
    """``loaded.signatures[key]`` (or ``.get(key)``, or a TFSMLayer endpoint)."""

    load_id: int
    key: str
    span: Span


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


@dataclass(frozen=True)
class OutputAccess:
    """``result["key"]`` on what a signature call returned."""

    key: str
    span: Span


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


@dataclass(frozen=True)
class FileFacts:
    loads: tuple[ModelLoad, ...]
    lookups: tuple[SignatureLookup, ...]
    calls: tuple[SignatureCall, ...]
    #: The local name bound to tensorflow and to numpy at module level, for fixes.
    tf_alias: str | None = None
    np_alias: str | None = None
