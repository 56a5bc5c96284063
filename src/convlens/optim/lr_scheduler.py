"""Learning-rate schedules: ``StepLR``, ``CosineAnnealingLR`` and ``OneCycleLR``, as in PyTorch.

A scheduler rewrites ``group["lr"]`` of its optimizer's groups each time :meth:`step` is called
(call it after ``optimizer.step()``). Building one already takes the first step (epoch 0), as
PyTorch does, so the learning rate before any ``step()`` is the schedule's first value.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .. import _validate
from .optimizer import Optimizer, check_fraction

__all__ = ["CosineAnnealingLR", "LRScheduler", "OneCycleLR", "StepLR"]


class LRScheduler:
    """Base class of the schedulers, as ``torch.optim.lr_scheduler.LRScheduler``.

    Parameters
    ----------
    optimizer : Optimizer
        Its groups' ``"lr"`` are rewritten by :meth:`step`. Each group gets an
        ``"initial_lr"`` entry (its current ``lr``, unless already set), which becomes
        ``base_lrs``.

    Raises
    ------
    TypeError
        If ``optimizer`` is not a convlens Optimizer.

    Notes
    -----
    Subclasses implement :meth:`get_lr` (the learning rates at ``last_epoch``) and list, in
    ``_hyperparameters``, the attributes that :meth:`state_dict` saves besides ``last_epoch``,
    ``base_lrs`` and ``_last_lr``. Unlike PyTorch there is no ``last_epoch`` argument: resume
    with :meth:`load_state_dict`.
    """

    _hyperparameters: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr: list[float] = []
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each group at ``last_epoch`` (called by :meth:`step`)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def step(self) -> None:
        """Advance ``last_epoch`` by one and write the new learning rates into the groups."""
        self.last_epoch += 1
        try:
            lrs = self.get_lr()
        except Exception:
            self.last_epoch -= 1  # a refused step leaves the scheduler as it was
            raise
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates that the last :meth:`step` set, one per group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """``last_epoch``, ``base_lrs``, ``_last_lr`` and the hyperparameters: numbers, strings,
        lists and dicts only (JSON-able). The optimizer is not included: save it separately."""
        state = {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs),
                 "_last_lr": list(self._last_lr)}
        state.update({key: copy.deepcopy(getattr(self, key)) for key in self._hyperparameters})
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (extra keys, such as PyTorch's, are ignored).

        Raises
        ------
        TypeError
            If ``state_dict`` is not a dict.
        ValueError
            If a key is missing or the number of learning rates differs from the number of
            parameter groups. Nothing is changed when it raises.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict; got {type(state_dict).__name__}")
        keys = ("last_epoch", "base_lrs", "_last_lr", *self._hyperparameters)
        missing = [key for key in keys if key not in state_dict]
        if missing:
            raise ValueError(f"the state_dict given to {type(self).__name__} lacks {missing}; "
                             "was it saved by another scheduler?")
        groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            if not isinstance(state_dict[key], Sequence) or len(state_dict[key]) != groups:
                raise ValueError(f"state_dict[{key!r}] must hold one learning rate per "
                                 f"parameter group ({groups}); got {state_dict[key]!r}")
        self.last_epoch = int(state_dict["last_epoch"])
        self.base_lrs = [float(lr) for lr in state_dict["base_lrs"]]
        self._last_lr = [float(lr) for lr in state_dict["_last_lr"]]
        for key in self._hyperparameters:
            setattr(self, key, copy.deepcopy(state_dict[key]))


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

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _validate.positive_int(step_size, "step_size")
        self.gamma = _validate.real_number(gamma, "gamma", low=0.0)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


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

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_max = _validate.positive_int(T_max, "T_max")
        self.eta_min = _validate.real_number(eta_min, "eta_min", low=0.0)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min  # noqa: N806
        if t == 0:
            return [group["lr"] for group in groups]
        if (t - 1 - T) % (2 * T) == 0:
            # The ratio below would be 0/0 here (the bottom of the cosine); step up instead.
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]


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
                 final_div_factor: float = 1e4, three_phase: bool = False) -> None:
        _check_optimizer(optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        pct_start = _validate.real_number(pct_start, "pct_start", low=0.0, high=1.0)
        self._anneal_func_type = _validate.one_of(anneal_strategy, ("cos", "linear"),
                                                  "anneal_strategy")
        self._schedule_phases = _phases(self.total_steps, pct_start, three_phase)
        max_lrs = _per_group(max_lr, "max_lr", optimizer, _non_negative)
        div_factor = _positive(div_factor, "div_factor")
        final_div_factor = _positive(final_div_factor, "final_div_factor")
        self.cycle_momentum = _flag(cycle_momentum, "cycle_momentum")
        self.use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and not self.use_beta1:
                raise ValueError("cycle_momentum=True needs an optimizer with momentum or "
                                 f"betas; {type(optimizer).__name__} has neither")
            max_momenta = _per_group(max_momentum, "max_momentum", optimizer, check_fraction)
            base_momenta = _per_group(base_momentum, "base_momentum", optimizer,
                                      check_fraction)
        # Everything is valid: now write the cycle's bounds into the groups, as PyTorch does.
        for i, group in enumerate(optimizer.param_groups):
            group["initial_lr"] = max_lrs[i] / div_factor
            group["max_lr"] = max_lrs[i]
            group["min_lr"] = group["initial_lr"] / final_div_factor
            if self.cycle_momentum:
                self._set_momentum(group, max_momenta[i])
                group["max_momentum"] = max_momenta[i]
                group["base_momentum"] = base_momenta[i]
        super().__init__(optimizer)

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


def _per_group(value: Any, name: str, optimizer: Optimizer, check) -> list[float]:
    """One checked value per parameter group, from a number or a list of them."""
    groups = len(optimizer.param_groups)
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != groups:
            raise ValueError(f"{name} must be a number or a list with one value per parameter "
                             f"group ({groups}); got {len(value)} values")
        return [check(v, f"{name}[{i}]") for i, v in enumerate(value)]
    return [check(value, name)] * groups


def _non_negative(value: Any, name: str) -> float:
    return _validate.real_number(value, name, low=0.0)


def _positive(value: Any, name: str) -> float:
    value = _validate.real_number(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0; got {value}")
    return value


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool; got {value!r}")
    return value


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError("optimizer must be a convlens.optim.Optimizer; "
                        f"got {type(optimizer).__name__}")

