"""``fit``: train a model in one call. It reads top to bottom like the loop it runs.

    import convlens as cl
    train, test = cl.data.load_dataset("mnist-5k")
    model = cl.models.create("lenet5")
    history = cl.fit(model, train, val=test, epochs=10)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from .. import _validate
from .. import functional as F
from ..random import manual_seed
from .callbacks import Callback, ModelCheckpoint
from .history import History
from .trainer import Trainer


def _as_loader(data, batch_size: int, shuffle: bool, seed: int, name: str):
    from ..data import ArrayDataset, DataLoader

    if isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        data = ArrayDataset(*data)
    if isinstance(data, ArrayDataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise TypeError(f"{name} must be a DataLoader, an ArrayDataset or an (x, y) tuple of arrays; "
                    f"got {type(data).__name__}")


def fit(model, train, val=None, epochs: int = 10, optimizer=None,
        loss: Callable = F.cross_entropy, scheduler=None, callbacks: Sequence[Callback] = (),
        seed: int = 0, batch_size: int = 64, lr: float = 1e-3,
        checkpoint_dir: str | os.PathLike | None = None,
        resume: str | os.PathLike | None = None, progress: bool = True) -> History:
    """Train ``model`` on ``train`` for ``epochs`` epochs and return the per-epoch History.

    Parameters
    ----------
    model : nn.Module
    train, val : DataLoader, ArrayDataset or (x, y) arrays
        Datasets are wrapped in a DataLoader (``batch_size``; training data shuffled with
        ``seed``). ``val`` is optional and evaluated after every epoch.
    epochs : int, default 10
        Total number of epochs, counting those already done when resuming.
    optimizer : convlens.optim.Optimizer, optional
        Default: ``Adam(model.parameters(), lr=lr)``.
    loss : callable, default F.cross_entropy
        ``loss(logits, targets) -> scalar Tensor``.
    scheduler : learning-rate scheduler, optional
        Stepped once per epoch (per batch for OneCycleLR).
    callbacks : sequence of Callback
        E.g. ``EarlyStopping``; see :mod:`convlens.train.callbacks`.
    seed : int, default 0
        Seeds the default generator (dropout) and the data order.
    checkpoint_dir : path, optional
        Write ``last.ckpt`` every epoch and ``best.ckpt`` on the best validation loss.
    resume : path, optional
        A checkpoint to continue from: the run ends with the same weights as one that was never
        interrupted.
    progress : bool, default True
        A tqdm bar on a terminal (if installed), one line per epoch otherwise.

    Returns
    -------
    History
        One record per epoch: train/val loss and accuracy, learning rate, seconds.

    Raises
    ------
    TrainingDiverged
        If the loss becomes NaN or infinite (the offending step is not applied).
    """
    epochs = _validate.positive_int(epochs, "epochs")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    manual_seed(seed)
    train_loader = _as_loader(train, batch_size, True, seed, "train")
    val_loader = None if val is None else _as_loader(val, batch_size, False, seed, "val")
    if optimizer is None:
        from ..optim import Adam

        optimizer = Adam(model.parameters(), lr=_validate.real_number(lr, "lr", low=0.0))
    callbacks = list(callbacks)
    if checkpoint_dir is not None:
        callbacks.append(ModelCheckpoint(checkpoint_dir))
    trainer = Trainer(model, optimizer, loss=loss, scheduler=scheduler, callbacks=callbacks,
                      seed=seed, progress=progress)
    return trainer.fit(train_loader, val_loader, epochs=epochs, resume=resume)
