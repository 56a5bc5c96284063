"""Adam (Kingma and Ba, 2015), its AMSGrad variant, and AdamW's decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._checks import check_betas, check_flag, check_non_negative
from .optimizer import Optimizer, scale_, sub_scaled_


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 1e-3
        Learning rate :math:`\gamma` (>= 0).
    betas : tuple of 2 floats, default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2` of the running averages, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator for numerical stability (>= 0).
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (>= 0), added to the gradient.
    amsgrad : bool, default False
        Divide by the running maximum of the second moment (AMSGrad, Reddi et al., 2018).
    maximize : bool, default False
        Maximize the objective instead of minimizing it (keyword-only, as in PyTorch).
    decoupled_weight_decay : bool, default False
        Shrink the parameter by :math:`1 - \gamma\lambda` instead of adding :math:`\lambda\theta`
        to the gradient; this is :class:`AdamW` (keyword-only, as in PyTorch).
    foreach, capturable, differentiable, fused : accepted for compatibility (keyword-only);
        ignored.

    Raises
    ------
    ValueError
        If ``lr``, ``eps`` or ``weight_decay`` is negative, or a beta is outside [0, 1).
    TypeError
        If a hyperparameter has the wrong type.

    Notes
    -----
    With gradient :math:`g` (negated when ``maximize``) at step :math:`t = 1, 2, \ldots`:

    .. math::

        g &\leftarrow g + \lambda \theta \quad (\text{Adam}, \lambda \ne 0) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ (AMSGrad), else } v_t \\
        \theta &\leftarrow \theta - \frac{\gamma}{1 - \beta_1^t} \cdot
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    The state of each parameter is ``step`` (an int), ``exp_avg`` (:math:`m`), ``exp_avg_sq``
    (:math:`v`) and, with ``amsgrad``, ``max_exp_avg_sq`` (:math:`\hat v`).

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]   # the first step moves each entry by about lr
    [0.9, -0.9]
    """

    _state_spec = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array",
                   "max_exp_avg_sq": "array"}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        for key in ("lr", "eps", "weight_decay"):
            check_non_negative(group, key, where)
        check_betas(group, where)
        for key in ("amsgrad", "maximize", "decoupled_weight_decay"):
            check_flag(group, key, where)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        lr, weight_decay, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
        state = self.state.setdefault(p, {})
        if "step" not in state:
            state.update(step=0, exp_avg=np.zeros_like(p._data), exp_avg_sq=np.zeros_like(p._data))
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(p._data)
        state["step"] += 1
        step = state["step"]
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                scale_(p, 1 - lr * weight_decay)
            else:
                grad = grad + weight_decay * p._data
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        square = (1 - beta2) * grad  # the temporaries below are written in place, rounding
        square *= grad               # each step as (1 - beta2) * grad * grad did
        exp_avg_sq += square
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second_moment = state["max_exp_avg_sq"]
        step_size = lr / (1 - beta1**step)
        denom = _denominator(second_moment, (1 - beta2**step) ** 0.5, group["eps"])
        sub_scaled_(p, np.divide(exp_avg, denom, out=denom), step_size)


def _python_floats(*values: Any) -> bool:
    """True if every value is a Python float or int. NumPy scalars are not: a float64 scalar
    promotes a float32 array, so writing its product back in place would round once more."""
    return all(type(v) is float or type(v) is int for v in values)


def _denominator(second_moment: np.ndarray, correction: float, eps: float) -> np.ndarray:
    """``sqrt(v) / correction + eps`` as a new array, built in place when that rounds alike."""
    if not _python_floats(correction, eps):
        return np.sqrt(second_moment) / correction + eps
    denom = np.sqrt(second_moment)
    denom /= correction
    denom += eps
    return denom


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, rounded the way ``torch.lerp`` rounds.

    torch switches formula at weight 0.5 so that weight 1 gives ``end`` exactly; following it
    keeps float32 trajectories within an ulp of PyTorch's.
    """
    difference = end - start
    if not _python_floats(weight):  # see _python_floats: keep the expressions' rounding
        if weight < 0.5:
            start += weight * difference
        else:
            start[...] = end - difference * (1 - weight)
    elif weight < 0.5:
        difference *= weight
        start += difference
    else:
        difference *= 1 - weight
        np.subtract(end, difference, out=start)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as ``torch.optim.AdamW``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 1e-3
        Learning rate :math:`\gamma` (>= 0).
    betas : tuple of 2 floats, default (0.9, 0.999)
        Decay rates of the running averages, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator for numerical stability (>= 0).
    weight_decay : float, default 1e-2
        Decoupled decay :math:`\lambda` (>= 0).
    amsgrad : bool, default False
        Use the running maximum of the second moment.
    maximize : bool, default False
        Maximize the objective instead of minimizing it (keyword-only).
    foreach, capturable, differentiable, fused : accepted for compatibility (keyword-only);
        ignored.

    Raises
    ------
    ValueError
        If ``lr``, ``eps`` or ``weight_decay`` is negative, or a beta is outside [0, 1).

    Notes
    -----
    Each step first shrinks the parameter, :math:`\theta \leftarrow \theta(1 - \gamma\lambda)`,
    then applies the :class:`Adam` update without any L2 term in the gradient.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0], requires_grad=True)
    >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = cl.tensor([0.0])
    >>> opt.step()          # zero gradient: only the decay acts, 1 * (1 - 0.1 * 0.5)
    >>> round(w.item(), 6)
    0.95
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
