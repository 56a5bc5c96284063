"""``explain``: each engine's estimated cost for a convolution, and which one ``auto`` picks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate
from . import tuning as _autotune
from .choose import auto_skips, choose, estimates
from .cost_model import MARGIN
from .geometry import ConvSpec, conv_spec
from .transposed import transposed_geometry


@dataclass(frozen=True)
class Explanation:
    """The chooser's reasoning for one convolution shape; ``print`` it for a table.

    Attributes
    ----------
    x_shape, w_shape : tuple of int
        Batched input and weight shapes.
    spec : ConvSpec
    requires_grad : bool
        Whether the estimates include the backward pass.
    dtype : str
    estimates : dict
        Engine name -> estimated seconds, or the reason the engine cannot run it.
    choice : str
        The engine ``algorithm="auto"`` uses.
    reason : str
    """

    x_shape: tuple[int, ...]
    w_shape: tuple[int, ...]
    spec: ConvSpec
    requires_grad: bool
    dtype: str
    estimates: dict[str, float | str]
    choice: str
    reason: str
    transposed: bool = False

    def __str__(self) -> str:
        s = self.spec
        op = f"conv_transpose{s.nd}d as the grad_input of " if self.transposed else ""
        lines = [f"{op}conv{s.nd}d x={self.x_shape} w={self.w_shape} stride={s.stride} "
                 f"padding={s.padding} dilation={s.dilation} groups={s.groups} {self.dtype} "
                 f"({'forward + backward' if self.requires_grad else 'forward'})"]
        for name, cost in self.estimates.items():
            text = f"unsupported: {cost}" if isinstance(cost, str) else _ms(cost)
            mark = "  <- auto" if name == self.choice else ""
            skip = auto_skips(name, np.dtype(self.dtype))
            if skip is not None and not isinstance(cost, str):
                mark += f"  (auto skips it: {skip})"
            lines.append(f"  {name:<9} {text}{mark}")
        lines.append(f"  choice: {self.choice}: {self.reason}")
        return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:10.3f} ms (estimated)"


def explain(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: object = 1,
            padding: object = 0, dilation: object = 1, groups: object = 1, *,
            requires_grad: bool = False, dtype: object = "float32", transposed: bool = False,
            output_padding: object = 0) -> Explanation:
    """Estimate every engine's time for a convolution and say which one ``auto`` picks.

    Parameters
    ----------
    x_shape : tuple of int
        Input shape, (N, C, *S) or unbatched (C, *S).
    w_shape : tuple of int
        Weight shape (O, C/groups, *K); its length sets the dimensionality.
    stride, padding, dilation, groups
        As in :func:`convlens.functional.conv2d`.
    requires_grad : bool, default False
        Price forward + backward (training) instead of forward only.
    dtype : str or numpy dtype, default "float32"
    transposed : bool, default False
        Explain :func:`convlens.functional.conv_transpose2d` (and 1d/3d) instead: ``x_shape``
        is its input (N, C_in, *S), ``w_shape`` its weight (C_in, C_out/groups, *K). The
        table then describes the convolution whose ``grad_input`` it runs as.
    output_padding : int or tuple, default 0
        Only with ``transposed``, as in ``conv_transpose2d``.

    Returns
    -------
    Explanation
        Estimates per engine, the choice and the reason; ``print`` it for a table.

    Raises
    ------
    TypeError
        If a shape is not a tuple of non-negative ints, or ``dtype`` is not a float type.
    ValueError
        If the shapes or arguments do not describe a valid convolution.

    Notes
    -----
    The estimates come from :mod:`convlens.conv.cost_model`, whose constants were fitted on
    one machine. They assume the filter spectrum is not cached; a cached spectrum only
    makes the FFT engine cheaper. With :func:`convlens.conv.autotune` on, a shape that has
    been measured already reports the measured winner.

    Examples
    --------
    >>> from convlens import conv
    >>> conv.explain((8, 16, 128, 128), (16, 16, 15, 15), padding=7).choice
    'fft'
    >>> conv.explain((16, 64, 56, 56), (128, 64, 3, 3), stride=2, padding=1).estimates["winograd"]
    'stride (2, 2) (it needs stride 1)'
    >>> conv.explain((4, 16, 64, 64), (16, 16, 15, 15), padding=7, transposed=True).choice
    'fft'
    """
    w_shape = _shape(w_shape, "w_shape")
    x_shape = _shape(x_shape, "x_shape")
    if len(x_shape) == len(w_shape) - 1:
        x_shape = (1, *x_shape)
    if len(x_shape) != len(w_shape) or len(w_shape) < 3:
        raise ValueError(f"x_shape and w_shape must describe an (N, C, *S) input and an "
                         f"(O, C/groups, *K) weight of the same rank; got {x_shape} and "
                         f"{w_shape}")
    dtype = np.dtype(dtype)
    _validate.float_dtype(dtype, "dtype", "explain")
    if transposed:
        geometry = transposed_geometry(f"conv_transpose{len(w_shape) - 2}d", x_shape, w_shape,
                                       stride, padding, output_padding, groups, dilation)
        spec = geometry.spec
        x_shape = geometry.conv_input_shape(x_shape[0], w_shape[1] * spec.groups)
    else:
        spec = conv_spec(f"conv{len(w_shape) - 2}d", x_shape, w_shape, stride, padding,
                         dilation, groups)
    costs = estimates(x_shape, w_shape, spec, dtype, bool(requires_grad),
                      transposed=bool(transposed))
    priced = {name: c for name, c in costs.items()
              if not isinstance(c, str) and auto_skips(name, dtype) is None}
    choice = choose(x_shape, w_shape, spec, dtype=dtype, requires_grad=bool(requires_grad),
                    transposed=bool(transposed))
    reason = _reason(choice, priced)
    key = (x_shape, w_shape, spec, dtype.str, bool(requires_grad))
    if _autotune.autotune() and key in _autotune.winners() and not transposed:
        choice = _autotune.winners()[key]
        reason = "measured fastest by autotune"
    return Explanation(x_shape, w_shape, spec, bool(requires_grad), dtype.name, costs, choice,
                       reason, bool(transposed))


def _reason(choice: str, priced: dict[str, float]) -> str:
    others = sorted((c, n) for n, c in priced.items() if n != choice)
    text = f"lowest estimated time ({priced[choice] * 1e3:.3f} ms)"
    if others and others[0][0] < priced[choice]:
        cost, name = others[0]
        text = (f"{name} is estimated at {cost * 1e3:.3f} ms, but {name}'s estimate must be "
                f"{MARGIN[name]:.2f}x lower to be trusted; {choice} estimated at "
                f"{priced[choice] * 1e3:.3f} ms")
    elif others:
        cost, name = others[0]
        text += f"; next best {name} at {cost * 1e3:.3f} ms, {cost / priced[choice]:.2f}x"
    if choice == "fft":
        text += "; includes transforming the filter (spectrum not cached yet)"
    return text


def _shape(value: object, name: str) -> tuple[int, ...]:
    if not isinstance(value, tuple | list) or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        raise TypeError(f"{name} must be a tuple of non-negative ints; got {value!r}")
    return tuple(int(v) for v in value)


__all__ = ["Explanation", "explain"]
