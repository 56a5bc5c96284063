"""``device``: torch's device name, for a library that runs on the CPU only.

PyTorch scripts pass devices around (``torch.device("cuda" if ... else "cpu")``,
``x.to(device)``, ``model.to(device)``). convlens accepts ``"cpu"`` everywhere torch takes a
device and refuses every other device type with one message, so a script that asks for a GPU
learns at once why it cannot have one.
"""

from __future__ import annotations

from typing import Any

_CPU_ONLY = ("convlens runs on the CPU only (NumPy and SciPy); there is no {kind!r} device. "
             "Use 'cpu', or guard the GPU path with convlens.cuda.is_available(), "
             "which is False")


def cpu_only_error(kind: str) -> RuntimeError:
    """The one error every non-CPU request raises."""
    return RuntimeError(_CPU_ONLY.format(kind=kind))


class device:  # noqa: N801 - torch's spelling
    """A device, as ``torch.device``; only ``"cpu"`` (optionally ``"cpu:0"``) exists.

    Parameters
    ----------
    type : str or device
        ``"cpu"`` or ``"cpu:<index>"``; any other type (``"cuda"``, ``"mps"``, ...) raises.
    index : int, optional
        The device index, kept for torch's ``repr``.

    Raises
    ------
    RuntimeError
        For any device type other than the CPU.
    TypeError
        If ``type`` is not a string or a device.

    Examples
    --------
    >>> import convlens as cl
    >>> cl.device("cpu")
    device(type='cpu')
    >>> cl.device("cpu") == "cpu"
    True
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002 - torch's name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device type must be a string such as 'cpu'; got {type!r}")
        kind, _, number = type.partition(":")
        if kind != "cpu":
            raise cpu_only_error(kind)
        if number:
            if not number.isdigit():
                raise ValueError(f"device index must be a non-negative int; got {type!r}")
            index = int(number)
        self.type = "cpu"
        self.index = index

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{extra})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def is_device(value: Any) -> bool:
    """True for a device or a string naming one (any type; ``device()`` decides if it exists)."""
    if isinstance(value, device):
        return True
    if not isinstance(value, str):
        return False
    return value.partition(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla",
                                       "vulkan", "ipu", "hpu", "mtia", "privateuseone")
