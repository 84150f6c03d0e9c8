"""Read the signatures of a SavedModel folder from ``saved_model.pb`` without TensorFlow."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from google.protobuf import message, text_format

from sm_lint.models.schema import DTYPE_NAMES, SavedModel
from sm_lint.models.types import (
    ConcreteFunction,
    ModelReadError,
    ModelSignatures,
    RestoredFunction,
    Shape,
    Signature,
    Structure,
    TensorSpec,
)
from sm_lint.results import file_signature

PB = "saved_model.pb"
PBTXT = "saved_model.pbtxt"
DEFAULT_TAGS: tuple[str, ...] = ("serve",)

# Keys TensorFlow adds for its own bookkeeping; they are not callable signatures.
_INTERNAL_PREFIX = "__"

#: (model file, tag-set) -> the file's stat signature when read, and what was read. The
#: signature is the result cache's (size, mtime, ctime, inode, mode, device): a model
#: rewritten with the same size and mtime (a copy that keeps times, a fast rewrite) is
#: a new inode or ctime, and is read again.
_cache: dict[tuple[str, tuple[str, ...] | None], tuple[list[int], ModelSignatures]] = {}
_cache_lock = threading.Lock()
#: Decoded models by their file's name and content, and the tags asked for.
_by_content: dict[tuple[str, bytes, tuple[str, ...] | None], ModelSignatures] = {}


def model_file(folder: Path) -> Path | None:
    """The ``saved_model.pb`` or ``saved_model.pbtxt`` directly inside *folder*, if any."""
    for name in (PB, PBTXT):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def resolve_model_dir(path: Path | str) -> Path:
    """The SavedModel folder *path* names, following a TensorFlow Serving version layout.

    A folder without a model file whose children include numeric folders (``1/``, ``7/``)
    resolves to the highest numeric version that holds a model. Raises ModelReadError when
    *path* is missing, is a file, or holds no SavedModel.
    """
    folder = Path(path)
    try:
        if not folder.exists():
            raise ModelReadError(folder, "no such file or directory")
        if not folder.is_dir():
            raise ModelReadError(folder, "is a file, not a SavedModel folder")
        if model_file(folder) is not None:
            return folder
        versions = sorted(
            (int(child.name), child)
            for child in folder.iterdir()
            if is_version(child.name) and child.is_dir() and model_file(child) is not None
        )
    except PermissionError as error:
        raise ModelReadError(folder, "permission denied") from error
    except OSError as error:
        raise ModelReadError(folder, error.strerror or str(error)) from error
    if versions:
        return versions[-1][1]
    for name in (PB, PBTXT):
        kind = _special_kind(folder / name)
        if kind is not None:  # never opened: reading a FIFO would block, a device never end
            raise ModelReadError(folder / name, f"is a {kind}, not a regular file")
    if (folder / "variables").is_dir():
        raise ModelReadError(folder, f"has variables/ but no {PB}: not a complete SavedModel")
    raise ModelReadError(folder, f"not a SavedModel folder (no {PB} or {PBTXT})")


def _special_kind(path: Path) -> str | None:
    """What *path* is when it exists but is not a regular file (its link followed)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    kinds = {
        stat.S_ISFIFO: "FIFO (named pipe)",
        stat.S_ISCHR: "character device",
        stat.S_ISBLK: "block device",
        stat.S_ISSOCK: "socket",
        stat.S_ISDIR: "folder",
    }
    return next((name for test, name in kinds.items() if test(mode)), "special file")


#: Protobuf cannot parse a message over 2 GB (2**31 - 1 bytes): TensorFlow cannot load a
#: larger saved_model.pb either, so it is refused before a byte of it is read.
MAX_MODEL_BYTES = 2**31 - 1


def is_version(name: str) -> bool:
    """A TensorFlow Serving version folder name: ASCII digits only."""
    return name.isascii() and name.isdigit()


def read_signatures(path: Path | str, tags: tuple[str, ...] | None = None) -> ModelSignatures:
    """The signatures of the SavedModel at *path* (a model folder or a version layout).

    *tags* selects the meta graph by its exact tag-set; by default the only meta graph, or
    else the one tagged ``serve``. Results are cached by path and the file's stat signature
    (size, mtime, ctime, inode, as the result cache keys files). Raises
    ModelReadError, never a protobuf error, for anything that is not a readable SavedModel.
    """
    folder = resolve_model_dir(path)
    file = model_file(folder)
    assert file is not None  # resolve_model_dir guarantees it
    try:
        stat_ = file.stat()
    except OSError as error:
        raise ModelReadError(file, error.strerror or str(error)) from error
    if stat_.st_size > MAX_MODEL_BYTES:
        raise ModelReadError(
            file,
            f"{stat_.st_size / 2**30:.1f} GiB, over protobuf's 2 GB message limit: "
            "TensorFlow cannot load it either (not read)",
        )
    key = (str(file.resolve()), tags)
    with _cache_lock:
        hit = _cache.get(key)
    signature = file_signature(stat_)
    if hit is not None and hit[0] == signature:
        # Same file, maybe reached by another spelling: answer with the caller's path.
        return hit[1] if hit[1].path == folder else replace(hit[1], path=folder)
    result = _parse(folder, file, tags)
    with _cache_lock:
        _cache[key] = (signature, result)
    return result


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except PermissionError as error:
        raise ModelReadError(file, "permission denied") from error
    except OSError as error:
        raise ModelReadError(file, error.strerror or str(error)) from error


