"""Optimizers and learning-rate schedules with PyTorch's names, arguments and update rules.

``SGD``, ``Adam`` and ``AdamW`` update parameters in place (bumping ``Tensor.version``);
``optim.lr_scheduler`` holds ``StepLR``, ``CosineAnnealingLR`` and ``OneCycleLR``. Optimizer and
scheduler ``state_dict()`` hold only ndarrays and JSON values, so training resumes exactly from
a checkpoint written without pickle (see ``docs/optim.md``).
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
