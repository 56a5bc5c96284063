"""Import a U-Net-style and a ConvNeXt-style network exported by ``torch.onnx.export``.

The nets are defined here in torch; the ONNX file torch writes is imported with
``from_onnx`` and run on the same input as ONNX Runtime (and torch itself).
"""

from __future__ import annotations

import numpy as np
import pytest
from interop_helpers import assert_close, run_convlens, run_ort

import convlens as cl
from convlens import interop

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
nn = torch.nn


class UNet(nn.Module):
    """Two levels: conv blocks, max-pool down, ConvTranspose and bilinear Upsample up, skip
    concatenations."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout),
                                 nn.ReLU())

        self.enc1, self.enc2, self.mid = block(3, 8), block(8, 16), block(16, 16)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.dec2 = block(32, 8)
        self.up1 = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.dec1 = block(16, 8)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        m = self.mid(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pw1, self.act, self.pw2 = nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), 0.5))

    def forward(self, x):
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.pw2(self.act(self.pw1(self.norm(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


class ConvNeXt(nn.Module):
    """Patchify stem, two stages of ConvNeXt blocks with a LayerNorm + strided conv between,
    global average, LayerNorm and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 4, stride=4)
        self.stage1 = ConvNeXtBlock(8)
        self.down_norm = nn.LayerNorm(8, eps=1e-6)
        self.down = nn.Conv2d(8, 16, 2, stride=2)
        self.stage2 = nn.Sequential(ConvNeXtBlock(16), ConvNeXtBlock(16))
        self.head_norm, self.head = nn.LayerNorm(16), nn.Linear(16, 5)

    def forward(self, x):
        x = self.stage1(self.stem(x))
        x = self.down_norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = self.stage2(self.down(x))
        return self.head(self.head_norm(x.mean(dim=(-2, -1))))


def _randomized(model):
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.3 + 0.1)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.2)
                m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
    return model.eval()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch: the TorchScript exporter
@pytest.mark.parametrize(("net", "size", "opset"), [
    pytest.param(UNet, 16, 17, id="unet"), pytest.param(ConvNeXt, 32, 17, id="convnext"),
    pytest.param(ConvNeXt, 32, 20, id="convnext-opset20")])
def test_torch_exported_net_matches_onnx_runtime(net, size, opset, tmp_path):
    model = _randomized(net())
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    path = tmp_path / "net.onnx"
    torch.onnx.export(model, (torch.from_numpy(x),), str(path), opset_version=opset,
                      input_names=["x"], output_names=["y"], dynamo=False)
    imported = interop.from_onnx(path)
    ours, theirs = run_convlens(imported, x), run_ort(path, x)
    assert_close(ours, theirs)
    with torch.no_grad():
        assert_close(ours, model(torch.from_numpy(x)).numpy())
    cl.save(imported, tmp_path / "net.convlens")  # the import's own layers save and load
    np.testing.assert_array_equal(run_convlens(cl.load(tmp_path / "net.convlens"), x), ours)
