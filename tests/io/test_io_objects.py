"""cl.save / cl.load of state_dicts and checkpoint dicts, as torch users write them; no pickle."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from convlens import io, nn, optim
from convlens.io import objects


def lenet():
    cl.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 3))


def same(a, b):
    """Structural equality that also checks types (tuple vs list, Tensor vs ndarray, int keys)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for key in a:
            same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, cl.Tensor):
        assert a.requires_grad == b.requires_grad and a.dtype == b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, np.ndarray | np.generic):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_a_state_dict_round_trips_as_tensors(tmp_path):
    model = lenet()
    cl.save(model.state_dict(), tmp_path / "m.pt")
    loaded = cl.load(tmp_path / "m.pt")
    assert list(loaded) == list(model.state_dict())
    assert all(type(value) is cl.Tensor for value in loaded.values())
    same(model.state_dict(), loaded)
    other = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 6 * 6, 3))
    other.load_state_dict(cl.load(tmp_path / "m.pt", map_location="cpu", weights_only=True))
    x = cl.tensor(np.linspace(-1, 1, 2 * 64, dtype=np.float32).reshape(2, 1, 8, 8))
    model.eval(), other.eval()
    np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())


def test_every_supported_value_round_trips_with_its_type(tmp_path):
    weight = nn.Parameter(np.arange(6, dtype=np.float64).reshape(2, 3))
    shared = np.array([1, 2, 3], np.int16)
    tree = {
        "epoch": 7, "loss": 0.25, "best": math.inf, "worst": -math.inf, "nan": math.nan,
        "done": False, "note": "état ✓", "none": None, "big": 2**62,
        "ints": {0: {"step": np.int64(3), "exp_avg": np.zeros((2, 3))}, -1: []},
        "betas": (0.9, 0.999), ("a", 1): "tuple key", 2.5: "float key", None: "none key",
        "tensors": [cl.tensor([1, 2], dtype=cl.int64), cl.tensor(1.5, requires_grad=True),
                    weight, cl.tensor(np.zeros((0, 4), np.float32))],
        "arrays": (shared, shared, np.bool_(True), np.array(3.5), np.ones((2, 2), "<u1")),
        "nested": [[[{"deep": ((),)}]]],
    }
    cl.save(tree, tmp_path / "tree.pt")
    loaded = cl.load(tmp_path / "tree.pt")
    same(tree, loaded)
    assert isinstance(loaded["tensors"][2], nn.Parameter)
    assert loaded["arrays"][0] is loaded["arrays"][1]  # one object saved twice stays one


def test_the_format_matches_what_torch_load_gives_back(tmp_path):
    torch = pytest.importorskip("torch")
    tree = {"epoch": 2, "state": {0: (torch.ones(2, dtype=torch.float64), [1.5, "x"])}}
    torch.save(tree, tmp_path / "t.pt")
    theirs = torch.load(tmp_path / "t.pt", weights_only=True)
    ours_in = {"epoch": 2, "state": {0: (cl.ones(2, dtype=cl.float64), [1.5, "x"])}}
    cl.save(ours_in, tmp_path / "c.pt")
    ours = cl.load(tmp_path / "c.pt")
    assert type(ours["state"]) is type(theirs["state"]) is dict
    assert list(ours["state"]) == list(theirs["state"]) == [0]
    assert type(ours["state"][0]) is type(theirs["state"][0]) is tuple
    np.testing.assert_array_equal(ours["state"][0][0].numpy(), theirs["state"][0][0].numpy())
    assert ours["state"][0][1] == theirs["state"][0][1]


def train_steps(model, optimizer, scheduler, steps, start):
    rng = np.random.default_rng(start)
    for _ in range(steps):
        x = cl.tensor(rng.standard_normal((4, 1, 8, 8)).astype(np.float32))
        target = cl.tensor(rng.integers(0, 3, 4))
        optimizer.zero_grad()
        loss = cl.functional.cross_entropy(model(x), target)
        loss.backward()
        optimizer.step()
        scheduler.step()
    return float(loss.item())