def _decode(file: Path, data: bytes) -> Any:
    if not data.strip():
        raise ModelReadError(file, "file is empty")
    proto = SavedModel()
    try:
        if file.name == PBTXT:
            text_format.Parse(data.decode("utf-8"), proto, allow_unknown_field=True)
        else:
            proto.ParseFromString(data)
    except (message.DecodeError, text_format.ParseError) as error:
        detail = _one_line(str(error)) or "parse error"
        raise ModelReadError(file, f"corrupt or truncated SavedModel ({detail})") from error
    except UnicodeDecodeError as error:
        raise ModelReadError(file, "not a text-format SavedModel (not UTF-8)") from error
    except (RecursionError, ValueError, OverflowError, MemoryError) as error:
        raise ModelReadError(file, f"corrupt SavedModel ({type(error).__name__})") from error
    return proto


def _one_line(text: str, limit: int = 200) -> str:
    """The first line of *text*, printable characters only, at most *limit* long."""
    first = text.splitlines()[0] if text else ""
    clean = "".join(c if c.isprintable() else "?" for c in first)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _parse(folder: Path, file: Path, tags: tuple[str, ...] | None) -> ModelSignatures:
    data = _read_bytes(file)
    # Copies of one model (TensorFlow Serving versions, a model copied beside another)
    # are decoded once: a text-format SavedModel costs tens of milliseconds to decode.
    key = (file.name, hashlib.sha256(data).digest(), tags)
    with _cache_lock:
        same = _by_content.get(key)
    hub_v1 = (folder / "tfhub_module.pb").is_file()
    if same is not None:
        return replace(same, path=folder, hub_v1=hub_v1)
    result = _signatures(folder, file, tags, _decode(file, data), hub_v1)
    with _cache_lock:
        _by_content[key] = result
    return result


def _signatures(
    folder: Path, file: Path, tags: tuple[str, ...] | None, proto: Any, hub_v1: bool
) -> ModelSignatures:
    graphs = list(proto.meta_graphs)
    if not graphs:
        raise ModelReadError(file, "corrupt SavedModel: it holds no meta graph")
    graph = _select_graph(file, graphs, tags)
    signatures = {
        key: _signature(key, sig)
        for key, sig in sorted(graph.signature_def.items())
        if not key.startswith(_INTERNAL_PREFIX)
    }
    return ModelSignatures(
        path=folder,
        tags=tuple(graph.meta_info_def.tags),
        signatures=signatures,
        tf2=graph.HasField("object_graph_def"),
        source_file=file.name,
        call=_root_call(graph.object_graph_def) if graph.HasField("object_graph_def") else None,
        functions=restored_functions(graph.object_graph_def)
        if graph.HasField("object_graph_def")
        else {},
        root_callable=_root_callable(graph),
        hub_v1=hub_v1,
    )


def _root_callable(graph: Any) -> bool | None:
    """Whether the loaded object has a ``__call__`` (None: the object graph is unreadable)."""
    if not graph.HasField("object_graph_def"):
        return False
    nodes = graph.object_graph_def.nodes
    if not nodes:
        return None
    return any(child.local_name == "__call__" for child in nodes[0].children)


#: How deep below the root restored functions are looked for.
_MAX_DEPTH = 8


def restored_functions(objects: Any) -> dict[str, RestoredFunction]:
    """Every function reachable from the root object by attributes, by attribute path
    (``__call__``, ``f``, ``encoder.embed``); the root's ``signatures`` are not among them
    (``loaded.signatures[key]`` reads signature_def)."""
    nodes = objects.nodes
    found: dict[str, RestoredFunction] = {}
    if not nodes:
        return found
    seen = {0}
    queue: list[tuple[int, str, int]] = [(0, "", 0)]
    while queue:
        node_id, prefix, depth = queue.pop(0)
        for child in nodes[node_id].children:
            if not 0 <= child.node_id < len(nodes) or (
                node_id == 0 and child.local_name == "signatures"
            ):
                continue
            path = f"{prefix}{child.local_name}"
            node = nodes[child.node_id]
            kind = node.WhichOneof("kind")
            if kind == "function" and path not in found:
                found[path] = _function(path, node.function, objects.concrete_functions)
            elif kind == "bare_concrete_function" and node_id != 0 and path not in found:
                continue  # a function's traces (trace_0, ...): not attributes of an object
            elif kind == "bare_concrete_function" and path not in found:
                found[path] = _bare(path, node.bare_concrete_function, objects.concrete_functions)
            elif kind == "user_object" and child.node_id not in seen and depth < _MAX_DEPTH:
                seen.add(child.node_id)
                queue.append((child.node_id, f"{path}.", depth + 1))
    return dict(sorted(found.items()))


