"""RAdam (Liu et al., 2020): Adam whose adaptive step is rectified while its variance is high."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._checks import check_betas, check_flag, check_non_negative
from .adam import _lerp_
from .optimizer import Optimizer


class RAdam(Optimizer):
    r"""RAdam, as ``torch.optim.RAdam``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 1e-3
        Learning rate :math:`\gamma` (>= 0).
    betas : tuple of 2 floats, default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2`, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator (>= 0).
    weight_decay : float, default 0
        Weight decay :math:`\lambda` (>= 0).
    decoupled_weight_decay : bool, default False
        Shrink the parameter by :math:`1 - \gamma\lambda` instead of adding
        :math:`\lambda\theta` to the gradient.
    foreach, capturable, differentiable : accepted for compatibility; ignored.
    maximize : bool, default False
        Maximize the objective instead of minimizing it (keyword-only).

    Raises
    ------
    ValueError
        If a hyperparameter is negative or a beta is outside [0, 1).

    Notes
    -----
    With :math:`\rho_\infty = 2 / (1 - \beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)`, the bias-corrected
    momentum :math:`\hat m_t = m_t / (1 - \beta_1^t)` moves the parameter by
    :math:`\gamma \hat m_t r_t \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon)` when
    :math:`\rho_t > 5`, with the rectification
    :math:`r_t = \sqrt{(\rho_t - 4)(\rho_t - 2)\rho_\infty /
    ((\rho_\infty - 4)(\rho_\infty - 2)\rho_t)}`, and by :math:`\gamma \hat m_t` otherwise.

    State: ``step``, ``exp_avg``, ``exp_avg_sq``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0], requires_grad=True)
    >>> opt = optim.RAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 6)   # rho_1 <= 5: plain momentum step, 1 - 0.1 * 2
    0.8
    """

    _state_spec = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        for key in ("lr", "eps", "weight_decay"):
            check_non_negative(group, key, where)
        check_betas(group, where)
        for key in ("decoupled_weight_decay", "maximize"):
            check_flag(group, key, where)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        state = self.state[p]
        if "step" not in state:
            state.update(step=0, exp_avg=np.zeros_like(p._data),
                         exp_avg_sq=np.zeros_like(p._data))
        state["step"] += 1
        step = state["step"]
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)
            else:
                grad = grad + weight_decay * p._data
        _lerp_(state["exp_avg"], grad, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"]
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction2 = 1 - beta2**step
        corrected = state["exp_avg"] / (1 - beta1**step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bias_correction2**0.5 / (np.sqrt(exp_avg_sq) + group["eps"])
            p.sub_(corrected * lr * adaptive * rect)
        else:
            p.sub_(corrected * lr)
