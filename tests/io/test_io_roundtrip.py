"""cl.save / cl.load round-trip every layer type and container bit-exactly."""

from collections import OrderedDict

import numpy as np
import pytest

import convlens as cl
from convlens import io, nn


@nn.register
class TwoTower(nn.Module):
    """A user-defined, registered module whose children are built from its config."""

    def __init__(self, width=4):
        super().__init__()
        self.width = width
        self.towers = nn.ModuleList([nn.Linear(3, width) for _ in range(2)])
        self.register_buffer("offset", np.arange(2 * width, dtype=np.float32))

    def get_config(self):
        return {"width": self.width}

    def forward(self, x):
        return cl.cat([tower(x) for tower in self.towers], dim=1) + self.offset


@nn.register
class Wrapper(nn.Module):
    """A registered module that takes a module as a constructor argument."""

    def __init__(self, inner, scale=2.0):
        super().__init__()
        self.inner = inner
        self.scale = scale

    def get_config(self):
        return {"inner": self.inner, "scale": self.scale}

    def forward(self, x):
        return self.inner(x) * self.scale


@nn.register
class Stack(nn.Module):
    """A registered module that takes a ModuleList as a constructor argument."""

    def __init__(self, layers):
        super().__init__()
        self.layers = layers

    def get_config(self):
        return {"layers": self.layers}

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def shared_linear():
    fc = nn.Linear(4, 4)
    return nn.Sequential(fc, nn.Tanh(), fc)


# (id, model builder, input shape)
MODELS = [
    ("conv1d", lambda: nn.Sequential(
        nn.Conv1d(2, 4, 5, padding="same", padding_mode="reflect", algorithm="direct"),
        nn.BatchNorm1d(4, momentum=None), nn.LeakyReLU(0.2), nn.MaxPool1d(3, 2, 1, ceil_mode=True),
        nn.AvgPool1d(2, count_include_pad=False), nn.AdaptiveAvgPool1d(3), nn.Flatten(),
        nn.Linear(12, 3)), (4, 2, 30)),
    ("conv2d_float64", lambda: nn.Sequential(
        nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2),
                  groups=2, bias=False, dtype=np.float64, algorithm="gemm"),
        nn.BatchNorm2d(6, eps=1e-3, affine=False, dtype=np.float64), nn.ReLU(inplace=True),
        nn.MaxPool2d(2, padding=1, dilation=1), nn.AvgPool2d(2, 1, 1, divisor_override=3),
        nn.AdaptiveAvgPool2d((3, None)), nn.Sigmoid(), nn.Flatten(0, 1)), (2, 4, 10, 9)),
    ("bn_variants", lambda: nn.Sequential(
        nn.BatchNorm2d(3, track_running_stats=False), nn.BatchNorm2d(3, bias=False),
        nn.Conv2d(3, 2, 3, padding="full"), nn.Softmax(dim=1), nn.Softmax(), nn.Identity()),
     (2, 3, 5, 5)),
    ("dropout_tanh", lambda: nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Dropout(0.3),
                                           nn.Linear(8, 2)), (4, 5)),
    ("residual", lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.Residual(
            nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16),
                          nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1)),
            nn.Sequential(nn.Conv2d(8, 16, 1, stride=2), nn.BatchNorm2d(16))),
        nn.Residual(nn.Sequential(nn.Conv2d(16, 16, 3, padding=1))), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4)), (2, 3, 8, 8)),
    ("concat", lambda: nn.Sequential(
        nn.Concat(nn.Conv2d(3, 4, 1), nn.Sequential(nn.Conv2d(3, 2, 1), nn.Conv2d(2, 4, 3,
                                                                                  padding=1)),
                  nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(3, 2, 1))),
        nn.Concat(nn.Identity(), nn.Identity(), dim=2)), (2, 3, 6, 6)),
    ("named_sequential", lambda: nn.Sequential(OrderedDict(
        features=nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), flatten=nn.Flatten(),
        head=nn.Linear(2 * 4 * 4, 3))), (2, 1, 6, 6)),
    ("user_registered", lambda: nn.Sequential(TwoTower(5), Wrapper(nn.Linear(10, 2), 0.5)),
     (3, 3)),
    ("module_list", lambda: Stack(nn.ModuleList([nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)])),
     (2, 3)),
    ("shared_module", shared_linear, (2, 4)),
]


def flat_configs(model):
    return [(name, type(m).__name__, m.get_config() if not isinstance(
        m, nn.Sequential | nn.ModuleList | nn.Residual | nn.Concat | Wrapper | Stack) else None)
        for name, m in model.named_modules()]


@pytest.mark.parametrize("build,shape", [m[1:] for m in MODELS], ids=[m[0] for m in MODELS])
def test_save_load_round_trip_is_bit_exact(build, shape, tmp_path):
    cl.manual_seed(0)
    model = build()
    dtype = next(model.parameters()).dtype
    x = cl.tensor(np.random.default_rng(0).standard_normal(shape).astype(dtype))
    model(x)  # a training step moves BatchNorm running statistics away from their init
    model.eval()
    path = tmp_path / "model.convlens"
    cl.save(model, path)
    loaded = cl.load(path)
    assert type(loaded) is type(model) and not loaded.training
    assert repr(loaded) == repr(model)
    assert flat_configs(loaded) == flat_configs(model)
    original, restored = model.state_dict(), loaded.state_dict()
    assert list(restored) == list(original)
    for key in original:
        assert restored[key].dtype == original[key].dtype, key
        np.testing.assert_array_equal(restored[key].numpy(), original[key].numpy(), err_msg=key)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    # training mode and loading both preserve the saved mode
    cl.save(model.train(), path)
    assert cl.load(path).training


