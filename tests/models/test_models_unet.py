"""unet_small: shapes, skip concatenation, save/load, and forward/gradients against torch."""

from collections import OrderedDict

import numpy as np
import pytest

import convlens as cl
from gradcheck import numerical_grad


def test_unet_small_maps_an_image_to_an_image_of_the_same_shape():
    model = cl.models.create("unet_small", input_shape=(3, 16, 24))
    x = cl.tensor(np.random.default_rng(0).random((2, 3, 16, 24), dtype=np.float32))
    assert model(x).shape == (2, 3, 16, 24)
    two = cl.models.create("unet_small", input_shape=(1, 28, 28), out_channels=2)
    assert two(cl.tensor(np.zeros((1, 1, 28, 28), np.float32))).shape == (1, 2, 28, 28)


def test_unet_small_has_skip_concatenations_and_transposed_convs_at_each_level():
    model = cl.models.create("unet_small", depth=3, input_shape=(1, 32, 32))
    kinds = [type(m).__name__ for m in model.modules()]
    assert kinds.count("Concat") == 3 and kinds.count("ConvTranspose2d") == 3
    assert kinds.count("MaxPool2d") == 3


def test_unet_small_parameter_count_is_the_hand_count():
    # width 8, depth 1, 1 channel: convs 1->8, 8->8; bottom 8->16, 16->16; up 16->8 (2x2);
    # decoder 16->8, 8->8; head 8->1 (1x1)
    model = cl.models.create("unet_small", depth=1, input_shape=(1, 8, 8))
    hand = (8 * 9 + 8) + (8 * 8 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 16 * 9 + 16) + (
        16 * 8 * 4 + 8) + (8 * 16 * 9 + 8) + (8 * 8 * 9 + 8) + (8 + 1)
    assert sum(p.numel() for p in model.parameters()) == hand


def test_unet_small_rejects_sizes_it_cannot_halve():
    with pytest.raises(ValueError, match=r"unet_small with depth=2 needs H and W divisible by "
                                         r"4; got input_shape \(1, 30, 28\)"):
        cl.models.create("unet_small", input_shape=(1, 30, 28))
    with pytest.raises(ValueError, match=r"depth must be"):
        cl.models.create("unet_small", depth=-1)
    with pytest.raises(ValueError, match=r"up must be one of .*got 'bicubic'"):
        cl.models.create("unet_small", up="bicubic")


@pytest.mark.parametrize("up", ["transpose", "bilinear"])
def test_unet_small_save_load_round_trip(tmp_path, up):
    model = cl.models.create("unet_small", input_shape=(2, 8, 8), width=4, up=up)
    path = tmp_path / "unet.convlens"
    cl.save(model, path)
    loaded = cl.load(path)
    x = cl.tensor(np.random.default_rng(1).random((3, 2, 8, 8), dtype=np.float32))
    model.eval()
    loaded.eval()
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    assert list(loaded.state_dict()) == list(model.state_dict())


def test_unet_small_summary_lists_every_layer():
    model = cl.models.create("unet_small")
    text = str(model.summary((1, 28, 28)))
    assert f"Total params: {sum(p.numel() for p in model.parameters()):,}" in text
    assert "output shape: (1, 28, 28)" in text
    assert text.count("ConvTranspose2d") == 2 and text.count("Identity") == 2


def _torch_unet(torch, in_channels, width, depth, out_channels, up="transpose"):
    class Concat(torch.nn.Module):
        def __init__(self, *branches):
            super().__init__()
            for index, branch in enumerate(branches):
                self.add_module(str(index), branch)

        def forward(self, x):
            return torch.cat([branch(x) for branch in self.children()], dim=1)

    def double_conv(cin, cout):
        return [torch.nn.Conv2d(cin, cout, 3, padding=1), torch.nn.ReLU(),
                torch.nn.Conv2d(cout, cout, 3, padding=1), torch.nn.ReLU()]

    def level(cin, w, d):
        if d == 0:
            return torch.nn.Sequential(*double_conv(cin, w))
        upsample = torch.nn.ConvTranspose2d(2 * w, w, 2, stride=2) if up == "transpose" else (
            torch.nn.Sequential(torch.nn.Upsample(scale_factor=2, mode=up),
                                torch.nn.Conv2d(2 * w, w, 1)))
        down = torch.nn.Sequential(torch.nn.MaxPool2d(2), level(w, 2 * w, d - 1), upsample)
        return torch.nn.Sequential(*double_conv(cin, w), Concat(torch.nn.Identity(), down),
                                   *double_conv(2 * w, w))

    return torch.nn.Sequential(OrderedDict(
        [("0", level(in_channels, width, depth)),
         ("1", torch.nn.Conv2d(width, out_channels, 1))])).double()


@pytest.mark.parametrize(("channels", "size", "depth", "up"), [
    (1, 8, 2, "transpose"), (2, 12, 1, "transpose"), (1, 8, 2, "bilinear"),
    (2, 4, 1, "nearest")])
def test_unet_small_matches_torch_forward_and_gradients_in_float64(channels, size, depth, up):
    torch = pytest.importorskip("torch")
    model = cl.models.create("unet_small", input_shape=(channels, size, size), width=3,
                             depth=depth, up=up).double()
    reference = _torch_unet(torch, channels, 3, depth, channels, up)
    reference.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                               for k, v in model.state_dict().items()})
    x_np = np.random.default_rng(2).standard_normal((2, channels, size, size))
    direction = np.random.default_rng(3).standard_normal((2, channels, size, size))
    x = cl.tensor(x_np, requires_grad=True)
    out = model(x)
    (out * cl.tensor(direction)).sum().backward()
    x_t = torch.tensor(x_np, requires_grad=True)
    out_t = reference(x_t)
    (out_t * torch.from_numpy(direction)).sum().backward()
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-5, atol=1e-8)
    grads_t = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), grads_t[name].grad.numpy(),
                                   rtol=1e-5, atol=1e-8, err_msg=name)


def test_unet_small_input_gradient_matches_finite_differences():
    model = cl.models.create("unet_small", input_shape=(1, 4, 4), width=2, depth=1).double()
    x_np = np.random.default_rng(4).standard_normal((1, 1, 4, 4))
    direction = np.random.default_rng(5).standard_normal((1, 1, 4, 4))

    def loss():
        return float((model(cl.tensor(x_np)).numpy() * direction).sum())

    x = cl.tensor(x_np.copy(), requires_grad=True)
    (model(x) * cl.tensor(direction)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), numerical_grad(loss, x_np), rtol=1e-5,
                               atol=1e-7)

