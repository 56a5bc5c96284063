"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._checks import check_betas, check_flag, check_non_negative
from .adam import _lerp_
from .optimizer import Optimizer


class NAdam(Optimizer):
    r"""NAdam, as ``torch.optim.NAdam``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 2e-3
        Learning rate :math:`\gamma` (>= 0).
    betas : tuple of 2 floats, default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2`, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator (>= 0).
    weight_decay : float, default 0
        Weight decay :math:`\lambda` (>= 0).
    momentum_decay : float, default 4e-3
        :math:`\psi` in the momentum schedule (>= 0).
    decoupled_weight_decay : bool, default False
        Shrink the parameter by :math:`1 - \gamma\lambda` (NAdamW) instead of adding
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
    With :math:`\mu_t = \beta_1 (1 - 0.5 \cdot 0.96^{t\psi})` and
    :math:`\Pi_t = \prod_{i \le t} \mu_i`:

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g^2, \qquad
        d = \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        \theta &\leftarrow \theta - \gamma \frac{1 - \mu_t}{1 - \Pi_t} \frac{g}{d}
            - \gamma \frac{\mu_{t+1}}{1 - \Pi_t \mu_{t+1}} \frac{m_t}{d}

    State: ``step``, ``mu_product`` (:math:`\Pi_t`), ``exp_avg``, ``exp_avg_sq``.
    torch keeps ``mu_product`` in float32 unless its default dtype is float64; convlens keeps
    it as a Python float, so float64 trajectories agree to about 1e-7 relative.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0], requires_grad=True)
    >>> opt = optim.NAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.item() < 1.0
    True
    """

    _state_spec = {"step": "count", "mu_product": "scalar", "exp_avg": "array",
                   "exp_avg_sq": "array"}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        for key in ("lr", "eps", "weight_decay", "momentum_decay"):
            check_non_negative(group, key, where)
        check_betas(group, where)
        for key in ("decoupled_weight_decay", "maximize"):
            check_flag(group, key, where)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        state = self.state[p]
        if "step" not in state:
            state.update(step=0, mu_product=1.0, exp_avg=np.zeros_like(p._data),
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
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        _lerp_(state["exp_avg"], grad, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"]
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = np.sqrt(exp_avg_sq / (1 - beta2**step)) + group["eps"]
        p.add_(grad / denom, alpha=-lr * (1.0 - mu) / (1.0 - mu_product))
        p.add_(state["exp_avg"] / denom, alpha=-lr * mu_next / (1.0 - mu_product * mu_next))
