"""Interop and trust: ONNX export and import, the PyTorch bridge, safetensors weights.

- :func:`to_onnx` / :func:`from_onnx` write and read ONNX files with convlens's own
  protocol-buffers codec: neither needs the ``onnx`` package.
- :func:`to_torch` / :func:`from_torch` convert models to and from ``torch.nn`` (torch is
  imported only inside them).
- :func:`load_state_dict_file` / :func:`save_state_dict_file` read and write safetensors
  files without torch or the ``safetensors`` package.

Nothing here unpickles: a ``.pt``/``.pth`` file is refused with a message saying how to
convert it. Malformed or oversized files raise :class:`ModelFileError`, conversions with no
rule :class:`UnsupportedError` (both ``ValueError`` subclasses). See docs/security.md.
"""

from . import layers
from .errors import InteropError, ModelFileError, UnsupportedError
from .graph import Graph
from .onnx_export import supported_layers, to_onnx
from .onnx_import import SUPPORTED_OPS, from_onnx
from .safetensors_io import load_state_dict_file, save_state_dict_file
from .torch_bridge import from_torch, to_torch

__all__ = [
    "SUPPORTED_OPS", "Graph", "InteropError", "ModelFileError", "UnsupportedError",
    "from_onnx", "from_torch", "layers", "load_state_dict_file", "save_state_dict_file",
    "supported_layers", "to_onnx", "to_torch",
]
