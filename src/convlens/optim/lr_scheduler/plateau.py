"""``ReduceLROnPlateau``: cut the learning rate when a metric stops improving."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, SupportsFloat

from ... import _validate
from ..optimizer import Optimizer
from ._base import LRScheduler, check_optimizer


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the learning rates by ``factor`` after ``patience`` steps without improvement.

    Call ``scheduler.step(metric)`` once per epoch with the validation loss (``mode="min"``)
    or accuracy (``mode="max"``).

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    mode : {"min", "max"}, default "min"
        Whether a smaller or a larger metric is better.
    factor : float, default 0.1
        Multiplier of the learning rate, < 1.
    patience : int, default 10
        Steps without improvement that are tolerated before a cut.
    threshold : float, default 1e-4
        How much better a metric must be to count as an improvement.
    threshold_mode : {"rel", "abs"}, default "rel"
        ``"rel"``: better than ``best * (1 -/+ threshold)``; ``"abs"``: than
        ``best -/+ threshold``.
    cooldown : int, default 0
        Steps after a cut during which bad steps are not counted.
    min_lr : float or list of float, default 0
        Lower bound of each group's learning rate.
    eps : float, default 1e-8
        A cut smaller than ``eps`` is skipped.

    Raises
    ------
    ValueError
        If ``factor >= 1``, ``mode`` or ``threshold_mode`` is unknown, or ``min_lr`` does not
        have one value per group.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for val_loss in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]:
    ...     scheduler.step(val_loss)
    >>> scheduler.get_last_lr()
    [0.25]
    """

    _hyperparameters = ("mode", "factor", "patience", "threshold", "threshold_mode",
                        "cooldown", "min_lrs", "default_min_lr", "eps", "best",
                        "num_bad_epochs", "cooldown_counter")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: Sequence[float] | float = 0,
                 eps: float = 1e-8) -> None:
        factor = _validate.real_number(factor, "factor")
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0; got factor={factor}")
        check_optimizer(optimizer)
        self.optimizer, self.factor = optimizer, factor
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != groups:
                raise ValueError(f"expected {groups} min_lrs, got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, [float(v) for v in min_lr]
        else:
            self.default_min_lr = _validate.real_number(min_lr, "min_lr", low=0.0)
            self.min_lrs = [self.default_min_lr] * groups
        self.patience = _validate.positive_int(patience, "patience", minimum=0)
        self.cooldown = _validate.positive_int(cooldown, "cooldown", minimum=0)
        self.eps = _validate.real_number(eps, "eps", low=0.0)
        self.mode = _validate.one_of(mode, ("min", "max"), "mode")
        self.threshold_mode = _validate.one_of(threshold_mode, ("rel", "abs"), "threshold_mode")
        self.threshold = _validate.real_number(threshold, "threshold")
        self.last_epoch = 0
        self.base_lrs = self._current_lrs()
        self._last_lr = self._current_lrs()
        self.best = math.inf if self.mode == "min" else -math.inf
        self.cooldown_counter = self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, current: float) -> bool:
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * current < sign * self.best * (1.0 - sign * self.threshold)
        return sign * current < sign * self.best - self.threshold

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this step's metric; cut the learning rates after too many bad steps."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"the optimizer now has {len(groups)} parameter groups; "
                                   f"min_lr was given for {len(self.min_lrs)}. Set "
                                   "scheduler.min_lrs to one value per group.")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.best = float(self.best)
