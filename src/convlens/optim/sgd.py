"""Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _validate
from ..tensor import Tensor
from .optimizer import Optimizer, check_flag, check_non_negative, sub_scaled_


class SGD(Optimizer):
    r"""Stochastic gradient descent, as ``torch.optim.SGD``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float, default 1e-3
        Learning rate :math:`\gamma` (>= 0).
    momentum : float, default 0
        Momentum factor :math:`\mu` (>= 0).
    dampening : float, default 0
        Dampening :math:`\tau` for momentum.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` (>= 0), added to the gradient.
    nesterov : bool, default False
        Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool, default False
        Maximize the objective instead of minimizing it (keyword-only, as in PyTorch).
    foreach, differentiable, fused : accepted for compatibility (keyword-only); ignored.

    Raises
    ------
    ValueError
        If a hyperparameter is out of range, or ``nesterov`` is set without momentum or with
        dampening.
    TypeError
        If a hyperparameter has the wrong type.

    Notes
    -----
    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``):

    .. math::

        g &\leftarrow g + \lambda \theta \quad (\lambda \ne 0) \\
        b_t &= g \text{ on the first step, else } \mu b_{t-1} + (1 - \tau) g
            \quad (\mu \ne 0) \\
        g &\leftarrow g + \mu b_t \text{ (Nesterov) or } b_t \\
        \theta &\leftarrow \theta - \gamma g

    The buffer :math:`b` is ``state[p]["momentum_buffer"]``; it is kept only when
    ``momentum != 0``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> w = cl.tensor([1.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> round(w.item(), 4)   # 1 - 0.2, then 0.8 - 0.1 * (0.9 * 2 + 1.6)
    0.46
    """

    _state_spec = {"momentum_buffer": "array"}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any], where: str = "") -> None:
        for key in ("lr", "momentum", "weight_decay"):
            check_non_negative(group, key, where)
        group["dampening"] = _validate.real_number(group["dampening"], where + "dampening")
        for key in ("nesterov", "maximize"):
            check_flag(group, key, where)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{where}nesterov=True needs momentum > 0 and dampening = 0; "
                             f"got momentum={group['momentum']}, "
                             f"dampening={group['dampening']}")

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p._data
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state.setdefault(p, {})
            buf = state.get("momentum_buffer")
            if buf is None:
                # PyTorch starts the buffer at the gradient itself, undamped.
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        sub_scaled_(p, grad, group["lr"], scratch=False)  # grad may be p.grad or the buffer
