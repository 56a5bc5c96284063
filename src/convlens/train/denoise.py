"""Denoising: learn to map noisy images back to clean ones (image-to-image regression).

    import convlens as cl
    from convlens.train import denoise
    train, test = cl.data.load_dataset("mnist-5k")
    model = cl.models.create("autoencoder")
    history = denoise.fit_denoiser(model, train.x, test.x, epochs=10)
    denoise.evaluate_denoiser(model, denoise.NoisyPairs(test.x, fixed=True))
    # {'loss': ..., 'psnr_noisy': ..., 'psnr_denoised': ...}

The noise is seeded: the test split gets one fixed noisy copy (from ``seed``), and every
training epoch draws fresh noise from ``(seed, epoch, batch)``, so a run is reproducible.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _validate
from .. import functional as F
from ..autograd import no_grad
from ..tensor import Tensor, tensor
from .callbacks import Callback
from .history import History
from .trainer import Trainer

NOISES = ("gaussian", "salt-and-pepper")
DEFAULT_NOISE, DEFAULT_LEVEL = "gaussian", 0.3


def check_noise(noise: str, level: float, noise_name: str = "noise",
                level_name: str = "level") -> tuple[str, float]:
    """Validate a noise kind and level (level in [0, 1]); return them."""
    noise = _validate.one_of(noise, NOISES, noise_name)
    level = _validate.real_number(level, level_name, low=0.0, high=1.0)
    return noise, level


def add_noise(images: np.ndarray, rng: np.random.Generator, noise: str = DEFAULT_NOISE,
              level: float = DEFAULT_LEVEL) -> np.ndarray:
    """A noisy copy of ``images`` (values in [0, 1]), clipped back to [0, 1].

    Parameters
    ----------
    images : ndarray of float
    rng : numpy.random.Generator
    noise : {"gaussian", "salt-and-pepper"}, default "gaussian"
        "gaussian" adds N(0, level**2) to every pixel; "salt-and-pepper" sets a share
        ``level`` of the pixels to 0 or 1 (half each, on average).
    level : float, default 0.3
        The standard deviation, or the share of pixels hit; in [0, 1].

    Examples
    --------
    >>> x = np.full((1, 1, 2, 2), 0.5, np.float32)
    >>> add_noise(x, np.random.default_rng(0), level=0.0).tolist()
    [[[[0.5, 0.5], [0.5, 0.5]]]]
    """
    noise, level = check_noise(noise, level)
    if noise == "gaussian":
        noisy = images + rng.normal(0.0, level, images.shape).astype(images.dtype)
    else:
        hit = rng.random(images.shape) < level
        salt = rng.random(images.shape) < 0.5
        noisy = np.where(hit, salt.astype(images.dtype), images)
    return np.clip(noisy, 0.0, 1.0).astype(images.dtype, copy=False)


def psnr(input: Any, target: Any, data_range: float = 1.0) -> float:  # noqa: A002
    """Peak signal-to-noise ratio in dB: ``10 * log10(data_range**2 / MSE)``.

    The mean squared error is pooled over every element (all images of a batch together), as
    ``skimage.metrics.peak_signal_noise_ratio`` does for one array. Equal arrays give ``inf``.

    Examples
    --------
    >>> round(psnr(np.zeros(4), np.full(4, 0.1)), 6)    # MSE 0.01 -> 20 dB
    20.0
    """
    a = np.asarray(input._data if isinstance(input, Tensor) else input, np.float64)
    b = np.asarray(target._data if isinstance(target, Tensor) else target, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"psnr needs input and target of the same shape; got {a.shape} and "
                         f"{b.shape}")
    data_range = _validate.real_number(data_range, "data_range", low=0.0)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(data_range**2 / mse)


class NoisyPairs:
    """Mini-batches of ``(noisy, clean)`` Tensors drawn from clean images in [0, 1].

    Parameters
    ----------
    images : ndarray, shape (N, C, H, W) or (N, C, L)
    batch_size : int, default 64
    shuffle : bool, default False
    seed : int, default 0
        Seeds the order and the noise.
    noise, level : see :func:`add_noise`
    fixed : bool, default False
        One noisy copy for every epoch (a test split); otherwise fresh noise per epoch and
        batch, from ``SeedSequence([seed, epoch], spawn_key=(batch,))``.

    Examples
    --------
    >>> pairs = NoisyPairs(np.zeros((5, 1, 4, 4), np.float32), batch_size=2, fixed=True)
    >>> [(tuple(x.shape), tuple(y.shape)) for x, y in pairs][-1]
    ((1, 1, 4, 4), (1, 1, 4, 4))
    """

    def __init__(self, images: np.ndarray, batch_size: int = 64, shuffle: bool = False,
                 seed: int = 0, noise: str = DEFAULT_NOISE, level: float = DEFAULT_LEVEL,
                 fixed: bool = False) -> None:
        from ..data import ArrayDataset, DataLoader

        # The labels are the sample indices, so each batch says which clean images it holds.
        indexed = ArrayDataset(images, np.arange(len(images)), name="clean")
        self.images = indexed.x
        self.noise, self.level = noise, level
        check_noise(noise, level)
        self.noisy = None
        if fixed:
            self.noisy = add_noise(self.images, np.random.default_rng(seed), noise, level)
        transform = None if fixed else (lambda x, rng: add_noise(x, rng, noise, level))
        self.loader = DataLoader(indexed, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 transform=transform)

    def __len__(self) -> int:
        return len(self.loader)

    def set_epoch(self, epoch: int) -> None:
        self.loader.set_epoch(epoch)

    def __iter__(self):
        for x, index in self.loader:
            if self.noisy is not None:
                x = tensor(self.noisy[index._data])
            yield x, tensor(self.images[index._data])


def denoise(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The model's output for ``images``, in eval mode and without a graph."""
    was_training = model.training
    model.eval()
    with no_grad():
        out = [model(tensor(images[i:i + batch_size]))._data
               for i in range(0, len(images), batch_size)]
    model.train(was_training)
    return np.concatenate(out)


