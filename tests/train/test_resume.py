"""Resume: callbacks' state, the stored seed, partial epochs, hostile checkpoints, divergence."""

import json
import os

import numpy as np
import pytest

import convlens as cl
from convlens import nn
from convlens.train import (
    EarlyStopping,
    ModelCheckpoint,
    Trainer,
    TrainingDiverged,
    fit,
)
from convlens.train.checkpoint import load_training_state
from convlens.train.history import History


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 1, 6, 6)).astype(np.float32) * 0.5
    x[np.arange(n), 0, y * 2, :] += 2.0
    return cl.data.ArrayDataset(x, y.astype(np.int64))


def model_and_optimizer():
    cl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Dropout(0.3),
                          nn.Linear(32, 3))
    optimizer = cl.optim.Adam(model.parameters(), lr=1e-2)
    return model, optimizer, cl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)


def run(epochs, callbacks=(), resume=None, seed=0, loss=cl.functional.cross_entropy, val=True):
    model, optimizer, scheduler = model_and_optimizer()
    history = fit(model, data(), val=data(32, 1) if val else None, epochs=epochs,
                  batch_size=16, optimizer=optimizer, scheduler=scheduler,
                  callbacks=list(callbacks), seed=seed, resume=resume, progress=False, loss=loss)
    return model, history


def test_best_checkpoint_is_not_overwritten_by_a_worse_model_after_resume(tmp_path):
    # lr halves every epoch, so with monitor="lr", mode="max" epoch 1 stays the best forever.
    run(2, [ModelCheckpoint(tmp_path, monitor="lr", mode="max")])
    assert load_training_state(tmp_path / "best.ckpt")["epoch"] == 0
    run(4, [ModelCheckpoint(tmp_path, monitor="lr", mode="max")], resume=tmp_path / "last.ckpt")
    assert load_training_state(tmp_path / "best.ckpt")["epoch"] == 0
    assert load_training_state(tmp_path / "last.ckpt")["epoch"] == 3


def test_early_stopping_counter_survives_a_resume(tmp_path):
    def stopper():
        return EarlyStopping(monitor="lr", mode="max", patience=2)

    _, full = run(10, [stopper()])
    run(2, [stopper(), ModelCheckpoint(tmp_path)])
    _, resumed = run(10, [stopper(), ModelCheckpoint(tmp_path)], resume=tmp_path / "last.ckpt")
    assert len(full) == len(resumed) == 3
    assert resumed.stopped_early and resumed.stop_reason == full.stop_reason


def test_resuming_with_another_seed_is_an_error(tmp_path):
    run(1, [ModelCheckpoint(tmp_path)])
    with pytest.raises(ValueError, match=r"trained with seed=0; this run has seed=1"):
        run(2, [ModelCheckpoint(tmp_path)], resume=tmp_path / "last.ckpt", seed=1)


class _StopAfter:
    """A loss that asks the trainer to stop once it has been called ``n`` times in training."""

    def __init__(self, n):
        self.n, self.calls, self.trainer = n, 0, None

    def __call__(self, logits, target):
        if logits.requires_grad:
            self.calls += 1
            if self.calls == self.n:
                self.trainer.request_stop("test")
        return cl.functional.cross_entropy(logits, target)


@pytest.mark.parametrize("stop_at", [1, 3, 6, 9])
def test_a_stop_between_steps_resumes_bit_for_bit(tmp_path, stop_at):
    from convlens.train import TrainingInterrupted


    full_model, full = run(3)
    model, optimizer, scheduler = model_and_optimizer()
    loss = _StopAfter(stop_at)
    checkpoint = ModelCheckpoint(tmp_path)
    trainer = Trainer(model, optimizer, loss=loss, scheduler=scheduler, callbacks=[checkpoint],
                      progress=False)
    loss.trainer = trainer
    cl.manual_seed(0)
    train = cl.data.DataLoader(data(), batch_size=16, shuffle=True, seed=0)
    val = cl.data.DataLoader(data(32, 1), batch_size=16)
    with pytest.raises(TrainingInterrupted, match=r"interrupted at epoch \d/3"):
        trainer.fit(train, val, epochs=3)
    resumed_model, resumed = run(3, [ModelCheckpoint(tmp_path)], resume=tmp_path / "last.ckpt")
    for key, value in full_model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), resumed_model.state_dict()[key].numpy())
    assert resumed["train_loss"] == full["train_loss"]
    assert resumed["val_loss"] == full["val_loss"]


