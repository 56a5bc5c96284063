"""Training handed to PyTorch's DistributedDataParallel, and the result brought back.

``train_ddp`` converts a convlens model with :func:`~convlens.interop.to_torch`, trains it in
``nproc`` processes under ``torch.distributed`` (gloo on the CPU, NCCL where every process has
a GPU), then converts the trained module back with :func:`~convlens.interop.from_torch`.
``convlens train --engine torch-ddp --nproc N`` calls it and writes a normal run folder.

Same data order and optimizer as ``cl.fit``: epoch ``e`` visits the training samples in the
order ``np.random.default_rng([seed, e]).permutation(N)``, in global batches of
``batch_size``; each global batch is split into ``nproc`` contiguous shards, one per process,
and every process scales its summed loss so that DDP's gradient average is the gradient of the
mean loss over the whole global batch. One DDP step is therefore the step ``cl.fit`` takes on
the same batch (up to float32 rounding). Adam and SGD(momentum=0.9) get the same arguments as
in ``convlens train``.

What crosses process boundaries is files, not pickled convlens objects: the model as
``cl.save`` bytes, the arrays as an ``.npz``, and back from rank 0 the trained ``state_dict``
(``.npz``) and the per-epoch history (JSON). Under an outside launcher (``torchrun``, which sets
``RANK`` and ``WORLD_SIZE``) ``train_ddp`` runs as that one rank instead of starting processes.
torch is imported only inside these functions.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

from .. import _validate
from ..nn.module import Module
from ._ddp_worker import OPTIMIZERS, run_rank


def _torch():
    try:
        import torch
        import torch.distributed  # noqa: F401
    except ImportError:
        raise ImportError("--engine torch-ddp needs torch: pip install 'convlens[ddp]'") from None
    return torch


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _check(epochs, batch_size, lr, optimizer, nproc, backend) -> None:
    _validate.positive_int(epochs, "epochs")
    _validate.positive_int(batch_size, "batch_size")
    _validate.positive_int(nproc, "nproc")
    if not isinstance(lr, (int, float)) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number; got {lr!r}")
    _validate.one_of(optimizer, tuple(OPTIMIZERS), "optimizer")
    _validate.one_of(backend, ("auto", "gloo", "nccl"), "backend")


def train_ddp(model: Module, train: tuple[np.ndarray, np.ndarray],
              val: tuple[np.ndarray, np.ndarray] | None = None, *, epochs: int = 10,
              batch_size: int = 64, lr: float = 3e-3, optimizer: str = "adam", seed: int = 0,
              nproc: int = 2, backend: str = "auto",
              progress: bool = True) -> tuple[Module, list[dict[str, Any]]]:
    """Train ``model`` with DistributedDataParallel in ``nproc`` processes.

    Parameters
    ----------
    model : nn.Module
        A convlens model that :func:`~convlens.interop.to_torch` can convert.
    train, val : (x, y) arrays
        Training data and optional validation data (evaluated by rank 0 after every epoch).
    epochs, batch_size, lr, seed
        As in ``convlens train``; ``batch_size`` is the global batch, split over processes.
    optimizer : {"adam", "sgd"}, default "adam"
        ``Adam(lr)`` or ``SGD(lr, momentum=0.9)``, as ``convlens train``.
    nproc : int, default 2
        Processes to start on this machine (ignored under ``torchrun``, which starts them).
    backend : {"auto", "gloo", "nccl"}, default "auto"
        "auto" is NCCL when every process can have its own GPU, gloo otherwise.
    progress : bool, default True
        Rank 0 prints one line per epoch.

    Returns
    -------
    model : nn.Module
        The trained model, converted back with :func:`~convlens.interop.from_torch`.
    records : list of dict
        One per epoch: epoch (from 0), train_loss, train_accuracy, val_loss, val_accuracy, lr,
        seconds — the columns of :class:`convlens.train.History`.
    """
    _check(epochs, batch_size, lr, optimizer, nproc, backend)
    torch = _torch()
    from ..io import load, save
    from .torch_bridge import from_torch, to_torch

    settings = {"epochs": epochs, "batch_size": batch_size, "lr": float(lr),
                "optimizer": optimizer, "seed": int(seed), "backend": backend,
                "progress": bool(progress)}
    with tempfile.TemporaryDirectory(prefix="convlens-ddp-") as folder:
        save(model, os.path.join(folder, "model.convlens"))
        arrays = {"x_train": train[0], "y_train": train[1]}
        if val is not None:
            arrays.update(x_val=val[0], y_val=val[1])
        np.savez(os.path.join(folder, "data.npz"), **arrays)
        with open(os.path.join(folder, "settings.json"), "w") as handle:
            json.dump(settings, handle)
        if "RANK" in os.environ and "WORLD_SIZE" in os.environ:       # under torchrun
            run_rank(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), folder)
        else:
            _launch(nproc, folder)
        if not os.path.exists(os.path.join(folder, "history.json")):
            return model, []                                       # a rank other than 0
        trained = to_torch(load(os.path.join(folder, "model.convlens")))
        with np.load(os.path.join(folder, "state.npz"), allow_pickle=False) as state:
            trained.load_state_dict({key: torch.from_numpy(state[key]) for key in state.files})
        with open(os.path.join(folder, "history.json")) as handle:
            records = json.load(handle)
    return from_torch(trained.eval()), records


def _launch(nproc: int, folder: str) -> None:
    """Start ``nproc`` ranks as ``python -m convlens.interop._ddp_worker FOLDER`` with
    torchrun's environment variables, and wait for all of them.

    Fresh interpreters (not ``multiprocessing``'s spawn) so that the caller's ``__main__`` is
    never re-imported. If one rank fails, the others are stopped and its error is raised.
    """
    base = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()),
            "WORLD_SIZE": str(nproc), "LOCAL_WORLD_SIZE": str(nproc)}
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    ranks = []
    try:
        for rank in range(nproc):
            env = {**base, "RANK": str(rank), "LOCAL_RANK": str(rank)}
            log = open(os.path.join(folder, f"rank{rank}.log"), "w+b")
            command = [sys.executable, "-m", "convlens.interop._ddp_worker", folder]
            ranks.append((subprocess.Popen(command, env=env, stdout=None if rank == 0 else log,
                                           stderr=log), log))
        _wait(ranks)
    finally:
        for process, log in ranks:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


def _wait(ranks: list) -> None:
    """Wait for every rank; on the first failure stop the rest and raise its message."""
    while True:
        codes = [process.poll() for process, _ in ranks]
        failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            log = ranks[failed[0]][1]
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"torch-ddp rank {failed[0]} exited with code "
                               f"{codes[failed[0]]}: " + " | ".join(tail))
        if all(code == 0 for code in codes):
            return
        time.sleep(0.05)
