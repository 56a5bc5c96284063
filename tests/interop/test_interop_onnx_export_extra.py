"""ONNX export of the dropout variants, more activations, GLU, PixelUnshuffle,
ChannelShuffle, Unflatten, LocalResponseNorm and AdaptiveMaxPool, checked against
ONNX Runtime (and torch where the layout is the question), and re-imported where
``from_onnx`` reads every operator the rule writes.
"""

from __future__ import annotations

import numpy as np
import pytest
from interop_helpers import assert_close, run_convlens, run_ort

from convlens import interop, nn
from convlens.interop.errors import UnsupportedError

pytest.importorskip("onnxruntime")

_CONVS = {1: nn.Conv1d, 2: nn.Conv2d}


def _layers():
    # (id, make, nd, re-import): ONNX import lacks LogSoftmax, Shrink, Where, Slice and one
    # of the ops of the pooled LocalResponseNorm form
    cases = [
        ("Dropout1d", lambda: nn.Dropout1d(0.3), 1, True),
        ("Dropout2d", lambda: nn.Dropout2d(0.3), 2, True),
        ("Dropout3d", lambda: nn.Dropout3d(0.3), 2, True),
        ("AlphaDropout", lambda: nn.AlphaDropout(0.3), 2, True),
        ("LogSoftmax", lambda: nn.LogSoftmax(1), 2, False),
        ("LogSoftmax-last", lambda: nn.LogSoftmax(-1), 1, False),
        ("LogSoftmax-implicit", lambda: nn.LogSoftmax(), 2, False),
        ("Softmin", lambda: nn.Softmin(1), 2, True),
        ("Softmin-implicit", lambda: nn.Softmin(), 1, True),
        ("Softmax2d", lambda: nn.Softmax2d(), 2, True),
        ("RReLU", lambda: nn.RReLU(0.1, 0.4), 2, True),
        ("LogSigmoid", lambda: nn.LogSigmoid(), 2, True),
        ("Tanhshrink", lambda: nn.Tanhshrink(), 2, True),
        ("Softshrink", lambda: nn.Softshrink(0.7), 2, False),
        ("Hardshrink", lambda: nn.Hardshrink(0.6), 2, False),
        ("Threshold", lambda: nn.Threshold(0.4, -2.0), 2, False),
        ("GLU-channels", lambda: nn.GLU(1), 2, False),
        ("GLU-last", lambda: nn.GLU(), 1, False),
        ("PixelUnshuffle", lambda: nn.PixelUnshuffle(2), 2, True),
        ("PixelUnshuffle-4", lambda: nn.PixelUnshuffle(4), 2, True),
        ("ChannelShuffle", lambda: nn.ChannelShuffle(2), 2, True),
        ("Unflatten-channels", lambda: nn.Unflatten(1, (2, 2)), 2, True),
        ("Unflatten-width", lambda: nn.Unflatten(-1, (2, -1)), 2, True),
        ("LocalResponseNorm", lambda: nn.LocalResponseNorm(3, 0.3, 0.6, 1.5), 2, True),
        ("LocalResponseNorm-5", lambda: nn.LocalResponseNorm(5), 2, True),
        ("LocalResponseNorm-even", lambda: nn.LocalResponseNorm(4, 0.3, 0.6, 1.5), 2, False),
        ("LocalResponseNorm-1d", lambda: nn.LocalResponseNorm(3, 0.3, 0.6, 1.5), 1, False),
        ("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d(1), 2, True),
        ("AdaptiveMaxPool2d-pair", lambda: nn.AdaptiveMaxPool2d((1, 1)), 2, True),
        ("AdaptiveMaxPool1d", lambda: nn.AdaptiveMaxPool1d(1), 1, True),
        ("AdaptiveMaxPool2d-4x2", lambda: nn.AdaptiveMaxPool2d((4, 2)), 2, True),
        ("AdaptiveMaxPool2d-None", lambda: nn.AdaptiveMaxPool2d((None, 2)), 2, True),
        ("AdaptiveMaxPool1d-4", lambda: nn.AdaptiveMaxPool1d(4), 1, True),
    ]
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


def _randomize(model, seed=5):
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data = rng.normal(0.5, 0.5, p.shape).astype(p.dtype)
    return model


@pytest.mark.parametrize(("make", "nd", "reimport"), _layers())
def test_export_matches_onnx_runtime(make, nd, reimport, tmp_path):
    model = _randomize(nn.Sequential(_CONVS[nd](3, 4, 3, padding=1, generator=1), make())).eval()
    shape = (3, *(8,) * nd)
    path = interop.to_onnx(model, tmp_path / "m.onnx", shape, opset=17)
    x = np.random.default_rng(0).standard_normal((2, *shape)).astype(np.float32)
    expected = run_convlens(model, x)
    assert_close(run_ort(path, x), expected)
    if reimport:
        assert_close(run_convlens(interop.from_onnx(path), x), expected)


@pytest.mark.parametrize(("make", "ref"), [
    (lambda: nn.PixelUnshuffle(2), lambda t, f: f.pixel_unshuffle(t, 2)),
    (lambda: nn.ChannelShuffle(3), lambda t, f: f.channel_shuffle(t, 3)),
    (lambda: nn.LocalResponseNorm(3, 0.5, 0.8, 2.0),
     lambda t, f: f.local_response_norm(t, 3, 0.5, 0.8, 2.0)),
    (lambda: nn.LocalResponseNorm(4, 0.5, 0.8, 2.0),
     lambda t, f: f.local_response_norm(t, 4, 0.5, 0.8, 2.0)),
    (lambda: nn.AdaptiveMaxPool2d((2, 3)), lambda t, f: f.adaptive_max_pool2d(t, (2, 3))),
], ids=["PixelUnshuffle", "ChannelShuffle", "LocalResponseNorm",
                                         "LocalResponseNorm-even", "AdaptiveMaxPool2d"])
def test_layout_matches_torch(make, ref, tmp_path):
    """ONNX Runtime's numbers for the exported file are torch's (channel order, LRN's
    alpha / size and window)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 6, 4, 6)).astype(np.float32)
    path = interop.to_onnx(nn.Sequential(make()), tmp_path / "m.onnx", x.shape[1:])
    expected = ref(torch.from_numpy(x), torch.nn.functional).numpy()
    assert_close(run_ort(path, x), expected)


@pytest.mark.parametrize(("make", "match"), [
    (lambda: nn.AdaptiveMaxPool2d(3),
     r"divides the input size only.*\(3, 3\) for input \(8, 8\)"),
    (lambda: nn.AdaptiveMaxPool2d(1, return_indices=True), "return_indices=True"),
    (lambda: nn.Unflatten(0, (1, 1)), r"Unflatten\(dim=0\)"),
], ids=["AdaptiveMaxPool2d-3", "AdaptiveMaxPool2d-indices", "Unflatten-batch"])
def test_refused_layers_name_the_reason(make, match, tmp_path):
    with pytest.raises(UnsupportedError, match=match):
        interop.to_onnx(nn.Sequential(make()), tmp_path / "m.onnx", (4, 8, 8))
