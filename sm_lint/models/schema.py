"""A subset of TensorFlow's SavedModel protobuf schema, built at import time.

Only the messages and fields sm-lint reads are declared; their field numbers mirror
tensorflow/core/protobuf/{saved_model,meta_graph}.proto and
tensorflow/core/framework/{tensor_shape,types}.proto. Everything else in a
``saved_model.pb`` (the graph, the object graph's contents, variables) is skipped by the
protobuf runtime as unknown fields, so no TensorFlow import and no generated code is needed.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "sm_lint.tensorflow"

# tensorflow/core/framework/types.proto, DataType. Values are stable across releases.
DTYPE_NAMES: dict[int, str] = {
    1: "float32",
    2: "float64",
    3: "int32",
    4: "uint8",
    5: "int16",
    6: "int8",
    7: "string",
    8: "complex64",
    9: "int64",
    10: "bool",
    11: "qint8",
    12: "quint8",
    13: "qint32",
    14: "bfloat16",
    15: "qint16",
    16: "quint16",
    17: "uint16",
    18: "complex128",
    19: "float16",
    20: "resource",
    21: "variant",
    22: "uint32",
    23: "uint64",
    24: "float8_e5m2",
    25: "float8_e4m3fn",
    26: "float8_e4m3fnuz",
    27: "float8_e4m3b11fnuz",
    28: "float8_e5m2fnuz",
    29: "int4",
    30: "uint4",
    31: "int2",
    32: "uint2",
}

# The enum names TensorFlow's text format uses ("DT_FLOAT"), needed to read .pbtxt files.
_ENUM_NAMES: dict[int, str] = {
    1: "DT_FLOAT",
    2: "DT_DOUBLE",
    3: "DT_INT32",
    4: "DT_UINT8",
    5: "DT_INT16",
    6: "DT_INT8",
    7: "DT_STRING",
    8: "DT_COMPLEX64",
    9: "DT_INT64",
    10: "DT_BOOL",
    11: "DT_QINT8",
    12: "DT_QUINT8",
    13: "DT_QINT32",
    14: "DT_BFLOAT16",
    15: "DT_QINT16",
    16: "DT_QUINT16",
    17: "DT_UINT16",
    18: "DT_COMPLEX128",
    19: "DT_HALF",
    20: "DT_RESOURCE",
    21: "DT_VARIANT",
    22: "DT_UINT32",
    23: "DT_UINT64",
    24: "DT_FLOAT8_E5M2",
    25: "DT_FLOAT8_E4M3FN",
    26: "DT_FLOAT8_E4M3FNUZ",
    27: "DT_FLOAT8_E4M3B11FNUZ",
    28: "DT_FLOAT8_E5M2FNUZ",
    29: "DT_INT4",
    30: "DT_UINT4",
    31: "DT_INT2",
    32: "DT_UINT2",
}

_F = descriptor_pb2.FieldDescriptorProto


def _field(
    msg: descriptor_pb2.DescriptorProto,
    name: str,
    number: int,
    kind: int,
    *,
    type_name: str | None = None,
    repeated: bool = False,
    oneof: int | None = None,
) -> None:
    field = msg.field.add(name=name, number=number, type=kind)
    field.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
    if type_name is not None:
        field.type_name = f".{_PACKAGE}.{type_name}"
    if oneof is not None:
        field.oneof_index = oneof


def _map_entry(
    parent: descriptor_pb2.DescriptorProto, entry: str, value_kind: int, value_type: str | None
) -> None:
    nested = parent.nested_type.add(name=entry)
    nested.options.map_entry = True
    _field(nested, "key", 1, _F.TYPE_STRING)
    _field(nested, "value", 2, value_kind, type_name=value_type)


def _build_file() -> descriptor_pb2.FileDescriptorProto:
    fd = descriptor_pb2.FileDescriptorProto(
        name="sm_lint/saved_model_subset.proto", package=_PACKAGE, syntax="proto3"
    )
    enum = fd.enum_type.add(name="DataType")
    enum.value.add(name="DT_INVALID", number=0)
    for number, name in _ENUM_NAMES.items():
        enum.value.add(name=name, number=number)

    dim = fd.message_type.add(name="Dim")
    _field(dim, "size", 1, _F.TYPE_INT64)
    _field(dim, "name", 2, _F.TYPE_STRING)

    shape = fd.message_type.add(name="TensorShapeProto")
    _field(shape, "dim", 2, _F.TYPE_MESSAGE, type_name="Dim", repeated=True)
    _field(shape, "unknown_rank", 3, _F.TYPE_BOOL)

    coo = fd.message_type.add(name="CooSparse")
    _field(coo, "values_tensor_name", 1, _F.TYPE_STRING)
    _field(coo, "indices_tensor_name", 2, _F.TYPE_STRING)
    _field(coo, "dense_shape_tensor_name", 3, _F.TYPE_STRING)

    # TypeSpecProto's contents are not read: only that a composite encoding is present.
    fd.message_type.add(name="Opaque")

    composite = fd.message_type.add(name="CompositeTensor")
    _field(composite, "type_spec", 1, _F.TYPE_MESSAGE, type_name="Opaque")
    _field(composite, "components", 2, _F.TYPE_MESSAGE, type_name="TensorInfo", repeated=True)

    info = fd.message_type.add(name="TensorInfo")
    info.oneof_decl.add(name="encoding")
    _field(info, "name", 1, _F.TYPE_STRING, oneof=0)
    _field(info, "dtype", 2, _F.TYPE_ENUM, type_name="DataType")
    _field(info, "tensor_shape", 3, _F.TYPE_MESSAGE, type_name="TensorShapeProto")
    _field(info, "coo_sparse", 4, _F.TYPE_MESSAGE, type_name="CooSparse", oneof=0)
    _field(info, "composite_tensor", 5, _F.TYPE_MESSAGE, type_name="CompositeTensor", oneof=0)

    sig = fd.message_type.add(name="SignatureDef")
    _map_entry(sig, "InputsEntry", _F.TYPE_MESSAGE, "TensorInfo")
    _map_entry(sig, "OutputsEntry", _F.TYPE_MESSAGE, "TensorInfo")
    _map_entry(sig, "DefaultsEntry", _F.TYPE_MESSAGE, "Opaque")
    _field(sig, "inputs", 1, _F.TYPE_MESSAGE, type_name="SignatureDef.InputsEntry", repeated=True)
    _field(sig, "outputs", 2, _F.TYPE_MESSAGE, type_name="SignatureDef.OutputsEntry", repeated=True)
    _field(sig, "method_name", 3, _F.TYPE_STRING)
    _field(
        sig, "defaults", 4, _F.TYPE_MESSAGE, type_name="SignatureDef.DefaultsEntry", repeated=True
    )

    meta_info = fd.message_type.add(name="MetaInfoDef")
    _field(meta_info, "meta_graph_version", 1, _F.TYPE_STRING)
    _field(meta_info, "tags", 4, _F.TYPE_STRING, repeated=True)
    _field(meta_info, "tensorflow_version", 5, _F.TYPE_STRING)

    _object_graph(fd)

    meta = fd.message_type.add(name="MetaGraphDef")
    _map_entry(meta, "SignatureDefEntry", _F.TYPE_MESSAGE, "SignatureDef")
    _field(meta, "meta_info_def", 1, _F.TYPE_MESSAGE, type_name="MetaInfoDef")
    _field(
        meta,
        "signature_def",
        5,
        _F.TYPE_MESSAGE,
        type_name="MetaGraphDef.SignatureDefEntry",
        repeated=True,
    )
    # Present only in models written by TF2's tf.saved_model.save / Keras export; its
    # presence decides how positional arguments bind, and its root ``__call__`` is what
    # ``hub.KerasLayer(handle)`` calls without a signature.
    _field(meta, "object_graph_def", 7, _F.TYPE_MESSAGE, type_name="SavedObjectGraph")

    saved = fd.message_type.add(name="SavedModel")
    _field(saved, "saved_model_schema_version", 1, _F.TYPE_INT64)
    _field(saved, "meta_graphs", 2, _F.TYPE_MESSAGE, type_name="MetaGraphDef", repeated=True)
    return fd


def _object_graph(fd: descriptor_pb2.FileDescriptorProto) -> None:
    """tensorflow/core/protobuf/{saved_object_graph,struct}.proto: the objects, their
    restored functions (function specs, concrete functions' input and output signatures)
    and bare concrete functions. Field numbers are TensorFlow's (tests/test_restored.py
    compares them with tensorflow's own descriptors). A StructuredValue kind not declared
    here (type specs, shapes, dtypes, numpy values) reads as no kind at all."""
    spec = fd.message_type.add(name="TensorSpecProto")
    _field(spec, "name", 1, _F.TYPE_STRING)
    _field(spec, "shape", 2, _F.TYPE_MESSAGE, type_name="TensorShapeProto")
    _field(spec, "dtype", 3, _F.TYPE_ENUM, type_name="DataType")

    value = fd.message_type.add(name="StructuredValue")
    value.oneof_decl.add(name="kind")
    _field(value, "none_value", 1, _F.TYPE_MESSAGE, type_name="Opaque", oneof=0)
    _field(value, "float64_value", 11, _F.TYPE_DOUBLE, oneof=0)
    _field(value, "int64_value", 12, _F.TYPE_SINT64, oneof=0)
    _field(value, "string_value", 13, _F.TYPE_STRING, oneof=0)
    _field(value, "bool_value", 14, _F.TYPE_BOOL, oneof=0)
    _field(value, "tensor_spec_value", 33, _F.TYPE_MESSAGE, type_name="TensorSpecProto", oneof=0)
    _field(value, "list_value", 51, _F.TYPE_MESSAGE, type_name="ListValue", oneof=0)
    _field(value, "tuple_value", 52, _F.TYPE_MESSAGE, type_name="ListValue", oneof=0)
    _field(value, "dict_value", 53, _F.TYPE_MESSAGE, type_name="DictValue", oneof=0)
    _field(value, "named_tuple_value", 54, _F.TYPE_MESSAGE, type_name="NamedTupleValue", oneof=0)

    pair = fd.message_type.add(name="PairValue")
    _field(pair, "key", 1, _F.TYPE_STRING)
    _field(pair, "value", 2, _F.TYPE_MESSAGE, type_name="StructuredValue")

    named = fd.message_type.add(name="NamedTupleValue")
    _field(named, "name", 1, _F.TYPE_STRING)
    _field(named, "values", 2, _F.TYPE_MESSAGE, type_name="PairValue", repeated=True)

    values = fd.message_type.add(name="ListValue")  # also TupleValue: the same wire format
    _field(values, "values", 1, _F.TYPE_MESSAGE, type_name="StructuredValue", repeated=True)

    fields = fd.message_type.add(name="DictValue")
    _map_entry(fields, "FieldsEntry", _F.TYPE_MESSAGE, "StructuredValue")
    _field(fields, "fields", 1, _F.TYPE_MESSAGE, type_name="DictValue.FieldsEntry", repeated=True)

    reference = fd.message_type.add(name="ObjectReference")
    _field(reference, "node_id", 1, _F.TYPE_INT32)
    _field(reference, "local_name", 2, _F.TYPE_STRING)

    spec_ = fd.message_type.add(name="FunctionSpec")
    _field(spec_, "fullargspec", 1, _F.TYPE_MESSAGE, type_name="StructuredValue")
    _field(spec_, "is_method", 2, _F.TYPE_BOOL)
    _field(spec_, "input_signature", 5, _F.TYPE_MESSAGE, type_name="StructuredValue")

    function = fd.message_type.add(name="SavedFunction")
    _field(function, "concrete_functions", 1, _F.TYPE_STRING, repeated=True)
    _field(function, "function_spec", 2, _F.TYPE_MESSAGE, type_name="FunctionSpec")

    bare = fd.message_type.add(name="SavedBareConcreteFunction")
    _field(bare, "concrete_function_name", 1, _F.TYPE_STRING)
    _field(bare, "argument_keywords", 2, _F.TYPE_STRING, repeated=True)
    _field(bare, "allowed_positional_arguments", 3, _F.TYPE_INT64)
    _field(bare, "function_spec", 4, _F.TYPE_MESSAGE, type_name="FunctionSpec")

    saved_object = fd.message_type.add(name="SavedObject")
    saved_object.oneof_decl.add(name="kind")
    _field(saved_object, "children", 1, _F.TYPE_MESSAGE, type_name="ObjectReference", repeated=True)
    _field(saved_object, "user_object", 4, _F.TYPE_MESSAGE, type_name="Opaque", oneof=0)
    _field(saved_object, "asset", 5, _F.TYPE_MESSAGE, type_name="Opaque", oneof=0)
    _field(saved_object, "function", 6, _F.TYPE_MESSAGE, type_name="SavedFunction", oneof=0)
    _field(saved_object, "variable", 7, _F.TYPE_MESSAGE, type_name="Opaque", oneof=0)
    _field(
        saved_object,
        "bare_concrete_function",
        8,
        _F.TYPE_MESSAGE,
        type_name="SavedBareConcreteFunction",
        oneof=0,
    )
    _field(saved_object, "constant", 9, _F.TYPE_MESSAGE, type_name="Opaque", oneof=0)
    _field(saved_object, "resource", 10, _F.TYPE_MESSAGE, type_name="Opaque", oneof=0)
    _field(saved_object, "captured_tensor", 12, _F.TYPE_MESSAGE, type_name="Opaque", oneof=0)

    concrete = fd.message_type.add(name="SavedConcreteFunction")
    _field(
        concrete, "canonicalized_input_signature", 3, _F.TYPE_MESSAGE, type_name="StructuredValue"
    )
    _field(concrete, "output_signature", 4, _F.TYPE_MESSAGE, type_name="StructuredValue")

    graph = fd.message_type.add(name="SavedObjectGraph")
    _map_entry(graph, "ConcreteFunctionsEntry", _F.TYPE_MESSAGE, "SavedConcreteFunction")
    _field(graph, "nodes", 1, _F.TYPE_MESSAGE, type_name="SavedObject", repeated=True)
    _field(
        graph,
        "concrete_functions",
        2,
        _F.TYPE_MESSAGE,
        type_name="SavedObjectGraph.ConcreteFunctionsEntry",
        repeated=True,
    )


def _message_class(pool: descriptor_pool.DescriptorPool, name: str) -> Any:
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"))


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_build_file())

#: The message class for ``saved_model.pb`` (tensorflow.SavedModel, subset).
SavedModel: Any = _message_class(_POOL, "SavedModel")
