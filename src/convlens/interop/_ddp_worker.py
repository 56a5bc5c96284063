"""One rank of ``train_ddp``: the DistributedDataParallel loop, in torch.

Reads its inputs from the folder ``train_ddp`` wrote (model bytes, arrays, settings); rank 0
writes the trained ``state_dict`` and the history back into it.
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

import numpy as np

OPTIMIZERS = {"adam": lambda torch, params, lr: torch.optim.Adam(params, lr=lr),
              "sgd": lambda torch, params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9)}


def convlens_order_sampler(torch):
    """``DistributedSampler`` subclass that yields this rank's share of convlens's batches."""

    class ConvlensOrderSampler(torch.utils.data.distributed.DistributedSampler):
        """Batches of indices (use it as a ``batch_sampler``).

        Epoch ``e`` (``set_epoch``) visits ``default_rng([seed, e]).permutation(N)`` in global
        batches of ``batch_size``, the order of ``convlens.data.DataLoader(shuffle=True,
        seed=seed)``; this rank gets the ``rank``-th of ``num_replicas`` contiguous shards of
        each (``np.array_split``), which may be empty for a short last batch.
        """

        def __init__(self, dataset, batch_size: int, num_replicas: int, rank: int,
                     seed: int) -> None:
            super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True,
                             seed=seed)
            self.batch_size = batch_size

        def __len__(self) -> int:
            return math.ceil(len(self.dataset) / self.batch_size)

        def __iter__(self):
            order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.dataset))
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                yield (np.array_split(batch, self.num_replicas)[self.rank].tolist(), len(batch))

    return ConvlensOrderSampler


def _backend(torch, requested: str, world_size: int) -> str:
    if requested != "auto":
        return requested
    return "nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= world_size \
        else "gloo"


def run_rank(rank: int, world_size: int, folder: str) -> None:
    """Train this rank's share; rank 0 writes ``state.npz`` and ``history.json``."""
    import torch
    import torch.distributed as dist

    from ..io import load
    from .torch_bridge import to_torch

    with open(os.path.join(folder, "settings.json")) as handle:
        settings = json.load(handle)
    backend = _backend(torch, settings["backend"], world_size)
    device = torch.device(f"cuda:{rank % max(torch.cuda.device_count(), 1)}"
                          if backend == "nccl" else "cpu")
    if backend == "gloo":  # share the cores: nproc ranks with all cores each would thrash
        local = int(os.environ.get("LOCAL_WORLD_SIZE", world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    dist.init_process_group(backend, rank=rank, world_size=world_size)
    try:
        torch.manual_seed(settings["seed"])
        data = dict(np.load(os.path.join(folder, "data.npz"), allow_pickle=False))
        module = to_torch(load(os.path.join(folder, "model.convlens"))).to(device)
        ddp = torch.nn.parallel.DistributedDataParallel(
            module, device_ids=[device.index] if device.type == "cuda" else None)
        optimizer = OPTIMIZERS[settings["optimizer"]](torch, ddp.parameters(), settings["lr"])
        sampler = convlens_order_sampler(torch)(
            range(len(data["y_train"])), settings["batch_size"], world_size, rank,
            settings["seed"])
        records = []
        for epoch in range(settings["epochs"]):
            started = time.perf_counter()
            sampler.set_epoch(epoch)
            record = {"epoch": epoch, **_train_epoch(torch, ddp, optimizer, sampler, data,
                                                     device)}
            if rank == 0 and "x_val" in data:
                record.update(_evaluate(torch, module, data["x_val"], data["y_val"], device))
            record.update(lr=settings["lr"], seconds=round(time.perf_counter() - started, 3))
            records.append(record)
            if rank == 0 and settings["progress"]:
                print(_line(record, settings["epochs"]), flush=True)
        if rank == 0:
            _write_result(folder, module, records)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _train_epoch(torch, ddp, optimizer, sampler, data, device) -> dict[str, float]:
    """One epoch; returns the mean training loss and accuracy over all ranks' samples."""
    import torch.distributed as dist
    import torch.nn.functional as F

    ddp.train()
    world = sampler.num_replicas
    totals = torch.zeros(3, dtype=torch.float64)            # loss sum, correct, count
    for indices, global_size in sampler:
        x = torch.from_numpy(data["x_train"][indices]).to(device)
        y = torch.from_numpy(data["y_train"][indices].astype(np.int64)).to(device)
        logits = ddp(x)
        loss_sum = F.cross_entropy(logits, y, reduction="sum")
        optimizer.zero_grad(set_to_none=True)
        # DDP averages gradients over ranks: scale so the average is d(mean over the batch)
        (loss_sum * (world / global_size)).backward()
        optimizer.step()
        totals += torch.tensor([loss_sum.item(), (logits.argmax(1) == y).sum().item(), len(y)],
                               dtype=torch.float64)
    dist.all_reduce(totals)
    return {"train_loss": float(totals[0] / totals[2]),
            "train_accuracy": float(totals[1] / totals[2])}


def _evaluate(torch, module, x, y, device) -> dict[str, float]:
    import torch.nn.functional as F

    module.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(y), 256):
            xb = torch.from_numpy(x[start:start + 256]).to(device)
            yb = torch.from_numpy(y[start:start + 256].astype(np.int64)).to(device)
            logits = module(xb)
            loss += F.cross_entropy(logits, yb, reduction="sum").item()
            correct += int((logits.argmax(1) == yb).sum())
    module.train()
    return {"val_loss": loss / len(y), "val_accuracy": correct / len(y)}


def _line(record: dict[str, Any], epochs: int) -> str:
    text = (f"epoch {record['epoch'] + 1}/{epochs}  train loss {record['train_loss']:.4f}  "
            f"acc {record['train_accuracy']:.4f}")
    if "val_loss" in record:
        text += f"  val loss {record['val_loss']:.4f}  acc {record['val_accuracy']:.4f}"
    return text + f"  ({record['seconds']:.1f} s, torch-ddp)"


def _write_result(folder: str, module, records) -> None:
    state = {key: value.detach().cpu().numpy() for key, value in module.state_dict().items()}
    np.savez(os.path.join(folder, "state.npz"), **state)
    with open(os.path.join(folder, "history.json"), "w") as handle:
        json.dump(records, handle)


if __name__ == "__main__":  # started by train_ddp with torchrun's environment variables
    import sys

    run_rank(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), sys.argv[1])
