"""summary() on models built from the layers added for issue 12."""

import numpy as np

from convlens import nn


class Pairwise(nn.Module):
    def __init__(self):
        super().__init__()
        self.bilinear = nn.Bilinear(4, 4, 3)

    def forward(self, x):
        return self.bilinear(x, x)


def test_summary_rows_for_new_layers():
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.GELU(), nn.Dropout2d(0.2),
        nn.PixelUnshuffle(2), nn.Conv2d(32, 4, 1), nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.InstanceNorm2d(4, affine=True), nn.SiLU(), nn.Flatten(), nn.Unflatten(1, (4, 64)),
        nn.LayerNorm(64), nn.PReLU(4))
    table = model.summary((1, 8, 8))
    rows = {row["type"]: row for row in table.rows}
    assert rows["GroupNorm"]["params"] == 16 and rows["PReLU"]["params"] == 4
    assert rows["PixelUnshuffle"]["output_shape"] == (32, 4, 4)
    assert rows["Upsample"]["output_shape"] == (4, 8, 8)
    assert rows["LayerNorm"]["output_shape"] == (4, 64) and rows["LayerNorm"]["params"] == 128
    assert rows["GELU"]["rf_size"] == (3, 3)  # elementwise layers keep the receptive field
    assert rows["Upsample"]["rf_size"] is None  # resizing has no single kernel and stride
    assert table.total_params == sum(p.numel() for p in model.parameters())
    assert table.output_shape == (4, 64)


def test_summary_counts_bilinear_macs():
    table = Pairwise().summary((4,))
    (row,) = table.rows
    assert row["type"] == "Bilinear" and row["params"] == 3 * 4 * 4 + 3
    assert row["macs"] == 3 * (4 * 4 + 4)  # x1 @ W[o] (16) then a dot with x2 (4), per output
    assert np.isclose(table.total_macs, 60)
