"""cl.dask.predict on a real LocalCluster: the same numbers as the single-process model."""

import os
import signal
import time

import numpy as np
import pytest

import convlens as cl

da = pytest.importorskip("dask.array")
pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def lenet():
    cl.manual_seed(0)
    model = cl.models.create("lenet5", input_shape=(1, 28, 28), num_classes=10)
    model.eval()
    return model


@pytest.fixture(scope="module")
def digits():
    _, test = cl.data.load_dataset("mnist-5k")
    return test.x[:96].astype(np.float32)


def in_process(model, x):
    """The single-process result with one BLAS thread, as Dask's worker processes run BLAS.

    In float32 a different BLAS thread count can change the last bit of a sum, so "exactly
    equal" compares runs with the same thread count (docs/scale.md).
    """
    from threadpoolctl import threadpool_limits

    from convlens import functional as F

    with cl.no_grad(), threadpool_limits(1):
        return F.softmax(model(cl.tensor(x)), dim=1).numpy()


def test_array_blocks_equal_in_process_exactly(client, lenet, digits):
    images = da.from_array(digits, chunks=(32, 1, 28, 28))
    result = cl.dask.predict(lenet, images).compute()
    expected = np.concatenate([in_process(lenet, digits[i:i + 32]) for i in range(0, 96, 32)])
    assert result.shape == (96, 10) and result.dtype == np.float32
    np.testing.assert_array_equal(result, expected)
    # one big in-process batch with the default threads: the same classes, the same numbers
    # up to float32 rounding
    from convlens import functional as F

    with cl.no_grad():
        default = F.softmax(lenet(cl.tensor(digits)), dim=1).numpy()
    np.testing.assert_array_equal(result.argmax(1), default.argmax(1))
    np.testing.assert_allclose(result, default, rtol=1e-5, atol=1e-7)


def test_model_is_loaded_once_per_worker(client, lenet, digits):
    images = da.from_array(digits, chunks=(8, 1, 28, 28))          # 12 blocks on 2 workers
    cl.dask.predict(lenet, images).compute()
    from convlens.dask import _worker_model

    loads = client.run(lambda: _worker_model.loads)
    assert len(loads) == 2 and all(1 <= n <= 2 for n in loads.values())  # not once per block


def test_files_table_reports_bad_files_and_goes_on(client, lenet, digits, tmp_path):
    from PIL import Image

    paths = []
    for i in range(6):
        path = tmp_path / f"digit{i}.png"
        Image.fromarray((digits[i, 0] * 255).round().astype(np.uint8)).save(path)
        paths.append(str(path))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    paths.insert(3, str(tmp_path / "broken.png"))
    table = cl.dask.predict(lenet, paths, input_shape=(1, 28, 28), batch_size=3).compute()
    assert list(table["path"]) == paths
    broken = table[table["path"].str.endswith("broken.png")].iloc[0]
    assert broken["error"].startswith("ValueError: cannot read image")
    assert broken["class"] is None or pd.isna(broken["class"])
    good = table[table["error"] == ""]
    assert len(good) == 6
    from convlens.data.image_folder import load_image

    x = np.stack([load_image(p, image_size=(28, 28), grayscale=True) for p in paths
                  if not p.endswith("broken.png")])
    expected = in_process(lenet, x)
    assert list(good["class"]) == [str(k) for k in expected.argmax(1)]
    np.testing.assert_allclose(good["probability"], expected.max(1), rtol=1e-6)


def test_killed_worker_is_recovered_and_results_are_exact(client, lenet, digits):
    stack = np.repeat(digits, 30, axis=0)                                   # 2,880 images
    images = da.from_array(stack, chunks=(8, 1, 28, 28))                    # 360 blocks
    pids = client.run(os.getpid)
    future = client.compute(cl.dask.predict(lenet, images))
    deadline = time.monotonic() + 60
    while not client.processing() or not any(client.processing().values()):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.01)
    time.sleep(0.3)
    assert not future.done(), "the job finished before a worker could be killed"
    victim = next(iter(pids.values()))
    os.kill(victim, signal.SIGKILL)
    result = future.result(timeout=300)
    expected = np.concatenate([in_process(lenet, stack[i:i + 8])
                               for i in range(0, len(stack), 8)])
    np.testing.assert_array_equal(result, expected)
    assert victim not in client.run(os.getpid).values()      # the nanny started a new worker


def test_bad_arguments_are_refused(lenet):
    with pytest.raises(TypeError, match="images must be a dask array"):
        cl.dask.predict(lenet, np.zeros((2, 1, 28, 28)))
    with pytest.raises(ValueError, match="input_shape .* is required"):
        cl.dask.predict(lenet, ["a.png"])
    with pytest.raises(ValueError, match="images must be a dask array of shape"):
        cl.dask.predict(lenet, da.zeros((2, 28, 28, 1, 1)))
