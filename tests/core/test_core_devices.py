"""torch's device boilerplate on a CPU-only library: device, cuda, accelerator, backends."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn

CPU_ONLY = r"convlens runs on the CPU only \(NumPy and SciPy\); there is no 'cuda' device"


def test_cpu_device_compares_prints_and_is_every_tensors_device():
    device = cl.device("cpu")
    assert device == cl.device(device) == "cpu" and device != "cuda"
    assert repr(device) == "device(type='cpu')" and str(cl.device("cpu:0")) == "cpu:0"
    assert device.type == "cpu" and hash(device) == hash(cl.device("cpu"))
    x = cl.ones(2)
    assert x.device == device and not x.is_cuda and x.get_device() == -1
    assert x.to(device) is x and x.cpu() is x and x.to("cpu", cl.float64).dtype == np.float64
    assert x.to(device=device, dtype=cl.float64).dtype == np.float64


@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "mps"])
def test_any_gpu_device_raises_the_one_cpu_only_error(spec):
    kind = spec.partition(":")[0]
    message = CPU_ONLY.replace("cuda", kind)
    with pytest.raises(RuntimeError, match=message):
        cl.device(spec)
    with pytest.raises(RuntimeError, match=message):
        cl.ones(2).to(spec)
    with pytest.raises(RuntimeError, match=message):
        cl.zeros(2, device=spec)


def test_cuda_calls_raise_and_queries_answer_false():
    with pytest.raises(RuntimeError, match=CPU_ONLY):
        cl.ones(2).cuda()
    with pytest.raises(RuntimeError, match=CPU_ONLY):
        nn.Linear(2, 2).cuda()
    with pytest.raises(RuntimeError, match=CPU_ONLY):
        cl.cuda.current_device()
    assert cl.cuda.is_available() is False and cl.cuda.device_count() == 0
    assert cl.accelerator.is_available() is False and cl.accelerator.device_count() == 0
    assert cl.accelerator.current_accelerator() is None
    assert cl.backends.mps.is_available() is False and cl.backends.cudnn.is_available() is False
    cl.cuda.manual_seed_all(0)  # accepted, as torch does without a GPU
    with pytest.raises(TypeError, match="device type must be a string"):
        cl.device(3)


def test_torch_style_device_selection_runs_a_model_on_the_cpu():
    device = cl.device("cuda" if cl.cuda.is_available() else "cpu")
    model = nn.Linear(3, 2).to(device)
    assert model.cpu() is model
    out = model(cl.ones(4, 3).to(device))
    assert out.shape == (4, 2) and out.device == device
    assert model.to(device, cl.float64).weight.dtype == np.float64
    with pytest.raises(RuntimeError, match=CPU_ONLY):
        model.to("cuda")


def test_cudnn_benchmark_switches_the_convolution_autotuner():
    assert cl.backends.cudnn.benchmark is False and cl.conv.autotune() is False
    try:
        cl.backends.cudnn.benchmark = True
        assert cl.conv.autotune() is True and cl.backends.cudnn.benchmark is True
        x = cl.randn(1, 2, 9, 9, generator=0)
        w = cl.randn(3, 2, 3, 3, generator=1)
        np.testing.assert_allclose(cl.functional.conv2d(x, w).numpy(),
                                   cl.functional.conv2d(x, w, algorithm="direct").numpy(),
                                   rtol=1e-4, atol=1e-4)
    finally:
        cl.backends.cudnn.benchmark = False
    assert cl.conv.autotune() is False
    cl.backends.cudnn.deterministic = True
    assert cl.backends.cudnn.deterministic is True
    with pytest.raises(TypeError, match="cudnn.benchmark must be a bool; got int"):
        cl.backends.cudnn.benchmark = 1
