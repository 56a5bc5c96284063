"""Training: ``fit`` (one call), ``Trainer`` (the loop), callbacks, checkpoints and History."""

from .callbacks import Callback, EarlyStopping, LRScheduler, ModelCheckpoint
from .fit import fit
from .history import History
from .interrupt import StopOnSignal, TrainingInterrupted
from .trainer import Trainer, TrainingDiverged, evaluate

__all__ = ["Callback", "EarlyStopping", "History", "LRScheduler", "ModelCheckpoint", "Trainer",
           "TrainingDiverged", "evaluate", "fit", "StopOnSignal", "TrainingInterrupted"]
