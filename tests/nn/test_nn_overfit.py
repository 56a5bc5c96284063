"""Smoke test with a number: a small CNN overfits one fixed batch (loss < 0.05)."""

import numpy as np

import convlens as cl
from convlens import functional as F
from convlens import nn


def adam_step(params, state, step, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
    """One Adam update (Kingma and Ba 2015), written out so this test needs no optimizer."""
    with cl.no_grad():
        for p in params:
            m, v = state.setdefault(id(p), (np.zeros_like(p.numpy()), np.zeros_like(p.numpy())))
            g = p.grad.numpy()
            m[...] = betas[0] * m + (1 - betas[0]) * g
            v[...] = betas[1] * v + (1 - betas[1]) * g * g
            m_hat = m / (1 - betas[0] ** step)
            v_hat = v / (1 - betas[1] ** step)
            p.sub_(lr * m_hat / (np.sqrt(v_hat) + eps))


def test_small_cnn_overfits_one_batch():
    rng = np.random.default_rng(0)
    x = cl.tensor(rng.standard_normal((16, 1, 12, 12)).astype(np.float32))
    y = cl.tensor(rng.integers(0, 4, size=16))
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, generator=0), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, generator=1), nn.ReLU(), nn.Flatten(),
        nn.Linear(8 * 4 * 4, 4, generator=2),
    )
    params = list(model.parameters())
    state = {}
    losses = []
    for step in range(1, 61):
        model.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        adam_step(params, state, step)
        losses.append(loss.item())
    with cl.no_grad():
        final = F.cross_entropy(model(x), y).item()
    assert losses[0] > 1.0  # started near log(4) = 1.39
    assert final < 0.05
