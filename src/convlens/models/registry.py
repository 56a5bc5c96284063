"""The model zoo: ``create(name, **kw)`` builds a named architecture from stock layers.

Every model is built only from convlens layers and containers, so ``cl.save``/``cl.load``,
``summary()``, the explain tools and ONNX export work on all of them.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import _validate

_BUILDERS: dict[str, Callable] = {}
_DESCRIPTIONS: dict[str, str] = {}


def register(name: str, description: str) -> Callable[[Callable], Callable]:
    """Decorator that adds a builder to the zoo under ``name``."""
    def wrap(builder: Callable) -> Callable:
        _BUILDERS[name] = builder
        _DESCRIPTIONS[name] = description
        return builder

    return wrap


def available() -> dict[str, str]:
    """Names of the models in the zoo, with one-line descriptions."""
    _load_builders()
    return dict(_DESCRIPTIONS)


def create(name: str, **kwargs):
    """Build the model ``name`` with fresh weights from the default generator.

    Parameters
    ----------
    name : str
        One of ``available()``: "lenet5", "mnist1d_cnn", "mlp", "logistic", "vgg_small",
        "resnet_small", "unet_small", "autoencoder".
    **kwargs
        Builder options, e.g. ``in_channels``, ``num_classes``, ``input_shape``.

    Returns
    -------
    nn.Module

    Raises
    ------
    ValueError
        For an unknown name or options that do not fit the architecture.

    Examples
    --------
    >>> import convlens as cl
    >>> model = cl.models.create("lenet5")
    >>> model(cl.tensor(__import__("numpy").zeros((2, 1, 28, 28), "float32"))).shape
    (2, 10)
    """
    _load_builders()
    _validate.one_of(name, sorted(_BUILDERS), "name")
    return _BUILDERS[name](**kwargs)


def _load_builders() -> None:
    from . import autoencoder, cnn, mlp, residual, unet  # noqa: F401  (importing registers the builders)
