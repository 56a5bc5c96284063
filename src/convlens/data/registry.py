"""``load_dataset(name)``: every dataset convlens knows, by name. Nothing is ever downloaded."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

from .dataset import ArrayDataset


def _mnist_5k(data_dir: Any) -> tuple[ArrayDataset, ArrayDataset]:
    from .bundled import load_mnist_5k

    return load_mnist_5k()


def _digits(data_dir: Any) -> tuple[ArrayDataset, ArrayDataset]:
    from .digits import load_digits

    return load_digits()


def _mnist1d(data_dir: Any, cache_dir: Any = None, regenerate: bool = False,
             **overrides: Any) -> tuple[ArrayDataset, ArrayDataset]:
    from .mnist1d import load_mnist1d

    # data_dir doubles as the cache folder, so a CLI's --data-dir works for mnist1d too.
    folder = cache_dir if cache_dir is not None else data_dir
    return load_mnist1d(folder, regenerate=regenerate, **overrides)


def _mnist(data_dir: Any) -> tuple[ArrayDataset, ArrayDataset]:
    from .idx import load_mnist_idx

    return load_mnist_idx(data_dir, "mnist")


def _fashion_mnist(data_dir: Any) -> tuple[ArrayDataset, ArrayDataset]:
    from .idx import load_mnist_idx

    return load_mnist_idx(data_dir, "fashion-mnist")


def _cifar10(data_dir: Any) -> tuple[ArrayDataset, ArrayDataset]:
    from .cifar import load_cifar10

    return load_cifar10(data_dir)


def _image_folder(data_dir: Any, image_size: Any = None, grayscale: bool = False,
                  test_fraction: float = 0.2, seed: int = 0) -> tuple[ArrayDataset, ArrayDataset]:
    from .image_folder import load_image_folder

    return load_image_folder(data_dir, image_size, grayscale, test_fraction, seed)


_LOADERS: dict[str, Callable[..., tuple[ArrayDataset, ArrayDataset]]] = {
    "mnist-5k": _mnist_5k,
    "digits": _digits,
    "mnist1d": _mnist1d,
    "mnist": _mnist,
    "fashion-mnist": _fashion_mnist,
    "cifar10": _cifar10,
    "image-folder": _image_folder,
}
DATASETS: tuple[str, ...] = tuple(_LOADERS)


def _check_keywords(name: str, loader: Callable, kw: dict[str, Any]) -> None:
    parameters = inspect.signature(loader).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return  # the loader checks its own extra keywords
    accepted = [p for p in parameters if p != "data_dir"]
    unknown = sorted(set(kw) - set(accepted))
    if unknown:
        options = ", ".join(accepted) if accepted else "no options"
        raise TypeError(f"load_dataset({name!r}) got unexpected keyword argument(s) "
                        f"{', '.join(unknown)}; it accepts: {options}")


def load_dataset(name: str, data_dir: str | os.PathLike | None = None,
                 **kw: Any) -> tuple[ArrayDataset, ArrayDataset]:
    """Load a dataset by name as ``(train, test)``; nothing is ever downloaded.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`:

        - ``"mnist-5k"``: 5,000 MNIST digits shipped with convlens (4,000 train / 1,000 test).
        - ``"digits"``: scikit-learn's 8x8 digits (needs scikit-learn), split 80/20.
        - ``"mnist1d"``: MNIST-1D from the ``mnist1d`` package (4,000 / 1,000, length 40),
          cached in ``cache_dir`` (default ``~/.cache/convlens``; ``data_dir`` if given).
        - ``"mnist"``, ``"fashion-mnist"``: the four standard IDX files in ``data_dir``.
        - ``"cifar10"``: ``cifar-10-python.tar.gz`` or ``cifar-10-batches-py/`` in ``data_dir``.
        - ``"image-folder"``: ``data_dir/<class>/*.png|jpg``; options ``image_size=(H, W)``,
          ``grayscale=``, ``test_fraction=0.2``, ``seed=0``.
    data_dir : str or os.PathLike, optional
        Folder holding the files of a local dataset. The bundled datasets ignore it.
    **kw
        Options of the dataset, as listed above.

    Returns
    -------
    train, test : ArrayDataset
        ``x`` float32 (N, C, H, W) for images or (N, C, L) for sequences, ``y`` int64 (N,).

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the known names), or a local dataset is
        asked for without ``data_dir``.
    FileNotFoundError
        If an expected file is missing; the message gives its full path.
    TypeError
        If a keyword argument is not an option of that dataset.
    ImportError
        If the optional package a dataset needs is missing (the message says what to install).

    Examples
    --------
    >>> train, test = load_dataset("mnist-5k")
    >>> len(train), len(test), train.input_shape, train.classes[:3]
    (4000, 1000, (1, 28, 28), ('0', '1', '2'))
    """
    loader = _LOADERS.get(name) if isinstance(name, str) else None
    if loader is None:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}")
    _check_keywords(name, loader, kw)
    return loader(data_dir, **kw)
