"""ModuleDict, ParameterList, ParameterDict, Embedding, Bilinear and the dropout variants
against torch.nn, plus save/load."""

import numpy as np
import pytest

import convlens as cl
from convlens import functional as F
from convlens import nn

torch = pytest.importorskip("torch")
from reference import TF, check_against_torch  # noqa: E402


def _round_trip(module, tmp_path):
    cl.save(module, tmp_path / "m.convlens")
    return cl.load(tmp_path / "m.convlens")


def test_module_dict_matches_torch_keys_and_round_trips(tmp_path):
    ours = nn.ModuleDict({"conv": nn.Conv2d(1, 2, 3), "fc": nn.Linear(4, 2)})
    theirs = torch.nn.ModuleDict({"conv": torch.nn.Conv2d(1, 2, 3), "fc": torch.nn.Linear(4, 2)})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours["act"] = nn.ReLU()
    assert list(ours) == ["conv", "fc", "act"] and len(ours) == 3 and "fc" in ours
    assert isinstance(ours.pop("act"), nn.ReLU) and list(ours.keys()) == ["conv", "fc"]
    loaded = _round_trip(ours, tmp_path)
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key].numpy(), value.numpy())
    with pytest.raises(TypeError, match="ModuleDict entry 'x' must be an nn.Module; got int"):
        ours["x"] = 3


def test_parameter_list_and_dict_match_torch_and_round_trip(tmp_path):
    data = [np.ones(3, np.float32), np.arange(4.0).reshape(2, 2)]
    ours = nn.ParameterList(data)
    theirs = torch.nn.ParameterList([torch.tensor(a) for a in data])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours)
    assert len(list(ours.parameters())) == 2 and ours[-1].dtype == np.float64
    loaded = _round_trip(ours, tmp_path)
    np.testing.assert_array_equal(loaded[1].numpy(), data[1])
    assert loaded[1].dtype == np.float64
    pd = nn.ParameterDict({"scale": cl.tensor(np.ones(2)), "shift": np.zeros(2)})
    tpd = torch.nn.ParameterDict({"scale": torch.ones(2), "shift": torch.zeros(2)})
    assert list(pd.state_dict()) == list(tpd.state_dict())
    with cl.no_grad():
        pd["scale"].copy_(np.full(2, 3.0))
    loaded = _round_trip(pd, tmp_path)
    assert loaded["scale"].tolist() == [3.0, 3.0] and list(loaded) == ["scale", "shift"]
    with pytest.raises(TypeError, match="the appended value must be an nn.Parameter, a Tensor "
                       "or an ndarray; got list"):
        ours.append([1.0])


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"padding_idx": -2},
                                    {"scale_grad_by_freq": True},
                                    {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0}])
def test_embedding_matches_torch(kwargs):
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(6, 3, **kwargs).double()
    ours = nn.Embedding(6, 3, **kwargs, dtype=np.float64)
    ours.load_state_dict(theirs.state_dict())
    index = np.array([[0, 1, 4], [4, 4, 5]])
    out, expected = ours(cl.tensor(index)), theirs(torch.tensor(index))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    grad = np.random.default_rng(0).standard_normal((2, 3, 3))
    out.backward(grad)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    assert repr(ours) == repr(theirs)


def test_embedding_padding_row_starts_at_zero_and_round_trips(tmp_path):
    table = nn.Embedding(5, 2, padding_idx=3, generator=0)
    assert table.weight[3].tolist() == [0.0, 0.0]
    loaded = _round_trip(nn.Sequential(table), tmp_path)
    np.testing.assert_array_equal(loaded[0].weight.numpy(), table.weight.numpy())
    assert loaded[0].padding_idx == 3
    frozen = nn.Embedding.from_pretrained(np.eye(3))
    assert not frozen.weight.requires_grad and frozen(cl.tensor([2])).tolist() == [[0, 0, 1]]
    with pytest.raises(ValueError, match="Embedding does not support sparse=True"):
        nn.Embedding(3, 2, sparse=True)
    with pytest.raises(IndexError, match=r"embedding expects indices in \[0, 5\); got 7"):
        table(cl.tensor([7]))


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias, tmp_path):
    torch.manual_seed(0)
    theirs = torch.nn.Bilinear(3, 4, 2, bias=bias).double()
    ours = nn.Bilinear(3, 4, 2, bias=bias, dtype=np.float64)
    ours.load_state_dict(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(1)
    args = [rng.standard_normal((5, 3)), rng.standard_normal((5, 4)), ours.weight.numpy().copy()]
    if bias:
        args.append(ours.bias.numpy().copy())
    check_against_torch(F.bilinear, TF.bilinear, *args)
    loaded = _round_trip(ours, tmp_path)
    x1, x2 = cl.tensor(args[0]), cl.tensor(args[1])
    np.testing.assert_array_equal(loaded(x1, x2).numpy(), ours(x1, x2).numpy())


@pytest.mark.parametrize("layer,shape,channel_axes", [
    (nn.Dropout1d, (4, 8, 5), 2), (nn.Dropout1d, (8, 5), 1), (nn.Dropout2d, (4, 8, 3, 3), 2),
    (nn.Dropout2d, (4, 8, 5), 2), (nn.Dropout3d, (2, 8, 2, 2, 2), 2),
    (nn.Dropout3d, (8, 2, 2, 2), 1)])
def test_channel_dropout_zeroes_whole_channels(layer, shape, channel_axes):
    drop = layer(0.5, generator=0)
    x = cl.tensor(np.ones(shape), requires_grad=True)
    out = drop(x)
    per_channel = out.numpy().reshape(*shape[:channel_axes], -1)
    assert np.all(per_channel.min(axis=-1) == per_channel.max(axis=-1))  # constant per channel
    assert set(np.unique(per_channel).tolist()) == {0.0, 2.0}
    out.backward(np.ones(shape))
    np.testing.assert_array_equal(x.grad.numpy(), out.numpy())
    assert drop.eval()(x) is x


def test_alpha_dropout_takes_torch_values_and_keeps_statistics():
    p = 0.3
    torch.manual_seed(0)
    expected = set(np.round(TF.alpha_dropout(torch.zeros(1000, dtype=torch.float64), p,
                                              training=True).numpy(), 12).tolist())
    ours = F.alpha_dropout(cl.tensor(np.zeros(1000)), p, training=True, generator=0)
    assert set(np.round(ours.numpy(), 12).tolist()) == expected
    x = cl.tensor(np.random.default_rng(0).standard_normal(200_000))
    y = nn.AlphaDropout(p, generator=1)(x).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    assert F.alpha_dropout(x, p) is x  # torch's default training=False


@pytest.mark.parametrize("call,message", [
    (lambda: F.dropout2d(cl.tensor(np.ones((2, 3))), 0.5),
     r"dropout2d expects a 3-D \(C, \*d\) or 4-D \(N, C, \*d\) input with 2 spatial dims; "
     r"got shape \(2, 3\)"),
    (lambda: nn.Unflatten(1, (2, 4))(cl.tensor(np.ones((3, 10)))),
     r"Unflatten cannot split dimension 1 of size 10 into \(2, 4\)"),
    (lambda: F.bilinear(cl.tensor(np.ones((2, 3))), cl.tensor(np.ones((2, 4))),
                        cl.tensor(np.ones((1, 3, 5)))),
     r"bilinear expects input1 \(\*, 3\) and input2 \(\*, 5\) with the same leading dims"),
])
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
