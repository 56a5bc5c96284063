"""autoencoder: shapes, bottleneck, output range, save/load, and agreement with torch."""

import numpy as np
import pytest

import convlens as cl


def test_autoencoder_output_has_the_input_shape_and_lies_in_zero_one():
    model = cl.models.create("autoencoder")
    x = cl.tensor(np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32))
    out = model(x).numpy()
    assert out.shape == (3, 1, 28, 28)
    assert out.min() > 0.0 and out.max() < 1.0


def test_autoencoder_bottleneck_is_a_quarter_of_each_side():
    model = cl.models.create("autoencoder", input_shape=(3, 32, 16), bottleneck=5)
    code = model[:6](cl.tensor(np.zeros((1, 3, 32, 16), np.float32)))
    assert code.shape == (1, 5, 8, 4)
    assert model(cl.tensor(np.zeros((1, 3, 32, 16), np.float32))).shape == (1, 3, 32, 16)


def test_autoencoder_parameter_count_is_the_hand_count():
    # conv 1->16 (3x3), conv 16->8, transposed 8->16, transposed 16->1, each with bias;
    # BatchNorm weight and bias after the first three
    model = cl.models.create("autoencoder")
    hand = (16 * 9 + 16) + (8 * 16 * 9 + 8) + (8 * 16 * 9 + 16) + (16 * 9 + 1) + 2 * (
        16 + 8 + 16)
    assert sum(p.numel() for p in model.parameters()) == hand


def test_autoencoder_rejects_sizes_it_cannot_quarter():
    with pytest.raises(ValueError, match=r"autoencoder needs H and W divisible by 4; got "
                                         r"input_shape \(1, 30, 30\)"):
        cl.models.create("autoencoder", input_shape=(1, 30, 30))
    with pytest.raises(ValueError, match=r"bottleneck must be"):
        cl.models.create("autoencoder", bottleneck=0)


def test_autoencoder_save_load_round_trip_and_summary(tmp_path):
    model = cl.models.create("autoencoder")
    cl.save(model, tmp_path / "ae.convlens")
    loaded = cl.load(tmp_path / "ae.convlens")
    x = cl.tensor(np.random.default_rng(1).random((2, 1, 28, 28), dtype=np.float32))
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    text = str(loaded.summary((1, 28, 28)))
    assert f"Total params: {sum(p.numel() for p in model.parameters()):,}" in text
    assert "output shape: (1, 28, 28)" in text


def test_autoencoder_matches_torch_forward_and_gradients_in_float64():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    model = cl.models.create("autoencoder", input_shape=(2, 12, 8), width=4,
                             bottleneck=3).double()
    reference = tnn.Sequential(
        tnn.Conv2d(2, 4, 3, stride=2, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
        tnn.Conv2d(4, 3, 3, stride=2, padding=1), tnn.BatchNorm2d(3), tnn.ReLU(),
        tnn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
        tnn.BatchNorm2d(4), tnn.ReLU(),
        tnn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), tnn.Sigmoid(),
    ).double()
    reference.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                               for k, v in model.state_dict().items()})
    x_np = np.random.default_rng(2).standard_normal((3, 2, 12, 8))
    target = np.random.default_rng(3).random((3, 2, 12, 8))
    x = cl.tensor(x_np, requires_grad=True)
    out = model(x)                                   # train mode: batch statistics
    cl.functional.mse_loss(out, cl.tensor(target)).backward()
    x_t = torch.tensor(x_np, requires_grad=True)
    out_t = reference(x_t)
    torch.nn.functional.mse_loss(out_t, torch.from_numpy(target)).backward()
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-5, atol=1e-12)
    grads_t = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), grads_t[name].grad.numpy(),
                                   rtol=1e-5, atol=1e-12, err_msg=name)
    state_t = reference.state_dict()
    for name, value in model.state_dict().items():     # running statistics too
        np.testing.assert_allclose(np.asarray(value.numpy(), np.float64),
                                   state_t[name].double().numpy(), rtol=1e-5, err_msg=name)
    model.eval()
    reference.eval()
    np.testing.assert_allclose(model(cl.tensor(x_np)).numpy(),
                               reference(torch.from_numpy(x_np)).detach().numpy(), rtol=1e-5)

def test_zoo_lists_both_image_to_image_models():
    names = cl.models.available()
    assert "transposed" in names["autoencoder"].lower() or "ConvTranspose" in names[
        "autoencoder"]
    assert "skip" in names["unet_small"]
