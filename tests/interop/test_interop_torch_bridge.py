"""from_torch / to_torch: identical outputs and gradients (float64 1e-10, float32 1e-5)."""

import subprocess
import sys

import numpy as np
import pytest

import convlens as cl
from convlens import interop, nn

torch = pytest.importorskip("torch")
T = torch.nn
from interop_helpers import randomize_batch_norm  # noqa: E402

TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


def compare(torch_model, convlens_model, shape, dtype):
    """Run both on the same batch, backprop the same upstream gradient, compare everything."""
    tol = TOLERANCE[dtype]
    x = np.random.default_rng(0).standard_normal((3, *shape))
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    yt = torch_model(xt)
    upstream = torch.randn(yt.shape, dtype=dtype, generator=torch.Generator().manual_seed(1))
    (yt * upstream).sum().backward()
    xc = cl.tensor(xt.detach().numpy().copy(), requires_grad=True)
    yc = convlens_model(xc)
    (yc * cl.tensor(upstream.numpy())).sum().backward()
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    torch_params = dict(torch_model.named_parameters())
    convlens_params = dict(convlens_model.named_parameters())
    assert len(torch_params) == len(convlens_params) > 0
    for (_, tp), (_, cp) in zip(sorted(torch_params.items()), sorted(convlens_params.items())):
        np.testing.assert_allclose(cp.grad.numpy(), tp.grad.numpy(), rtol=tol, atol=tol)


def torch_sequential():
    torch.manual_seed(0)
    model = T.Sequential(
        T.Conv2d(3, 6, 3, padding=1, padding_mode="reflect"), T.BatchNorm2d(6), T.ReLU(),
        T.MaxPool2d(2), T.Conv2d(6, 4, 3, padding="same", padding_mode="circular"),
        T.LeakyReLU(0.1), T.AvgPool2d(3, 1, 1, count_include_pad=False),
        T.Conv2d(4, 4, 3, stride=2, dilation=1, groups=2, bias=False, padding=1),
        T.AdaptiveAvgPool2d((2, 1)), T.Flatten(), T.Dropout(0.3), T.Linear(8, 5), T.Tanh(),
        T.Linear(5, 3), T.Sigmoid(), T.Identity(), T.Softmax(dim=1))
    with torch.no_grad():
        model[1].running_mean.normal_(0, 0.5)
        model[1].running_var.uniform_(0.5, 2)
    return model


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("training", [False, True])
def test_sequential_from_torch(dtype, training):
    model = torch_sequential().to(dtype).train(training)
    if training:
        model[10].p = 0.0  # dropout masks come from different generators
    converted = interop.from_torch(model)
    assert list(converted.state_dict()) == list(model.state_dict())
    assert converted.training == training
    compare(model, converted, (3, 8, 8), dtype)


def test_conv1d_pools_and_batchnorm1d_from_torch():
    torch.manual_seed(1)
    model = T.Sequential(T.Conv1d(2, 4, 5, padding=2, padding_mode="replicate"),
                         T.BatchNorm1d(4), T.ReLU(), T.MaxPool1d(3, 2, 1, ceil_mode=True),
                         T.AvgPool1d(2), T.AdaptiveAvgPool1d(3), T.Flatten(),
                         T.Linear(12, 2)).double().eval()
    compare(model, interop.from_torch(model), (2, 20), torch.float64)