def _function(path: str, function: Any, concrete: Any) -> RestoredFunction:
    spec = _spec_fields(function.function_spec)
    traces = []
    known = spec is not None
    for name in function.concrete_functions:
        if name not in concrete:
            known = False
            continue
        trace = _concrete(name, concrete[name])
        if trace is None:
            known = False
        else:
            traces.append(trace)
    if spec is None:
        return RestoredFunction(path, (), concrete=tuple(traces), known=False)
    return replace(spec, path=path, concrete=tuple(traces), known=known)


def _bare(path: str, bare: Any, concrete: Any) -> RestoredFunction:
    name = bare.concrete_function_name
    trace = _concrete(name, concrete[name]) if name in concrete else None
    return RestoredFunction(
        path,
        tuple(bare.argument_keywords),
        concrete=(trace,) if trace is not None else (),
        bare=True,
        known=False,  # how a bare concrete function binds is not modelled
    )


def _concrete(name: str, proto: Any) -> ConcreteFunction | None:
    """A concrete function's ``(args, kwargs)`` input signature and its outputs."""
    value = proto.canonicalized_input_signature
    if value.WhichOneof("kind") != "tuple_value" or len(value.tuple_value.values) != 2:
        return None
    args, kwargs = (structure(v) for v in value.tuple_value.values)
    if args.kind != "tuple" or kwargs.kind != "dict":
        return None
    outputs = structure(proto.output_signature) if proto.HasField("output_signature") else None
    return ConcreteFunction(
        name, args.items, tuple(zip(kwargs.keys, kwargs.items, strict=True)), outputs
    )


def structure(value: Any) -> Structure:
    """A StructuredValue as a Structure (kinds not modelled read as ``other``)."""
    kind = value.WhichOneof("kind")
    if kind == "tensor_spec_value":
        proto = value.tensor_spec_value
        dtype = DTYPE_NAMES.get(proto.dtype, f"dtype_{proto.dtype}")
        return Structure("tensor", TensorSpec(proto.name, dtype, _shape(proto.shape)))
    if kind == "none_value":
        return Structure("value", value=None)
    if kind in ("bool_value", "int64_value", "float64_value", "string_value"):
        return Structure("value", value=getattr(value, kind))
    if kind in ("list_value", "tuple_value"):
        items = tuple(structure(v) for v in getattr(value, kind).values)
        return Structure("list" if kind == "list_value" else "tuple", items=items)
    if kind == "dict_value":
        pairs = sorted(value.dict_value.fields.items())
        return Structure(
            "dict", items=tuple(structure(v) for _, v in pairs), keys=tuple(k for k, _ in pairs)
        )
    return Structure("other")


def _spec_fields(proto: Any) -> RestoredFunction | None:
    """A FunctionSpec: the FullArgSpec's parameters and the input_signature, if any."""
    full = proto.fullargspec
    if full.WhichOneof("kind") != "named_tuple_value":
        return None
    fields = {pair.key: structure(pair.value) for pair in full.named_tuple_value.values}

    def names(key: str) -> tuple[str, ...] | None:
        item = fields.get(key, Structure("list"))
        if item.kind == "value" and item.value is None:
            return ()
        if item.kind not in ("list", "tuple") or any(
            i.kind != "value" or not isinstance(i.value, str) for i in item.items
        ):
            return None
        return tuple(str(i.value) for i in item.items)

    args, kwonly = names("args"), names("kwonlyargs")
    if args is None or kwonly is None:
        return None
    if proto.is_method and args and args[0] == "self":
        args = args[1:]
    defaults = fields.get("defaults", Structure("value"))
    kw_defaults = fields.get("kwonlydefaults", Structure("value"))
    signature = structure(proto.input_signature) if proto.HasField("input_signature") else None
    return RestoredFunction(
        "",
        args,
        defaults=defaults.items if defaults.kind in ("list", "tuple") else (),
        kwonly=kwonly,
        kwonly_defaults=tuple(zip(kw_defaults.keys, kw_defaults.items, strict=True))
        if kw_defaults.kind == "dict"
        else (),
        varargs=fields.get("varargs", Structure("value")) != Structure("value"),
        varkw=fields.get("varkw", Structure("value")) != Structure("value"),
        input_signature=signature.items
        if signature is not None and signature.kind in ("list", "tuple")
        else None,
        is_method=proto.is_method,
    )


