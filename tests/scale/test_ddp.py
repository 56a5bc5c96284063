"""Training handed to torch DistributedDataParallel: 2 real processes with the gloo backend."""

import numpy as np
import pytest

import convlens as cl

torch = pytest.importorskip("torch")
ddp = pytest.importorskip("convlens.interop.ddp")


@pytest.fixture(scope="module")
def mnist():
    return cl.data.load_dataset("mnist-5k")


def fresh_lenet(seed=0):
    cl.manual_seed(seed)
    return cl.models.create("lenet5", input_shape=(1, 28, 28), num_classes=10)


@pytest.mark.parametrize("samples", [256, 195])    # 195: a last batch of 3 split 2 + 1
def test_one_ddp_epoch_takes_the_steps_fit_takes(mnist, samples):
    train, _ = mnist
    x, y = train.x[:samples], train.y[:samples]
    trained, records = ddp.train_ddp(fresh_lenet(), (x, y), epochs=1, batch_size=64, lr=0.05,
                                     optimizer="sgd", seed=3, nproc=2, progress=False)
    reference = fresh_lenet()
    cl.fit(reference, (x, y), epochs=1, batch_size=64, seed=3, progress=False,
           optimizer=cl.optim.SGD(reference.parameters(), lr=0.05, momentum=0.9))
    ours = reference.state_dict()
    theirs = trained.state_dict()
    assert ours.keys() == theirs.keys()
    for key in ours:   # the same batches and updates; only float32 rounding differs
        np.testing.assert_allclose(theirs[key].numpy(), ours[key].numpy(), rtol=2e-4,
                                   atol=2e-5, err_msg=key)
    assert len(records) == 1 and records[0]["epoch"] == 0
    assert 0 < records[0]["train_loss"] < 10 and "val_loss" not in records[0]


def test_bad_settings_are_refused(mnist):
    train, _ = mnist
    data = (train.x[:8], train.y[:8])
    with pytest.raises(ValueError, match="nproc"):
        ddp.train_ddp(fresh_lenet(), data, nproc=0)
    with pytest.raises(ValueError, match="optimizer"):
        ddp.train_ddp(fresh_lenet(), data, optimizer="lbfgs")
    with pytest.raises(ValueError, match="backend"):
        ddp.train_ddp(fresh_lenet(), data, backend="mpi")


@pytest.mark.slow
def test_lenet5_accuracy_within_one_point_of_convlens(mnist):
    train, test = mnist
    trained, records = ddp.train_ddp(fresh_lenet(), (train.x, train.y), (test.x, test.y),
                                     epochs=10, batch_size=64, lr=3e-3, seed=0, nproc=2,
                                     progress=False)
    loader = cl.data.DataLoader(test, batch_size=256)
    ddp_accuracy = cl.train.evaluate(trained, loader)["accuracy"]
    reference = fresh_lenet()
    cl.fit(reference, train, epochs=10, batch_size=64, seed=0, progress=False,
           optimizer=cl.optim.Adam(reference.parameters(), lr=3e-3))
    convlens_accuracy = cl.train.evaluate(reference, loader)["accuracy"]
    assert abs(ddp_accuracy - convlens_accuracy) <= 0.01
    assert ddp_accuracy >= 0.95
    assert records[-1]["val_accuracy"] == pytest.approx(ddp_accuracy, abs=1e-6)
