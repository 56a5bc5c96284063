"""Fixed-length warm-ups and decays: ``ConstantLR``, ``LinearLR`` and ``PolynomialLR``."""

from __future__ import annotations

from ... import _validate
from ..optimizer import Optimizer
from ._base import LRScheduler


def _factor(value: object, name: str, low_open: bool = False) -> float:
    value = _validate.real_number(value, name)
    if value > 1.0 or value < 0 or (low_open and value == 0):
        bound = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{name} must be in {bound}; got {value}")
    return value


class ConstantLR(LRScheduler):
    r"""Scale each group's learning rate by ``factor`` for the first ``total_iters`` steps.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    factor : float, default 1/3
        Scale during the first ``total_iters`` steps, in [0, 1].
    total_iters : int, default 5
        Number of scaled steps (>= 0).
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     scheduler.step()
    >>> lrs
    [0.5, 0.5, 1.0, 1.0]
    """

    _hyperparameters = ("factor", "total_iters")

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        self.factor = _factor(factor, "factor")
        self.total_iters = _validate.positive_int(total_iters, "total_iters", minimum=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        scale = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * scale for base in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale the learning rate linearly from ``start_factor`` to ``end_factor``.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    start_factor : float, default 1/3
        Scale at step 0, in (0, 1].
    end_factor : float, default 1.0
        Scale from step ``total_iters`` on, in [0, 1].
    total_iters : int, default 5
        Length of the ramp (>= 1).
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Notes
    -----
    The closed form is :math:`\eta_t = \eta_0 (s + (e - s) \min(t, T) / T)`; :meth:`step`
    reaches it by torch's recursive ratio, so the values equal torch's bit for bit.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    _hyperparameters = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        self.start_factor = _factor(start_factor, "start_factor", low_open=True)
        self.end_factor = _factor(end_factor, "end_factor")
        self.total_iters = _validate.positive_int(total_iters, "total_iters")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        start, end, total = self.start_factor, self.end_factor, self.total_iters
        if self.last_epoch == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > total:
            return self._current_lrs()
        ratio = 1.0 + (end - start) / (total * start + (self.last_epoch - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        start, end, total = self.start_factor, self.end_factor, self.total_iters
        return [base * (start + (end - start) * min(total, self.last_epoch) / total)
                for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Decay the learning rate to 0 over ``total_iters`` steps along a polynomial.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    total_iters : int, default 5
        Steps until the learning rate reaches 0 (>= 1).
    power : float, default 1.0
        Power of the polynomial.
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Notes
    -----
    :math:`\eta_t = \eta_0 (1 - \min(t, T) / T)^p`, reached recursively as in torch.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
    >>> scheduler.step(); scheduler.step()
    >>> scheduler.get_last_lr()
    [0.25]
    """

    _hyperparameters = ("total_iters", "power")

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.total_iters = _validate.positive_int(total_iters, "total_iters")
        self.power = _validate.real_number(power, "power")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, total = self.last_epoch, self.total_iters
        if self._is_initial or t > total:
            return self._current_lrs()
        decay = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        return [lr * decay for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        t, total = self.last_epoch, self.total_iters
        return [base * (1.0 - min(total, t) / total) ** self.power for base in self.base_lrs]
