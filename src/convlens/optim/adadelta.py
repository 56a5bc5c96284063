"""Adadelta (Zeiler, 2012): step sizes from running averages of squared gradients and updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._checks import check_flag, check_non_negative
from .optimizer import Optimizer


class Adadelta(Optimizer):
    r"""Adadelta, as ``torch.optim.Adadelta``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 1.0
        Coefficient :math:`\gamma` that scales the delta (>= 0).
    rho : float, default 0.9
        Decay rate :math:`\rho` of the running averages, in [0, 1].
    eps : float, default 1e-6
        Added inside the square roots (>= 0).
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (>= 0), added to the gradient.
    foreach, capturable, differentiable : accepted for compatibility; ignored.
    maximize : bool, default False
        Maximize the objective instead of minimizing it (keyword-only).

    Raises
    ------
    ValueError
        If ``lr``, ``eps`` or ``weight_decay`` is negative or ``rho`` is outside [0, 1].

    Notes
    -----
    With gradient :math:`g` (plus :math:`\lambda\theta`):

    .. math::

        v_t &= \rho v_{t-1} + (1 - \rho) g^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta_t^2, \qquad
        \theta \leftarrow \theta - \gamma \Delta_t

    State: ``step``, ``square_avg`` (:math:`v`) and ``acc_delta`` (:math:`u`).

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0], requires_grad=True)
    >>> opt = optim.Adadelta([w])
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 6)   # 1 - sqrt(1e-6) / sqrt(0.1 * 4 + 1e-6) * 2
    0.996838
    """

    _state_spec = {"step": "count", "square_avg": "array", "acc_delta": "array"}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1.0,
                 rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0,
                 foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        for key in ("lr", "eps", "weight_decay", "rho"):
            check_non_negative(group, key, where)
        if group["rho"] > 1:
            raise ValueError(f"{where}rho must be in [0, 1]; got {group['rho']}")
        check_flag(group, "maximize", where)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        rho, eps = group["rho"], group["eps"]
        state = self.state[p]
        if "step" not in state:
            state.update(step=0, square_avg=np.zeros_like(p._data),
                         acc_delta=np.zeros_like(p._data))
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p._data
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        p.sub_(delta, alpha=group["lr"])