def evaluate_denoiser(model, pairs: NoisyPairs) -> dict[str, float]:
    """Test MSE and PSNR (dB) of the noisy input and of the model's output, against the clean.

    Returns
    -------
    dict
        ``loss`` (the MSE of output vs clean), ``psnr_noisy``, ``psnr_denoised``.
    """
    noisy = np.concatenate([x._data for x, _ in pairs])
    clean = np.concatenate([y._data for _, y in pairs])
    if len(clean) == 0:
        raise ValueError("evaluate_denoiser needs at least one image")
    output = denoise(model, noisy)
    return {"loss": float(np.mean((output.astype(np.float64) - clean) ** 2)),
            "psnr_noisy": psnr(noisy, clean), "psnr_denoised": psnr(output, clean)}


class _ValidationPSNR(Callback):
    """Puts the test MSE in ``val_loss`` each epoch (accuracy means nothing here) and prints
    one line per epoch with the test PSNR when ``progress`` is on."""

    def __init__(self, pairs: NoisyPairs | None, epochs: int, progress: bool) -> None:
        self.pairs = pairs
        self.epochs = epochs
        self.progress = progress
        self.psnr: list[float] = []

    def on_epoch_end(self, trainer, record: dict[str, Any]) -> None:
        latest = trainer.history.records[-1]
        latest["train_accuracy"] = record["train_accuracy"] = None
        if self.pairs is not None:
            metrics = evaluate_denoiser(trainer.model, self.pairs)
            latest["val_loss"] = record["val_loss"] = metrics["loss"]
            self.psnr.append(metrics["psnr_denoised"])
        if self.progress:
            parts = [f"epoch {record['epoch'] + 1}/{self.epochs}",
                     f"loss {record['train_loss']:.4f}"]
            if self.psnr:
                parts += [f"test MSE {latest['val_loss']:.4f}",
                          f"test PSNR {self.psnr[-1]:.2f} dB"]
            print("  ".join(parts + [f"{record['seconds']:.1f}s"]), flush=True)


def fit_denoiser(model, train_images: np.ndarray, test_images: np.ndarray | None = None,
                 epochs: int = 10, optimizer=None, lr: float = 3e-3, batch_size: int = 64,
                 seed: int = 0, noise: str = DEFAULT_NOISE, level: float = DEFAULT_LEVEL,
                 progress: bool = True) -> History:
    """Train ``model`` to map noisy ``train_images`` to the clean ones, with MSE loss.

    Parameters
    ----------
    model : nn.Module
        Image to image: its output has the input's shape (e.g. "autoencoder", "unet_small").
    train_images, test_images : ndarray, shape (N, C, H, W), values in [0, 1]
        ``test_images`` (optional) get one fixed noisy copy; their MSE is ``val_loss``.
    epochs, lr, batch_size, seed : as in :func:`convlens.fit` (default optimizer: Adam(lr))
    noise, level : see :func:`add_noise`

    Returns
    -------
    History
        ``train_loss`` and ``val_loss`` are MSEs; the accuracy columns are None.
    """
    from ..optim import Adam
    from ..random import manual_seed

    manual_seed(seed)
    train = NoisyPairs(train_images, batch_size, shuffle=True, seed=seed, noise=noise,
                       level=level)
    test = None if test_images is None else NoisyPairs(
        test_images, 256, seed=seed, noise=noise, level=level, fixed=True)
    if optimizer is None:
        optimizer = Adam(model.parameters(), lr=_validate.real_number(lr, "lr", low=0.0))
    epochs = _validate.positive_int(epochs, "epochs")
    # The Trainer's own progress line shows an accuracy, so this task prints its own.
    trainer = Trainer(model, optimizer, loss=F.mse_loss, seed=seed, progress=False,
                      callbacks=[_ValidationPSNR(test, epochs, progress)])
    return trainer.fit(train, None, epochs=epochs)
