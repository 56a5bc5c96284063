"""nn.Conv3d, the loss modules and Module.to against torch; they save and load like any layer."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn


def test_conv3d_matches_torch_forward_and_gradients():
    torch = pytest.importorskip("torch")
    ours = nn.Conv3d(2, 3, kernel_size=(3, 2, 3), stride=(1, 2, 1), padding=1, dtype=np.float64)
    theirs = torch.nn.Conv3d(2, 3, kernel_size=(3, 2, 3), stride=(1, 2, 1), padding=1).double()
    theirs.load_state_dict({k: torch.from_numpy(np.asarray(v.data))
                            for k, v in ours.state_dict().items()})
    data = np.random.default_rng(0).standard_normal((2, 2, 5, 6, 7))
    x, tx = cl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-10)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize(("ours", "theirs", "target"), [
    (lambda: nn.CrossEntropyLoss(label_smoothing=0.1), "CrossEntropyLoss(label_smoothing=0.1)",
     "classes"),
    (lambda: nn.NLLLoss(reduction="sum"), "NLLLoss(reduction='sum')", "classes"),
    (lambda: nn.MSELoss(), "MSELoss()", "values"),
])
def test_loss_modules_match_torch(ours, theirs, target):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((4, 3))
    y = rng.integers(0, 3, 4) if target == "classes" else rng.standard_normal((4, 3))
    ours_value = ours()(cl.tensor(logits), cl.tensor(y)).item()
    theirs_value = eval("torch.nn." + theirs)(torch.tensor(logits), torch.tensor(y)).item()
    assert ours_value == pytest.approx(theirs_value, rel=1e-12)


def test_loss_module_options_are_validated_and_repr():
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'"):
        nn.MSELoss(reduction="avg")
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_module_to_casts_in_place_and_accepts_cpu(tmp_path):
    model = nn.Sequential(nn.Conv3d(1, 2, 3), nn.Flatten(), nn.Linear(2, 1))
    weight = model[0].weight
    assert model.to("cpu") is model
    assert model.to(np.float64) is model and weight.dtype == np.float64
    assert model[0].weight is weight
    with pytest.raises(TypeError, match="Module.to casts to a float dtype; got int64"):
        model.to(np.int64)
    cl.save(model, tmp_path / "m.convlens")
    loaded = cl.load(tmp_path / "m.convlens")
    x = cl.tensor(np.ones((1, 1, 3, 3, 3)))
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