def test_conv_algorithm_dropout_p_and_running_stats_survive(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, algorithm="direct"), nn.BatchNorm2d(2),
                          nn.Dropout(0.25))
    model(cl.tensor(np.random.default_rng(1).standard_normal((4, 1, 5, 5)).astype(np.float32)))
    cl.save(model, tmp_path / "m.convlens")
    loaded = cl.load(tmp_path / "m.convlens")
    assert loaded[0].algorithm == "direct"
    assert loaded[2].p == 0.25
    assert int(loaded[1].num_batches_tracked.item()) == 1
    np.testing.assert_array_equal(loaded[1].running_var.numpy(), model[1].running_var.numpy())
    assert not np.all(loaded[1].running_var.numpy() == 1)


def test_shared_modules_stay_shared(tmp_path):
    cl.save(shared_linear(), tmp_path / "tied.convlens")
    loaded = cl.load(tmp_path / "tied.convlens")
    assert loaded[0] is loaded[2]
    assert len(list(loaded.parameters())) == 2


def test_file_is_a_plain_npz_too(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    cl.save(model, tmp_path / "m.convlens")
    with np.load(tmp_path / "m.convlens", allow_pickle=False) as npz:
        assert sorted(k for k in npz.files if k != "architecture.json") == sorted(
            model.state_dict())
        np.testing.assert_array_equal(npz["0.weight"], model[0].weight.numpy())


def test_save_is_atomic_and_replaces(tmp_path):
    path = tmp_path / "m.convlens"
    cl.save(nn.Linear(2, 2), path)
    cl.save(nn.Linear(3, 3), path)
    assert cl.load(path).in_features == 3
    assert [p.name for p in tmp_path.iterdir()] == ["m.convlens"]  # no temp file left
    with pytest.raises(TypeError, match="cannot save model: .*is not a registered layer"):
        cl.save(Unregistered(), path)
    assert cl.load(path).in_features == 3  # a failed save leaves the old file intact
    assert [p.name for p in tmp_path.iterdir()] == ["m.convlens"]


class Unregistered(nn.Module):
    def forward(self, x):
        return x


class MyConv(nn.Conv2d):
    pass


@nn.register
class BadConfig(nn.Module):
    def get_config(self):
        return {"callback": print}


def test_unsaveable_models_fail_at_save_time_naming_the_class(tmp_path):
    path = tmp_path / "m.convlens"
    with pytest.raises(TypeError, match=r"cannot save model\.modules\.1: test_io_roundtrip\."
                                        r"Unregistered is not a registered layer type; decorate"
                                        r" the class with @convlens.nn.register"):
        cl.save(nn.Sequential(nn.ReLU(), Unregistered()), path)
    with pytest.raises(TypeError, match=r"test_io_roundtrip\.MyConv is not a registered"):
        cl.save(MyConv(1, 1, 1), path)
    with pytest.raises(TypeError, match=r"cannot save model\.callback: a builtin_function_or_"
                                        r"method is not JSON-able"):
        cl.save(BadConfig(), path)
    with pytest.raises(TypeError, match=r"cannot save obj\['model'\]: a test_io_roundtrip."
                                        r"Unregistered is not a Tensor"):
        cl.save({"weight": np.zeros(2), "model": Unregistered()}, path)
    assert not path.exists()


def test_checkpoint_round_trips_a_state_dict(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    model(cl.tensor(np.ones((2, 1, 4, 4), np.float32)))
    meta = {"epoch": 3, "lr": 0.1, "names": ["a", "b"], "nested": {"ok": True, "none": None},
            "rng": {"state": 2**100 + 7}}
    io.save_checkpoint(tmp_path / "c.ckpt", model.state_dict(), meta)
    arrays, loaded_meta = io.load_checkpoint(tmp_path / "c.ckpt")
    assert loaded_meta == meta
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    fresh.load_state_dict(arrays)
    for key, value in model.state_dict().items():
        assert arrays[key].dtype == value.dtype and arrays[key].shape == value.shape
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), value.numpy())


def test_checkpoint_argument_errors(tmp_path):
    path = tmp_path / "c.ckpt"
    with pytest.raises(TypeError, match=r"state_dict\['x'\] must hold numbers"):
        io.save_checkpoint(path, {"x": np.array([object()])}, {})
    with pytest.raises(ValueError, match="array names must be non-empty strings"):
        io.save_checkpoint(path, {"": np.zeros(1)}, {})
    with pytest.raises(TypeError, match="meta must be JSON-able"):
        io.save_checkpoint(path, {}, {"when": object()})
    with pytest.raises(ValueError, match="meta must be JSON-able"):
        io.save_checkpoint(path, {}, {"loss": float("nan")})
    with pytest.raises(TypeError, match="meta must be a dict or None; got list"):
        io.save_checkpoint(path, {}, [1])
    assert not path.exists()
