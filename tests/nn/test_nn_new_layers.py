"""The layers added for issue 12 against their torch.nn twins: float64 forward and gradients,
the repr, torch's state_dict, and a bit-exact save/load round trip."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn

torch = pytest.importorskip("torch")

# (id, layer built the same way from either library, input shape)
CASES = [
    ("gelu", lambda L: L.GELU(), (3, 4)),
    ("gelu_tanh", lambda L: L.GELU(approximate="tanh"), (3, 4)),
    ("silu", lambda L: L.SiLU(), (3, 4)),
    ("silu_inplace", lambda L: L.SiLU(inplace=True), (3, 4)),
    ("mish", lambda L: L.Mish(), (3, 4)),
    ("elu", lambda L: L.ELU(0.5, inplace=True), (3, 4)),
    ("selu", lambda L: L.SELU(), (3, 4)),
    ("celu", lambda L: L.CELU(1.5), (3, 4)),
    ("relu6", lambda L: L.ReLU6(inplace=True), (3, 4)),
    ("hardtanh", lambda L: L.Hardtanh(-2.0, 0.5), (3, 4)),
    ("hardswish", lambda L: L.Hardswish(), (3, 4)),
    ("hardsigmoid", lambda L: L.Hardsigmoid(inplace=True), (3, 4)),
    ("softplus", lambda L: L.Softplus(beta=2.0, threshold=3.0), (3, 4)),
    ("softsign", lambda L: L.Softsign(), (3, 4)),
    ("logsigmoid", lambda L: L.LogSigmoid(), (3, 4)),
    ("tanhshrink", lambda L: L.Tanhshrink(), (3, 4)),
    ("logsoftmax", lambda L: L.LogSoftmax(dim=1), (3, 4, 2)),
    ("softmin", lambda L: L.Softmin(dim=-1), (3, 4)),
    ("prelu", lambda L: L.PReLU(), (2, 3, 4)),
    ("prelu_channels", lambda L: L.PReLU(3, init=0.1), (2, 3, 4, 4)),
    ("layernorm", lambda L: L.LayerNorm(4), (2, 3, 4)),
    ("layernorm_2d_nobias", lambda L: L.LayerNorm((3, 4), eps=1e-3, bias=False), (2, 3, 4)),
    ("layernorm_noaffine", lambda L: L.LayerNorm([4], elementwise_affine=False), (2, 4)),
    ("groupnorm", lambda L: L.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("groupnorm_noaffine", lambda L: L.GroupNorm(1, 3, eps=0.1, affine=False), (2, 3, 5)),
    ("instancenorm1d", lambda L: L.InstanceNorm1d(3), (2, 3, 6)),
    ("instancenorm1d_unbatched", lambda L: L.InstanceNorm1d(3, affine=True), (3, 6)),
    ("instancenorm2d_stats", lambda L: L.InstanceNorm2d(3, affine=True,
                                                         track_running_stats=True), (2, 3, 4, 4)),
    ("instancenorm2d_eval", lambda L: L.InstanceNorm2d(3, momentum=None,
                                                       track_running_stats=True).eval(),
     (2, 3, 4, 4)),
    ("lrn", lambda L: L.LocalResponseNorm(3, alpha=0.1, k=2.0), (2, 5, 3, 3)),
    ("upsample", lambda L: L.Upsample(scale_factor=2), (1, 2, 3, 4)),
    ("upsample_bilinear", lambda L: L.Upsample(size=(5, 7), mode="bilinear"), (1, 2, 3, 4)),
    ("upsample_bicubic_ac", lambda L: L.Upsample(scale_factor=(1.5, 2.0), mode="bicubic",
                                                 align_corners=True), (1, 2, 3, 4)),
    ("upsample_linear", lambda L: L.Upsample(scale_factor=2.5, mode="linear",
                                             recompute_scale_factor=True), (2, 2, 5)),
    ("upsampling_nearest2d", lambda L: L.UpsamplingNearest2d(scale_factor=3), (1, 2, 2, 3)),
    ("upsampling_bilinear2d", lambda L: L.UpsamplingBilinear2d(size=5), (1, 2, 2, 3)),
    ("pixel_shuffle", lambda L: L.PixelShuffle(2), (2, 8, 3, 3)),
    ("pixel_unshuffle", lambda L: L.PixelUnshuffle(3), (2, 1, 6, 3)),
    ("channel_shuffle", lambda L: L.ChannelShuffle(3), (2, 6, 2, 2)),
    ("unfold", lambda L: L.Unfold(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2),
     (2, 3, 6, 7)),
    ("unfold_unbatched", lambda L: L.Unfold(2), (3, 4, 5)),
    ("fold", lambda L: L.Fold((4, 5), 2), (2, 12, 12)),
    ("fold_overlap_strided", lambda L: L.Fold(output_size=7, kernel_size=3, dilation=2,
                                              padding=(1, 0), stride=(1, 2)), (1, 18, 10)),
    ("unflatten", lambda L: L.Unflatten(1, (2, 5)), (3, 10)),
    ("unflatten_minus_one", lambda L: L.Unflatten(-1, (-1, 2)), (3, 2, 4)),
    ("dropout1d_eval", lambda L: L.Dropout1d(0.4).eval(), (2, 3, 4)),
    ("dropout2d_eval", lambda L: L.Dropout2d(0.4).eval(), (2, 3, 4, 4)),
    ("dropout3d_p0", lambda L: L.Dropout3d(0.0), (2, 3, 2, 2, 2)),
    ("alpha_dropout_eval", lambda L: L.AlphaDropout(0.2).eval(), (2, 3)),
    ("threshold", lambda L: L.Threshold(0.1, 20.0), (3, 4)),
    ("threshold_inplace", lambda L: L.Threshold(-0.5, 2.0, True), (3, 4)),
    ("hardshrink", lambda L: L.Hardshrink(), (3, 4)),
    ("softshrink", lambda L: L.Softshrink(0.3), (3, 4)),
    ("rrelu_eval", lambda L: L.RReLU(0.1, 0.3).eval(), (3, 4)),
    ("glu", lambda L: L.GLU(), (3, 4)),
    ("glu_dim1", lambda L: L.GLU(dim=1), (3, 4, 2)),
    ("softmax2d", lambda L: L.Softmax2d(), (2, 3, 2, 2)),
]
IDS = [c[0] for c in CASES]


def _pair(build):
    torch.manual_seed(0)
    theirs = build(torch.nn).double()
    ours = build(nn).double()
    state = theirs.state_dict()
    if "running_var" in state:  # make eval-mode statistics non-trivial
        state["running_mean"].uniform_(-1, 1)
        state["running_var"].uniform_(0.5, 2)
    for param in theirs.parameters():  # and affine parameters off their init
        param.data.uniform_(0.5, 1.5)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("build,shape", [c[1:] for c in CASES], ids=IDS)
def test_layer_matches_torch(build, shape):
    ours, theirs = _pair(build)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 3
    xt, xc = torch.tensor(x, requires_grad=True), cl.tensor(x, requires_grad=True)
    expected, out = theirs(xt * 1), ours(xc)  # torch may write in place: not into a leaf
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-10)
    grad = rng.standard_normal(tuple(expected.shape))
    expected.backward(torch.from_numpy(grad))
    out.backward(grad)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-10)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   rtol=1e-6, atol=1e-10, err_msg=name)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():  # running statistics after the step
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-7,
                                   err_msg=name)


@pytest.mark.parametrize("build", [c[1] for c in CASES], ids=IDS)
def test_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("build,shape", [c[1:] for c in CASES], ids=IDS)
def test_save_load_round_trip(build, shape, tmp_path):
    model = nn.Sequential(build(nn)).eval()  # a file keeps one mode for the whole model
    for param in model.parameters():  # move weights off their init
        with cl.no_grad():
            param.copy_(np.random.default_rng(1).standard_normal(param.shape))
    x = cl.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    cl.save(model, tmp_path / "m.convlens")
    loaded = cl.load(tmp_path / "m.convlens")
    assert repr(loaded) == repr(model)
    assert loaded[0].get_config() == model[0].get_config()
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


@pytest.mark.parametrize("build,shape", [c[1:] for c in CASES], ids=IDS)
def test_float32_in_float32_out(build, shape):
    layer = build(nn)
    x = cl.tensor(np.random.default_rng(2).standard_normal(shape).astype(np.float32),
                  requires_grad=True)
    out = layer(x)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, np.float32))
    assert x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())