def _root_call(objects: Any) -> Signature | None:
    """The root object's ``__call__`` (what ``hub.KerasLayer(handle)`` and ``loaded(x)``
    call) as a one-input signature: only when each of its concrete functions takes exactly
    one tensor, all of one dtype; the shape keeps what every concrete function agrees on
    (the call fails when no concrete function accepts the value)."""
    if not objects.nodes:
        return None
    ref = next((c for c in objects.nodes[0].children if c.local_name == "__call__"), None)
    if ref is None or not 0 <= ref.node_id < len(objects.nodes):
        return None
    node = objects.nodes[ref.node_id]
    if node.WhichOneof("kind") != "function":
        return None
    specs = []
    for name in node.function.concrete_functions:
        if name not in objects.concrete_functions:
            return None
        spec = _one_tensor(objects.concrete_functions[name].canonicalized_input_signature)
        if spec is None:
            return None
        specs.append(spec)
    if not specs or len({s.dtype for s in specs}) != 1:
        return None
    shapes = {s.shape for s in specs}
    shape = shapes.pop() if len(shapes) == 1 else _agreed(list(shapes))
    name = specs[0].name
    one = TensorSpec(name, specs[0].dtype, shape)
    return Signature("__call__", "", {name: one}, {})


def _one_tensor(value: Any) -> TensorSpec | None:
    """The TensorSpec of ``((spec,), {})``, the input signature of a one-tensor call."""
    if value.WhichOneof("kind") != "tuple_value" or len(value.tuple_value.values) != 2:
        return None
    args, kwargs = value.tuple_value.values
    if args.WhichOneof("kind") != "tuple_value" or len(args.tuple_value.values) != 1:
        return None
    if kwargs.WhichOneof("kind") != "dict_value" or kwargs.dict_value.fields:
        return None
    spec = args.tuple_value.values[0]
    if spec.WhichOneof("kind") != "tensor_spec_value":
        return None
    proto = spec.tensor_spec_value
    dtype = DTYPE_NAMES.get(proto.dtype, f"dtype_{proto.dtype}")
    return TensorSpec(proto.name or "inputs", dtype, _shape(proto.shape))


def _agreed(shapes: list[Shape]) -> Shape:
    """What several shapes agree on: the rank where all have it, each dimension likewise."""
    if any(s is None for s in shapes) or len({len(s) for s in shapes if s is not None}) != 1:
        return None
    known = [s for s in shapes if s is not None]
    return tuple(d[0] if len(set(d)) == 1 else None for d in zip(*known, strict=True))


def _select_graph(file: Path, graphs: list[Any], tags: tuple[str, ...] | None) -> Any:
    if tags is None and len(graphs) == 1:
        return graphs[0]
    wanted = set(tags if tags is not None else DEFAULT_TAGS)
    for graph in graphs:
        if set(graph.meta_info_def.tags) == wanted:
            return graph
    available = "; ".join(",".join(g.meta_info_def.tags) or "<none>" for g in graphs)
    raise ModelReadError(
        file, f"no meta graph tagged {','.join(sorted(wanted))} (tag-sets: {available})"
    )


def _signature(key: str, sig: Any) -> Signature:
    return Signature(
        key=key,
        method=sig.method_name,
        inputs={name: _tensor(name, info) for name, info in sorted(sig.inputs.items())},
        outputs={name: _tensor(name, info) for name, info in sorted(sig.outputs.items())},
        optional_inputs=frozenset(sig.defaults.keys()),
    )


def _tensor(name: str, info: Any) -> TensorSpec:
    encoding = info.WhichOneof("encoding") or "name"
    return TensorSpec(
        name=name,
        dtype=DTYPE_NAMES.get(info.dtype, f"dtype_{info.dtype}"),
        shape=None if encoding == "composite_tensor" else _shape(info.tensor_shape),
        encoding={"name": "dense", "coo_sparse": "coo_sparse"}.get(encoding, "composite"),
    )


def _shape(proto: Any) -> Shape:
    # As in TensorFlow, an absent shape message reads as a scalar, not as unknown.
    if proto.unknown_rank:
        return None
    return tuple(d.size if d.size >= 0 else None for d in proto.dim)


def clear_cache() -> None:
    """Forget every cached model (for long-running processes and tests)."""
    with _cache_lock:
        _cache.clear()
        _by_content.clear()


def is_model_dir(path: str | os.PathLike[str]) -> bool:
    """True when *path* directly holds a SavedModel file."""
    return model_file(Path(path)) is not None
