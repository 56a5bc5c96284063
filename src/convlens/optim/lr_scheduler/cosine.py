"""Cosine schedules: ``CosineAnnealingLR`` and ``CosineAnnealingWarmRestarts`` (SGDR)."""

from __future__ import annotations

import math

from ... import _validate
from ..optimizer import Optimizer
from ._base import LRScheduler


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each group's learning rate along a cosine from its initial value to ``eta_min``.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    T_max : int
        Half-period in steps (>= 1): the learning rate reaches ``eta_min`` at step ``T_max``.
    eta_min : float, default 0
        Minimum learning rate (>= 0).
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Raises
    ------
    ValueError
        If ``T_max`` < 1 or ``eta_min`` < 0.

    Notes
    -----
    PyTorch's recursive form, so the values match it exactly (past ``T_max`` too, where the
    rate climbs back up):

    .. math::

        \eta_t = \eta_{min} + (\eta_{t-1} - \eta_{min})
            \frac{1 + \cos(\pi t / T_{max})}{1 + \cos(\pi (t - 1) / T_{max})}

    and, at the steps where the denominator would vanish,
    :math:`\eta_t = \eta_{t-1} + (\eta_0 - \eta_{min})(1 - \cos(\pi / T_{max})) / 2`.
    Without outside changes this equals the closed form
    :math:`\eta_{min} + (\eta_0 - \eta_{min})(1 + \cos(\pi t / T_{max})) / 2`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
    >>> lrs = []
    >>> for epoch in range(3):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    >>> lrs
    [1.0, 0.5, 0.0]
    """

    _hyperparameters = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        self.T_max = _validate.positive_int(T_max, "T_max")
        self.eta_min = _validate.real_number(eta_min, "eta_min", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min  # noqa: N806
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and t > 0:  # the first step after resuming at last_epoch
            return self._get_closed_form_lr()
        if (t - 1 - T) % (2 * T) == 0:
            # The ratio below would be 0/0 here (the bottom of the cosine); step up instead.
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing from each group's initial rate to ``eta_min``, restarting periodically.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    T_0 : int
        Length of the first period, in steps (>= 1).
    T_mult : int, default 1
        Each period is ``T_mult`` times longer than the one before (>= 1).
    eta_min : float, default 0
        Minimum learning rate.
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Raises
    ------
    ValueError
        If ``T_0`` < 1, ``T_mult`` < 1 or a step's ``epoch`` is negative, with torch's messages.

    Notes
    -----
    :math:`\eta_t = \eta_{min} + (\eta_0 - \eta_{min})(1 + \cos(\pi T_{cur} / T_i)) / 2`
    (SGDR, Loshchilov and Hutter, 2017), where :math:`T_{cur}` counts the steps since the last
    restart and :math:`T_i` is the current period. ``step(epoch)`` also takes a fractional
    epoch, for restarts within an epoch, as torch's does.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    >>> lrs
    [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    _hyperparameters = ("T_0", "T_i", "T_mult", "eta_min", "T_cur")

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1,  # noqa: N803
                 eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if not isinstance(T_0, int) or isinstance(T_0, bool) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or isinstance(T_mult, bool) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        self.eta_min = _validate.real_number(eta_min, "eta_min")
        self.T_0 = self.T_i = T_0
        self.T_mult = T_mult
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one step, or jump to ``epoch`` (which may be fractional)."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        else:
            self._jump(_validate.real_number(epoch, "epoch"))
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def _jump(self, epoch: float) -> None:
        """Set ``T_cur`` and ``T_i`` for an explicit epoch, as torch's closed form does."""
        if epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        if epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n
