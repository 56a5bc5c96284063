"""Hyperparameter checks shared by the optimizers (each names the public parameter)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate


def check_non_negative(group: dict[str, Any], key: str, where: str) -> None:
    """``group[key]`` must be a finite number >= 0; store it as a float."""
    group[key] = _validate.real_number(group[key], where + key, low=0.0)


def check_fraction(value: Any, name: str) -> float:
    """A number in [0, 1), as betas and momenta of running averages must be."""
    value = _validate.real_number(value, name)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1); got {value}")
    return value


def check_flag(group: dict[str, Any], key: str, where: str) -> None:
    """``group[key]`` must be a bool."""
    if not isinstance(group[key], bool | np.bool_):
        raise TypeError(f"{where}{key} must be a bool; got {group[key]!r}")
    group[key] = bool(group[key])


def check_betas(group: dict[str, Any], where: str) -> None:
    """``group["betas"]`` must be a pair of numbers in [0, 1); store it as a tuple of floats."""
    betas = group["betas"]
    if isinstance(betas, str) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise TypeError(f"{where}betas must be a pair of floats; got {betas!r}")
    group["betas"] = tuple(check_fraction(b, f"{where}betas[{i}]") for i, b in enumerate(betas))

