"""Learning-rate schedules with torch's names, arguments and values.

A scheduler rewrites ``group["lr"]`` of its optimizer's groups each time :meth:`step` is called
(call it after ``optimizer.step()``). Building one already takes the first step (epoch 0), as
PyTorch does, so the learning rate before any ``step()`` is the schedule's first value.
:class:`ReduceLROnPlateau` instead takes ``step(metric)``.
"""

from ._base import LRScheduler
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .lambda_lr import LambdaLR, MultiplicativeLR
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .sequential import SequentialLR
from .step import ExponentialLR, MultiStepLR, StepLR
from .warmup import ConstantLR, LinearLR, PolynomialLR

__all__ = [
    "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ExponentialLR",
    "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
    "PolynomialLR", "ReduceLROnPlateau", "SequentialLR", "StepLR",
]