def test_a_torch_style_checkpoint_resumes_training_exactly(tmp_path):
    def fresh():
        model = lenet()
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
        return model, optimizer, optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

    model, optimizer, scheduler = fresh()
    loss = train_steps(model, optimizer, scheduler, 3, start=0)
    cl.save({"epoch": 3, "model_state_dict": model.state_dict(),
             "optimizer_state_dict": optimizer.state_dict(),
             "scheduler_state_dict": scheduler.state_dict(), "loss": loss}, tmp_path / "ck.pt")
    train_steps(model, optimizer, scheduler, 3, start=1)

    resumed, resumed_optimizer, resumed_scheduler = fresh()
    checkpoint = cl.load(tmp_path / "ck.pt", weights_only=True)
    resumed.load_state_dict(checkpoint["model_state_dict"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    assert checkpoint["epoch"] == 3 and checkpoint["loss"] == loss
    train_steps(resumed, resumed_optimizer, resumed_scheduler, 3, start=1)
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert resumed_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


leaves = (st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats()
          | st.text(max_size=8)
          | st.builds(lambda n, k: (np.arange(n) % 2).astype(k), st.integers(0, 5),
                      st.sampled_from(["<f4", "<f8", "<i8", "|b1", "|u1"]))
          | st.builds(lambda v: cl.tensor(np.float64(v)), st.floats(allow_nan=False)))
keys = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4) | st.tuples(
    st.integers(0, 3), st.text(max_size=2))
trees = st.recursive(leaves, lambda children: st.lists(children, max_size=4)
                     | st.lists(children, max_size=4).map(tuple)
                     | st.dictionaries(keys, children, max_size=4), max_leaves=20)


@settings(max_examples=40)
@given(tree=trees)
def test_random_trees_round_trip(tmp_path_factory, tree):
    path = tmp_path_factory.mktemp("trees") / "t.pt"
    cl.save(tree, path)
    same(tree, cl.load(path))


@pytest.mark.parametrize("value,error,match", [
    ({"f": open}, TypeError, r"cannot save obj\['f'\]: a builtins.builtin_function_or_method "
                             r"is not a Tensor, ndarray, number, str"),
    ({"m": [nn.Linear(2, 2)]}, TypeError, r"obj\['m'\]\[0\]: a convlens.nn.linear.Linear is "
                                          r"not .*save a Module by itself, or its state_dict"),
    ({frozenset(): 1}, TypeError, r"dict key frozenset\(\) must be None, a bool, int"),
    ({"s": "x" * (2**20 + 1)}, ValueError, r"a string of 1048577 characters; at most 1048576"),
    ({"a": np.array(["x"])}, TypeError, r"an array of dtype <U1; only bool, int and float"),
    ([[[[[[[[[[]]]]]]]]]] * 1, None, None),
])
def test_what_cannot_be_saved_says_where(tmp_path, value, error, match):
    if error is None:
        cl.save(value, tmp_path / "ok.pt")
        return
    with pytest.raises(error, match=match):
        cl.save(value, tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists()


def test_cycles_and_depth_are_refused_when_saving():
    cycle = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match=r"cannot save obj\[0\]: it contains itself"):
        cl.save(cycle, "never-written.pt")
    deep = []
    for _ in range(70):
        deep = [deep]
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        cl.save(deep, "never-written.pt")


@pytest.mark.parametrize("map_location,error,match", [
    ("cuda", ValueError, r"map_location must be None, 'cpu' or a CPU device \(convlens runs "
                         r"on the CPU only.*got 'cuda'"),
    ({"cuda:0": "cpu"}, ValueError, r"got \{'cuda:0': 'cpu'\}"),
    (lambda storage, loc: storage, ValueError, r"map_location must be None"),
])
def test_map_location_other_than_the_cpu_is_refused(tmp_path, map_location, error, match):
    cl.save({"a": 1}, tmp_path / "a.pt")
    with pytest.raises(error, match=match):
        cl.load(tmp_path / "a.pt", map_location=map_location)


def test_map_location_cpu_forms_and_weights_only_are_accepted(tmp_path):
    class Device:  # what cl.device("cpu") and torch.device("cpu") look like
        type = "cpu"

    cl.save({"a": 1}, tmp_path / "a.pt")
    for location in (None, "cpu", "cpu:0", Device()):
        for weights_only in (True, False, None):
            assert cl.load(tmp_path / "a.pt", location, weights_only=weights_only) == {"a": 1}
    with pytest.raises(TypeError, match="weights_only must be a bool or None; got str"):
        cl.load(tmp_path / "a.pt", weights_only="yes")
    assert objects.LIMITS == {"depth": 64, "items": 1_000_000, "string": 2**20}
    assert io.load is cl.load


def test_file_objects_are_refused_with_a_clear_error():
    import io as bytes_io

    with pytest.raises(TypeError, match=r"path must be a file path \(str or os.PathLike\); "
                                        r"file objects such as io.BytesIO are not supported; "
                                        r"got BytesIO"):
        cl.save({"a": 1}, bytes_io.BytesIO())
    with pytest.raises(TypeError, match="got BytesIO"):
        cl.load(bytes_io.BytesIO(b"PK"))
