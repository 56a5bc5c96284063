"""Adagrad (Duchi et al., 2011): per-coordinate steps from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._checks import check_flag, check_non_negative
from .optimizer import Optimizer


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 1e-2
        Learning rate :math:`\gamma` (>= 0).
    lr_decay : float, default 0
        Learning-rate decay :math:`\eta` (>= 0).
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (>= 0), added to the gradient.
    initial_accumulator_value : float, default 0
        Starting value of the sum of squares (>= 0).
    eps : float, default 1e-10
        Added to the denominator (>= 0).
    foreach, differentiable, fused : accepted for compatibility; ignored.
    maximize : bool, default False
        Maximize the objective instead of minimizing it (keyword-only).

    Raises
    ------
    ValueError
        If a hyperparameter is negative.

    Notes
    -----
    At step :math:`t = 1, 2, \ldots`:

    .. math::

        s_t = s_{t-1} + g^2, \qquad
        \theta \leftarrow \theta - \frac{\gamma}{1 + (t - 1)\eta} \frac{g}{\sqrt{s_t} + \epsilon}

    As in torch the state (``step`` = 0 and ``sum``) is created when the optimizer is built.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0], requires_grad=True)
    >>> opt = optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 6)   # 1 - 0.1 * 2 / sqrt(4)
    0.9
    """

    _state_spec = {"step": "count", "sum": "array"}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "fused": fused}
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {"step": 0, "sum": np.full_like(
                    p._data, group["initial_accumulator_value"])}

    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        for key in ("lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value"):
            check_non_negative(group, key, where)
        check_flag(group, "maximize", where)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self.state[p]
        if "step" not in state:  # a parameter added later with add_param_group
            state.update(step=0, sum=np.full_like(p._data, group["initial_accumulator_value"]))
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p._data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        p.sub_(grad / (np.sqrt(state["sum"]) + group["eps"]), alpha=clr)
