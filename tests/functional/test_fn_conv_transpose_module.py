"""``nn.ConvTranspose1d/2d/3d``: torch's constructor, weight layout, init, ``state_dict``,
``output_size=``, ``repr``, save/load and ``summary()``."""

from __future__ import annotations

import numpy as np
import pytest

import convlens as cl
from convlens import nn

torch = pytest.importorskip("torch")

LAYERS = [   # nd, args, kwargs, input shape
    (1, (4, 6, 5), dict(stride=3, padding=1, output_padding=2, dilation=2), (2, 4, 9)),
    (2, (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5, 6)),
    (2, (3, 2, (3, 2)), dict(stride=(1, 2), bias=False, dilation=(2, 1)), (1, 3, 4, 4)),
    (3, (2, 2, 2), dict(stride=2), (1, 2, 3, 3, 2)),
]


@pytest.mark.parametrize("nd,args,kwargs,shape", LAYERS)
def test_torch_state_dict_loads_and_outputs_match(nd, args, kwargs, shape):
    torch.manual_seed(0)
    reference = getattr(torch.nn, f"ConvTranspose{nd}d")(*args, **kwargs).double()
    layer = getattr(nn, f"ConvTranspose{nd}d")(*args, dtype=np.float64, **kwargs)
    assert repr(layer) == repr(reference)
    state = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    assert {k: v.shape for k, v in layer.state_dict().items()} == {
        k: v.shape for k, v in state.items()}
    layer.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal(shape)
    tx, cx = torch.tensor(x, requires_grad=True), cl.tensor(x, requires_grad=True)
    ty, cy = reference(tx), layer(cx)
    np.testing.assert_allclose(cy.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    gy = np.random.default_rng(1).standard_normal(cy.shape)
    ty.backward(torch.tensor(gy))
    cy.backward(cl.tensor(gy))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.weight.grad.numpy(), reference.weight.grad.numpy(),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("output_size", [(11, 13), (12, 14), [1, 6, 12, 13]])
def test_output_size_picks_torchs_output_padding(output_size):
    torch.manual_seed(0)
    reference = torch.nn.ConvTranspose2d(4, 6, 3, stride=(2, 3), padding=1).double()
    layer = nn.ConvTranspose2d(4, 6, 3, stride=(2, 3), padding=1, dtype=np.float64)
    layer.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((1, 4, 6, 5))
    want = reference(torch.tensor(x), output_size=output_size).detach().numpy()
    got = layer(cl.tensor(x), output_size=output_size).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_output_size_out_of_range_and_padding_mode_are_refused():
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1)
    x = cl.tensor(np.zeros((1, 4, 6, 5), np.float32))
    with pytest.raises(ValueError, match=r"requested an output size of \(13, 20\), but valid "
                                         r"sizes range from \(11, 9\) to \(12, 10\) \(for an "
                                         r"input of \(6, 5\)\)"):
        layer(x, output_size=(13, 20))
    with pytest.raises(ValueError, match=r"output_size must have 2 or 4 ints for a 4-D input"):
        layer(x, output_size=(13,))
    with pytest.raises(ValueError, match=r'Only "zeros" padding_mode is supported for '
                                         r"ConvTranspose2d; got 'reflect'"):
        nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"ConvTranspose2d expects input of shape "
                                         r"\(N, 4, H, W\) or \(4, H, W\); got shape"):
        layer(cl.tensor(np.zeros((1, 3, 6, 5), np.float32)))


def test_init_follows_torch_fan_in():
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = out_channels/groups * prod(kernel)."""
    layer = nn.ConvTranspose2d(64, 8, 3, groups=2, generator=0)
    assert layer.weight.shape == (64, 4, 3, 3)
    bound = 1 / np.sqrt(4 * 9)
    for p in (layer.weight.numpy(), layer.bias.numpy()):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound
    torch_bound = 1 / np.sqrt(torch.nn.ConvTranspose2d(64, 8, 3, groups=2).weight.shape[1] * 9)
    assert bound == torch_bound


def test_save_load_round_trip_and_summary(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1, generator=0), nn.ReLU(),
                          nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1,
                                             generator=1))
    path = tmp_path / "autoencoder.convlens"
    cl.save(model, path)
    again = cl.load(path)
    x = cl.tensor(np.random.default_rng(3).random((2, 1, 8, 8), dtype=np.float32))
    np.testing.assert_array_equal(again(x).numpy(), model(x).numpy())
    assert again[2].output_padding == (1, 1)
    row = model.summary((1, 8, 8)).rows[2]
    assert row["type"] == "ConvTranspose2d" and row["output_shape"] == (1, 8, 8)
    assert row["macs"] == 4 * 4 * 4 * 1 * 9        # input pixels x C_out x taps
    assert row["params"] == 4 * 1 * 9 + 1
