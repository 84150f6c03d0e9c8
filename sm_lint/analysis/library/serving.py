"""TF Serving REST clients: ``requests.post`` / ``httpx.post`` (and sessions, aiohttp,
urllib.request, a notebook's ``!curl``) to ``.../v1/models/NAME[/versions/N | /labels/L]:VERB``
(``predict``, ``classify``, ``regress``) with a JSON body (``json=payload``,
``data=json.dumps(payload)``, ``data='{...}'``).

The URL names the served model (a load of the loader table's ``serving.rest`` row, whose
folder the resolution chain finds as TF Serving does); the body is recorded as a JSON value
tree (:class:`~sm_lint.analysis.facts.JsonValue`), which the rules decode against the
signature with TF Serving's own rules (rules/serving.py). A URL whose host is not known
(``f"http://{host}:8501/v1/models/m:predict"``) still names its model: the text around the
unknown parts is kept (:class:`PartialText`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from sm_lint.analysis.engine.hooks import Piece, Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import argument_node
from sm_lint.analysis.facts import (
    JsonValue,
    ModelLoad,
    RestRequest,
    SignatureCall,
    SignatureLookup,
    Span,
)
from sm_lint.analysis.literals import CallArgs, literal
from sm_lint.analysis.loaders import LOADERS, Loader
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Array, Const, DictLit, Seq
from sm_lint.semantics import Kind

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine

_ROW = LOADERS[Loader.SERVING_REST]
#: What stands for a part of a URL not known statically.
HOLE = "{...}"
#: The REST API's predict URL (tensorflow_serving/model_servers/http_rest_api_handler.cc).
URL = re.compile(
    r"/v1/models/(?P<model>[^/:{}]+)"
    r"(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:{}]+))?"
    r":(?P<verb>predict|classify|regress)/?$"
)
#: At most this many JSON nodes are recorded per body (the rest is unknown).
_MAX_NODES = 2000
_LEAF = {"int": "int", "float": "float", "bool": "bool", "str": "string", "boolint": "bool+int"}


@dataclass(frozen=True)
class PartialText(AbstractValue):
    """A string some parts of which are not known (they read ``{...}``)."""

    text: str


@dataclass(frozen=True)
class JsonText(AbstractValue):
    """What ``json.dumps(value)`` returns: the JSON text of *value*."""

    value: AbstractValue


@dataclass(frozen=True)
class HttpClient(AbstractValue):
    """A session whose ``post`` sends a request as the module's own ``post`` does
    (``requests.Session()``, ``httpx.Client()``, ``aiohttp.ClientSession()``)."""


#: Constructors of HTTP sessions (their ``post`` method is a REST client too).
SESSIONS = (
    "requests.Session",
    "requests.session",
    "requests.sessions.Session",
    "httpx.Client",
    "httpx.AsyncClient",
    "aiohttp.ClientSession",
)


def register(registry: Registry) -> None:
    for name in (*_ROW.functions, *_ROW.aliases):
        registry.functions[name] = _post
    for name in SESSIONS:
        registry.functions[name] = _session
    registry.methods[HttpClient] = _session_method
    registry.methods[JsonText] = _json_text_method
    registry.intercepts.append(_shell)
    registry.fact_names.add("get_ipython")  # a notebook's ``!curl``, in any function
    registry.functions["json.dumps"] = _dumps
    registry.pure_names.add("json.dumps")
    registry.entered[HttpClient] = lambda client: client  # with requests.Session() as s
    previous = registry.fstring

    def fstring(pieces: list[Piece]) -> AbstractValue:
        value = previous(pieces) if previous is not None else UNKNOWN
        if value != UNKNOWN:
            return value
        text = "".join(
            piece if isinstance(piece, str) else (url_text(piece[0]) or HOLE) for piece in pieces
        )
        return PartialText(text) if "/v1/models/" in text else UNKNOWN

    registry.fstring = fstring
    registry.binary.append(_concat)


def url_text(value: AbstractValue) -> str | None:
    if isinstance(value, Const) and isinstance(value.value, (str, int)):
        return str(value.value)
    if isinstance(value, PartialText):
        return value.text
    return None


def _concat(symbol: str, left: AbstractValue, right: AbstractValue) -> AbstractValue | None:
    """``base + "/v1/models/m:predict"`` with *base* not known statically."""
    if symbol != "+":
        return None
    parts = [
        url_text(side)
        if isinstance(side, PartialText)
        or (isinstance(side, Const) and isinstance(side.value, str))
        else None
        for side in (left, right)
    ]
    if all(part is None for part in parts):
        return None
    text = "".join(part if part is not None else HOLE for part in parts)
    return PartialText(text) if "/v1/models/" in text else None


def _dumps(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    return JsonText(args.get(0, "obj"))


def _json_text_method(
    engine: Engine, node: cst.Call, receiver: JsonText, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    """``json.dumps(payload).encode()``: the same JSON, as bytes (urllib's ``data=``)."""
    return receiver if name == "encode" else UNKNOWN


def _session(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    return HttpClient()


def _session_method(
    engine: Engine, node: cst.Call, receiver: HttpClient, name: str, args: CallArgs, env: Env
) -> AbstractValue:
    return _post(engine, node, name, args, env) if name == "post" else UNKNOWN


def _post(engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env) -> AbstractValue:
    """``requests.post(url, json=...)``: a predict request to a served model, recorded as a
    load of the model (the URL) and a call of its signature (the body)."""
    at, keyword = _ROW.path.position, _ROW.path.keyword
    url_node = argument_node(node, at, keyword)
    url = url_text(args.get(at, keyword))
    if url_node is None or url is None or URL.search(url) is None:
        return UNKNOWN
    body, _ = _body(engine, node, args)
    return _request(engine, node, url_node, url, body)


def _shell(
    engine: Engine,
    node: cst.Call,
    func: AbstractValue,
    receiver: AbstractValue | None,
    args: CallArgs,
    env: Env,
) -> AbstractValue | None:
    """A notebook's ``!curl -d '{...}' http://.../v1/models/m:predict`` line, which IPython
    hands to ``get_ipython().system(...)``: the URL and the JSON body are in the command."""
    callee = node.func
    if not (
        isinstance(callee, cst.Attribute)
        and callee.attr.value in ("system", "getoutput")
        and isinstance(callee.value, cst.Call)
        and isinstance(callee.value.func, cst.Name)
        and callee.value.func.value == "get_ipython"
        and len(node.args) == 1
        and isinstance(node.args[0].value, cst.SimpleString)
    ):
        return None
    command = node.args[0].value.evaluated_value
    request = curl_request(command) if isinstance(command, str) else None
    if request is None:
        return None
    url, data = request
    span = engine.span(node)  # the whole ``!curl`` line: the body has no node of its own
    try:
        body = from_python(json.loads(data), span, [_MAX_NODES]) if data is not None else None
    except ValueError:
        body = None
    _request(engine, node, node.args[0].value, url, body)
    return UNKNOWN


#: curl's options that give the request body.
_CURL_DATA = ("-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--json")


def curl_request(command: str) -> tuple[str, str | None] | None:
    """The TF Serving URL of a ``curl`` command and the body it posts (None: not known, as
    for ``-d @file``); None where the command is not such a request, or where the shell
    would change the text (``$var``, IPython's ``{expr}`` left aside: JSON keeps them)."""
    import shlex

    if "$" in command or "`" in command:
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    url, data, method = None, None, "POST"
    for word, following in zip(words, [*words[1:], ""], strict=True):
        if word in _CURL_DATA:
            data = None if following.startswith("@") else following
        elif word in ("-X", "--request"):
            method = following.upper()
        elif word in ("-G", "--get"):
            method = "GET"
        elif URL.search(word) is not None:
            url = word
    if url is None or method != "POST" or not any(w in _CURL_DATA for w in words):
        return None
    return url, data


def _request(
    engine: Engine,
    node: cst.Call,
    url_node: cst.CSTNode,
    url: str,
    body: JsonValue | None,
) -> AbstractValue:
    """Record a request to *url* with *body*: a load of the served model and a call."""
    match = URL.search(url)
    if match is None:
        return UNKNOWN
    signature, signature_node = _signature_name(body)
    if signature is None:
        return UNKNOWN  # a signature_name not known statically: which one is not known
    if engine.contextual or id(node) in engine.state.seen_calls:
        return UNKNOWN
    load_id = _load(engine, url_node, url)
    engine.state.seen_calls.add(id(node))
    span = signature_node if signature_node is not None else engine.span(node)
    engine.state.lookups.append(SignatureLookup(load_id, signature, span))
    request = RestRequest(
        url=url,
        model=match["model"],
        version=int(match["version"]) if match["version"] else None,
        label=match["label"],
        body=body,
        verb=match["verb"],
    )
    engine.state.calls[id(node)] = SignatureCall(
        id=id(node),
        load_id=load_id,
        key=signature,
        span=engine.span(node),
        func_span=engine.span(node.func),
        arguments=(),
        opaque_arguments=False,
        rest=request,
    )
    return UNKNOWN


def _load(engine: Engine, url_node: cst.CSTNode, url: str) -> int:
    load = ModelLoad(
        id=len(engine.state.loads),
        span=engine.span(url_node),
        expr=engine.text(url_node),
        path=url,
        literal=False,  # a served model is never "not found" at its URL
        loader=Loader.SERVING_REST,
    )
    key = replace(load, id=0)
    known = engine.state.load_ids.get(key)
    if known is not None:
        return known
    engine.state.load_ids[key] = load.id
    engine.state.loads.append(load)
    return load.id


def _body(engine: Engine, node: cst.Call, args: CallArgs) -> tuple[JsonValue | None, Span]:
    """The request body as JSON: ``json=`` (serialised by the client), else ``data=`` holding
    ``json.dumps(...)`` or a JSON text."""
    budget = [_MAX_NODES]
    for keyword in ("json", "data", "content"):
        # data is the second positional parameter of requests.post and urllib's Request.
        value_node = argument_node(node, 1 if keyword == "data" else None, keyword)
        if value_node is None:
            continue
        span = engine.span(value_node)
        value = args.get(1 if keyword == "data" else None, keyword)
        if keyword == "json":
            return to_json(engine, value, span, budget), span
        if isinstance(value, JsonText):
            return to_json(engine, value.value, span, budget), span
        if isinstance(value_node, cst.SimpleString):
            # A literal body is read whole: the engine drops long folded strings, but a
            # literal's size is the source's own.
            value = Const(value_node.evaluated_value)
        if isinstance(value, Const) and isinstance(value.value, (str, bytes)):
            try:
                parsed = json.loads(value.value)
            except ValueError:
                return None, span
            return from_python(parsed, span, budget), span
        return None, span
    return None, engine.span(node)


def _signature_name(body: JsonValue | None) -> tuple[str | None, Span | None]:
    """The signature the body asks for (missing or empty: ``serving_default``, as
    predict_util.cc); None where it is not known (or not a string: the decoder's error)."""
    if body is None or body.kind != "object" or body.keys is None:
        return (
            ("serving_default", None)
            if body is not None and body.kind != "unknown"
            else (None, None)
        )
    for key, item in zip(body.keys, body.items, strict=True):
        if key == "signature_name":
            if item.kind != "string":
                return ("serving_default", None) if item.kind != "unknown" else (None, None)
            return (item.leaf or "serving_default"), item.span
    return "serving_default", None


def to_json(engine: Engine, value: AbstractValue, span: Span, budget: list[int]) -> JsonValue:
    """*value* as ``json.dumps`` writes it, as far as it is known."""
    budget[0] -= 1
    if budget[0] < 0:
        return JsonValue("unknown", span)
    if isinstance(value, DictLit):
        if value.items is None:
            return JsonValue("object", span)
        keys, items, key_spans = [], [], []
        for key, item, entry, value_node in value.items:
            keys.append(key)
            key_node = entry.key if isinstance(entry, cst.DictElement) else entry
            key_spans.append(engine.span(key_node))
            items.append(to_json(engine, item, engine.span(value_node), budget))
        return JsonValue("object", span, tuple(items), tuple(keys), tuple(key_spans))
    if isinstance(value, Const):
        return _scalar(value.value, span)
    if isinstance(value, Array):
        v = value.value
        if v.kind is Kind.LIST:
            shape = None if v.ragged else v.shape
            return JsonValue(
                "array", span, shape=shape, leaf=_LEAF.get(v.dtype or ""), summarised=True
            )
        if v.kind is Kind.SCALAR and v.dtype in _LEAF:
            return JsonValue(_LEAF[v.dtype], span)
        if v.kind is Kind.STRING:
            return JsonValue("string", span)
        return JsonValue("unknown", span)
    if isinstance(value, Seq):
        info = literal(value)
        leaves = _leaves(value)
        if info is not None and info[1] is not None and leaves is not None:
            leaf = "+".join(sorted(leaves)) or None
            ints = _bounds(_ints(value))
            return JsonValue("array", span, shape=info[1], leaf=leaf, summarised=True, ints=ints)
        return JsonValue(
            "array", span, tuple(to_json(engine, i, span, budget) for i in value.items)
        )
    return JsonValue("unknown", span)


def _leaves(value: AbstractValue) -> set[str] | None:
    """The JSON types of a nested list literal's leaves, each as ``json.dumps`` writes it
    (not the element type the list would convert to: ``[True, 0.5]`` holds a boolean);
    None where a leaf is not a plain number, boolean or string."""
    if isinstance(value, Seq):
        out: set[str] = set()
        for item in value.items:
            inner = _leaves(item)
            if inner is None:
                return None
            out |= inner
        return out
    if isinstance(value, Const) and isinstance(value.value, (bool, int, float, str)):
        return {_scalar(value.value, Span(0, 0, 0, 0)).kind}
    return None


def _scalar(value: object, span: Span) -> JsonValue:
    if isinstance(value, bool):
        return JsonValue("bool", span)
    if isinstance(value, int):
        return JsonValue("int", span, ints=(value, value))
    if isinstance(value, float):
        return JsonValue("float", span)
    if isinstance(value, str):
        # A string's text is kept in ``leaf`` (signature_name needs it).
        return JsonValue("string", span, leaf=value)
    if value is None:
        return JsonValue("null", span)
    return JsonValue("unknown", span)


def from_python(value: Any, span: Span, budget: list[int]) -> JsonValue:
    """A parsed JSON document (``data='{"instances": ...}'``) as a JSON value tree."""
    budget[0] -= 1
    if budget[0] < 0:
        return JsonValue("unknown", span)
    if isinstance(value, dict):
        keys = tuple(str(k) for k in value)
        items = tuple(from_python(v, span, budget) for v in value.values())
        return JsonValue("object", span, items, keys, tuple(span for _ in keys))
    if isinstance(value, list):
        dense = _dense(value)
        if dense is not None:  # a tensor's nested lists: kept whole, whatever their size
            shape, leaves = dense
            leaf = "+".join(sorted(leaves)) or None
            ints = _bounds(_ints(value))
            return JsonValue("array", span, shape=shape, leaf=leaf, summarised=True, ints=ints)
        return JsonValue("array", span, tuple(from_python(v, span, budget) for v in value))
    return _scalar(value, span)


def _ints(value: object) -> list[int]:
    """The integer leaves (not booleans) of a list literal (*Seq* of *Const*) or of parsed
    JSON lists."""
    if isinstance(value, Seq):
        value = list(value.items)
    if isinstance(value, Const):
        value = value.value
    if isinstance(value, list):
        return [n for item in value for n in _ints(item)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def _bounds(numbers: list[int]) -> tuple[int, int] | None:
    return (min(numbers), max(numbers)) if numbers else None


def _dense(value: Any) -> tuple[tuple[int, ...], set[str]] | None:
    """The shape and leaf JSON types of nested lists of numbers, booleans or strings with
    every row the same size; None for anything else."""
    if not isinstance(value, list):
        if isinstance(value, (bool, int, float, str)):
            return (), {_scalar(value, Span(0, 0, 0, 0)).kind}
        return None
    parts = [_dense(item) for item in value]
    if any(part is None for part in parts):
        return None
    shapes = {part[0] for part in parts if part is not None}
    if len(shapes) > 1:
        return None
    leaves: set[str] = set()
    for part in parts:
        assert part is not None
        leaves |= part[1]
    return (len(value), *next(iter(shapes), ())), leaves
