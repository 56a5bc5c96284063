"""The ONNX file format, read and written without the ``onnx`` package.

Only the messages a CNN graph needs are decoded (model, graph, node, attribute, tensor, value
info); training info, functions, sparse and external tensors and sub-graphs are detected and
refused. Field numbers come from onnx.proto (https://github.com/onnx/onnx, onnx/onnx.proto).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _protobuf as pb
from ._protobuf import Field
from .errors import ModelFileError, UnsupportedError

# TensorProto.DataType -> NumPy dtype (little-endian). BFLOAT16 and the float8 types have no
# NumPy dtype, and strings are not numbers: those are refused.
DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"), 2: np.dtype("u1"), 3: np.dtype("i1"), 4: np.dtype("<u2"),
    5: np.dtype("<i2"), 6: np.dtype("<i4"), 7: np.dtype("<i8"), 9: np.dtype("?"),
    10: np.dtype("<f2"), 11: np.dtype("<f8"), 12: np.dtype("<u4"), 13: np.dtype("<u8"),
}
CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}
MAX_RANK = 32
# Types stored in int32_data, and the values they can hold (float16: its 16-bit pattern).
_INT32_RANGES = {2: (0, 255), 3: (-128, 127), 4: (0, 65535), 5: (-32768, 32767),
                 6: (-(2**31), 2**31 - 1), 9: (0, 1), 10: (0, 65535)}

_DIM = {1: Field("dim_value", "int"), 2: Field("dim_param", "string")}
_TYPE = {1: Field("tensor_type", {1: Field("elem_type", "int"),
                                  2: Field("shape", {1: Field("dim", _DIM, True)})})}
_VALUE_INFO = {1: Field("name", "string"), 2: Field("type", _TYPE)}
TENSOR = {
    1: Field("dims", "int", True), 2: Field("data_type", "int"), 3: Field("segment", "bytes"),
    4: Field("float_data", "float", True), 5: Field("int32_data", "int", True),
    6: Field("string_data", "bytes", True), 7: Field("int64_data", "int", True),
    8: Field("name", "string"), 9: Field("raw_data", "bytes"),
    10: Field("double_data", "double", True), 11: Field("uint64_data", "uint", True),
    13: Field("external_data", "bytes", True), 14: Field("data_location", "int"),
}
_ATTRIBUTE = {
    1: Field("name", "string"), 20: Field("type", "int"), 2: Field("f", "float"),
    3: Field("i", "int"), 4: Field("s", "bytes"), 5: Field("t", TENSOR),
    6: Field("g", "bytes"), 7: Field("floats", "float", True), 8: Field("ints", "int", True),
    9: Field("strings", "bytes", True), 10: Field("tensors", "bytes", True),
    11: Field("graphs", "bytes", True), 21: Field("ref_attr_name", "string"),
    22: Field("sparse_tensor", "bytes"), 23: Field("sparse_tensors", "bytes", True),
}
_NODE = {1: Field("input", "string", True), 2: Field("output", "string", True),
         3: Field("name", "string"), 4: Field("op_type", "string"),
         5: Field("attribute", _ATTRIBUTE, True), 7: Field("domain", "string")}
_GRAPH = {1: Field("node", _NODE, True), 2: Field("name", "string"),
          5: Field("initializer", TENSOR, True),
          15: Field("sparse_initializer", "bytes", True),
          11: Field("input", _VALUE_INFO, True), 12: Field("output", _VALUE_INFO, True),
          13: Field("value_info", _VALUE_INFO, True)}
MODEL = {1: Field("ir_version", "int"), 2: Field("producer_name", "string"),
         8: Field("opset_import", {1: Field("domain", "string"), 2: Field("version", "int")},
                  True),
         7: Field("graph", _GRAPH), 20: Field("training_info", "bytes", True)}


def decode_model(data: bytes | memoryview) -> dict[str, Any]:
    """Decode an ONNX ModelProto into nested dicts (see :func:`._protobuf.decode`)."""
    model = pb.decode(memoryview(data), MODEL, "ModelProto")
    if "graph" not in model:
        raise ModelFileError("not an ONNX model: the ModelProto has no graph")
    if model["training_info"]:
        raise UnsupportedError("ONNX training_info is not supported; export the model for "
                               "inference")
    if model["graph"]["sparse_initializer"]:
        raise UnsupportedError("sparse initializers are not supported")
    return model


def _element_count(dims: list[int], where: str, max_elements: int) -> int:
    if len(dims) > MAX_RANK or any(d < 0 for d in dims):
        raise ModelFileError(f"tensor {where} has invalid dims {dims[:MAX_RANK + 1]} (at most "
                             f"{MAX_RANK} non-negative sizes)")
    count = math.prod(dims)
    if count > max_elements:
        raise ModelFileError(f"tensor {where} declares {count} elements (dims {dims}), more "
                             f"than the limit of {max_elements}")
    return count


def tensor_to_array(tensor: dict[str, Any], max_elements: int) -> np.ndarray:
    """A TensorProto as a new, writable ndarray, after checking it is complete and in bounds."""
    where = repr(tensor.get("name", ""))
    if tensor.get("data_location", 0) != 0 or tensor["external_data"] or "segment" in tensor:
        raise UnsupportedError(f"tensor {where} keeps its data outside the file (external "
                               "data or segments), which convlens does not read; save the "
                               "model with all tensors inside it")
    code = tensor.get("data_type", 0)
    if code not in DTYPES:
        raise UnsupportedError(f"tensor {where} has ONNX data type {code}, which convlens "
                               f"does not read (supported: {sorted(DTYPES)})")
    dtype, dims = DTYPES[code], tensor["dims"]
    count = _element_count(dims, where, max_elements)
    if "raw_data" in tensor:
        raw = tensor["raw_data"]
        if len(raw) != count * dtype.itemsize:
            raise ModelFileError(f"tensor {where} declares dims {dims} of {dtype} "
                                 f"({count * dtype.itemsize} bytes) but holds {len(raw)} bytes")
        values = np.frombuffer(raw, dtype)
    else:
        values = _typed_values(tensor, code, where)
        if values.size != count:
            raise ModelFileError(f"tensor {where} declares dims {dims} ({count} values) but "
                                 f"holds {values.size} values")
        if code == 10:  # float16 is stored as its bit pattern in int32_data
            values = values.astype("<u2").view("<f2")
        values = values.astype(dtype.newbyteorder("="), copy=False)
    return values.reshape(dims).astype(dtype.newbyteorder("="), copy=True)


def _typed_values(tensor: dict[str, Any], code: int, where: str) -> np.ndarray:
    if code == 1:
        return pb.floats(tensor["float_data"]).astype(np.float32, copy=False)
    if code == 11:
        return pb.floats(tensor["double_data"]).astype(np.float64, copy=False)
    if code == 7:
        return np.array(tensor["int64_data"], np.int64)
    if code in (12, 13):
        return np.array(tensor["uint64_data"], np.uint64)
    values = np.array(tensor["int32_data"], np.int64)
    low, high = _INT32_RANGES[code]
    if values.size and (values.min() < low or values.max() > high):
        raise ModelFileError(f"tensor {where} holds values outside the range of its type")
    return values


def attribute_value(attribute: dict[str, Any], max_elements: int) -> Any:
    """The Python value of an AttributeProto (int, float, bytes, list, ndarray)."""
    name = attribute.get("name", "")
    if attribute.get("ref_attr_name"):
        raise UnsupportedError(f"attribute {name!r} refers to a function attribute; ONNX "
                               "functions are not supported")
    if attribute.get("g") is not None or attribute["graphs"]:
        raise UnsupportedError(f"attribute {name!r} holds a sub-graph; control flow is not "
                               "supported")
    kind = attribute.get("type", 0)
    simple = {1: "f", 2: "i", 3: "s"}
    if kind in simple and simple[kind] in attribute:
        value = attribute[simple[kind]]
        return bytes(value) if kind == 3 else value
    if kind == 4 and "t" in attribute:
        return tensor_to_array(attribute["t"], max_elements)
    if kind == 6:
        return pb.floats(attribute["floats"]).astype(np.float64).tolist()
    if kind == 7:
        return list(attribute["ints"])
    if kind == 8:
        return [bytes(s) for s in attribute["strings"]]
    raise UnsupportedError(f"attribute {name!r} has ONNX attribute type {kind}, which "
                           "convlens does not read")


# -- encoding ----------------------------------------------------------------------------
def encode_tensor(name: str, array: np.ndarray) -> bytes:
    """A TensorProto with the data in ``raw_data`` (little-endian, as ONNX requires)."""
    array = np.asarray(array)
    code = CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise UnsupportedError(f"cannot store a {array.dtype} array in ONNX")
    parts = [pb.int_field(1, d) for d in array.shape]
    raw = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
    parts += [pb.int_field(2, code), pb.bytes_field(8, name), pb.bytes_field(9, raw)]
    return b"".join(parts)


def encode_attribute(name: str, value: Any) -> bytes:
    parts = [pb.bytes_field(1, name)]
    if isinstance(value, np.ndarray):
        parts += [pb.int_field(20, 4), pb.message_field(5, [encode_tensor("", value)])]
    elif isinstance(value, bool | int | np.integer):
        parts += [pb.int_field(20, 2), pb.int_field(3, int(value))]
    elif isinstance(value, float | np.floating):
        parts += [pb.int_field(20, 1), pb.float_field(2, float(value))]
    elif isinstance(value, str | bytes):
        parts += [pb.int_field(20, 3), pb.bytes_field(4, value)]
    elif isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
        parts += [pb.int_field(20, 7)] + [pb.int_field(8, v) for v in value]
    elif isinstance(value, list | tuple):
        parts += [pb.int_field(20, 6)] + [pb.float_field(7, float(v)) for v in value]
    else:
        raise TypeError(f"cannot encode attribute {name!r} = {value!r}")
    return b"".join(parts)


def encode_node(op_type: str, inputs: list[str], outputs: list[str], name: str,
                attributes: dict[str, Any]) -> bytes:
    parts = [pb.bytes_field(1, n) for n in inputs] + [pb.bytes_field(2, n) for n in outputs]
    parts += [pb.bytes_field(3, name), pb.bytes_field(4, op_type)]
    parts += [pb.message_field(5, [encode_attribute(k, v)]) for k, v in attributes.items()]
    return b"".join(parts)


def encode_value_info(name: str, elem_type: int, dims: list[int | str]) -> bytes:
    dim_parts = [pb.message_field(1, [pb.bytes_field(2, d) if isinstance(d, str)
                                      else pb.int_field(1, d)]) for d in dims]
    tensor_type = [pb.int_field(1, elem_type), pb.message_field(2, dim_parts)]
    return b"".join([pb.bytes_field(1, name),
                     pb.message_field(2, [pb.message_field(1, tensor_type)])])


def encode_model(graph_name: str, nodes: list[bytes], initializers: list[bytes],
                 inputs: list[bytes], outputs: list[bytes], opset: int, ir_version: int,
                 producer: tuple[str, str]) -> bytes:
    graph = ([pb.message_field(1, [n]) for n in nodes] + [pb.bytes_field(2, graph_name)]
             + [pb.message_field(5, [t]) for t in initializers]
             + [pb.message_field(11, [v]) for v in inputs]
             + [pb.message_field(12, [v]) for v in outputs])
    return b"".join([
        pb.int_field(1, ir_version), pb.bytes_field(2, producer[0]),
        pb.bytes_field(3, producer[1]), pb.message_field(7, graph),
        pb.message_field(8, [pb.bytes_field(1, ""), pb.int_field(2, opset)]),
    ])
