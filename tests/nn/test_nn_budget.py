"""``estimated_elements(config)``: the added layers that allocate from their config say how
much, so a loader can refuse a file whose architecture declares more than its weights hold."""

import numpy as np
import pytest

import convlens as cl
from convlens import nn

LAYERS = [
    lambda: nn.Embedding(50, 7), lambda: nn.Bilinear(3, 4, 5), lambda: nn.Bilinear(3, 4, 5, False),
    lambda: nn.LayerNorm((4, 6)), lambda: nn.LayerNorm(8, elementwise_affine=False),
    lambda: nn.GroupNorm(2, 6), lambda: nn.PReLU(9),
    lambda: nn.CrossEntropyLoss(weight=cl.tensor(np.ones(10))),
    lambda: nn.BCEWithLogitsLoss(np.ones(3), pos_weight=np.ones(3)),
    lambda: nn.ParameterList([np.zeros((3, 4)), np.zeros(5)]),
    lambda: nn.ParameterDict({"a": np.zeros((2, 2, 2))}),
]


@pytest.mark.parametrize("make", LAYERS)
def test_estimate_bounds_what_the_config_allocates(make):
    layer = make()
    held = sum(t.numel() for t in (*layer.parameters(), *layer.buffers()))
    rebuilt = type(layer).from_config(layer.get_config())
    estimate = type(layer).estimated_elements(layer.get_config())
    assert held <= estimate <= 2 * held + 8
    assert sum(t.numel() for t in rebuilt.parameters()) == sum(
        t.numel() for t in layer.parameters())


def test_estimate_counts_junk_as_one():
    assert nn.Embedding.estimated_elements({"num_embeddings": "x", "embedding_dim": -3}) == 1
    assert nn.ParameterList.estimated_elements({"values": [None, {"shape": [10**6, "a"]}]}) \
        == 10**6
