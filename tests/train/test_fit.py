"""fit/Trainer: resume equals uninterrupted, the NaN guard, callbacks, checkpoints, History."""

import os

import numpy as np
import pytest

import convlens as cl
from convlens import nn
from convlens.train import EarlyStopping, ModelCheckpoint, Trainer, TrainingDiverged, fit


def small_data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 1, 8, 8)).astype(np.float32) * 0.5
    x[np.arange(n), 0, y * 2, :] += 2.0          # each class lights up its own row
    return cl.data.ArrayDataset(x, y.astype(np.int64))


def small_model():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, 3))


def weights(model):
    return {k: v.copy() for k, v in ((k, np.asarray(v.data if hasattr(v, "data") else v))
                                     for k, v in model.state_dict().items())}


def run_fit(epochs, checkpoint_dir=None, resume=None, scheduler=True):
    cl.manual_seed(0)
    model = small_model()
    optimizer = cl.optim.Adam(model.parameters(), lr=1e-2)
    sched = cl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5) if scheduler else None
    history = fit(model, small_data(), val=small_data(48, seed=1), epochs=epochs, batch_size=16,
                  optimizer=optimizer, scheduler=sched, checkpoint_dir=checkpoint_dir,
                  resume=resume, progress=False)
    return model, history


def test_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one(tmp_path):
    full, full_history = run_fit(4)
    run_fit(2, checkpoint_dir=tmp_path)              # "interrupted" after 2 epochs
    resumed, resumed_history = run_fit(4, resume=tmp_path / "last.ckpt")
    a, b = weights(full), weights(resumed)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert resumed_history["train_loss"] == full_history["train_loss"]
    assert resumed_history["lr"] == [1e-2, 5e-3, 2.5e-3, 1.25e-3]


def test_training_learns_the_toy_task():
    _, history = run_fit(4, scheduler=False)
    assert history["val_accuracy"][-1] > 0.9
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_nan_guard_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    cl.manual_seed(0)
    model = small_model()
    data = small_data()
    fit(model, data, epochs=1, batch_size=16, checkpoint_dir=tmp_path, progress=False)
    saved = (tmp_path / "last.ckpt").read_bytes()
    bad = small_data()
    bad.x[40] = np.nan                               # sample 40 lands in some batch of epoch 2
    optimizer = cl.optim.Adam(model.parameters(), lr=1e-3)
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch 2, step \d+"):
        fit(model, bad, epochs=2, batch_size=16, optimizer=optimizer, checkpoint_dir=tmp_path,
            resume=tmp_path / "last.ckpt", progress=False)
    assert (tmp_path / "last.ckpt").read_bytes() == saved
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp")]


def test_early_stopping_ends_training_and_says_why():
    cl.manual_seed(0)
    model = small_model()
    stopper = EarlyStopping(monitor="val_loss", patience=1, min_delta=1e9)
    history = fit(model, small_data(), val=small_data(48, 1), epochs=10, batch_size=16,
                  callbacks=[stopper], progress=False)
    assert len(history) == 2
    assert history.stopped_early
    assert "val_loss did not improve for 1 epochs" in history.stop_reason


def test_model_checkpoint_writes_best_and_last_that_load(tmp_path):
    cl.manual_seed(0)
    model = small_model()
    checkpoint = ModelCheckpoint(tmp_path)
    fit(model, small_data(), val=small_data(48, 1), epochs=2, batch_size=16,
        callbacks=[checkpoint], progress=False)
    assert sorted(os.listdir(tmp_path)) == ["best.ckpt", "last.ckpt"]
    trainer = Trainer(small_model(), cl.optim.Adam(small_model().parameters()), progress=False)
    trainer.restore(tmp_path / "last.ckpt")
    assert trainer.epoch == 1
    assert len(trainer.history) == 2


def test_history_columns_and_csv(tmp_path):
    _, history = run_fit(2, scheduler=False)
    history.to_csv(tmp_path / "h.csv")
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0] == "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds"
    assert len(lines) == 3
    with pytest.raises(KeyError, match="History has columns"):
        history["nope"]


def test_fit_validates_its_arguments():
    model = small_model()
    with pytest.raises(ValueError, match="epochs must be >= 1; got 0"):
        fit(model, small_data(), epochs=0)
    with pytest.raises(TypeError, match="train must be a DataLoader, an ArrayDataset"):
        fit(model, [1, 2, 3], epochs=1)
    with pytest.raises(ValueError, match="patience must be >= 1"):
        EarlyStopping(patience=0)
