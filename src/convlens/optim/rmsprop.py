"""RMSprop (Hinton's lecture 6e), with optional momentum and the centered variant (Graves)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._checks import check_flag, check_non_negative
from .adam import _lerp_
from .optimizer import Optimizer


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 1e-2
        Learning rate :math:`\gamma` (>= 0).
    alpha : float, default 0.99
        Smoothing constant :math:`\alpha` of the squared-gradient average (>= 0).
    eps : float, default 1e-8
        Added to the denominator (>= 0).
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (>= 0), added to the gradient.
    momentum : float, default 0
        Momentum factor :math:`\mu` (>= 0).
    centered : bool, default False
        Divide by an estimate of the gradient's variance rather than its second moment.
    capturable, foreach, differentiable : accepted for compatibility; ignored.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.

    Raises
    ------
    ValueError
        If a hyperparameter is negative.

    Notes
    -----
    .. math::

        v_t &= \alpha v_{t-1} + (1 - \alpha) g^2, \qquad
        \bar g_t = \alpha \bar g_{t-1} + (1 - \alpha) g \ \text{(centered)} \\
        d_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \ \text{(centered), else }
            \sqrt{v_t} + \epsilon \\
        b_t &= \mu b_{t-1} + g / d_t, \quad \theta \leftarrow \theta - \gamma b_t
            \quad (\mu > 0), \ \text{else} \ \theta \leftarrow \theta - \gamma g / d_t

    State: ``step``, ``square_avg``, ``momentum_buffer`` (with momentum), ``grad_avg``
    (centered).

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0], requires_grad=True)
    >>> opt = optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 4)   # 1 - 0.01 * 2 / sqrt(0.01 * 4)
    0.9
    """

    _state_spec = {"step": "count", "square_avg": "array", "momentum_buffer": "array",
                   "grad_avg": "array"}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        for key in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            check_non_negative(group, key, where)
        for key in ("centered", "maximize"):
            check_flag(group, key, where)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        state = self.state[p]
        if "step" not in state:
            state.update(step=0, square_avg=np.zeros_like(p._data))
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p._data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p._data)
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p._data
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg
            p.sub_(buf, alpha=group["lr"])
        else:
            p.sub_(grad / avg, alpha=group["lr"])
