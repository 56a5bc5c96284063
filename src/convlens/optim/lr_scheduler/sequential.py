"""``SequentialLR``: hand the schedule over from one scheduler to the next at milestones."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from ... import _validate
from ..optimizer import Optimizer
from ._base import LRScheduler, check_optimizer
from .plateau import ReduceLROnPlateau


class SequentialLR(LRScheduler):
    r"""Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``, and so on.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer that every scheduler wraps.
    schedulers : list of LRScheduler
        Built on ``optimizer``; each one takes over at its milestone and starts from its
        own step 0 there (with its closed form, as torch).
    milestones : list of int
        One fewer than ``schedulers``: the steps at which the next scheduler takes over.
    last_epoch : int, default -1
        See :class:`LRScheduler`.

    Raises
    ------
    ValueError
        If there is no scheduler, a scheduler wraps another optimizer or is a
        :class:`ReduceLROnPlateau`, or the milestones do not number one fewer.
    TypeError
        If a scheduler has no ``optimizer``.

    Examples
    --------
    >>> import convlens as cl
    >>> from convlens import optim
    >>> from convlens.optim import lr_scheduler
    >>> opt = optim.SGD([cl.tensor([0.0], requires_grad=True)], lr=1.0)
    >>> warmup = lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> scheduler = lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[2])
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     scheduler.step()
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler],
                 milestones: list[int], last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        _check_schedulers(type(self).__name__, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be "
                             "one more than the number of milestone points, but got number of "
                             f"schedulers {len(schedulers)} and the number of milestones to be "
                             f"equal to {len(milestones)}")
        self._schedulers = list(schedulers)
        self._milestones = [_validate.positive_int(m, f"milestones[{i}]", minimum=0)
                            for i, m in enumerate(milestones)]
        self.last_epoch = _validate.positive_int(last_epoch, "last_epoch", minimum=-1) + 1
        self.optimizer = optimizer
        # Undo the first step each scheduler took when it was built, then let the scheduler
        # in charge at step 0 take it again, from the initial learning rates.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        for scheduler in _leaves(self._schedulers):
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._step_count = 0
        self._is_initial = False
        self._last_lr = first.get_last_lr()

    def step(self) -> None:  # type: ignore[override]
        """Advance one step, switching scheduler at the milestones."""
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """``last_epoch``, ``_milestones``, ``_last_lr`` and each scheduler's state_dict."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs),
                "_last_lr": list(self._last_lr), "_milestones": list(self._milestones),
                "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved, into this and the wrapped schedulers."""
        if not isinstance(state_dict, Mapping) or "_schedulers" not in state_dict:
            raise ValueError("SequentialLR.load_state_dict expects the dict that "
                             "SequentialLR.state_dict returned (with '_schedulers')")
        if len(state_dict["_schedulers"]) != len(self._schedulers):
            raise ValueError(f"the state_dict holds {len(state_dict['_schedulers'])} "
                             f"schedulers; this SequentialLR has {len(self._schedulers)}")
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"]):
            scheduler.load_state_dict(saved)
        self.last_epoch = int(state_dict["last_epoch"])
        self._milestones = [int(m) for m in state_dict["_milestones"]]
        self._last_lr = [float(lr) for lr in state_dict["_last_lr"]]


def _check_schedulers(owner: str, optimizer: Optimizer, schedulers: Any) -> None:
    if not schedulers:
        raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler.")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{owner} does not support `ReduceLROnPlateau` scheduler as it "
                             "requires additional kwargs to be specified when calling `step`, "
                             f"but got one at index {i} in the given schedulers sequence.")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{owner} expects all schedulers to belong to the same optimizer, "
                             f"but got scheduler {type(scheduler).__name__} at index {i} "
                             "wrapping a different optimizer.")


def _leaves(schedulers: list[Any]) -> list[Any]:
    """The schedulers, with any nested SequentialLR replaced by its own, recursively."""
    out = []
    for scheduler in schedulers:
        out.extend(_leaves(scheduler._schedulers) if hasattr(scheduler, "_schedulers")
                   else [scheduler])
    return out