class Block(T.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = T.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = T.BatchNorm2d(channels)
        self.conv2 = T.Conv2d(channels, channels, 3, padding=1)
        self.branch = T.Conv2d(channels, 2, 1)
        self.fc = T.Linear((channels + 2) * 16, 3)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.conv2(y) + x
        y = torch.cat([y, torch.sigmoid(self.branch(x))], dim=1)
        return self.fc(y.view(y.size(0), -1))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_custom_module_is_traced_into_a_graph(dtype):
    torch.manual_seed(2)
    model = Block(4).to(dtype).eval()
    converted = interop.from_torch(model)
    assert isinstance(converted, interop.Graph)
    assert isinstance(converted.conv1, nn.Conv2d) and isinstance(converted.fc, nn.Linear)
    compare(model, converted, (4, 4, 4), dtype)


@pytest.mark.parametrize("name,shape,kwargs", [
    ("lenet5", (1, 28, 28), {}), ("mnist1d_cnn", (1, 40), {}),
    ("vgg_small", (3, 16, 16), {"width": 4, "dropout": 0.0}),
    ("resnet_small", (3, 16, 16), {"width": 4}), ("mlp", (1, 40), {})])
def test_zoo_models_to_torch(name, shape, kwargs):
    cl.manual_seed(3)
    model = randomize_batch_norm(cl.models.create(name, input_shape=shape, **kwargs)).double()
    model.eval()
    converted = interop.to_torch(model)
    assert list(converted.state_dict()) == list(model.state_dict())
    assert not converted.training
    compare(converted, model, shape, torch.float64)


def test_to_torch_padding_torch_lacks_and_imported_layers():
    cl.manual_seed(4)
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding="full", dtype=np.float64),
        nn.Conv2d(3, 3, 2, padding=((1, 0), (0, 2)), padding_mode="reflect", dtype=np.float64),
        nn.Concat(nn.Conv2d(3, 2, 1, dtype=np.float64), nn.Identity()),
        interop.layers.LRN(3, 0.01, 0.6, 1.5), interop.layers.GlobalMaxPool(),
        interop.layers.Permute((0, 2, 3, 1)), interop.layers.Reshape([0, -1]),
        nn.Linear(5, 2, dtype=np.float64))
    compare(interop.to_torch(model), model, (2, 6, 5), torch.float64)


def test_round_trip_from_torch_to_torch_is_exact():
    model = torch_sequential().double().eval()
    back = interop.to_torch(interop.from_torch(model))
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    assert torch.equal(back(x), model(x))


class Scaled(T.Module):
    def forward(self, x):
        return x * 2.0


class Untraceable(T.Module):
    def forward(self, x):
        return x if x.sum() > 0 else -x


@nn.register
class Twice(nn.Module):
    def forward(self, x):
        return x + x

    def get_config(self):
        return {}


@pytest.mark.parametrize("module,match", [
    (T.Conv3d(1, 1, 1), r"from_torch has no rule for torch.nn.modules.conv.Conv3d; supported "
                        r"torch.nn layers: AdaptiveAvgPool1d, .*Sequential and custom modules"),
    (Scaled(), r"from_torch cannot convert .*mul.*no Python scalars"),
    (Untraceable(), r"from_torch cannot trace Untraceable with torch.fx"),
    (T.Sequential(T.GELU()), r"from_torch has no rule for torch.nn.modules.activation.GELU"),
])
def test_from_torch_errors_name_the_module(module, match):
    with pytest.raises(interop.UnsupportedError, match=match):
        interop.from_torch(module)


def test_to_torch_errors():
    with pytest.raises(interop.UnsupportedError, match=r"to_torch has no rule for .*Twice"):
        interop.to_torch(nn.Sequential(Twice()))
    with pytest.raises(interop.UnsupportedError, match=r"padding='same' and stride \(2, 2\)"):
        interop.to_torch(nn.Conv2d(1, 1, 3, stride=2, padding="same"))
    with pytest.raises(TypeError, match="from_torch expects a torch.nn.Module; got Sequential"):
        interop.from_torch(nn.Sequential())
    with pytest.raises(TypeError, match="to_torch expects a convlens nn.Module; got Linear"):
        interop.to_torch(T.Linear(1, 1))


def test_importing_interop_does_not_import_torch_or_onnx():
    code = ("import sys, convlens, convlens.interop; "
            "print(sorted(m for m in ('torch', 'onnx', 'onnxruntime', 'safetensors') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
