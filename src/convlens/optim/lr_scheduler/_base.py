"""``LRScheduler``: the base class of the schedulers, and the argument checks they share."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from ... import _validate
from ..optimizer import Optimizer


class LRScheduler:
    """Base class of the schedulers, as ``torch.optim.lr_scheduler.LRScheduler``.

    Parameters
    ----------
    optimizer : Optimizer
        Its groups' ``"lr"`` are rewritten by :meth:`step`. Each group gets an
        ``"initial_lr"`` entry (its current ``lr``, unless already set), which becomes
        ``base_lrs``.
    last_epoch : int, default -1
        The index of the last epoch already done. -1 starts afresh; a larger value resumes,
        and then every group must already hold ``"initial_lr"`` (as after loading the
        optimizer's state_dict).

    Raises
    ------
    TypeError
        If ``optimizer`` is not a convlens Optimizer.
    KeyError
        If ``last_epoch >= 0`` and a group lacks ``"initial_lr"``.

    Notes
    -----
    Building a scheduler takes its first step (``last_epoch`` becomes ``last_epoch + 1``),
    during which ``_is_initial`` is True. Subclasses implement :meth:`get_lr` (the learning
    rates at ``last_epoch``, usually from the groups' current ``lr``) and, where torch has
    one, ``_get_closed_form_lr`` (from ``base_lrs``), which ``step(epoch)`` and
    :class:`SequentialLR` use. They list in ``_hyperparameters`` the attributes that
    :meth:`state_dict` saves besides ``last_epoch``, ``base_lrs`` and ``_last_lr``.
    """

    _hyperparameters: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        last_epoch = _validate.positive_int(last_epoch, "last_epoch", minimum=-1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming a scheduler with last_epoch >= 0; load the "
                                   "optimizer's state_dict first")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self._is_initial = False
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group at ``last_epoch`` (called by :meth:`step`)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def step(self, epoch: int | None = None) -> None:
        """Advance ``last_epoch`` by one and write the new learning rates into the groups.

        Parameters
        ----------
        epoch : int, optional
            Deprecated in torch, kept for its meaning: jump to ``epoch`` and use the
            schedule's closed form where it has one.
        """
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        previous = self.last_epoch
        try:
            if epoch is None:
                self.last_epoch += 1
                lrs = self.get_lr()
            else:
                self.last_epoch = _validate.positive_int(epoch, "epoch", minimum=0)
                closed = getattr(self, "_get_closed_form_lr", None)
                lrs = closed() if closed is not None else self.get_lr()
        except Exception:
            self.last_epoch = previous  # a refused step leaves the scheduler as it was
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

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


def per_group(value: Any, name: str, optimizer: Optimizer, check) -> list[float]:
    """One checked value per parameter group, from a number or a list of them."""
    groups = len(optimizer.param_groups)
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != groups:
            raise ValueError(f"{name} must be a number or a list with one value per parameter "
                             f"group ({groups}); got {len(value)} values")
        return [check(v, f"{name}[{i}]") for i, v in enumerate(value)]
    return [check(value, name)] * groups


def non_negative(value: Any, name: str) -> float:
    return _validate.real_number(value, name, low=0.0)


def positive(value: Any, name: str) -> float:
    value = _validate.real_number(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0; got {value}")
    return value


def flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool; got {value!r}")
    return value


def check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError("optimizer must be a convlens.optim.Optimizer; "
                        f"got {type(optimizer).__name__}")

