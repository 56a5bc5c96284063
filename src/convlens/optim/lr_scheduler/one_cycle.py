"""``OneCycleLR``: the 1cycle policy, as in PyTorch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ... import _validate
from ..optimizer import Optimizer, check_fraction
from ._base import LRScheduler, check_optimizer, flag, non_negative, per_group, positive


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith and Topin, 2018): warm up to ``max_lr``, then anneal far below.

    Call :meth:`step` after every batch. Arguments, defaults and values are PyTorch's.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    max_lr : float or list of float
        Peak learning rate, one value for all groups or one per group (>= 0).
    total_steps : int, optional
        Length of the cycle. If None, it is ``epochs * steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        Used when ``total_steps`` is None.
    pct_start : float, default 0.3
        Fraction of the cycle spent increasing the learning rate, in [0, 1].
    anneal_strategy : {"cos", "linear"}, default "cos"
        Cosine or linear interpolation within each phase.
    cycle_momentum : bool, default True
        Cycle the momentum (SGD's ``momentum`` or Adam's ``betas[0]``) inversely to the
        learning rate, between ``base_momentum`` and ``max_momentum``.
    base_momentum, max_momentum : float or list of float, default 0.85 and 0.95
        Momentum bounds, each in [0, 1).
    div_factor : float, default 25
        ``initial_lr = max_lr / div_factor`` (> 0).
    final_div_factor : float, default 1e4
        ``min_lr = initial_lr / final_div_factor`` (> 0).
    three_phase : bool, default False
        Go back down to ``initial_lr`` symmetrically before annealing to ``min_lr``.
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Raises
    ------
    ValueError
        If the cycle length is not given, an argument is out of range, a list has the wrong
        length, ``cycle_momentum`` is set for an optimizer without momentum, or :meth:`step` is
        called more than ``total_steps`` times.

    Notes
    -----
    Phase ends (in steps): ``pct_start * total_steps - 1`` and ``total_steps - 1`` (with
    ``three_phase``: ``pct_start * total_steps - 1``, ``2 * pct_start * total_steps - 2``,
    ``total_steps - 1``). Inside a phase going from :math:`a` to :math:`b` with progress
    :math:`p \in [0, 1]`, "cos" gives :math:`b + (a - b)(1 + \cos \pi p) / 2` and "linear"
    gives :math:`a + (b - a) p`. Where PyTorch divides by zero (a phase of zero length, e.g.
    ``pct_start * total_steps == 1``), the phase holds its end value.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=0.1, momentum=0.9)
    >>> scheduler = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10,
    ...                                           anneal_strategy="linear")
    >>> lrs = []
    >>> for _ in range(10):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 4))
    ...     scheduler.step()
    >>> lrs[:4], lrs[-1]
    ([0.04, 0.52, 1.0, 0.8571], 0.0)
    """

    _hyperparameters = ("total_steps", "_schedule_phases", "_anneal_func_type",
                        "cycle_momentum", "use_beta1")

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85,
                 max_momentum: float | Sequence[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        pct_start = _validate.real_number(pct_start, "pct_start", low=0.0, high=1.0)
        self._anneal_func_type = _validate.one_of(anneal_strategy, ("cos", "linear"),
                                                  "anneal_strategy")
        self._schedule_phases = _phases(self.total_steps, pct_start, three_phase)
        max_lrs = per_group(max_lr, "max_lr", optimizer, non_negative)
        div_factor = positive(div_factor, "div_factor")
        final_div_factor = positive(final_div_factor, "final_div_factor")
        self.cycle_momentum = flag(cycle_momentum, "cycle_momentum")
        self.use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and not self.use_beta1:
                raise ValueError("cycle_momentum=True needs an optimizer with momentum or "
                                 f"betas; {type(optimizer).__name__} has neither")
            max_momenta = per_group(max_momentum, "max_momentum", optimizer, check_fraction)
            base_momenta = per_group(base_momentum, "base_momentum", optimizer,
                                      check_fraction)
        # Everything is valid: now write the cycle's bounds into the groups, as PyTorch does
        # (only when starting afresh; a resumed run finds them in the loaded groups).
        for i, group in enumerate(optimizer.param_groups if last_epoch == -1 else ()):
            group["initial_lr"] = max_lrs[i] / div_factor
            group["max_lr"] = max_lrs[i]
            group["min_lr"] = group["initial_lr"] / final_div_factor
            if self.cycle_momentum:
                self._set_momentum(group, max_momenta[i])
                group["max_momentum"] = max_momenta[i]
                group["base_momentum"] = base_momenta[i]
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR was built for total_steps={self.total_steps}; "
                             f"step() was called {step} times")
        phase, pct = self._phase_at(step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                       group[phase["end_momentum"]], pct))
        return lrs

    def _phase_at(self, step: int) -> tuple[dict[str, Any], float]:
        """The phase that ``step`` falls in, and the progress through it."""
        start = 0.0
        last = len(self._schedule_phases) - 1
        for i, phase in enumerate(self._schedule_phases):
            end = phase["end_step"]
            if step <= end or i == last:
                return phase, (step - start) / (end - start) if end != start else 1.0
            start = end
        raise AssertionError("unreachable: the last phase always matches")

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum


def _phases(total_steps: int, pct_start: float, three_phase: bool) -> list[dict[str, Any]]:
    """OneCycleLR's phases: where each ends, and which group keys it goes from and to."""
    def phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
        return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
                "start_momentum": start_momentum, "end_momentum": end_momentum}

    warm_up = phase(float(pct_start * total_steps) - 1, "initial_lr", "max_lr",
                    "max_momentum", "base_momentum")
    if not three_phase:
        return [warm_up, phase(total_steps - 1, "max_lr", "min_lr",
                               "base_momentum", "max_momentum")]
    return [warm_up,
            phase(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr",
                  "base_momentum", "max_momentum"),
            phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]


def _total_steps(total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
    if total_steps is not None:
        return _validate.positive_int(total_steps, "total_steps")
    if epochs is not None and steps_per_epoch is not None:
        return (_validate.positive_int(epochs, "epochs")
                * _validate.positive_int(steps_per_epoch, "steps_per_epoch"))
    raise ValueError("OneCycleLR needs total_steps, or both epochs and steps_per_epoch; got "
                     f"total_steps=None, epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}")
