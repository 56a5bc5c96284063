"""What each engine can compute, declared once so that the chooser can respect it.

Every engine module defines ``CAPABILITIES``. :func:`Capabilities.unsupported` names the first
feature of a convolution the engine cannot handle (or returns ``None``), and
:func:`convlens.conv.choose` turns that into the ``ValueError`` a user sees when forcing the
engine, or skips the engine under ``algorithm="auto"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .geometry import ConvSpec


@dataclass(frozen=True)
class Capabilities:
    """The convolutions an engine supports.

    Attributes
    ----------
    nd : tuple of int
        Spatial dimensionalities it handles (1 for conv1d, 2 for conv2d, ...).
    stride, dilation, groups : bool
        Whether stride > 1, dilation > 1 and groups > 1 are supported.
    kernel : int or None
        If set, the only kernel size (along every spatial dim) it handles.
    grad_weight : str
        How ``grad_weight`` is computed, e.g. ``"native"`` or ``"gemm fallback"``.
    spreads : dict of str to tuple of int
        Per pass (``"forward"``, ``"grad_input"``, ``"grad_weight"``), the operands (0 and 1
        of (x, w), (grad_output, w) and (grad_output, x) respectively) whose NaN/inf the
        engine would *not* put exactly where the ``direct`` oracle does. When one of them is
        not finite, the pass runs on :mod:`convlens.conv.nonfinite` instead. A pass left out
        counts as spreading both operands (the safe default for a new engine).
    auto_float32 : bool
        Whether ``algorithm="auto"`` may pick the engine in float32. False for an engine
        whose float32 rounding error can exceed 5 times PyTorch's on the benchmark layers
        (see ``docs/performance.md``); it still runs when forced with ``algorithm=``.
    """

    nd: tuple[int, ...] = (1, 2, 3)
    stride: bool = True
    dilation: bool = True
    groups: bool = True
    kernel: int | None = None
    grad_weight: str = "native"
    spreads: dict[str, tuple[int, ...]] = field(default_factory=dict)
    auto_float32: bool = True

    def unsupported(self, w_shape: tuple[int, ...], spec: ConvSpec) -> str | None:
        """The first unsupported feature of this convolution, in words, or ``None``."""
        if spec.nd not in self.nd:
            return f"{spec.nd}-D convolution (it handles {_dims(self.nd)} only)"
        if not self.stride and any(s != 1 for s in spec.stride):
            return f"stride {spec.stride} (it needs stride 1)"
        if not self.dilation and any(d != 1 for d in spec.dilation):
            return f"dilation {spec.dilation} (it needs dilation 1)"
        if not self.groups and spec.groups != 1:
            return f"groups={spec.groups} (it needs groups=1)"
        if self.kernel is not None and any(k != self.kernel for k in w_shape[2:]):
            return (f"kernel size {tuple(w_shape[2:])} (it needs kernel size "
                    f"{(self.kernel,) * spec.nd})")
        return None

    def uses_blas(self, w_shape: tuple[int, ...], spec: ConvSpec) -> bool:
        """Whether a pass on this convolution may call BLAS or split its work by the thread
        count (every engine's may, unless it says otherwise): if not, ``conv2d`` skips
        :func:`convlens.conv._threads.for_work`'s BLAS thread toggle around it."""
        return True


LOCAL = {"forward": (), "grad_input": (), "grad_weight": ()}   # no operand ever spreads


def _dims(nd: tuple[int, ...]) -> str:
    return "/".join(f"{n}-D" for n in nd)
