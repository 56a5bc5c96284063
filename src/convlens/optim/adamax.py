"""Adamax (Kingma and Ba, 2015, section 7.1): Adam with the infinity norm."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._checks import check_betas, check_flag, check_non_negative
from .adam import _lerp_
from .optimizer import Optimizer


class Adamax(Optimizer):
    r"""Adamax, as ``torch.optim.Adamax``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 2e-3
        Learning rate :math:`\gamma` (>= 0).
    betas : tuple of 2 floats, default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2`, each in [0, 1).
    eps : float, default 1e-8
        Added to :math:`|g|` inside the running maximum (>= 0).
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (>= 0), added to the gradient.
    foreach, differentiable, capturable : accepted for compatibility; ignored.
    maximize : bool, default False
        Maximize the objective instead of minimizing it (keyword-only).

    Raises
    ------
    ValueError
        If ``lr``, ``eps`` or ``weight_decay`` is negative or a beta is outside [0, 1).

    Notes
    -----
    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g, \qquad
        u_t = \max(\beta_2 u_{t-1}, |g| + \epsilon), \qquad
        \theta \leftarrow \theta - \frac{\gamma}{1 - \beta_1^t} \frac{m_t}{u_t}

    State: ``step``, ``exp_avg`` (:math:`m`), ``exp_inf`` (:math:`u`).

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0], requires_grad=True)
    >>> opt = optim.Adamax([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 6)   # the first step moves by about lr
    0.9
    """

    _state_spec = {"step": "count", "exp_avg": "array", "exp_inf": "array"}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        for key in ("lr", "eps", "weight_decay"):
            check_non_negative(group, key, where)
        check_betas(group, where)
        check_flag(group, "maximize", where)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        state = self.state[p]
        if "step" not in state:
            state.update(step=0, exp_avg=np.zeros_like(p._data), exp_inf=np.zeros_like(p._data))
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p._data
        _lerp_(state["exp_avg"], grad, 1 - beta1)
        exp_inf = state["exp_inf"]
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)
        clr = group["lr"] / (1 - beta1 ** state["step"])
        p.sub_(state["exp_avg"] / exp_inf, alpha=clr)
