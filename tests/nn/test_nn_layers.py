"""Every layer against its torch.nn twin (float64 forward and gradients), plus argument checks."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn

torch = pytest.importorskip("torch")

# (id, convlens layer, torch layer, input shape); both are built with the same arguments.
CASES = [
    ("conv1d", lambda L: L.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2), (3, 2, 17)),
    ("conv1d_groups_circular", lambda L: L.Conv1d(4, 6, 3, padding=1, groups=2,
                                                  padding_mode="circular"), (2, 4, 9)),
    ("conv2d", lambda L: L.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=(1, 0)), (2, 3, 9, 8)),
    ("conv2d_same_nobias", lambda L: L.Conv2d(2, 4, 3, padding="same", bias=False),
     (2, 2, 7, 7)),
    ("conv2d_reflect", lambda L: L.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"),
     (1, 2, 6, 6)),
    ("conv2d_unbatched", lambda L: L.Conv2d(2, 3, 3), (2, 6, 6)),
    ("linear", lambda L: L.Linear(7, 5), (4, 7)),
    ("linear_3d", lambda L: L.Linear(7, 5, bias=False), (2, 3, 7)),
    ("maxpool1d", lambda L: L.MaxPool1d(3, stride=2, padding=1), (2, 3, 11)),
    ("maxpool2d", lambda L: L.MaxPool2d(2), (2, 3, 8, 8)),
    ("maxpool2d_ceil", lambda L: L.MaxPool2d(3, 2, 1, dilation=1, ceil_mode=True),
     (1, 2, 8, 7)),
    ("avgpool1d", lambda L: L.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 2, 10)),
    ("avgpool2d", lambda L: L.AvgPool2d(2), (2, 3, 8, 8)),
    ("avgpool2d_divisor", lambda L: L.AvgPool2d(3, 2, 1, divisor_override=4), (1, 2, 7, 7)),
    ("adaptive1d", lambda L: L.AdaptiveAvgPool1d(4), (2, 3, 10)),
    ("adaptive2d", lambda L: L.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5)),
    ("relu", lambda L: L.ReLU(), (3, 4)),
    ("leaky_relu", lambda L: L.LeakyReLU(0.2), (3, 4)),
    ("sigmoid", lambda L: L.Sigmoid(), (3, 4)),
    ("tanh", lambda L: L.Tanh(), (3, 4)),
    ("softmax", lambda L: L.Softmax(dim=1), (3, 4, 2)),
    ("flatten", lambda L: L.Flatten(), (2, 3, 4, 5)),
    ("flatten_range", lambda L: L.Flatten(0, 1), (2, 3, 4)),
    ("identity", lambda L: L.Identity(), (2, 3)),
    ("dropout_eval", lambda L: L.Dropout(0.5).eval(), (2, 3)),
    ("batchnorm1d", lambda L: L.BatchNorm1d(3), (5, 3)),
    ("batchnorm1d_3d", lambda L: L.BatchNorm1d(3, momentum=None), (4, 3, 6)),
    ("batchnorm2d", lambda L: L.BatchNorm2d(3, eps=1e-3, momentum=0.3), (4, 3, 5, 5)),
    ("batchnorm2d_eval", lambda L: L.BatchNorm2d(3).eval(), (4, 3, 5, 5)),
    ("batchnorm2d_noaffine", lambda L: L.BatchNorm2d(3, affine=False), (4, 3, 5, 5)),
    ("batchnorm2d_nobias", lambda L: L.BatchNorm2d(3, bias=False), (4, 3, 5, 5)),
    ("batchnorm2d_nostats", lambda L: L.BatchNorm2d(3, track_running_stats=False).eval(),
     (4, 3, 5, 5)),
]


@pytest.mark.parametrize("build,shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_matches_torch_forward_and_backward(build, shape):
    torch.manual_seed(0)
    theirs = build(torch.nn).double()
    ours = build(nn).double()
    state = theirs.state_dict()
    if "running_var" in state:  # make eval-mode statistics non-trivial
        state["running_mean"].uniform_(-1, 1)
        state["running_var"].uniform_(0.5, 2)
    ours.load_state_dict(state)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    xc = cl.tensor(x, requires_grad=True)
    expected = theirs(xt)
    out = ours(xc)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-10)
    grad = rng.standard_normal(tuple(expected.shape))
    expected.backward(torch.from_numpy(grad))
    out.backward(grad)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-10)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   rtol=1e-5, atol=1e-10, err_msg=name)
    for name, value in theirs.state_dict().items():  # running statistics after the step
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-7,
                                   err_msg=name)


@pytest.mark.parametrize("build", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_repr_matches_torch(build):
    theirs = repr(build(torch.nn))
    assert repr(build(nn)) == theirs


def test_maxpool_return_indices_match_torch():
    x = np.random.default_rng(3).standard_normal((1, 2, 6, 6))
    out, idx = nn.MaxPool2d(2, return_indices=True)(cl.tensor(x))
    _, expected = torch.nn.MaxPool2d(2, return_indices=True)(torch.from_numpy(x))
    np.testing.assert_array_equal(idx.numpy(), expected.numpy())


def test_dropout_training_masks_come_from_the_generator():
    x = cl.tensor(np.ones((4, 100), np.float32))
    a = nn.Dropout(0.3, generator=5)(x).numpy()
    b = nn.Dropout(0.3, generator=5)(x).numpy()
    np.testing.assert_array_equal(a, b)
    layer = nn.Dropout(0.3, generator=5)
    assert not np.array_equal(layer(x).numpy(), layer(x).numpy())  # fresh mask per call
    assert set(np.unique(a).tolist()) == {0.0, np.float32(1 / 0.7)}
    cl.manual_seed(3)
    c = nn.Dropout(0.3)(x).numpy()
    cl.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout(0.3)(x).numpy(), c)


def test_conv_passes_algorithm_through():
    x = cl.tensor(np.random.default_rng(0).standard_normal((2, 3, 8, 8)))
    direct = nn.Conv2d(3, 4, 3, algorithm="direct", dtype=np.float64, generator=0)
    gemm = nn.Conv2d(3, 4, 3, algorithm="gemm", dtype=np.float64, generator=0)
    assert "algorithm=direct" in repr(direct)
    np.testing.assert_allclose(direct(x).numpy(), gemm(x).numpy(), rtol=1e-12)


def test_float64_layers_hold_float64_parameters():
    conv = nn.Conv2d(1, 2, 3, dtype=np.float64)
    assert conv.weight.dtype == np.float64 and conv.bias.dtype == np.float64
    assert nn.BatchNorm1d(2, dtype="float64").running_mean.dtype == np.float64


BAD_ARGUMENTS = [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
     r"in_channels \(=3\) must be divisible by groups \(=2\)"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError,
     r"out_channels \(=3\) must be divisible by groups \(=2\)"),
    (lambda: nn.Conv2d(0, 3, 3), ValueError, "in_channels must be >= 1; got 0"),
    (lambda: nn.Conv2d(1, 3, (3, 3, 3)), TypeError,
     r"kernel_size must be an int or a tuple of 2 ints; got \(3, 3, 3\)"),
    (lambda: nn.Conv2d(1, 3, 3, stride=0), ValueError, "stride must be positive; got 0"),
    (lambda: nn.Conv2d(1, 3, 3, padding=-1), ValueError,
     r"padding must be (non-negative|>= 0); got -1"),
    (lambda: nn.Conv2d(1, 3, 3, padding="half"), ValueError,
     "padding must be one of 'valid', 'same', 'full'; got 'half'"),
    (lambda: nn.Conv2d(1, 3, 3, padding_mode="mirror"), ValueError,
     "padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular'; got 'mirror'"),
    (lambda: nn.Conv2d(1, 3, 3, algorithm="magic"), ValueError,
     "algorithm must be one of 'auto', .*; got 'magic'"),
    (lambda: nn.Conv2d(1, 3, 3, bias=1), TypeError, "bias must be a bool; got int 1"),
    (lambda: nn.Conv1d(1, 3, 3, dtype=np.int32), TypeError,
     "dtype must be float32 or float64; got <class 'numpy.int32'>"),
    (lambda: nn.Linear(3.0, 2), TypeError, "in_features must be an int; got float 3.0"),
    (lambda: nn.Linear(3, -2), ValueError, "out_features must be >= 1; got -2"),
    (lambda: nn.BatchNorm2d(0), ValueError, "num_features must be >= 1; got 0"),
    (lambda: nn.BatchNorm2d(3, momentum="0.1"), TypeError,
     r"momentum must be a number; got str"),
    (lambda: nn.BatchNorm2d(3, eps=-1), ValueError, r"eps must be a finite number in \[0.0, "),
    (lambda: nn.Dropout(1.5), ValueError, r"p must be a finite number in \[0.0, 1.0\]; got 1.5"),
    (lambda: nn.MaxPool2d(2, padding=2), ValueError,
     r"MaxPool2d: padding \(=2\) must be at most half of kernel_size \(=2\), that is <= 1"),
    (lambda: nn.MaxPool2d(0), ValueError, "kernel_size must be positive; got 0"),
    (lambda: nn.AvgPool1d(2, stride=(1, 1)), TypeError,
     r"stride must be an int or a tuple of 1 ints; got \(1, 1\)"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError,
     "divisor_override must be >= 1; got 0"),
    (lambda: nn.AdaptiveAvgPool2d((2, 0)), ValueError,
     r"output_size must be a positive int or a tuple of 2 positive ints or None; got \(2, 0\)"),
    (lambda: nn.Flatten(start_dim="1"), TypeError, "start_dim must be an int; got str '1'"),
    (lambda: nn.Softmax(dim=1.0), TypeError, "dim must be an int or None; got float 1.0"),
    (lambda: nn.LeakyReLU("a"), TypeError, "negative_slope must be a number; got str 'a'"),
    (lambda: nn.ReLU(inplace=None), TypeError, "inplace must be a bool; got NoneType None"),
    (lambda: nn.Concat(), ValueError, "Concat needs at least one branch; got none"),
    (lambda: nn.Residual(lambda x: x), TypeError, "body must be an nn.Module; got function"),
    (lambda: nn.Sequential(nn.ReLU(), 3), TypeError,
     "Sequential argument 1 must be an nn.Module; got int"),
]


@pytest.mark.parametrize("make,error,message", BAD_ARGUMENTS,
                         ids=[str(i) for i in range(len(BAD_ARGUMENTS))])
def test_bad_hyperparameters_fail_in_init_with_clear_messages(make, error, message):
    with pytest.raises(error, match=message):
        make()


def zeros(*shape, dtype=np.float32):
    return cl.tensor(np.zeros(shape, dtype))


BAD_INPUTS = [
    (nn.Conv2d(3, 4, 3), zeros(2, 1, 8, 8), ValueError,
     r"Conv2d expects input of shape \(N, 3, H, W\) or \(3, H, W\); got shape \(2, 1, 8, 8\)"),
    (nn.Conv2d(3, 4, 3), zeros(1, 1, 3, 8, 8), ValueError,
     r"Conv2d expects input to be a 3-D \(C, H, W\) or a 4-D \(N, C, H, W\); got shape"),
    (nn.Conv1d(3, 4, 3), zeros(2, 3, 8, dtype=np.float64), TypeError,
     "conv1d expects input and weight of the same dtype; got float64 and float32"),
    (nn.Linear(4, 2), zeros(2, 3), ValueError,
     r"Linear expects input of shape \(\*, 4\) \(in_features last\); got shape \(2, 3\)"),
    (nn.BatchNorm2d(4), zeros(2, 3, 5, 5), ValueError,
     r"BatchNorm2d expects input of shape \(N, 4, H, W\); got shape \(2, 3, 5, 5\)"),
    (nn.BatchNorm2d(4), zeros(2, 4, 5), ValueError,
     r"BatchNorm2d expects input to be a 4-D \(N, C, H, W\); got shape \(2, 4, 5\)"),
    (nn.BatchNorm1d(4), zeros(2, 3), ValueError,
     r"BatchNorm1d expects input of shape \(N, 4\) or \(N, 4, L\); got shape \(2, 3\)"),
    (nn.Flatten(2, 5), zeros(2, 3, 4), ValueError,
     r"Flatten\(end_dim=5\) is out of range for input of shape \(2, 3, 4\)"),
    (nn.Residual(nn.Linear(3, 2)), zeros(1, 3), ValueError,
     r"Residual needs the body output and the input to have the same shape; "
     r"got \(1, 2\) and \(1, 3\)"),
    (nn.Concat(nn.Linear(3, 2), nn.Flatten(0)), zeros(1, 3), ValueError,
     r"Concat\(dim=1\) needs branch outputs of equal rank"),
]


@pytest.mark.parametrize("layer,x,error,message", BAD_INPUTS,
                         ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_inputs_fail_at_call_time_with_clear_messages(layer, x, error, message):
    with pytest.raises(error, match=message):
        layer(x)
