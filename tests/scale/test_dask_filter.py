"""cl.dask.filter on a real LocalCluster: image.filter per image, the kernel transformed once
per worker."""

import numpy as np
import pytest

import convlens as cl
from convlens import image

da = pytest.importorskip("dask.array")
pd = pytest.importorskip("pandas")


def test_array_equals_image_filter_exactly(client):
    rng = np.random.default_rng(0)
    stack = rng.random((24, 40, 36)).astype(np.float32)
    result = cl.dask.filter(da.from_array(stack, chunks=(5, 40, 36)), "gaussian",
                            mode="nearest", method="fft").compute()
    expected = np.stack([image.filter(img, "gaussian", mode="nearest", method="fft")
                         for img in stack])
    assert result.dtype == np.float32 and result.shape == stack.shape
    np.testing.assert_array_equal(result, expected)


def test_colour_stack_with_direct_method(client):
    rng = np.random.default_rng(1)
    stack = rng.integers(0, 255, (6, 20, 22, 3)).astype(np.uint8)
    result = cl.dask.filter(da.from_array(stack, chunks=(2, 20, 22, 3)), "sobel-x",
                            method="direct").compute()
    expected = np.stack([image.filter(img, "sobel-x", method="direct") for img in stack])
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, expected)


def test_kernel_spectrum_computed_once_per_worker(client):
    kernel = np.arange(1.0, 26.0).reshape(5, 5)           # a kernel no other test uses
    stack = np.ones((40, 32, 32))
    cl.dask.filter(da.from_array(stack, chunks=(2, 32, 32)), kernel,
                   method="fft").compute()                                   # 20 blocks

    def transforms():
        from convlens.dask import batch_filter

        return sum(f.kernel_transforms for f in batch_filter._FILTERS.values()
                   if np.array_equal(f.kernel, kernel))

    counts = client.run(transforms)
    assert sum(counts.values()) >= 1
    assert all(n <= 1 for n in counts.values())         # once per worker, not once per block


def test_files_written_and_bad_file_reported(client, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(2)
    sources = []
    for i in range(5):
        path = tmp_path / f"in{i}.png"
        Image.fromarray(rng.integers(0, 255, (30, 30)).astype(np.uint8)).save(path)
        sources.append(str(path))
    (tmp_path / "bad.png").write_text("nope")
    sources.append(str(tmp_path / "bad.png"))
    out = tmp_path / "out"
    table = cl.dask.filter(sources, "box", out_dir=out, batch_size=2).compute()
    assert list(table["path"]) == sources
    assert table["error"].iloc[-1].startswith("ValueError")
    for source, target in zip(sources[:5], table["output"].iloc[:5]):
        expected = image.io.to_uint8(image.filter(image.read_image(source), "box"), "clip")
        np.testing.assert_array_equal(image.read_image(target), expected)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="out_dir is required"):
        cl.dask.filter(["a.png"], "box")
    with pytest.raises(ValueError, match="mode"):
        cl.dask.filter(da.zeros((1, 8, 8)), "box", mode="sideways")
    with pytest.raises(TypeError, match="images must be a dask array"):
        cl.dask.filter(np.zeros((1, 8, 8)), "box")
