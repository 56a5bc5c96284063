"""Training checkpoints: model, optimizer and scheduler state, history and RNG, with no pickle.

Nested state (dicts and lists holding ndarrays and JSON values) is split into a flat dict of
arrays, keyed by their path ("optimizer/state/0/exp_avg"), and a JSON tree with placeholders,
then written atomically by :func:`convlens.io.save_checkpoint`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import random as _random
from ..tensor import Tensor

_ARRAY = "__array__"


def split_state(tree: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Move every ndarray/Tensor in ``tree`` into ``arrays``; return the JSON-able rest."""
    if isinstance(tree, Tensor):
        tree = tree._data
    if isinstance(tree, np.ndarray):
        arrays[prefix] = tree
        return {_ARRAY: prefix}
    if isinstance(tree, dict):
        if not all(isinstance(k, str | int) for k in tree):
            raise TypeError(f"checkpoint state keys must be str or int; got {list(tree)[:5]}")
        return {"__dict__": [[key, split_state(value, f"{prefix}/{key}", arrays)]
                             for key, value in tree.items()]}
    if isinstance(tree, list | tuple):
        return [split_state(value, f"{prefix}/{i}", arrays) for i, value in enumerate(tree)]
    if isinstance(tree, np.generic):
        return tree.item()
    if tree is None or isinstance(tree, bool | int | float | str):
        return tree
    raise TypeError(f"cannot store a {type(tree).__name__} in a checkpoint (at {prefix!r})")


def join_state(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`split_state`."""
    if isinstance(tree, dict):
        if _ARRAY in tree:
            return arrays[tree[_ARRAY]]
        return {key: join_state(value, arrays) for key, value in tree["__dict__"]}
    if isinstance(tree, list):
        return [join_state(value, arrays) for value in tree]
    return tree


def save_training_state(path: str | os.PathLike, *, model, optimizer, scheduler=None,
                        epoch: int, history, seed: int, loader_epoch: int,
                        partial: dict[str, Any] | None = None,
                        callbacks: list[Any] | None = None) -> None:
    """Write everything needed to resume training after ``epoch`` (0-based) has finished.

    ``partial`` describes the steps already done in the next epoch (an interrupted epoch),
    ``callbacks`` holds ``[type name, state]`` per callback.
    """
    from .. import io

    arrays: dict[str, np.ndarray] = {}
    state = {
        "partial": partial,
        "callbacks": split_state(callbacks or [], "callbacks", arrays),
        "model": split_state(model.state_dict(), "model", arrays),
        "optimizer": split_state(optimizer.state_dict(), "optimizer", arrays),
        "scheduler": None if scheduler is None else split_state(
            scheduler.state_dict(), "scheduler", arrays),
        "epoch": epoch, "seed": seed, "loader_epoch": loader_epoch,
        "history": history.to_dict(),
        "rng": _random.default_generator().bit_generator.state,
    }
    io.save_checkpoint(path, arrays, {"format": "convlens-training-checkpoint", "state": state})


def load_training_state(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_training_state` back into nested state."""
    from .. import io

    arrays, meta = io.load_checkpoint(path)
    if not isinstance(meta, dict) or meta.get("format") != "convlens-training-checkpoint":
        raise ValueError(f"{os.fspath(path)!r} is not a convlens training checkpoint")
    state = meta.get("state")
    if not isinstance(state, dict) or not all(key in state for key in _REQUIRED):
        raise ValueError(f"{os.fspath(path)!r} is not a complete convlens training checkpoint: "
                         f"its state must hold {', '.join(_REQUIRED)}")
    try:
        for key in ("model", "optimizer", "scheduler", "callbacks"):
            state[key] = join_state(state.get(key, []), arrays)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"{os.fspath(path)!r} holds a malformed training state: {error!r}") \
            from None
    return state


_REQUIRED = ("model", "optimizer", "scheduler", "epoch", "seed", "loader_epoch", "history",
             "rng")


def restore_rng(state: dict[str, Any]) -> None:
    """Put the default generator back where the checkpoint left it (dropout masks etc.)."""
    generator = _random.default_generator()
    generator.bit_generator.state = state
