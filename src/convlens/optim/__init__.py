"""Optimizers and learning-rate schedules with PyTorch's names, arguments and update rules.

``SGD``, ``Adam``, ``AdamW``, ``Adadelta``, ``Adagrad``, ``Adamax``, ``NAdam``, ``RAdam`` and
``RMSprop`` update parameters in place (bumping ``Tensor.version``); ``optim.lr_scheduler``
holds torch's schedulers. ``Optimizer`` also takes torch-style custom optimizers (a ``step``
that reads ``param_groups`` and keeps ``self.state[p]``). The built-in optimizers' and the
schedulers' ``state_dict()`` hold only ndarrays and JSON values, so training resumes exactly
from a checkpoint written without pickle (see ``docs/optim.md``).
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "lr_scheduler"]