def _tamper(path, change):
    from convlens import io

    arrays, meta = io.load_checkpoint(path)
    change(arrays, meta)
    io.save_checkpoint(path, arrays, meta)


@pytest.mark.parametrize("change, message", [
    (lambda a, m: a.__setitem__("optimizer/state/0/exp_avg", np.zeros(3, np.float32)),
     "exp_avg|shape"),
    (lambda a, m: m["state"].__setitem__("rng", {"bit_generator": "PCG64", "state": 7}),
     "random generator state is invalid"),
    (lambda a, m: m["state"].__setitem__("epoch", "two"), "epoch must be an int"),
    (lambda a, m: m["state"].__setitem__("partial", {"step": -1}), "partial.step"),
    (lambda a, m: m["state"]["callbacks"][0].__setitem__(1, {"__dict__": [["best", [1]]]}), "best"),
])
def test_a_hostile_training_state_fails_before_touching_the_weights(tmp_path, change, message):
    run(1, [ModelCheckpoint(tmp_path)])
    _tamper(tmp_path / "last.ckpt", change)
    model, optimizer, scheduler = model_and_optimizer()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    optimizer_before = json.dumps(str(optimizer.state_dict()))
    trainer = Trainer(model, optimizer, scheduler=scheduler, callbacks=[ModelCheckpoint(tmp_path)])
    with pytest.raises(ValueError, match=message):
        trainer.restore(tmp_path / "last.ckpt")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])
    assert json.dumps(str(optimizer.state_dict())) == optimizer_before


def test_a_diverged_validation_loss_raises_the_divergence_error(tmp_path):
    val = data(32, 1)
    val.x[0, 0, 0, 0] = np.inf
    model, optimizer, _ = model_and_optimizer()
    with np.errstate(all="ignore"), pytest.raises(
            TrainingDiverged, match="validation loss became (nan|inf) after epoch 1"):
        fit(model, data(), val=val, epochs=2, batch_size=16, optimizer=optimizer,
            checkpoint_dir=tmp_path, progress=False)
    assert not os.path.exists(tmp_path / "last.ckpt")


def test_history_csv_counts_epochs_from_1_and_is_written_atomically(tmp_path):
    history = History()
    for epoch in range(2):
        history.append({"epoch": epoch, "train_loss": 0.5, "train_accuracy": 0.9, "lr": 0.1,
                        "seconds": 1.0})
    path = tmp_path / "history.csv"
    history.to_csv(path)
    lines = path.read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch", "1", "2"]

    class Unprintable:
        def __str__(self):
            raise RuntimeError("cannot format")

    history.append({"epoch": 2, "train_loss": Unprintable()})
    with pytest.raises(RuntimeError, match="cannot format"):
        history.to_csv(path)
    assert path.read_text().splitlines() == lines
    assert os.listdir(tmp_path) == ["history.csv"]


def test_sigterm_stops_between_steps_and_restores_the_old_handler(tmp_path):
    import signal

    from convlens.train import StopOnSignal, TrainingInterrupted

    class _Term:
        calls = 0

        def __call__(self, logits, target):
            if logits.requires_grad:
                _Term.calls += 1
                if _Term.calls == 2:
                    os.kill(os.getpid(), signal.SIGTERM)
            return cl.functional.cross_entropy(logits, target)

    before = signal.getsignal(signal.SIGTERM)
    with StopOnSignal() as stop, pytest.raises(TrainingInterrupted) as caught:
        run(2, [stop, ModelCheckpoint(tmp_path)], loss=_Term())
    assert caught.value.signal_name == "SIGTERM" and str(caught.value) == (
        "interrupted at epoch 1/2")
    assert signal.getsignal(signal.SIGTERM) is before
    assert load_training_state(tmp_path / "last.ckpt")["partial"]["step"] == 2


def test_a_run_that_stopped_early_stays_stopped_on_resume(tmp_path):
    def callbacks():
        return [EarlyStopping(monitor="lr", mode="max", patience=2), ModelCheckpoint(tmp_path)]

    _, first = run(10, callbacks())
    _, again = run(10, callbacks(), resume=tmp_path / "last.ckpt")
    assert len(first) == len(again) == 3 and again.stopped_early
