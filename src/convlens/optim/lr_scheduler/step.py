"""Step decays: ``StepLR``, ``MultiStepLR`` and ``ExponentialLR``, as in PyTorch."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable

from ... import _validate
from ..optimizer import Optimizer
from ._base import LRScheduler


class StepLR(LRScheduler):
    r"""Multiply each group's learning rate by ``gamma`` every ``step_size`` steps.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    step_size : int
        Period of the decay (>= 1).
    gamma : float, default 0.1
        Multiplicative factor (>= 0).
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Raises
    ------
    ValueError
        If ``step_size`` < 1 or ``gamma`` < 0.
    TypeError
        If ``optimizer`` is not an Optimizer or ``step_size`` is not an int.

    Notes
    -----
    :math:`\eta_t = \eta_{t-1} \gamma` when :math:`t > 0` and ``t % step_size == 0``, else
    :math:`\eta_{t-1}`; so :math:`\eta_t = \eta_0 \gamma^{\lfloor t / \text{step\_size}
    \rfloor}` when nothing else changes the learning rate.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     opt.step()
    ...     scheduler.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _hyperparameters = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = _validate.positive_int(step_size, "step_size")
        self.gamma = _validate.real_number(gamma, "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply each group's learning rate by ``gamma`` at each of the ``milestones``.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    milestones : iterable of int
        Steps at which to decay; a milestone listed twice decays twice.
    gamma : float, default 0.1
        Multiplicative factor (>= 0).
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Raises
    ------
    TypeError
        If a milestone is not an int.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     scheduler.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _hyperparameters = ("milestones", "gamma")

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(_validate.positive_int(m, f"milestones[{i}]", minimum=0)
                                  for i, m in enumerate(milestones))
        self.gamma = _validate.real_number(gamma, "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect.bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]

    def load_state_dict(self, state_dict) -> None:
        super().load_state_dict(state_dict)
        # a JSON round trip turns the Counter's int keys into strings
        self.milestones = Counter({int(k): int(v) for k, v in dict(self.milestones).items()})


class ExponentialLR(LRScheduler):
    r"""Multiply each group's learning rate by ``gamma`` every step.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    gamma : float
        Multiplicative factor (>= 0).
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> scheduler.step(); scheduler.step()
    >>> scheduler.get_last_lr()
    [0.25]
    """

    _hyperparameters = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _validate.real_number(gamma, "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]
